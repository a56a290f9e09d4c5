import { randomUUID } from 'node:crypto';
import { readdir, writeFile } from 'node:fs/promises';
import type { PubSub } from '@google-cloud/pubsub';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { buildArchive } from '../../functions/archive/index.js';
import { loadConfig } from '../../functions/core/config.js';
import {
  type PersonnageEvent,
  toEvent,
} from '../../functions/core/personnage.js';
import {
  collectMessages,
  createTestTopology,
  defer,
  emulatorEnv,
  type FetchApp,
  startFunctionServer,
  TEST_PUSH_TOKEN,
  waitFor,
} from '../harness/index.js';
import { archivePath, readArchive, tempDataDir } from './fixtures.js';

/** The real archive (its composition root) on `dir`, closed at the end. */
async function archiveOn(dir: string) {
  const runtime = await buildArchive(
    loadConfig({
      ...emulatorEnv(),
      DATA_DIR: dir,
      PUSH_TOKEN: TEST_PUSH_TOKEN,
      LOG_LEVEL: 'silent',
    }),
  );
  defer(() => runtime.close());
  return runtime.app;
}

/** Archive (through `front`, if given) wired to a fresh topic. */
async function pipeline(archive: FetchApp, maxDeliveryAttempts?: number) {
  const notify = new Hono().post('*', (c) => c.body(null, 204));
  const archiveServer = await startFunctionServer(archive);
  const notifyServer = await startFunctionServer(notify);
  return createTestTopology({
    pushBase: { archive: archiveServer.url, notify: notifyServer.url },
    maxDeliveryAttempts,
  });
}

function events(count: number): PersonnageEvent[] {
  return Array.from({ length: count }, (_, n) =>
    toEvent(
      { nom: `Personnage ${n}`, score: n % 101 },
      randomUUID(),
      new Date(),
    ),
  );
}

function publish(pubsub: PubSub, topic: string, event: PersonnageEvent) {
  return pubsub.topic(topic).publishMessage({
    data: Buffer.from(JSON.stringify(event)),
    attributes: { eventType: event.type, eventId: event.id },
  });
}

/** Waits until the archive holds `count` entries, then a little longer. */
async function settled(dir: string, count: number) {
  await waitFor(async () => (await readArchive(dir)).length >= count, {
    timeoutMs: 20_000,
    message: `${count} archived entries`,
  });
  // Redeliveries still in flight would show up as extra entries.
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  return readArchive(dir);
}

const ids = (entries: { id: string }[]) => entries.map((e) => e.id).sort();

describe('archive on the Pub/Sub emulator', () => {
  it('archives 200 concurrent events, each published twice, exactly once', async () => {
    const dir = await tempDataDir();
    const { pubsub, names } = await pipeline(await archiveOn(dir));
    const sent = events(200);

    await Promise.all(
      [...sent, ...sent].map((e) => publish(pubsub, names.topic, e)),
    );

    const archived = await settled(dir, 200);
    expect(ids(archived)).toEqual(ids(sent));
  });

  it('writes one entry for the same push envelope delivered 5 times at once', async () => {
    const dir = await tempDataDir();
    const archive = await archiveOn(dir);
    const statuses: number[] = [];
    // Every push the emulator sends is replayed 5 times concurrently.
    const front = new Hono().post('*', async (c) => {
      const body = await c.req.text();
      const copies = await Promise.all(
        Array.from({ length: 5 }, () =>
          archive.request(c.req.url, {
            method: 'POST',
            body,
            headers: { 'content-type': 'application/json' },
          }),
        ),
      );
      statuses.push(...copies.map((r) => r.status));
      return c.body(null, copies[0]?.status === 204 ? 204 : 500);
    });
    const { pubsub, names } = await pipeline(front);
    const [one] = events(1);

    await publish(pubsub, names.topic, one as PersonnageEvent);

    expect(await settled(dir, 1)).toMatchObject([{ id: one?.id }]);
    expect(statuses.slice(0, 5)).toEqual([204, 204, 204, 204, 204]);
  });

  it('ends with every event once after answering 500 for a while', async () => {
    const dir = await tempDataDir();
    const archive = await archiveOn(dir);
    let failures = 0;
    // First 40 pushes fail: half before archiving, half after it (an ack
    // lost on the way back), so redeliveries meet written entries too.
    const front = new Hono().post('*', async (c) => {
      if (failures >= 40) return archive.fetch(c.req.raw);
      failures++;
      if (failures % 2 === 0) await archive.fetch(c.req.raw);
      return c.body('flaky', 500);
    });
    const { pubsub, names } = await pipeline(front);
    const sent = events(60);

    await Promise.all(sent.map((e) => publish(pubsub, names.topic, e)));

    const archived = await settled(dir, 60);
    expect(failures).toBe(40);
    expect(ids(archived)).toEqual(ids(sent));
  });

  it.each([
    ['an empty file', ''],
    ['a corrupt file', '[{"id": "half written'],
  ])('starts on %s and archives what comes', async (_, content) => {
    const dir = await tempDataDir();
    await writeFile(archivePath(dir), content);
    const { pubsub, names } = await pipeline(await archiveOn(dir));
    const sent = events(10);

    await Promise.all(sent.map((e) => publish(pubsub, names.topic, e)));

    expect(ids(await settled(dir, 10))).toEqual(ids(sent));
    const aside = (await readdir(dir)).filter((f) => f.includes('.corrupt-'));
    expect(aside).toHaveLength(content === '' ? 0 : 1);
  });

  it('refuses a poison message until the dead-letter topic takes it', async () => {
    const dir = await tempDataDir();
    const { pubsub, names } = await pipeline(await archiveOn(dir), 5);
    const deadLetters = collectMessages(pubsub, names.deadLetterInspect);

    await pubsub.topic(names.topic).publishMessage({
      data: Buffer.from('{"nom": "no id, no score"}'),
      attributes: { eventId: 'poison-1' },
    });

    const dead = await waitFor(() => deadLetters.messages[0], {
      timeoutMs: 20_000,
      message: 'the poison message on the dead-letter topic',
    });
    expect(dead.attributes.eventId).toBe('poison-1');
    expect(await readArchive(dir)).toEqual([]);
  });
});
