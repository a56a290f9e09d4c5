import { percentile } from '../../scripts/lib/load-runner.js';

export { percentile };

/** Several runs of one figure: the median and the spread. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

/** The median (upper middle for an even count) and range of `runs`. */
export function spread(runs: readonly number[]): Spread {
  const sorted = [...runs].sort((a, b) => a - b);
  return {
    median: sorted[Math.floor(sorted.length / 2)] ?? Number.NaN,
    min: sorted[0] ?? Number.NaN,
    max: sorted[sorted.length - 1] ?? Number.NaN,
    runs: [...runs],
  };
}

/** Rounds for the report: 3 significant digits, at most 2 decimals. */
export function round(value: number): number {
  if (!Number.isFinite(value)) return value;
  const digits = Math.max(
    0,
    Math.min(2, 2 - Math.floor(Math.log10(Math.abs(value) || 1))),
  );
  return Number(value.toFixed(digits));
}
