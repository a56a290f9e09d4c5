import { setTimeout as sleep } from 'node:timers/promises';
import type { Message } from '@google-cloud/pubsub';
import autocannon from 'autocannon';
import {
  type BenchContext,
  benchCeiling,
  benchFunction,
  uniqueId,
} from './context.js';
import { cpuShares, peakRssMiB } from './proc.js';
import { type Spread, spread } from './stats.js';

export interface IngestOptions {
  runs: number;
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
}

/** One HTTP target's figures over the runs. */
export interface HttpFigures {
  /** Answers with the expected status per second. */
  requestsPerSecond: Spread;
  p50Ms: Spread;
  p99Ms: Spread;
  /** Answers with another status, and connection errors, over all runs. */
  failures: number;
  /** Share of a core each process used, medians over the runs. */
  cpuCores: Record<string, number>;
}

export interface IngestResult {
  ceiling: HttpFigures;
  ingest: HttpFigures;
  /** Median ingest throughput over median ceiling throughput. */
  ratio: number;
  /** Every 202 of ingest (warm-up included) against what reached Pub/Sub. */
  published: { accepted: number; onTopic: number };
  ingestPeakRssMiB: number | undefined;
}

const BODY = JSON.stringify({ nom: 'Banc Dessai', score: 77 });

/** `connections` clients posting the same webhook for `seconds`. */
async function load(url: string, seconds: number, connections: number) {
  return autocannon({
    url: `${url}/webhook/personnage`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: BODY,
    connections,
    duration: seconds,
  });
}

/**
 * Ingest's throughput and latency under `connections` concurrent senders,
 * against a bare Hono handler that parses the same JSON and answers 202
 * (the HTTP ceiling of this machine). Both run as processes of their
 * own; the load generator (autocannon) runs in this process and shares
 * the CPU with them. Runs alternate ceiling and ingest. Afterwards every
 * event ingest accepted is looked for on the topic.
 */
export async function measureIngest(
  ctx: BenchContext,
  options: IngestOptions,
): Promise<IngestResult> {
  const topic = uniqueId('bench-ingest');
  const counter = `${topic}-count`;
  await ctx.pubsub.createTopic(topic);
  await ctx.pubsub.createSubscription(topic, counter);
  const ceiling = await benchCeiling(ctx, 'http');
  const ingest = await benchFunction(ctx, 'ingest', {
    TOPIC: topic,
    DATA_DIR: `${ctx.root}/ingest`,
  });
  try {
    await Promise.all([ceiling.start(), ingest.start()]);
    let accepted = 0;
    const figures = { ceiling: runs(), ingest: runs() };
    const measure = async (
      which: 'ceiling' | 'ingest',
      seconds: number,
      keep: boolean,
    ) => {
      const target = which === 'ceiling' ? ceiling : ingest;
      const { result, cores } = await cpuShares(
        { [which]: target.pid, emulator: ctx.emulator.pid },
        () => load(target.url, seconds, options.connections),
      );
      const ok = result.statusCodeStats?.['202']?.count ?? 0;
      if (which === 'ingest') accepted += ok;
      if (!keep) return;
      const f = figures[which];
      f.rps.push(ok / result.duration);
      f.p50.push(result.latency.p50);
      f.p99.push(result.latency.p99);
      f.failures += result.requests.total - ok + result.errors;
      for (const [name, share] of Object.entries(cores)) {
        f.cores[name] = [...(f.cores[name] ?? []), share];
      }
    };
    ctx.say(`ingest: warm-up (${options.warmupSeconds} s each, discarded)`);
    await measure('ceiling', options.warmupSeconds, false);
    await measure('ingest', options.warmupSeconds, false);
    for (let run = 1; run <= options.runs; run++) {
      ctx.say(`ingest: run ${run}/${options.runs}`);
      await measure('ceiling', options.durationSeconds, true);
      await measure('ingest', options.durationSeconds, true);
    }
    const ingestPeakRssMiB = await peakRssMiB(ingest.pid ?? -1);
    ctx.say(`ingest: counting the ${accepted} accepted events on the topic`);
    const onTopic = await countOnTopic(ctx, counter, accepted);
    const ceilingFigures = summarize(figures.ceiling);
    const ingestFigures = summarize(figures.ingest);
    return {
      ceiling: ceilingFigures,
      ingest: ingestFigures,
      ratio:
        ingestFigures.requestsPerSecond.median /
        ceilingFigures.requestsPerSecond.median,
      published: { accepted, onTopic },
      ingestPeakRssMiB,
    };
  } finally {
    await Promise.all([ceiling.stop(), ingest.stop()]);
    await ctx.pubsub
      .subscription(counter)
      .delete()
      .catch(() => undefined);
    await ctx.pubsub
      .topic(topic)
      .delete()
      .catch(() => undefined);
  }
}

function runs() {
  return {
    rps: [] as number[],
    p50: [] as number[],
    p99: [] as number[],
    failures: 0,
    cores: {} as Record<string, number[]>,
  };
}

function summarize(r: ReturnType<typeof runs>): HttpFigures {
  return {
    requestsPerSecond: spread(r.rps),
    p50Ms: spread(r.p50),
    p99Ms: spread(r.p99),
    failures: r.failures,
    cpuCores: Object.fromEntries(
      Object.entries(r.cores).map(([name, shares]) => [
        name,
        spread(shares).median,
      ]),
    ),
  };
}

/**
 * Distinct event ids on a pull subscription of the topic: pulls until
 * `expected` are seen, or nothing new came for 3 s.
 */
async function countOnTopic(
  ctx: BenchContext,
  subscriptionName: string,
  expected: number,
): Promise<number> {
  const ids = new Set<string>();
  let last = Date.now();
  const subscription = ctx.pubsub.subscription(subscriptionName, {
    flowControl: { maxMessages: 5_000 },
  });
  subscription.on('message', (message: Message) => {
    ids.add(message.attributes.eventId ?? message.id);
    last = Date.now();
    message.ack();
  });
  subscription.on('error', () => undefined);
  const deadline = Date.now() + 120_000;
  while (ids.size < expected && Date.now() - last < 3_000) {
    if (Date.now() > deadline) break;
    await sleep(100);
  }
  await subscription.close();
  return ids.size;
}
