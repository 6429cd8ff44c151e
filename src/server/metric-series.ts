/**
 * Counters and histograms whose series are found once and then updated by adding to a field.
 *
 * prom-client's `observe(labels, value)` and `inc(labels)` check every label against the
 * metric's names, hash them into a key and look the series up, on every call: under a
 * cluster-summary load (Q1, 10 connections) the three observations and one increment a
 * request makes took 1.1 % of the gateway's samples, about 2 % of its busy time
 * (`KUBEGATE_BENCH_CPU_PROF=DIR npx tsx bench/q1-ratio.ts S 6 10 Q2,Q3,Q4,Q5`, the last 35 s by
 * `bench/profile-top.ts`). Here the caller asks for a series once (operation-metrics.ts keeps
 * it with the operation's labels) and updates it with a field increment.
 *
 * They are prom-client metrics to its Registry (`registerMetric`, read through `get`) and
 * print as its own Counter and Histogram do: the same lines, labels in the order of
 * `labelNames`, a histogram's buckets cumulative with `le` first, then `+Inf`, `_sum` and
 * `_count`.
 */
import type { Registry } from 'prom-client';

/** prom-client's default buckets, in seconds. */
export const DEFAULT_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type LabelValues = Readonly<Record<string, string | number>>;

interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
  sharedLabels?: Record<string, string | number>;
}

abstract class SeriesMetric<S> {
  readonly aggregator = 'sum';
  abstract readonly type: 'counter' | 'histogram';
  readonly #series = new Map<string, S>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  /** The series of these labels (each of `labelNames`; others are ignored), made on first use. */
  series(labels: LabelValues): S {
    let key = '';
    for (const name of this.labelNames) key += `${labels[name] ?? ''}\u0000`;
    let series = this.#series.get(key);
    if (series === undefined) {
      const own: Record<string, string | number> = {};
      for (const name of this.labelNames) if (labels[name] !== undefined) own[name] = labels[name];
      series = this.make(own);
      this.#series.set(key, series);
    }
    return series;
  }

  protected abstract make(labels: Record<string, string | number>): S;
  protected abstract values(series: Iterable<S>): MetricValue[];

  reset(): void {
    this.#series.clear();
  }

  async get() {
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      values: this.values(this.#series.values()),
      aggregator: this.aggregator,
    };
  }
}

export class CounterSeries {
  value = 0;
  constructor(readonly labels: Record<string, string | number>) {}
  inc(by = 1): void {
    this.value += by;
  }
}

export class SeriesCounter extends SeriesMetric<CounterSeries> {
  readonly type = 'counter';
  protected make(labels: Record<string, string | number>) {
    return new CounterSeries(labels);
  }
  protected values(series: Iterable<CounterSeries>): MetricValue[] {
    return [...series].map((s) => ({ labels: s.labels, value: s.value }));
  }
}

export class HistogramSeries {
  /** Observations per bucket, not cumulative (the last one: above every bound). */
  readonly counts: number[];
  sum = 0;
  count = 0;
  constructor(
    readonly labels: Record<string, string | number>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }
  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += value;
    this.count += 1;
  }
}

export class SeriesHistogram extends SeriesMetric<HistogramSeries> {
  readonly type = 'histogram';
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    registry: Registry,
    readonly bounds: readonly number[] = DEFAULT_BUCKETS,
  ) {
    super(name, help, labelNames, registry);
  }
  protected make(labels: Record<string, string | number>) {
    return new HistogramSeries(labels, this.bounds);
  }
  protected values(series: Iterable<HistogramSeries>): MetricValue[] {
    const values: MetricValue[] = [];
    const bucket = `${this.name}_bucket`;
    for (const s of series) {
      let below = 0;
      this.bounds.forEach((le, i) => {
        below += s.counts[i] as number;
        values.push({ labels: { le }, value: below, metricName: bucket, sharedLabels: s.labels });
      });
      values.push({ labels: { le: '+Inf' }, value: s.count, metricName: bucket, sharedLabels: s.labels });
      values.push({ labels: {}, value: s.sum, metricName: `${this.name}_sum`, sharedLabels: s.labels });
      values.push({ labels: {}, value: s.count, metricName: `${this.name}_count`, sharedLabels: s.labels });
    }
    return values;
  }
}
