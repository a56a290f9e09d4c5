/**
 * `npm run bench:archive`: what archiving one event costs as the archive
 * grows (see bench/lib/archive-cost.ts): the median per-event time on
 * archives of 1,000 and 100,000 entries, their ratio (target at most
 * 1.5), and the start-up time on the 100,000-entry file (target under
 * 2 s). Exits 1 when a target is missed. `npm run bench` runs it too.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { wholeNumber } from '../functions/core/number-text.js';
import { parseCommandLine, runMain } from '../scripts/lib/args.js';
import { measureArchiveCost } from './lib/archive-cost.js';

const USAGE = `usage: npm run bench:archive -- [--runs N] [--events N] [--dir PATH]

  --runs    runs per archive size, the median is reported (default 7)
  --events  events archived one after another per run (default 200)
  --dir     where the archives are written (default the OS temp dir);
            use a real disk: on tmpfs fdatasync costs nothing`;

const options = z.object({
  runs: wholeNumber(1, 100),
  events: wholeNumber(1, 100_000),
  dir: z.string().optional(),
});

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
    const cost = await measureArchiveCost({ ...args, root });
    const small = cost.perEventMs[1_000].median;
    const large = cost.perEventMs[100_000].median;
    const startup = cost.startupMs.median;
    console.log(
      `per-event archive time, median of ${args.runs} runs of ${args.events} events:`,
    );
    console.log(`  1,000 entries:   ${small.toFixed(3)} ms`);
    console.log(`  100,000 entries: ${large.toFixed(3)} ms`);
    console.log(`  ratio:           ${cost.ratio.toFixed(2)} (target <= 1.5)`);
    console.log(
      `start-up on 100,000 entries: ${startup.toFixed(0)} ms (target < 2000)`,
    );
    if (cost.ratio > 1.5 || startup >= 2000) process.exitCode = 1;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

runMain(USAGE, main);
