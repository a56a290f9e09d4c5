/**
 * `npm run bench:batch-delay`: ingest under the same load with several
 * PUBLISH_BATCH_DELAY_MS values, one process each, runs interleaved, then
 * every accepted event looked for on its topic. What the delay costs in
 * throughput and latency on this machine; `npm run bench` gives the
 * figures against the ceilings.
 */
import { z } from 'zod';
import { wholeNumber } from '../functions/core/number-text.js';
import { parseCommandLine, runMain } from '../scripts/lib/args.js';
import { benchFunction, openContext, uniqueId } from './lib/context.js';
import { countOnTopic, load } from './lib/ingest-throughput.js';
import { cpuShares } from './lib/proc.js';
import { round, spread } from './lib/stats.js';

const USAGE = `usage: npm run bench:batch-delay -- [--delays 0,1,5,10] [--runs N]
                                      [--seconds N] [--connections N]

  --delays       PUBLISH_BATCH_DELAY_MS values to compare (default 0,1,5,10)
  --runs         measured runs of each, interleaved (default 3; one
                 warm-up run of 3 s each comes first)
  --seconds      length of each run (default 8)
  --connections  concurrent senders (default 50)`;

const delayList = z
  .string()
  .transform((s) => s.split(',').map((d) => Number(d.trim())))
  .pipe(z.array(z.number().int().min(0).max(1_000)).min(1).max(8));

async function main(): Promise<void> {
  const args = parseCommandLine(
    process.argv.slice(2),
    {
      delays: { type: 'string', default: '0,1,5,10' },
      runs: { type: 'string', default: '3' },
      seconds: { type: 'string', default: '8' },
      connections: { type: 'string', default: '50' },
    },
    z.object({
      delays: delayList,
      runs: wholeNumber(1, 20),
      seconds: wholeNumber(1, 120),
      connections: wholeNumber(1, 1_000),
    }),
  );
  const say = (line: string) => console.error(`batch-delay | ${line}`);
  const ctx = await openContext(say);
  try {
    const targets = [];
    for (const delay of args.delays) {
      const topic = uniqueId(`batch-${delay}`);
      await ctx.pubsub.createTopic(topic);
      await ctx.pubsub.createSubscription(topic, `${topic}-count`);
      const server = await benchFunction(ctx, 'ingest', {
        TOPIC: topic,
        DATA_DIR: `${ctx.root}/ingest-${delay}`,
        PUBLISH_BATCH_DELAY_MS: String(delay),
      });
      await server.start();
      targets.push({
        delay,
        server,
        counter: `${topic}-count`,
        accepted: 0,
        rps: [] as number[],
        p50: [] as number[],
        p99: [] as number[],
        cores: [] as number[],
      });
    }
    for (let run = 0; run <= args.runs; run++) {
      say(run === 0 ? 'warm-up (discarded)' : `run ${run}/${args.runs}`);
      for (const t of targets) {
        const seconds = run === 0 ? 3 : args.seconds;
        const { result, cores } = await cpuShares(
          { ingest: t.server.pid },
          () => load(t.server.url, seconds, args.connections),
        );
        const ok = result.statusCodeStats?.['202']?.count ?? 0;
        t.accepted += ok;
        if (run === 0) continue;
        t.rps.push(ok / result.duration);
        t.p50.push(result.latency.p50);
        t.p99.push(result.latency.p99);
        t.cores.push(cores.ingest ?? Number.NaN);
      }
    }
    console.log(
      '| PUBLISH_BATCH_DELAY_MS | 202/s | p50 ms | p99 ms | ingest CPU (cores) | 202s, warm-up included | distinct ids on the topic |\n' +
        '|---|---|---|---|---|---|---|',
    );
    for (const t of targets) {
      await t.server.stop();
      const onTopic = await countOnTopic(ctx, t.counter, t.accepted);
      const cell = (runs: number[]) => {
        const s = spread(runs);
        return `${round(s.median)} (${round(s.min)}–${round(s.max)})`;
      };
      console.log(
        `| ${t.delay} | ${cell(t.rps)} | ${cell(t.p50)} | ${cell(t.p99)} | ` +
          `${round(spread(t.cores).median)} | ${t.accepted} | ${onTopic} |`,
      );
    }
    console.log(
      '\nThe topic may hold a few more than the 202s: requests cut off at ' +
        'the end of a run\nwere published, but their answers were not counted.',
    );
  } finally {
    await ctx.close();
  }
}

runMain(USAGE, main);
