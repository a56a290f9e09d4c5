import { SingleBar } from 'cli-progress';

export interface LoadOptions {
  count: number;
  concurrency: number;
  /** Requests per second at most; unbounded when absent. */
  rate: number | undefined;
  progress: boolean;
  /** Once aborted, no further unit starts (those in flight finish). */
  signal?: AbortSignal;
}

/** What one unit of work reported: an HTTP-like status, or an error. */
export type Outcome = { status: number } | { error: string };

export interface LoadResult {
  sent: number;
  byStatus: Map<number, number>;
  errors: Map<string, number>;
  latenciesMs: number[];
  elapsedMs: number;
}

/**
 * Runs `work(i)` for i in [0, count) with at most `concurrency` in flight
 * and, when `rate` is set, request i not started before start + i / rate.
 * Latency is measured around each call.
 */
export async function runLoad(
  options: LoadOptions,
  work: (i: number) => Promise<Outcome>,
): Promise<LoadResult> {
  const result: LoadResult = {
    sent: 0,
    byStatus: new Map(),
    errors: new Map(),
    latenciesMs: [],
    elapsedMs: 0,
  };
  const bar = options.progress
    ? new SingleBar({
        format: ' {bar} {value}/{total} | {rate}/s | {eta_formatted} left',
        hideCursor: true,
      })
    : undefined;
  bar?.start(options.count, 0, { rate: 0 });
  const start = performance.now();
  let next = 0;

  const { signal } = options;
  const worker = async () => {
    for (;;) {
      if (signal?.aborted) return;
      const i = next++;
      if (i >= options.count) return;
      if (options.rate) {
        const due = start + (i * 1000) / options.rate;
        const wait = due - performance.now();
        if (wait > 0) await pause(wait, signal);
        if (signal?.aborted) return;
      }
      const t0 = performance.now();
      const outcome = await work(i).catch(
        (err: unknown): Outcome => ({ error: describe(err) }),
      );
      result.latenciesMs.push(performance.now() - t0);
      result.sent++;
      if ('status' in outcome) {
        bump(result.byStatus, outcome.status);
      } else {
        bump(result.errors, outcome.error);
      }
      const seconds = (performance.now() - start) / 1000;
      bar?.update(result.sent, { rate: Math.round(result.sent / seconds) });
    }
  };
  await Promise.all(
    Array.from(
      { length: Math.min(options.concurrency, options.count) },
      worker,
    ),
  );
  result.elapsedMs = performance.now() - start;
  bar?.stop();
  return result;
}

/** Waits `ms`, or less if `signal` aborts meanwhile. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

function bump<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function describe(err: unknown): string {
  const cause = (err as { cause?: { code?: string } }).cause;
  return cause?.code ?? (err as Error).message ?? String(err);
}

/** The p-th percentile (0 to 100) of a sample, nearest-rank. */
export function percentile(sample: readonly number[], p: number): number {
  if (sample.length === 0) return Number.NaN;
  const sorted = [...sample].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(Math.max(rank, 0), sorted.length - 1)] as number;
}

/** The summary every load script prints, as lines. */
export function summarize(result: LoadResult, okStatuses: number[]): string {
  const ok = okStatuses.reduce((n, s) => n + (result.byStatus.get(s) ?? 0), 0);
  const rejected = [...result.byStatus]
    .filter(([status]) => !okStatuses.includes(status))
    .sort(([a], [b]) => a - b)
    .map(([status, n]) => `${status}: ${n}`);
  const errors = [...result.errors].map(([code, n]) => `${code}: ${n}`);
  const lat = (p: number) => percentile(result.latenciesMs, p).toFixed(1);
  const seconds = result.elapsedMs / 1000;
  return [
    `sent ${result.sent}, accepted ${ok}, ` +
      `rejected ${result.sent - ok - sumValues(result.errors)}` +
      (rejected.length ? ` (${rejected.join(', ')})` : '') +
      `, errors ${sumValues(result.errors)}` +
      (errors.length ? ` (${errors.join(', ')})` : ''),
    `latency p50 ${lat(50)} ms, p95 ${lat(95)} ms, p99 ${lat(99)} ms`,
    `throughput ${(result.sent / seconds).toFixed(1)}/s over ${seconds.toFixed(2)} s`,
  ].join('\n');
}

function sumValues(map: Map<unknown, number>): number {
  let n = 0;
  for (const v of map.values()) n += v;
  return n;
}
