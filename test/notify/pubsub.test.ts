import type { PubSub } from '@google-cloud/pubsub';
import { describe, expect, it } from 'vitest';
import type { PersonnageEvent } from '../../functions/core/personnage.js';
import type { FunctionRuntime } from '../../functions/core/runtime.js';
import {
  collectMessages,
  createTestTopology,
  startFunctionServer,
  waitFor,
} from '../harness/index.js';
import {
  notificationLines,
  openTestNotify,
  PUSH_TOKEN,
  personnage,
  send,
  subscribe,
  tempDataDir,
} from './fixtures.js';
import { startReceiver } from './receiver.js';

/** Serves notify for the emulator, counting the pushes it acknowledged. */
async function serveNotify(runtime: FunctionRuntime) {
  const acked: number[] = [];
  const server = await startFunctionServer({
    fetch: async (request) => {
      const response = await runtime.app.fetch(request);
      if (response.status === 204) acked.push(response.status);
      return response;
    },
  });
  return { url: server.url, acked };
}

/** Stands in for archive, acknowledging everything. */
function serveArchive() {
  return startFunctionServer({
    fetch: () => new Response(null, { status: 204 }),
  });
}

function publish(pubsub: PubSub, topic: string, event: PersonnageEvent) {
  return pubsub.topic(topic).publishMessage({
    data: Buffer.from(JSON.stringify(event)),
    attributes: { eventType: event.type, eventId: event.id },
  });
}

const ids = (events: PersonnageEvent[]) => events.map((e) => e.id).sort();

describe('notify behind the Pub/Sub emulator', () => {
  it('delivers each published event once, retrying a failing subscriber', async () => {
    const dataDir = await tempDataDir();
    const notify = await openTestNotify({ dataDir });
    const steady = await startReceiver();
    const flaky = await startReceiver({ status: (n) => (n <= 3 ? 500 : 204) });
    const a = await subscribe(notify, steady.url);
    const b = await subscribe(notify, flaky.url);
    const server = await serveNotify(notify);
    const { pubsub, names } = await createTestTopology({
      pushBase: { archive: (await serveArchive()).url, notify: server.url },
      pushToken: PUSH_TOKEN,
    });
    const events = [
      personnage('Naruto', 85),
      personnage('Sasuke', 91),
      personnage('Sakura', 60),
    ];

    await Promise.all(events.map((e) => publish(pubsub, names.topic, e)));

    await waitFor(() => server.acked.length >= events.length, {
      timeoutMs: 20_000,
      message: 'notify to acknowledge every event',
    });
    expect(steady.verifiedEventIds(a.secret).sort()).toEqual(ids(events));
    expect(flaky.verifiedEventIds(b.secret).sort()).toEqual(ids(events));
    expect(flaky.calls.length).toBe(events.length + 3);
    expect(await notificationLines(dataDir)).toHaveLength(events.length);
  });

  it('dead-letters what a subscriber refuses; a replay reaches only it', async () => {
    const dataDir = await tempDataDir();
    const notify = await openTestNotify({ dataDir });
    const steady = await startReceiver();
    let down = true;
    const broken = await startReceiver({ status: () => (down ? 500 : 204) });
    await subscribe(notify, steady.url);
    const { id, secret } = await subscribe(notify, broken.url);
    const server = await serveNotify(notify);
    const { pubsub, names } = await createTestTopology({
      pushBase: { archive: (await serveArchive()).url, notify: server.url },
      pushToken: PUSH_TOKEN,
      maxDeliveryAttempts: 5,
    });
    const deadLetters = collectMessages(pubsub, names.deadLetterInspect);
    const event = personnage('Obito', 87);

    await publish(pubsub, names.topic, event);
    const [dead] = await waitFor(
      () => (deadLetters.messages.length > 0 ? deadLetters.messages : null),
      { timeoutMs: 20_000, message: 'the event in the dead-letter topic' },
    );
    // The operator fixes the subscriber, switches it back on (which ends
    // its cool-down) and republishes what was dead-lettered.
    down = false;
    await send(notify, 'PATCH', `/subscribe/${id}`, { enabled: true });
    await pubsub.topic(names.topic).publishMessage({
      data: dead?.data ?? Buffer.from(''),
      attributes: { eventType: event.type, eventId: event.id },
    });
    await waitFor(() => broken.accepted().length > 0, {
      timeoutMs: 20_000,
      message: 'the replay to reach the subscriber',
    });

    expect(dead?.attributes).toMatchObject({ eventId: event.id });
    expect(broken.calls.length).toBeGreaterThanOrEqual(5);
    expect(broken.verifiedEventIds(secret)).toEqual([event.id]);
    expect(steady.calls).toHaveLength(1);
    expect(await notificationLines(dataDir)).toHaveLength(1);
  });
});
