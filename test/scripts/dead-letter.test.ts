import { describe, expect, it } from 'vitest';
import { toEvent } from '../../functions/core/personnage.js';
import type { OutgoingMessage } from '../../functions/core/publisher.js';
import {
  type PulledMessage,
  type PullSource,
  replayDeadLetters,
  republished,
} from '../../scripts/lib/dead-letter.js';

const DEAD_LETTER_ATTRIBUTES = {
  CloudPubSubDeadLetterSourceSubscription: 'archive',
  CloudPubSubDeadLetterSourceDeliveryCount: '5',
};

function pulled(n: number, data?: string): PulledMessage {
  const event = toEvent(
    { nom: `P${n}`, score: n },
    `00000000-0000-4000-8000-00000000000${n}`,
    new Date('2025-01-02T12:00:00Z'),
  );
  return {
    ackId: `ack-${n}`,
    messageId: `m${n}`,
    data: Buffer.from(data ?? JSON.stringify(event)),
    attributes: { eventId: event.id, ...DEAD_LETTER_ATTRIBUTES },
  };
}

/** A subscription in memory: what is neither acked nor held comes back. */
function fakeSource(messages: PulledMessage[]) {
  const acked: string[] = [];
  const released: string[] = [];
  let pulls = 0;
  const source: PullSource = {
    async pull(max) {
      pulls++;
      // Hands out everything not acked, as an expired deadline would.
      return messages.filter((m) => !acked.includes(m.ackId)).slice(0, max);
    },
    async ack(ids) {
      acked.push(...ids);
    },
    async release(ids) {
      released.push(...ids);
    },
    async close() {},
  };
  return { source, acked, released, pulls: () => pulls };
}

function publisher(fail: (m: OutgoingMessage) => boolean = () => false) {
  const published: OutgoingMessage[] = [];
  return {
    published,
    publisher: {
      async publish(message: OutgoingMessage) {
        if (fail(message)) throw new Error('publish refused');
        published.push(message);
        return String(published.length);
      },
      async close() {},
    },
  };
}

describe('replayDeadLetters', () => {
  it('republishes data and event attributes without the dead-letter ones', () => {
    const message = pulled(1);
    const out = republished(message, {
      ...JSON.parse(message.data.toString()),
    });

    expect(out.data).toBe(message.data);
    expect(out.attributes).toEqual({
      eventId: '00000000-0000-4000-8000-000000000001',
      eventType: 'personnage.created',
    });
  });

  it('acks what it republished and leaves poison in place', async () => {
    const dl = fakeSource([pulled(1), pulled(2, '{"not":"an event"}')]);
    const pub = publisher();

    const outcome = await replayDeadLetters({
      source: dl.source,
      publisher: pub.publisher,
      selection: {},
      onEvent: () => {},
    });

    expect(outcome).toEqual({ replayed: 1, left: 0, poison: 1 });
    expect(dl.acked).toEqual(['ack-1']);
    expect(dl.released).toContain('ack-2');
    expect(pub.published).toHaveLength(1);
  });

  it('does not ack a message whose republish failed', async () => {
    const dl = fakeSource([pulled(1), pulled(2), pulled(3)]);
    const pub = publisher((m) => m.attributes.eventId?.endsWith('2') === true);

    await expect(
      replayDeadLetters({
        source: dl.source,
        publisher: pub.publisher,
        selection: {},
        onEvent: () => {},
      }),
    ).rejects.toThrow('2 replayed and acked');

    expect(dl.acked.sort()).toEqual(['ack-1', 'ack-3']);
    expect(dl.released).toContain('ack-2');
  });

  it('acks nothing on a dry run and lists each event once', async () => {
    const dl = fakeSource([pulled(1), pulled(2)]);
    const listed: string[] = [];

    const outcome = await replayDeadLetters({
      source: dl.source,
      publisher: undefined,
      selection: {},
      onEvent: (e) => listed.push(e.nom),
    });

    expect(outcome.replayed).toBe(2);
    expect(listed).toEqual(['P1', 'P2']);
    expect(dl.acked).toEqual([]);
    expect(dl.released.sort()).toEqual(['ack-1', 'ack-1', 'ack-2', 'ack-2']);
  });

  it('stops at the limit and leaves the rest', async () => {
    const dl = fakeSource([pulled(1), pulled(2), pulled(3)]);
    const pub = publisher();

    const outcome = await replayDeadLetters({
      source: dl.source,
      publisher: pub.publisher,
      selection: { limit: 2 },
      onEvent: () => {},
    });

    expect(outcome).toEqual({ replayed: 2, left: 1, poison: 0 });
    expect(dl.acked).toEqual(['ack-1', 'ack-2']);
  });
});
