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
  /** A bare handler that publishes each body with ingest's publisher. */
  publishOnly: HttpFigures;
  ingest: HttpFigures;
  /** Median ingest throughput over median ceiling throughput. */
  ratio: number;
  /** publishOnly over the ceiling: what publishing alone leaves. */
  publishOnlyRatio: number;
  /** Every 202 of ingest (warm-up included) against what reached Pub/Sub. */
  published: { accepted: number; onTopic: number };
  ingestPeakRssMiB: number | undefined;
}

const BODY = JSON.stringify({ nom: 'Banc Dessai', score: 77 });

/** `connections` clients posting the same webhook for `seconds`. */
export async function load(url: string, seconds: number, connections: number) {
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
 * (the HTTP ceiling of this machine), and beside a handler that only
 * publishes each body with ingest's publisher (what publishing leaves of
 * that ceiling). Each runs as a process of its own; the load generator
 * (autocannon) runs in this process and shares the CPU with them. Runs
 * alternate the three. Afterwards every event ingest accepted is looked
 * for on the topic.
 */
export async function measureIngest(
  ctx: BenchContext,
  options: IngestOptions,
): Promise<IngestResult> {
  const topic = uniqueId('bench-ingest');
  const counter = `${topic}-count`;
  await ctx.pubsub.createTopic(topic);
  await ctx.pubsub.createSubscription(topic, counter);
  // The publish-only handler's messages go to a topic of their own, with
  // no subscription: Pub/Sub drops them, and the count below stays ingest's.
  await ctx.pubsub.createTopic(`${topic}-publish-only`);
  const ceiling = await benchCeiling(ctx, 'http');
  const publishOnly = await benchCeiling(ctx, 'publish', {
    TOPIC: `${topic}-publish-only`,
  });
  const ingest = await benchFunction(ctx, 'ingest', {
    TOPIC: topic,
    DATA_DIR: `${ctx.root}/ingest`,
  });
  try {
    const targets = { ceiling, publishOnly, ingest };
    await Promise.all(Object.values(targets).map((t) => t.start()));
    let accepted = 0;
    const figures = { ceiling: runs(), publishOnly: runs(), ingest: runs() };
    const measure = async (
      which: keyof typeof targets,
      seconds: number,
      keep: boolean,
    ) => {
      const target = targets[which];
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
    const order = ['ceiling', 'publishOnly', 'ingest'] as const;
    for (const which of order) {
      await measure(which, options.warmupSeconds, false);
    }
    for (let run = 1; run <= options.runs; run++) {
      ctx.say(`ingest: run ${run}/${options.runs}`);
      for (const which of order) {
        await measure(which, options.durationSeconds, true);
      }
    }
    const ingestPeakRssMiB = await peakRssMiB(ingest.pid ?? -1);
    ctx.say(`ingest: counting the ${accepted} accepted events on the topic`);
    const onTopic = await countOnTopic(ctx, counter, accepted);
    const ceilingFigures = summarize(figures.ceiling);
    const publishOnlyFigures = summarize(figures.publishOnly);
    const ingestFigures = summarize(figures.ingest);
    const perCeiling = (f: HttpFigures) =>
      f.requestsPerSecond.median / ceilingFigures.requestsPerSecond.median;
    return {
      ceiling: ceilingFigures,
      publishOnly: publishOnlyFigures,
      ingest: ingestFigures,
      ratio: perCeiling(ingestFigures),
      publishOnlyRatio: perCeiling(publishOnlyFigures),
      published: { accepted, onTopic },
      ingestPeakRssMiB,
    };
  } finally {
    await Promise.all([ceiling.stop(), publishOnly.stop(), ingest.stop()]);
    const quiet = () => undefined;
    await ctx.pubsub.subscription(counter).delete().catch(quiet);
    await ctx.pubsub.topic(topic).delete().catch(quiet);
    await ctx.pubsub.topic(`${topic}-publish-only`).delete().catch(quiet);
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
export async function countOnTopic(
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
  // The emulator hands out a few thousand messages a second: the deadline
  // grows with what is expected (a fixed 2 minutes once stopped at 290,400
  // of 577,463 and read as a loss).
  const deadline = Date.now() + 60_000 + expected;
  let said = Date.now();
  while (ids.size < expected && Date.now() - last < 3_000) {
    if (Date.now() > deadline) {
      ctx.say(`gave up counting at ${ids.size} of ${expected}`);
      break;
    }
    if (Date.now() - said > 15_000) {
      ctx.say(`${ids.size} of ${expected} counted`);
      said = Date.now();
    }
    await sleep(100);
  }
  await subscription.close();
  return ids.size;
}
