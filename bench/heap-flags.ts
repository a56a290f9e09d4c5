/**
 * `npm run bench:heap-flags`: ingest under 50 senders with several sets
 * of V8 heap flags, a fresh process per run, rounds interleaved: its peak
 * RSS and throughput under each. What a heap limit would buy, measured;
 * relais sets none (see bench/NOTES.md).
 */
import { z } from 'zod';
import { wholeNumber } from '../functions/core/number-text.js';
import { parseCommandLine, runMain } from '../scripts/lib/args.js';
import { benchFunction, openContext, uniqueId } from './lib/context.js';
import { load } from './lib/ingest-throughput.js';
import { peakRssMiB } from './lib/proc.js';
import { round, spread } from './lib/stats.js';

const USAGE = `usage: npm run bench:heap-flags -- [--variants JSON] [--rounds N]
                                     [--seconds N]

  --variants  a JSON array of flag lists (default: none, a 128 MiB old
              space, 4 MiB semi-spaces)
  --rounds    fresh processes per variant, interleaved (default 2)
  --seconds   load per run, 50 connections (default 15)`;

const DEFAULT_VARIANTS = JSON.stringify([
  [],
  ['--max-old-space-size=128'],
  ['--max-semi-space-size=4'],
]);

async function main(): Promise<void> {
  const args = parseCommandLine(
    process.argv.slice(2),
    {
      variants: { type: 'string', default: DEFAULT_VARIANTS },
      rounds: { type: 'string', default: '2' },
      seconds: { type: 'string', default: '15' },
    },
    z.object({
      variants: z
        .string()
        .transform((text, ctx) => {
          try {
            return JSON.parse(text) as unknown;
          } catch {
            ctx.addIssue({ code: 'custom', message: 'not JSON' });
            return z.NEVER;
          }
        })
        .pipe(
          z
            .array(z.array(z.string().regex(/^--[a-z0-9-]+(=\S+)?$/)))
            .min(1)
            .max(8),
        ),
      rounds: wholeNumber(1, 10),
      seconds: wholeNumber(1, 120),
    }),
  );
  const say = (line: string) => console.error(`heap-flags | ${line}`);
  const ctx = await openContext(say);
  const figures = args.variants.map(() => ({
    peak: [] as number[],
    rps: [] as number[],
  }));
  try {
    for (let round = 1; round <= args.rounds; round++) {
      for (const [i, flags] of args.variants.entries()) {
        say(`round ${round}/${args.rounds}: ${flags.join(' ') || 'no flags'}`);
        const topic = uniqueId('heap');
        await ctx.pubsub.createTopic(topic);
        const ingest = await benchFunction(
          ctx,
          'ingest',
          { TOPIC: topic, DATA_DIR: `${ctx.root}/ingest` },
          flags,
        );
        await ingest.start();
        const result = await load(ingest.url, args.seconds, 50);
        const peak = await peakRssMiB(ingest.pid ?? -1);
        await ingest.stop();
        ctx.processes.delete(ingest);
        await ctx.pubsub.topic(topic).delete();
        const f = figures[i];
        if (!f || peak === undefined) continue;
        f.peak.push(peak);
        f.rps.push(
          (result.statusCodeStats?.['202']?.count ?? 0) / result.duration,
        );
      }
    }
  } finally {
    await ctx.close();
  }
  console.log('| flags | peak RSS (MiB) | 202/s |\n|---|---|---|');
  for (const [i, flags] of args.variants.entries()) {
    const f = figures[i];
    if (!f) continue;
    const cell = (runs: number[]) => {
      const s = spread(runs);
      return `${round(s.median)} (${round(s.min)}–${round(s.max)})`;
    };
    console.log(
      `| ${flags.join(' ') || '(none)'} | ${cell(f.peak)} | ${cell(f.rps)} |`,
    );
  }
}

runMain(USAGE, main);
