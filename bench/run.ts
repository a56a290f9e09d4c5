/**
 * `npm run bench`: relais's figures on the real Pub/Sub emulator, each
 * beside its ceiling measured in the same run, written to
 * bench/results.json and bench/RESULTS.md. It starts everything it needs
 * (a fresh emulator, the functions and ceiling servers as processes, on
 * free ports, with a temporary DATA_DIR) and stops it all by process
 * group. A script, not a test: CI does not run it.
 */
import {
  access,
  constants,
  mkdir,
  readFile,
  writeFile,
} from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { parseCommandLine, runMain } from '../scripts/lib/args.js';
import { onShutdownSignal, REPO_ROOT } from '../scripts/lib/local-run.js';
import { measureArchiveCost } from './lib/archive-cost.js';
import { openContext } from './lib/context.js';
import { measureEndToEnd } from './lib/end-to-end.js';
import { measureIngest } from './lib/ingest-throughput.js';
import { describeMachine } from './lib/machine.js';
import { type BenchResults, checkGoals, renderMarkdown } from './lib/report.js';
import { measureStartup } from './lib/startup.js';

const USAGE = `usage: npm run bench -- [--quick] [--tsx] [--out DIR] [--render]

  --quick   one short run of each measurement (about 1 to 2 minutes), for a
            quick look; the full run takes about 5 minutes
  --tsx     run the functions under tsx, as npm start does; by default
            they run compiled (npm run build first), as Cloud Run runs them
  --out     where results.json and RESULTS.md go (default bench/, or
            bench/quick/ with --quick)
  --render  measure nothing: write RESULTS.md again from results.json
            and bench/NOTES.md (after editing the notes)

The load generator runs in this process, on the same machine as what it
measures: on a 2-core machine they compete for the CPU (see RESULTS.md).`;

const FULL = {
  connections: 50,
  ingestRuns: 3,
  ingestSeconds: 10,
  warmupSeconds: 3,
  e2eRuns: 3,
  events: 3_000,
  warmupEvents: 1_000,
  archiveRuns: 5,
  archiveEvents: 200,
  startupRuns: 3,
};

const QUICK: typeof FULL = {
  ...FULL,
  ingestRuns: 1,
  ingestSeconds: 4,
  warmupSeconds: 2,
  e2eRuns: 1,
  events: 1_000,
  warmupEvents: 300,
  archiveRuns: 2,
  archiveEvents: 100,
  startupRuns: 1,
};

async function main(): Promise<void> {
  const args = parseCommandLine(
    process.argv.slice(2),
    {
      quick: { type: 'boolean', default: false },
      out: { type: 'string' },
      render: { type: 'boolean', default: false },
      tsx: { type: 'boolean', default: false },
    },
    z.object({
      quick: z.boolean(),
      out: z.string().optional(),
      render: z.boolean(),
      tsx: z.boolean(),
    }),
  );
  const settings = args.quick ? QUICK : FULL;
  // A quick look leaves the committed full results alone.
  const out =
    args.out ?? join(REPO_ROOT, 'bench', ...(args.quick ? ['quick'] : []));
  if (args.render) {
    const results = JSON.parse(
      await readFile(join(out, 'results.json'), 'utf8'),
    ) as BenchResults;
    await writeFile(
      join(out, 'RESULTS.md'),
      renderMarkdown(results, await notes()),
    );
    return;
  }
  // Made (and checked writable) now, not after minutes of measuring.
  await mkdir(out, { recursive: true });
  await access(out, constants.W_OK);
  const say = (line: string) => console.error(`bench | ${line}`);
  const began = Date.now();
  const machine = await describeMachine();
  say(`${machine.cpuModel}, ${machine.cores} cores, ${machine.emulator}`);
  const runtime = args.tsx ? 'tsx' : 'compiled';
  const ctx = await openContext(say, runtime);
  onShutdownSignal(() => {
    say('interrupted: stopping everything');
    void ctx.close().finally(() => process.exit(130));
  });
  try {
    const ingest = await measureIngest(ctx, {
      runs: settings.ingestRuns,
      durationSeconds: settings.ingestSeconds,
      warmupSeconds: settings.warmupSeconds,
      connections: settings.connections,
    });
    const endToEnd = await measureEndToEnd(ctx, {
      runs: settings.e2eRuns,
      events: settings.events,
      warmupEvents: settings.warmupEvents,
      connections: settings.connections,
    });
    say('archive cost: 1,000 and 100,000 entries');
    const archive = await measureArchiveCost({
      runs: settings.archiveRuns,
      events: settings.archiveEvents,
      root: ctx.root,
    });
    const startup = await measureStartup(ctx, settings.startupRuns);
    const peakRssMiB = {
      ingest: max(ingest.ingestPeakRssMiB, endToEnd.peakRssMiB.ingest),
      archive: endToEnd.peakRssMiB.archive,
      notify: endToEnd.peakRssMiB.notify,
    };
    const measured = { ingest, endToEnd, archive, startup, peakRssMiB };
    const results: BenchResults = {
      date: new Date().toISOString(),
      command: `npm run bench${flags(args)}`,
      runtime,
      machine: {
        ...machine,
        loadAverage: { ...machine.loadAverage, end: loadavg()[0] ?? 0 },
      },
      settings: { ...settings, quick: args.quick },
      ...measured,
      goals: checkGoals(measured),
    };
    await writeFile(
      join(out, 'results.json'),
      `${JSON.stringify(results, null, 2)}\n`,
    );
    await writeFile(
      join(out, 'RESULTS.md'),
      renderMarkdown(results, await notes()),
    );
    for (const g of results.goals) {
      console.log(
        `${g.met ? 'met ' : 'MISS'}  ${g.name}: ${g.value} (goal ${g.target})`,
      );
    }
    say(
      `done in ${Math.round((Date.now() - began) / 1000)} s; see ${out}/RESULTS.md`,
    );
  } finally {
    await ctx.close();
  }
}

/** The hand-written analysis appended to RESULTS.md, if any. */
function notes(): Promise<string> {
  return readFile(join(REPO_ROOT, 'bench/NOTES.md'), 'utf8').catch(() => '');
}

/** The command line's flags as the report repeats them. */
function flags(args: { quick: boolean; tsx: boolean }): string {
  const given = [args.quick && '--quick', args.tsx && '--tsx'].filter(Boolean);
  return given.length > 0 ? ` -- ${given.join(' ')}` : '';
}

function max(...values: (number | undefined)[]): number | undefined {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length > 0 ? Math.max(...known) : undefined;
}

runMain(USAGE, main);
