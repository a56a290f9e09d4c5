import type { Context } from 'hono';
import { limitBody } from './body-limit.js';
import { type PersonnageEvent, personnageEvent } from './personnage.js';
import { fieldErrors, Problem, problems } from './problem.js';
import { type PushMessage, parsePushEnvelope } from './push-envelope.js';

/**
 * The largest push body read: a personnage event is well under 1 KiB, so
 * a body of 1 MiB can only be a poison message; it is refused (413) and
 * dead-lettered like any other, without being read whole.
 */
export const pushBodyLimit = limitBody(1024 * 1024);

/**
 * Refuses bytes that are not UTF-8, rather than reading them as U+FFFD:
 * what ingest would refuse, archive and notify do not store mangled.
 */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** A push that carried a valid personnage event. */
export interface ReceivedEvent {
  event: PersonnageEvent;
  message: PushMessage;
}

/**
 * A push that can never succeed: its envelope or its event is invalid. It
 * is answered 4xx (a nack, never an ack): Pub/Sub redelivers it until the
 * subscription's dead-letter policy moves it to the dead-letter topic, where
 * it stays for inspection and replay instead of vanishing into a log line.
 */
export class PoisonMessageError extends Problem {}

/**
 * Decodes a push request in two layers: the Pub/Sub envelope, then the
 * personnage event in its base64 `data`. Throws a problem answer (400 for a
 * body that is not a push, 422 for a bad event) naming what is wrong.
 */
export async function readPushedEvent(c: Context): Promise<ReceivedEvent> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch (err) {
    throw problems.malformedJson(err);
  }
  const envelope = parsePushEnvelope(body);
  if (!envelope.ok) {
    throw new PoisonMessageError(
      400,
      'invalid-push',
      'Invalid push envelope',
      'The body is not a Pub/Sub push envelope.',
      { errors: fieldErrors(envelope.error) },
    );
  }
  const { message } = envelope;
  let text: string;
  try {
    text = UTF8.decode(message.data);
  } catch {
    throw poison(message, [
      { path: 'message.data', message: 'not UTF-8 after base64 decoding' },
    ]);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw poison(message, [
      { path: 'message.data', message: 'not JSON after base64 decoding' },
    ]);
  }
  const parsed = personnageEvent.safeParse(data);
  if (!parsed.success) {
    throw poison(
      message,
      fieldErrors(parsed.error).map((e) => ({
        ...e,
        path: `message.data.${e.path}`,
      })),
    );
  }
  return { event: parsed.data, message };
}

function poison(
  message: PushMessage,
  errors: { path: string; message: string }[],
): PoisonMessageError {
  return new PoisonMessageError(
    422,
    'invalid-event',
    'Invalid event',
    `Message ${message.messageId} does not carry a valid personnage event.`,
    { errors },
  );
}
