import { describe, expect, it } from 'vitest';
import { toEvent } from '../../functions/core/personnage.js';
import { PUBSUB_LIMITS, toMessage } from '../../functions/ingest/publish.js';
import {
  expectProblem,
  goku,
  post,
  recordingPublisher,
  testIngest,
  viaApp,
} from './support.js';

describe('when Pub/Sub does not take the event', () => {
  it.each(['hang', 'fail'] as const)(
    'answers 503 with Retry-After when the publish would %s',
    async (behaviour) => {
      const publisher = recordingPublisher(behaviour);
      const { app } = testIngest({
        publisher,
        config: { publishTimeoutMs: 150 },
      });
      const started = Date.now();

      const res = await viaApp(app, post(goku));

      expect(Date.now() - started).toBeLessThan(1_000);
      const problem = expectProblem(res, 503, 'unavailable');
      expect(res.headers.get('retry-after')).toBe('5');
      expect(JSON.stringify(problem)).not.toMatch(/UNAVAILABLE|personnages/);
    },
  );

  it('serves again as soon as Pub/Sub does', async () => {
    const publisher = recordingPublisher('hang');
    const { app } = testIngest({ publisher, config: { publishTimeoutMs: 50 } });
    expect((await viaApp(app, post(goku))).status).toBe(503);

    publisher.behaviour = 'ok';

    expect((await viaApp(app, post(goku))).status).toBe(202);
  });
});

describe('toMessage', () => {
  it('keeps to the limits of Pub/Sub with the longest personnage', () => {
    const nom = '\u{10FFFF}'.repeat(100);
    const event = toEvent({ nom, score: 100 }, crypto.randomUUID(), new Date());

    const message = toMessage(event);

    expect(message.data.byteLength).toBeLessThan(PUBSUB_LIMITS.messageBytes);
    for (const value of Object.values(message.attributes)) {
      expect(typeof value).toBe('string');
      expect(Buffer.byteLength(value)).toBeLessThanOrEqual(
        PUBSUB_LIMITS.attributeValueBytes,
      );
    }
  });

  it('refuses to build a message over the limits', () => {
    const event = toEvent(
      { nom: 'x'.repeat(PUBSUB_LIMITS.messageBytes), score: 1 },
      crypto.randomUUID(),
      new Date(),
    );
    expect(() => toMessage(event)).toThrow(RangeError);
  });
});
