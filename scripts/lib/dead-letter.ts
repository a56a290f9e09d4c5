import { type PubSub, v1 } from '@google-cloud/pubsub';
import {
  PERSONNAGE_CREATED,
  type PersonnageEvent,
  personnageEvent,
} from '../../functions/core/personnage.js';
import type {
  OutgoingMessage,
  Publisher,
} from '../../functions/core/publisher.js';
import { matches, type Selection } from './replay-selection.js';

/** A message pulled from the dead-letter subscription, not yet acked. */
export interface PulledMessage {
  ackId: string;
  messageId: string;
  data: Buffer;
  attributes: Record<string, string>;
}

/** Synchronous pull on one subscription: the seam tests may replace. */
export interface PullSource {
  /** Up to `max` messages; an empty array when there are none now. */
  pull(max: number): Promise<PulledMessage[]>;
  ack(ackIds: string[]): Promise<void>;
  /** Hands messages back at once (ack deadline 0). */
  release(ackIds: string[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * A `PullSource` over the Pub/Sub `Pull` API. On the emulator it asks
 * for `returnImmediately`, which answers an empty subscription at once;
 * real Pub/Sub deprecates that flag and may then answer empty although
 * messages wait, so there the pull waits up to `timeoutMs` instead.
 * https://cloud.google.com/pubsub/docs/pull#synchronous_pull
 */
export async function pullSource(
  pubsub: PubSub,
  subscription: string,
  options: { emulator: boolean; timeoutMs: number },
): Promise<PullSource> {
  const { port, ...clientConfig } = await pubsub.getClientConfig();
  // The client's config types the port `string | number`, the GAPIC
  // constructor takes a number.
  const client = new v1.SubscriberClient({
    ...clientConfig,
    ...(port === undefined ? {} : { port: Number(port) }),
  });
  const name = pubsub.subscription(subscription).name;
  const call = { timeout: options.timeoutMs };
  return {
    async pull(max) {
      try {
        const [response] = await client.pull(
          {
            subscription: name,
            maxMessages: max,
            returnImmediately: options.emulator,
          },
          call,
        );
        return (response.receivedMessages ?? []).map((m) => ({
          ackId: m.ackId ?? '',
          messageId: m.message?.messageId ?? '',
          data: Buffer.from(m.message?.data ?? ''),
          attributes: { ...(m.message?.attributes ?? {}) },
        }));
      } catch (err) {
        // DEADLINE_EXCEEDED: nothing arrived while the pull waited.
        if ((err as { code?: number }).code === 4) return [];
        throw err;
      }
    },
    async ack(ackIds) {
      if (ackIds.length === 0) return;
      await client.acknowledge({ subscription: name, ackIds }, call);
    },
    async release(ackIds) {
      if (ackIds.length === 0) return;
      await client.modifyAckDeadline(
        { subscription: name, ackIds, ackDeadlineSeconds: 0 },
        call,
      );
    },
    close: () => client.close(),
  };
}

/** The prefix of the attributes Pub/Sub adds when it dead-letters. */
const DEAD_LETTER_ATTRIBUTE = /^CloudPubSubDeadLetterSource/;

/**
 * The message to publish again for a dead-lettered one: the same bytes,
 * its attributes without the `CloudPubSubDeadLetterSource*` ones, and
 * `eventType` and `eventId` from the event, so the subscribers see the
 * event they may already hold and deduplicate it.
 */
export function republished(
  message: PulledMessage,
  event: PersonnageEvent,
): OutgoingMessage {
  const attributes = Object.fromEntries(
    Object.entries(message.attributes).filter(
      ([key]) => !DEAD_LETTER_ATTRIBUTE.test(key),
    ),
  );
  return {
    data: message.data,
    attributes: {
      ...attributes,
      eventType: PERSONNAGE_CREATED,
      eventId: event.id,
    },
  };
}

/** The personnage event a message carries, or undefined for poison. */
export function eventOf(message: PulledMessage): PersonnageEvent | undefined {
  try {
    const parsed = personnageEvent.safeParse(
      JSON.parse(message.data.toString('utf8')),
    );
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export interface DeadLetterReplay {
  source: PullSource;
  /** Absent for a dry run: nothing is published and nothing acked. */
  publisher: Publisher | undefined;
  selection: Selection;
  /** Called for each event replayed (or, dry, that would be). */
  onEvent: (event: PersonnageEvent) => void;
}

export interface DeadLetterOutcome {
  replayed: number;
  /** Valid events left in place: filtered out or past the limit. */
  left: number;
  /** Messages without a valid event, left in place: they would fail again. */
  poison: number;
}

/**
 * Drains the dead-letter subscription: each selected event is published
 * again and its message acked only once that publish succeeded; all else
 * stays there. Messages are held (not acked) for the whole run and handed
 * back at its end, so one pass sees each once; it stops when a pull
 * brings nothing new. A failed publish stops the run with an error after
 * acking what did go through.
 */
export async function replayDeadLetters(
  options: DeadLetterReplay,
): Promise<DeadLetterOutcome> {
  const { source, selection } = options;
  const outcome: DeadLetterOutcome = { replayed: 0, left: 0, poison: 0 };
  const seen = new Set<string>();
  const held: string[] = [];
  try {
    for (;;) {
      const pulled = await source.pull(100);
      const fresh = pulled.filter((m) => !seen.has(m.messageId));
      held.push(...pulled.filter((m) => seen.has(m.messageId)).map(ackIdOf));
      if (fresh.length === 0) return outcome;
      const toPublish: { message: PulledMessage; event: PersonnageEvent }[] =
        [];
      for (const message of fresh) {
        seen.add(message.messageId);
        const event = eventOf(message);
        const room =
          selection.limit === undefined ||
          outcome.replayed + toPublish.length < selection.limit;
        if (!event) outcome.poison++;
        else if (!matches(event, selection) || !room) outcome.left++;
        else {
          toPublish.push({ message, event });
          continue;
        }
        held.push(message.ackId);
      }
      await publishAndAck(options, toPublish, held, outcome);
    }
  } finally {
    await source.release(held);
  }
}

const ackIdOf = (m: PulledMessage) => m.ackId;

async function publishAndAck(
  { source, publisher, onEvent }: DeadLetterReplay,
  batch: { message: PulledMessage; event: PersonnageEvent }[],
  held: string[],
  outcome: DeadLetterOutcome,
): Promise<void> {
  if (!publisher) {
    for (const { message, event } of batch) {
      onEvent(event);
      held.push(message.ackId);
    }
    outcome.replayed += batch.length;
    return;
  }
  const results = await Promise.allSettled(
    batch.map(({ message, event }) =>
      publisher.publish(republished(message, event)),
    ),
  );
  const done = batch.filter((_, i) => results[i]?.status === 'fulfilled');
  await source.ack(done.map(({ message }) => message.ackId));
  for (const { event } of done) onEvent(event);
  outcome.replayed += done.length;
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) {
    held.push(
      ...batch
        .filter((_, i) => results[i]?.status === 'rejected')
        .map(({ message }) => message.ackId),
    );
    const reason = (failed.reason as Error).message;
    throw new Error(
      `republishing failed (${reason}); ${outcome.replayed} replayed and ` +
        'acked, the rest stays in the dead-letter subscription',
    );
  }
}
