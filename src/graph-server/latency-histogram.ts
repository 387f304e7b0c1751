/**
 * A histogram labelled by model, counted here and written out by prom-client's registry: an observation is
 * a bucket search and three additions, where prom-client's Histogram builds and hashes the label set on
 * every observe() (about half a microsecond, on every request). What a scrape shows is exactly what a
 * prom-client Histogram with the same name, help, buckets and observations shows (test/graph-server/
 * latency-histogram.test.ts compares the two): `_bucket` lines with `le` then `model`, `+Inf`, `_sum`,
 * `_count`, per model in the order models were first observed.
 *
 * It is registered as a metric object (name, help, type, get, reset: what the registry calls), the way
 * prom-client takes custom metrics; it has no label or exemplar API beyond observe(model, value).
 */
import type { Registry } from 'prom-client';

/** One line of a scrape: a sample's name, labels and value. */
export interface HistogramValue {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
  /** null on `_bucket` lines, as prom-client's (this histogram keeps no exemplars). */
  exemplar?: null;
}

/** What the registry reads of a metric (prom-client's MetricObjectWithValues, with its runtime `type`). */
export interface HistogramValues {
  name: string;
  help: string;
  type: 'histogram';
  aggregator: 'sum';
  values: HistogramValue[];
}

/** One model's counts: per bucket (not cumulative; the last one past every bound), their sum and count. */
interface Series {
  readonly buckets: Float64Array;
  sum: number;
  count: number;
}

export interface LatencyHistogramOptions {
  name: string;
  help: string;
  /** Upper bounds, ascending. */
  buckets: readonly number[];
  registers: readonly Registry[];
}

export class LatencyHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  readonly #bounds: readonly number[];
  readonly #series = new Map<string, Series>();

  constructor(options: LatencyHistogramOptions) {
    const bounds = [...options.buckets];
    if (bounds.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= bounds[i - 1]!))) {
      throw new TypeError('histogram buckets must be finite and ascending');
    }
    this.name = options.name;
    this.help = options.help;
    this.#bounds = bounds;
    // Registered as prom-client's own metrics are: by name, in each registry (see the file comment).
    for (const registry of options.registers) registry.registerMetric(this as never);
  }

  /** Records one value (seconds) for `model`; a value that is not a finite number is ignored. */
  observe(model: string, value: number): void {
    if (!Number.isFinite(value)) return;
    let series = this.#series.get(model);
    if (series === undefined) {
      series = { buckets: new Float64Array(this.#bounds.length + 1), sum: 0, count: 0 };
      this.#series.set(model, series);
    }
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    series.buckets[i]!++;
    series.sum += value;
    series.count++;
  }

  /** The values as prom-client's Histogram.get() gives them. */
  get(): Promise<HistogramValues> {
    const values: HistogramValue[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const [model, series] of this.#series) {
      let cumulative = 0;
      this.#bounds.forEach((le, i) => {
        cumulative += series.buckets[i]!;
        values.push({ labels: { le, model }, value: cumulative, metricName: bucketName, exemplar: null });
      });
      values.push({ labels: { le: '+Inf', model }, value: series.count, metricName: bucketName, exemplar: null });
      values.push({ labels: { model }, value: series.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { model }, value: series.count, metricName: `${this.name}_count` });
    }
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      values,
      aggregator: this.aggregator,
    });
  }

  reset(): void {
    this.#series.clear();
  }
}
