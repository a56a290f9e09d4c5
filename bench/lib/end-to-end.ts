import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { applyTopology } from '../../emulator/apply.js';
import { type Topology, topology } from '../../emulator/topology.js';
import { ARCHIVE_FILE } from '../../functions/archive/file-store.js';
import { toEvent } from '../../functions/core/personnage.js';
import { toMessage } from '../../functions/ingest/publish.js';
import { FileFollower } from '../../scripts/lib/follow-file.js';
import {
  isArchiveClose,
  parseTailLine,
} from '../../scripts/lib/tail-format.js';
import {
  type BenchContext,
  benchCeiling,
  benchFunction,
  PUSH_TOKEN,
  uniqueId,
} from './context.js';
import { cpuShares, peakRssMiB } from './proc.js';
import { percentile, type Spread, spread } from './stats.js';

export interface EndToEndOptions {
  runs: number;
  /** Events per run. */
  events: number;
  /** Events of the discarded warm-up round. */
  warmupEvents: number;
  /** Webhooks in flight when sending through ingest. */
  connections: number;
}

/** One way of moving events through, over the runs. */
export interface FlowFigures {
  eventsPerSecond: Spread;
  /** From the event's `receivedAt` to its archive write (or push). */
  p50Ms: Spread;
  p99Ms: Spread;
  /** From `receivedAt` to notify's line, when notify is in the flow. */
  notifyP50Ms?: Spread;
  notifyP99Ms?: Spread;
  cpuCores: Record<string, number>;
}

export interface EndToEndResult {
  /** Published straight to the topic, pushed to a trivial 204 endpoint. */
  ceiling: FlowFigures;
  /** Webhooks to ingest until archived and notified. */
  relais: FlowFigures;
  /** Published straight to the topic, archived and notified. */
  subscribers: FlowFigures;
  /** relais over ceiling, events per second (medians). */
  ratio: number;
  /** subscribers over ceiling: whether archive and notify keep up. */
  subscribersRatio: number;
  peakRssMiB: Record<'ingest' | 'archive' | 'notify', number | undefined>;
}

/** The timings of one run: when it started and each event's latencies. */
interface Run {
  seconds: number;
  latenciesMs: number[];
  notifyLatenciesMs?: number[];
  cores: Record<string, number>;
}

/**
 * Events per second and webhook-to-archive latency through relais,
 * against the emulator's push ceiling: the same topology (topic, two push
 * subscriptions with a dead-letter policy) pushing to an endpoint that
 * answers 204 at once. A third flow publishes straight to the topic and
 * lets archive and notify take it, which tells whether they, rather than
 * ingest or the emulator, set the pace. Flows alternate within each
 * round; the first round is a warm-up and is discarded.
 */
export async function measureEndToEnd(
  ctx: BenchContext,
  options: EndToEndOptions,
): Promise<EndToEndResult> {
  const ceiling = await benchCeiling(ctx, 'push');
  const ceilingTopic = await applyBenchTopology(ctx, {
    archive: `${ceiling.url}/archive`,
    notify: `${ceiling.url}/notify`,
  });
  const topic = uniqueId('bench-e2e');
  const dataDir = join(ctx.root, 'e2e');
  const env = { TOPIC: topic, DATA_DIR: dataDir };
  const ingest = await benchFunction(ctx, 'ingest', env);
  const archive = await benchFunction(ctx, 'archive', env);
  const notify = await benchFunction(ctx, 'notify', env);
  const relaisTopic = await applyBenchTopology(
    ctx,
    { archive: archive.url, notify: notify.url },
    topic,
  );
  const processes = [ceiling, ingest, archive, notify];
  try {
    await Promise.all(processes.map((p) => p.start()));
    const files = {
      archive: new FileFollower(join(dataDir, ARCHIVE_FILE), {
        holdBack: isArchiveClose,
      }),
      notify: new FileFollower(join(dataDir, 'notifications.txt')),
    };
    const pids = {
      emulator: ctx.emulator.pid,
      ingest: ingest.pid,
      archive: archive.pid,
      notify: notify.pid,
    };
    const flows = {
      ceiling: () =>
        cpuShares({ emulator: ctx.emulator.pid, ceiling: ceiling.pid }, () =>
          viaCeiling(ctx, ceiling.url, ceilingTopic.topic, events),
        ),
      relais: () =>
        cpuShares(pids, () =>
          throughPipeline(files, events, () =>
            sendWebhooks(ingest.url, events, options.connections),
          ),
        ),
      subscribers: () =>
        cpuShares(pids, () =>
          throughPipeline(files, events, () =>
            publishEvents(ctx, relaisTopic.topic, events),
          ),
        ),
    };
    const runs: Record<keyof typeof flows, Run[]> = {
      ceiling: [],
      relais: [],
      subscribers: [],
    };
    let events = options.warmupEvents;
    ctx.say(`end-to-end: warm-up round of ${events} events (discarded)`);
    for (const flow of Object.values(flows)) await flow();
    events = options.events;
    for (let round = 1; round <= options.runs; round++) {
      ctx.say(`end-to-end: round ${round}/${options.runs}, ${events} events`);
      for (const [name, flow] of Object.entries(flows)) {
        const { result, cores } = await flow();
        runs[name as keyof typeof flows].push({ ...result, cores });
      }
    }
    const figures = {
      ceiling: summarize(runs.ceiling, options.events),
      relais: summarize(runs.relais, options.events),
      subscribers: summarize(runs.subscribers, options.events),
    };
    return {
      ...figures,
      ratio:
        figures.relais.eventsPerSecond.median /
        figures.ceiling.eventsPerSecond.median,
      subscribersRatio:
        figures.subscribers.eventsPerSecond.median /
        figures.ceiling.eventsPerSecond.median,
      peakRssMiB: {
        ingest: await peakRssMiB(ingest.pid ?? -1),
        archive: await peakRssMiB(archive.pid ?? -1),
        notify: await peakRssMiB(notify.pid ?? -1),
      },
    };
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    await deleteTopology(ctx, ceilingTopic.spec);
    await deleteTopology(ctx, relaisTopic.spec);
  }
}

/** relais's emulator topology under fresh names, pushing to `pushBase`. */
export async function applyBenchTopology(
  ctx: BenchContext,
  pushBase: { archive: string; notify: string },
  topic = uniqueId('bench-e2e'),
) {
  const spec = topology({
    topic,
    pushBase,
    pushToken: PUSH_TOKEN,
    target: 'emulator',
    names: { archive: `${topic}-archive`, notify: `${topic}-notify` },
  });
  await applyTopology(ctx.pubsub, spec);
  return { topic, spec };
}

/** Publishes `count` events straight to the topic, batched. */
export async function publishEvents(
  ctx: BenchContext,
  topicName: string,
  count: number,
): Promise<void> {
  const topic = ctx.pubsub.topic(topicName, {
    batching: { maxMessages: 100, maxMilliseconds: 5 },
  });
  await Promise.all(
    Array.from({ length: count }, (_, n) =>
      topic.publishMessage(
        toMessage(
          toEvent(
            { nom: `Banc ${n}`, score: n % 101 },
            crypto.randomUUID(),
            new Date(),
          ),
        ),
      ),
    ),
  );
}

/** Posts `count` webhooks to ingest, `connections` at a time. */
async function sendWebhooks(
  url: string,
  count: number,
  connections: number,
): Promise<void> {
  const result = await autocannon({
    url: `${url}/webhook/personnage`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ nom: 'Banc Dessai', score: 77 }),
    connections,
    amount: count,
  });
  const accepted = result.statusCodeStats?.['202']?.count ?? 0;
  if (accepted !== count) {
    throw new Error(`ingest accepted ${accepted} of ${count} webhooks`);
  }
}

/** Publishes and waits until the trivial endpoint had every push twice. */
async function viaCeiling(
  ctx: BenchContext,
  url: string,
  topic: string,
  count: number,
): Promise<Omit<Run, 'cores'>> {
  await fetch(`${url}/reset`, { method: 'POST' });
  const start = performance.now();
  await publishEvents(ctx, topic, count);
  const deadline = Date.now() + 120_000;
  for (;;) {
    const stats = (await (await fetch(`${url}/stats`)).json()) as {
      counts: Record<string, number>;
      latenciesMs: number[];
    };
    const done =
      (stats.counts.archive ?? 0) >= count &&
      (stats.counts.notify ?? 0) >= count;
    if (done || Date.now() > deadline) {
      if (!done) throw new Error('the push ceiling run did not complete');
      return {
        seconds: (performance.now() - start) / 1000,
        latenciesMs: stats.latenciesMs,
      };
    }
    await sleep(50);
  }
}

/**
 * Runs `send` and follows archive's and notify's files until `count` new
 * events are in both; latencies come from the events' own timestamps.
 */
export async function throughPipeline(
  files: { archive: FileFollower; notify: FileFollower },
  count: number,
  send: () => Promise<void>,
): Promise<Omit<Run, 'cores'>> {
  // What earlier runs left is not this run's.
  await files.archive.read();
  await files.notify.read();
  const start = performance.now();
  const sending = send();
  const received = new Map<string, number>();
  const latenciesMs: number[] = [];
  const notifiedAt = new Map<string, number>();
  let failure: unknown;
  sending.catch((err: unknown) => {
    failure = err;
  });
  const deadline = Date.now() + 180_000;
  while (received.size < count || notifiedAt.size < count) {
    if (failure) throw failure;
    if (Date.now() > deadline) {
      throw new Error(
        `after 180 s, ${received.size} archived and ${notifiedAt.size} ` +
          `notified of ${count}`,
      );
    }
    await sleep(50);
    for (const line of (await files.archive.read()).lines) {
      const entry = parseTailLine('archive', line);
      if (!entry) continue;
      const at = Date.parse(String(entry.receivedAt));
      received.set(String(entry.id), at);
      latenciesMs.push(Date.parse(String(entry.archivedAt)) - at);
    }
    for (const line of (await files.notify.read()).lines) {
      const record = parseTailLine('notify', line);
      if (record) {
        notifiedAt.set(
          String(record.eventId),
          Date.parse(String(record.notifiedAt)),
        );
      }
    }
  }
  const seconds = (performance.now() - start) / 1000;
  await sending;
  const notifyLatenciesMs = [...notifiedAt].map(
    ([id, at]) => at - (received.get(id) ?? at),
  );
  return { seconds, latenciesMs, notifyLatenciesMs };
}

function summarize(runs: Run[], events: number): FlowFigures {
  const cores: Record<string, number[]> = {};
  for (const run of runs) {
    for (const [name, share] of Object.entries(run.cores)) {
      cores[name] = [...(cores[name] ?? []), share];
    }
  }
  const figures: FlowFigures = {
    eventsPerSecond: spread(runs.map((r) => events / r.seconds)),
    p50Ms: spread(runs.map((r) => percentile(r.latenciesMs, 50))),
    p99Ms: spread(runs.map((r) => percentile(r.latenciesMs, 99))),
    cpuCores: Object.fromEntries(
      Object.entries(cores).map(([name, s]) => [name, spread(s).median]),
    ),
  };
  if (runs.every((r) => r.notifyLatenciesMs)) {
    figures.notifyP50Ms = spread(
      runs.map((r) => percentile(r.notifyLatenciesMs ?? [], 50)),
    );
    figures.notifyP99Ms = spread(
      runs.map((r) => percentile(r.notifyLatenciesMs ?? [], 99)),
    );
  }
  return figures;
}

/** Deletes what `spec` describes, subscriptions first; gone is fine. */
async function deleteTopology(
  ctx: BenchContext,
  spec: Topology,
): Promise<void> {
  const quiet = () => undefined;
  await Promise.all(
    spec.subscriptions.map((s) =>
      ctx.pubsub.subscription(s.name).delete().catch(quiet),
    ),
  );
  await Promise.all(
    spec.topics.map((t) => ctx.pubsub.topic(t.name).delete().catch(quiet)),
  );
}
