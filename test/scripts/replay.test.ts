import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PubSub } from '@google-cloud/pubsub';
import { Hono } from 'hono';
import { beforeAll, describe, expect, it } from 'vitest';
import { ARCHIVE_FILE } from '../../functions/archive/file-store.js';
import { renderArchive } from '../../functions/archive/layout.js';
import { toEvent } from '../../functions/core/personnage.js';
import {
  collectMessages,
  createTestTopology,
  defer,
  emulatorEnv,
  startFunctionServer,
  type TestTopology,
  testPubSub,
  waitFor,
} from '../harness/index.js';
import { runScript } from './support.js';

const EVENTS = [
  { nom: 'Naruto', score: 85, at: '2025-01-01T10:00:00Z' },
  { nom: 'Sakura', score: 40, at: '2025-01-02T10:00:00Z' },
  { nom: 'Kakashi', score: 95, at: '2025-01-03T10:00:00Z' },
].map(({ nom, score, at }, i) => ({
  ...toEvent(
    { nom, score },
    `00000000-0000-4000-8000-00000000000${i + 1}`,
    new Date(at),
  ),
  messageId: String(100 + i),
  publishTime: at,
  archivedAt: at,
}));

let pubsub: PubSub;
let topology: TestTopology;

beforeAll(async () => {
  pubsub = testPubSub();
  // Archive and notify are not under test: their pushes are answered 204.
  const sink = await startFunctionServer(
    new Hono().post('/push', (c) => c.body(null, 204)),
  );
  topology = await createTestTopology({
    pushBase: { archive: sink.url, notify: sink.url },
    pubsub,
  });
});

/** A pull subscription on the topic, to see what a replay publishes. */
async function watchTopic() {
  const name = `${topology.names.topic}-watch-${Math.random().toString(36).slice(2, 8)}`;
  await pubsub.createSubscription(topology.names.topic, name);
  defer(() =>
    pubsub
      .subscription(name)
      .delete()
      .then(() => undefined),
  );
  return collectMessages(pubsub, name);
}

function replay(args: string[], dataDir?: string) {
  return runScript('scripts/replay.ts', args, {
    ...emulatorEnv(),
    TOPIC: topology.names.topic,
    ...(dataDir ? { DATA_DIR: dataDir } : {}),
  });
}

describe('npm run replay --from archive', () => {
  it('republishes archived events with their event ids', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'relais-replay-'));
    await writeFile(join(dir, ARCHIVE_FILE), renderArchive(EVENTS));
    const watch = await watchTopic();

    const script = replay(['--from', 'archive', '--since', '2025-01-02'], dir);

    expect((await script.exited).code, script.output()).toBe(0);
    expect(script.output()).toContain('replayed 2 events');
    await waitFor(() => watch.messages.length >= 2, { message: '2 replays' });
    const got = watch.messages.map((m) => ({
      eventId: m.attributes.eventId,
      id: JSON.parse(m.data.toString()).id,
      messageId: JSON.parse(m.data.toString()).messageId,
    }));
    expect(got.sort((a, b) => a.id.localeCompare(b.id))).toEqual(
      EVENTS.slice(1).map((e) => ({
        eventId: e.id,
        id: e.id,
        messageId: undefined,
      })),
    );
  });

  it('lists what it would replay on a dry run, publishing nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'relais-replay-'));
    await writeFile(join(dir, ARCHIVE_FILE), renderArchive(EVENTS));

    const script = replay(
      ['--from', 'archive', '--niveau', 'légendaire', '--dry-run'],
      dir,
    );

    expect((await script.exited).code, script.output()).toBe(0);
    expect(script.output()).toContain('Kakashi  95 légendaire');
    expect(script.output()).not.toContain('Naruto');
    expect(script.output()).toContain('would replay 1 of 3');
  });
});

describe('npm run replay --from dead-letter', () => {
  it('republishes without dead-letter attributes and acks after', async () => {
    const deadLetters = pubsub.topic(topology.names.deadLetterTopic);
    for (const event of EVENTS.slice(0, 2)) {
      await deadLetters.publishMessage({
        data: Buffer.from(JSON.stringify(event)),
        attributes: {
          eventType: event.type,
          eventId: event.id,
          CloudPubSubDeadLetterSourceSubscription: topology.names.archive,
          CloudPubSubDeadLetterSourceDeliveryCount: '5',
        },
      });
    }
    await deadLetters.publishMessage({ data: Buffer.from('poison') });
    const watch = await watchTopic();

    const dry = replay(['--from', 'dead-letter', '--dry-run']);
    expect((await dry.exited).code, dry.output()).toBe(0);
    expect(dry.output()).toContain('would replay 2 events');
    const script = replay(['--from', 'dead-letter']);

    expect((await script.exited).code, script.output()).toBe(0);
    expect(script.output()).toContain('replayed 2 events');
    expect(script.output()).toContain('left 1 messages');
    await waitFor(() => watch.messages.length >= 2, { message: '2 replays' });
    expect(watch.messages.map((m) => m.attributes).sort(byEventId)).toEqual(
      EVENTS.slice(0, 2).map((e) => ({
        eventType: 'personnage.created',
        eventId: e.id,
      })),
    );
    // Acked: a second replay finds only the poison message.
    const again = replay(['--from', 'dead-letter']);
    expect((await again.exited).code, again.output()).toBe(0);
    expect(again.output()).toContain('replayed 0 events');
    expect(again.output()).toContain('left 1 messages');
  });
});

const byEventId = (a: Record<string, string>, b: Record<string, string>) =>
  (a.eventId ?? '').localeCompare(b.eventId ?? '');
