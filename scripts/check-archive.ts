/**
 * `npm run check:archive`: the archive's promise, end to end on the real
 * Pub/Sub emulator. Sends webhooks to ingest while the archive process is
 * killed with SIGKILL (its whole process group) and restarted, then waits
 * for delivery to settle and counts what `webhook_log.json` holds:
 *
 *     sent 5000, archived 5000, duplicates 0, lost 0
 *
 * Exits 1 when any count is off. Every process it starts is stopped by
 * its process group, and its temporary DATA_DIRs are removed.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { applyTopology } from '../emulator/apply.js';
import { freePort, startEmulator } from '../emulator/launcher.js';
import { topology } from '../emulator/topology.js';
import { ARCHIVE_FILE } from '../functions/archive/file-store.js';
import { wholeNumber } from '../functions/core/number-text.js';
import { createPubSub } from '../functions/core/pubsub.js';
import { parseCommandLine, runMain } from './lib/args.js';
import { functionProcess } from './lib/function-process.js';
import { onShutdownSignal } from './lib/local-run.js';

const USAGE = `usage: npm run check:archive -- [--count N] [--concurrency N] [--kills N]

  --count        webhooks sent to ingest (default 5000)
  --concurrency  requests in flight (default 50)
  --kills        SIGKILLs of the archive during the burst (default 2)`;

const PROJECT = 'relais-check';
const HOST = '127.0.0.1';

const argsSchema = z.object({
  count: wholeNumber(1, 1_000_000),
  concurrency: wholeNumber(1, 1000),
  kills: wholeNumber(0, 20),
});

/** Prints only what is not routine: repairs, refusals, failures. */
function unusual(name: string): (line: string) => void {
  return (line) => {
    if (!/"severity":"(INFO|DEBUG)"|listening on/.test(line)) {
      console.error(`${name} | ${line}`);
    }
  };
}

async function main(): Promise<void> {
  const args = parseCommandLine(
    process.argv.slice(2),
    {
      count: { type: 'string', default: '5000' },
      concurrency: { type: 'string', default: '50' },
      kills: { type: 'string', default: '2' },
    },
    argsSchema,
  );
  const root = await mkdtemp(join(tmpdir(), 'relais-check-archive-'));
  const dataDir = join(root, 'archive');
  const token = randomBytes(24).toString('base64url');
  const apiKey = randomBytes(24).toString('base64url');
  const topic = `check-${randomBytes(4).toString('hex')}`;
  const [emulatorPort, ingestPort, archivePort] = [
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const emulator = await startEmulator({
    host: HOST,
    port: emulatorPort,
    projectId: PROJECT,
  });
  const common = {
    PUBSUB_EMULATOR_HOST: emulator.host,
    PUBSUB_PROJECT_ID: PROJECT,
    TOPIC: topic,
    HOST,
    LOG_LEVEL: 'info',
  };
  const ingest = functionProcess('ingest', {
    env: {
      ...common,
      INGEST_PORT: String(ingestPort),
      DATA_DIR: join(root, 'ingest'),
      INGEST_API_KEYS: apiKey,
    },
    url: `http://${HOST}:${ingestPort}`,
    onLine: unusual('ingest'),
  });
  const archive = functionProcess('archive', {
    env: {
      ...common,
      ARCHIVE_PORT: String(archivePort),
      DATA_DIR: dataDir,
      PUSH_TOKEN: token,
    },
    url: `http://${HOST}:${archivePort}`,
    onLine: unusual('archive'),
  });
  const pubsub = createPubSub({
    projectId: PROJECT,
    emulatorHost: emulator.host,
  });
  let stopping: Promise<void> | undefined;
  const stopAll = () => {
    stopping ??= (async () => {
      await Promise.all([archive.stop('SIGTERM'), ingest.stop('SIGTERM')]);
      await pubsub.close();
      await emulator.stop();
      await rm(root, { recursive: true, force: true });
    })();
    return stopping;
  };
  // The children run in their own process groups, out of reach of Ctrl-C.
  onShutdownSignal(() => {
    void stopAll().finally(() => process.exit(130));
  });
  try {
    const spec = topology({
      topic,
      pushToken: token,
      target: 'emulator',
      pushBase: { archive: archive.url, notify: `http://${HOST}:9` },
      names: { archive: `${topic}-archive`, notify: `${topic}-notify` },
      // Deliveries missed while the archive is down must not dead-letter.
      maxDeliveryAttempts: 100,
    });
    // Only archive is under test; a notify subscription would only load
    // the emulator with pushes to nowhere.
    spec.subscriptions = spec.subscriptions.filter(
      (s) => s.name !== `${topic}-notify`,
    );
    await applyTopology(pubsub, spec);
    await Promise.all([ingest.start(), archive.start()]);

    const sent = await sendBurst(ingest.url, apiKey, args, async (kill) => {
      const held = (await readArchiveFile(join(dataDir, ARCHIVE_FILE))).length;
      console.error(
        `check | SIGKILL ${kill} of archive at ${held} entries; restarting it`,
      );
      await archive.stop('SIGKILL');
      await archive.start();
    });
    const counts = await settle(join(dataDir, ARCHIVE_FILE), sent);
    const line = `sent ${sent.size}, archived ${counts.archived}, duplicates ${counts.duplicates}, lost ${counts.lost}`;
    console.log(
      counts.unexpected > 0 ? `${line}, unexpected ${counts.unexpected}` : line,
    );
    const ok =
      sent.size === args.count &&
      counts.archived === sent.size &&
      counts.duplicates === 0 &&
      counts.lost === 0 &&
      counts.unexpected === 0;
    if (!ok) process.exitCode = 1;
  } finally {
    await stopAll();
  }
}

/**
 * Posts `count` personnages, `concurrency` at a time, retrying a refused
 * one; `kill(n)` runs as the burst passes each n/(kills+1) mark. Returns
 * the event ids ingest accepted (202).
 */
async function sendBurst(
  url: string,
  apiKey: string,
  args: z.infer<typeof argsSchema>,
  kill: (n: number) => Promise<void>,
): Promise<Set<string>> {
  const ids = new Set<string>();
  let next = 0;
  const marks = Array.from({ length: args.kills }, (_, k) =>
    Math.floor((args.count * (k + 1)) / (args.kills + 1)),
  );
  let killing = Promise.resolve();
  let killFailure: unknown;
  const worker = async () => {
    while (next < args.count) {
      const n = next++;
      const k = marks.indexOf(n);
      if (k !== -1) {
        killing = killing
          .then(() => kill(k + 1))
          .catch((err: unknown) => {
            killFailure ??= err;
          });
      }
      for (let attempt = 1; ; attempt++) {
        const res = await fetch(`${url}/webhook/personnage`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${apiKey}`,
          },
          body: JSON.stringify({ nom: `Personnage ${n}`, score: n % 101 }),
        }).catch(() => undefined);
        if (res?.status === 202) {
          const body = (await res.json()) as { event: { id: string } };
          ids.add(body.event.id);
          break;
        }
        if (attempt === 5)
          throw new Error(`ingest refused webhook ${n}: ${res?.status}`);
        await sleep(200 * attempt);
      }
    }
  };
  await Promise.all(Array.from({ length: args.concurrency }, worker));
  await killing;
  if (killFailure) throw killFailure;
  return ids;
}

/** Waits until every sent event is archived and the file stops changing. */
async function settle(path: string, sent: Set<string>) {
  const deadline = Date.now() + 180_000;
  let last = -1;
  let stableSince = Date.now();
  for (;;) {
    const entries = await readArchiveFile(path);
    const distinct = new Set(entries.map((e) => e.id));
    const archived = [...sent].filter((id) => distinct.has(id)).length;
    if (entries.length !== last) {
      last = entries.length;
      stableSince = Date.now();
    }
    // Stable for 3 s once complete, so late redeliveries would show.
    const quiet = Date.now() - stableSince > 3_000;
    if ((archived === sent.size && quiet) || Date.now() > deadline) {
      return {
        archived,
        duplicates: entries.length - distinct.size,
        lost: sent.size - archived,
        unexpected: distinct.size - archived,
      };
    }
    await sleep(500);
  }
}

/**
 * Parses the archive as any tool would. The file is a JSON array between
 * writes; a read that overlaps an append can see half of it (a read is
 * not atomic against a write), so such a read is simply taken again.
 */
async function readArchiveFile(path: string): Promise<{ id: string }[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return JSON.parse(await readFile(path, 'utf8')) as { id: string }[];
    } catch (err) {
      if (attempt === 20) throw err;
      await sleep(20);
    }
  }
}

runMain(USAGE, main);
