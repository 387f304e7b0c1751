/** Small order statistics for benchmark samples. Pure functions: no timing, safe to unit-test. */

/** The value at quantile q (0..1) of the samples, by linear interpolation; NaN for no samples. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const pos = Math.min(Math.max(q, 0), 1) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

export function median(samples: readonly number[]): number {
  return quantile(samples, 0.5);
}

/** Rounds to a number of significant digits (for JSON and tables; keeps integers readable). */
export function round(value: number, digits = 4): number {
  if (!Number.isFinite(value) || value === 0) return value;
  return Number(value.toPrecision(digits));
}

/** Adds the counts of `b` to a copy of `a` (histograms such as stats().batchSizes). */
export function addHistograms(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}

/** `after - before` per key, dropping keys that did not change. */
export function diffHistograms(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}

/** Rows per run averaged over a histogram {rows: runs}; NaN when it is empty. */
export function meanBatchSize(histogram: Record<string, number>): number {
  let rows = 0;
  let runs = 0;
  for (const [k, v] of Object.entries(histogram)) {
    rows += Number(k) * v;
    runs += v;
  }
  return runs === 0 ? NaN : rows / runs;
}
