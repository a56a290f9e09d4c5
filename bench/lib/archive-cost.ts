import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createArchiveApp } from '../../functions/archive/app.js';
import type { ArchivedEntry } from '../../functions/archive/entry.js';
import {
  ARCHIVE_FILE,
  openFileStore,
} from '../../functions/archive/file-store.js';
import { renderArchive } from '../../functions/archive/layout.js';
import { silentLogger } from '../../functions/core/log.js';
import { toEvent } from '../../functions/core/personnage.js';
import { type Spread, spread } from './stats.js';

const TOKEN = 'bench-push-token-0123456789';
const run = promisify(execFile);

/** The archive sizes compared, in existing entries. */
export const ARCHIVE_SIZES = [1_000, 100_000] as const;

export interface ArchiveCostOptions {
  /** Runs per size (interleaved); the median is what counts. */
  runs: number;
  /** Events archived one after another in each run. */
  events: number;
  /** A directory on the disk to measure (tmpfs makes fdatasync free). */
  root: string;
}

export interface ArchiveCost {
  /** Milliseconds per archived event, by archive size. */
  perEventMs: Record<(typeof ARCHIVE_SIZES)[number], Spread>;
  /** Opening (repair check and index) a 100,000-entry archive, in ms. */
  startupMs: Spread;
  /** Median per-event time at 100,000 over the one at 1,000. */
  ratio: number;
  /**
   * The same with each size's fastest run: on a machine shared with
   * other work, the run least disturbed by it.
   */
  bestRatio: number;
}

function event(n: number) {
  return toEvent(
    { nom: `Personnage ${n}`, score: n % 101 },
    randomUUID(),
    new Date(),
  );
}

function push(n: number): RequestInit {
  const data = Buffer.from(JSON.stringify(event(n))).toString('base64');
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      subscription: 'projects/bench/subscriptions/archive',
      message: {
        data,
        messageId: String(n),
        publishTime: new Date().toISOString(),
      },
    }),
  };
}

/** A DATA_DIR whose archive already holds `size` entries. */
async function seed(root: string, size: number): Promise<string> {
  const dir = await mkdtemp(join(root, `archive-bench-${size}-`));
  const entries: ArchivedEntry[] = Array.from({ length: size }, (_, n) => ({
    ...event(n),
    messageId: String(n),
    publishTime: new Date().toISOString(),
    archivedAt: new Date().toISOString(),
  }));
  await writeFile(join(dir, ARCHIVE_FILE), renderArchive(entries));
  // Flush every dirty page now (the seed, the previous run's deletion), so
  // that their writeback does not land in the timed fdatasyncs.
  await run('sync', []);
  return dir;
}

/** Opens the store on `dir` and archives `events` pushes one at a time. */
async function archiveEvents(dir: string, events: number) {
  const began = performance.now();
  const store = await openFileStore({ dir, log: silentLogger });
  const startupMs = performance.now() - began;
  const app = createArchiveApp({ store, log: silentLogger, pushToken: TOKEN });
  const requests = Array.from({ length: events }, (_, n) => push(n));
  const start = performance.now();
  for (const request of requests) {
    const res = await app.request(`/push?token=${TOKEN}`, request);
    if (res.status !== 204) throw new Error(`push answered ${res.status}`);
  }
  const perEventMs = (performance.now() - start) / events;
  await store.close();
  return { startupMs, perEventMs };
}

/**
 * What archiving one event costs as the archive grows: events archived
 * one at a time through the archive app (each push answered only after
 * its fdatasync) on archives of 1,000 and 100,000 entries, the sizes
 * alternating within each round so that disk drift hits both alike.
 */
export async function measureArchiveCost(
  options: ArchiveCostOptions,
): Promise<ArchiveCost> {
  const perEvent = new Map<number, number[]>(ARCHIVE_SIZES.map((s) => [s, []]));
  const startup: number[] = [];
  for (let round = 0; round < options.runs; round++) {
    for (const size of ARCHIVE_SIZES) {
      const dir = await seed(options.root, size);
      try {
        const { startupMs, perEventMs } = await archiveEvents(
          dir,
          options.events,
        );
        perEvent.get(size)?.push(perEventMs);
        if (size === 100_000) startup.push(startupMs);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  }
  const small = spread(perEvent.get(1_000) ?? []);
  const large = spread(perEvent.get(100_000) ?? []);
  return {
    perEventMs: { 1000: small, 100000: large },
    startupMs: spread(startup),
    ratio: large.median / small.median,
    bestRatio: large.min / small.min,
  };
}
