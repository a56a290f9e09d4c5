/**
 * `npm run bench:archive`: what archiving one event costs as the archive
 * grows. Archives events one at a time (each push answered only after its
 * fdatasync) through the archive app on archives of 1,000 and 100,000
 * entries, several interleaved runs each, and reports the median per-event
 * time, their ratio (target at most 1.5), and the start-up time on the
 * 100,000-entry file (target under 2 s). Exits 1 when a target is missed.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { createArchiveApp } from '../functions/archive/app.js';
import type { ArchivedEntry } from '../functions/archive/entry.js';
import {
  ARCHIVE_FILE,
  openFileStore,
} from '../functions/archive/file-store.js';
import { renderArchive } from '../functions/archive/layout.js';
import { silentLogger } from '../functions/core/log.js';
import { toEvent } from '../functions/core/personnage.js';
import { parseCommandLine, runMain } from '../scripts/lib/args.js';

const USAGE = `usage: npm run bench:archive -- [--runs N] [--events N] [--dir PATH]

  --runs    runs per archive size, the median is reported (default 7)
  --events  events archived one after another per run (default 200)
  --dir     where the archives are written (default the OS temp dir);
            use a real disk: on tmpfs fdatasync costs nothing`;

const TOKEN = 'bench-push-token-0123456789';
const SIZES = [1_000, 100_000] as const;

const options = z.object({
  runs: z.coerce.number().int().min(1).max(100),
  events: z.coerce.number().int().min(1).max(100_000),
  dir: z.string().optional(),
});

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
  return dir;
}

/** Opens the store on `dir` and archives `events` pushes one at a time. */
async function run(dir: string, events: number) {
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

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

async function main(): Promise<void> {
  const args = parseCommandLine(
    process.argv.slice(2),
    {
      runs: { type: 'string', default: '7' },
      events: { type: 'string', default: '200' },
      dir: { type: 'string' },
    },
    options,
  );
  const root = await mkdtemp(join(args.dir ?? tmpdir(), 'relais-bench-'));
  try {
    const results = new Map<
      number,
      { startupMs: number[]; perEventMs: number[] }
    >();
    for (const size of SIZES)
      results.set(size, { startupMs: [], perEventMs: [] });
    // Sizes alternate within each round, so disk drift hits both alike.
    for (let round = 0; round < args.runs; round++) {
      for (const size of SIZES) {
        const dir = await seed(root, size);
        const { startupMs, perEventMs } = await run(dir, args.events);
        results.get(size)?.startupMs.push(startupMs);
        results.get(size)?.perEventMs.push(perEventMs);
        await rm(dir, { recursive: true, force: true });
      }
    }
    const small = median(results.get(1_000)?.perEventMs ?? []);
    const large = median(results.get(100_000)?.perEventMs ?? []);
    const startup = median(results.get(100_000)?.startupMs ?? []);
    const ratio = large / small;
    console.log(
      `per-event archive time, median of ${args.runs} runs of ${args.events} events:`,
    );
    console.log(`  1,000 entries:   ${small.toFixed(3)} ms`);
    console.log(`  100,000 entries: ${large.toFixed(3)} ms`);
    console.log(`  ratio:           ${ratio.toFixed(2)} (target <= 1.5)`);
    console.log(
      `start-up on 100,000 entries: ${startup.toFixed(0)} ms (target < 2000)`,
    );
    if (ratio > 1.5 || startup >= 2000) process.exitCode = 1;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

runMain(USAGE, main);
