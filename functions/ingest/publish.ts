import {
  PERSONNAGE_CREATED,
  type PersonnageEvent,
} from '../core/personnage.js';
import { problems } from '../core/problem.js';
import {
  type OutgoingMessage,
  type Publisher,
  PublishUnavailableError,
} from '../core/publisher.js';

/**
 * Pub/Sub's limits on one message: 10 MB in all, attribute values of
 * 1024 bytes, 100 attributes; the service refuses a message over them.
 * https://cloud.google.com/pubsub/quotas#resource_limits
 */
export const PUBSUB_LIMITS = {
  messageBytes: 10_000_000,
  attributeValueBytes: 1024,
  attributeKeyBytes: 256,
  attributes: 100,
} as const;

/** Seconds a sender is asked to wait after a 503. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * The message for an event: its JSON as data, `eventType` and `eventId` as
 * string attributes, and the request's `traceparent` when it had a trace,
 * so archive and notify log under the same trace. Throws (a 500: a bug,
 * not the sender's fault) if it would break a Pub/Sub limit; the input
 * schema keeps events far below.
 */
export function toMessage(
  event: PersonnageEvent,
  traceparent?: string,
): OutgoingMessage {
  const message = {
    data: Buffer.from(JSON.stringify(event)),
    attributes: {
      eventType: PERSONNAGE_CREATED,
      eventId: event.id,
      ...(traceparent ? { traceparent } : {}),
    },
  };
  let size = message.data.byteLength;
  const entries = Object.entries(message.attributes);
  for (const [key, value] of entries) {
    const keyBytes = Buffer.byteLength(key);
    const valueBytes = Buffer.byteLength(value);
    if (
      keyBytes > PUBSUB_LIMITS.attributeKeyBytes ||
      valueBytes > PUBSUB_LIMITS.attributeValueBytes
    ) {
      throw new RangeError(`attribute ${key} is over Pub/Sub's limit`);
    }
    size += keyBytes + valueBytes;
  }
  if (
    entries.length > PUBSUB_LIMITS.attributes ||
    size > PUBSUB_LIMITS.messageBytes
  ) {
    throw new RangeError(`event ${event.id} is over Pub/Sub's limits`);
  }
  return message;
}

/**
 * Publishes within `timeoutMs` or throws a 503 problem with `Retry-After`:
 * Pub/Sub down, slow, or refusing. Any `Publisher` is bounded here, not
 * only the topic publisher that bounds itself. A publish that gives up may
 * still land later; it carries the same event id, which the subscribers
 * deduplicate.
 */
export async function publishWithin(
  publisher: Publisher,
  message: OutgoingMessage,
  timeoutMs: number,
): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new PublishUnavailableError(`no answer in ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([publisher.publish(message), timeout]);
  } catch (err) {
    throw problems.unavailable(
      'The event could not be published; retry later.',
      RETRY_AFTER_SECONDS,
      err,
    );
  } finally {
    clearTimeout(timer);
  }
}
