import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePushEnvelope } from '../../functions/core/push-envelope.js';

/** A push body captured from the installed emulator (0.8.20). */
const captured: unknown = JSON.parse(
  readFileSync(
    new URL('../fixtures/emulator-push.json', import.meta.url),
    'utf8',
  ),
);

function envelope(message: Record<string, unknown>) {
  return { subscription: 'projects/p/subscriptions/s', message };
}

describe('parsePushEnvelope', () => {
  it('decodes a push captured from the real emulator', () => {
    const result = parsePushEnvelope(captured);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.message.messageId).toBe('1');
    expect(result.message.publishTime).toMatch(/^2026-/);
    expect(result.message.attributes.eventType).toBe('personnage.created');
    expect(JSON.parse(result.message.data.toString()).nom).toBe('Naruto');
    expect(result.message.deliveryAttempt).toBeUndefined();
  });

  it.each([
    ['messageId', { messageId: '7', publishTime: '2026-01-01T00:00:00Z' }],
    ['message_id', { message_id: '7', publish_time: '2026-01-01T00:00:00Z' }],
  ])('reads the id and time spelled %s', (_, ids) => {
    const result = parsePushEnvelope(envelope({ data: 'e30=', ...ids }));
    expect(result.ok && result.message.messageId).toBe('7');
    expect(result.ok && result.message.publishTime).toBe(
      '2026-01-01T00:00:00Z',
    );
  });

  it('accepts a message without data or attributes', () => {
    const result = parsePushEnvelope(envelope({ messageId: '1' }));
    expect(result.ok && result.message.data.length).toBe(0);
    expect(result.ok && result.message.attributes).toEqual({});
  });

  it('keeps deliveryAttempt when the service sends it', () => {
    const result = parsePushEnvelope({
      ...envelope({ messageId: '1' }),
      deliveryAttempt: 3,
    });
    expect(result.ok && result.message.deliveryAttempt).toBe(3);
  });

  it('lets unknown fields through', () => {
    const result = parsePushEnvelope({
      ...envelope({ messageId: '1', somethingNew: true }),
      alsoNew: 1,
    });
    expect(result.ok).toBe(true);
  });

  it.each([
    ['a null body', null],
    ['an array', []],
    ['no message', { subscription: 's' }],
    ['no subscription', { message: { messageId: '1' } }],
    ['no message id', envelope({ data: 'e30=' })],
    ['data that is not base64', envelope({ messageId: '1', data: '%%%' })],
    ['a numeric attribute', envelope({ messageId: '1', attributes: { a: 1 } })],
  ])('refuses %s', (_, body) => {
    expect(parsePushEnvelope(body).ok).toBe(false);
  });
});
