/**
 * A prom-client metric whose values are read from the gateway's plain counters at scrape time, so the
 * data plane pays an increment per event instead of a labelled `inc()`. Registered with
 * `Registry.registerMetric`, it renders and aggregates (cluster mode) like prom-client's own metrics.
 */
import type { Registry } from 'prom-client';
import { LATENCY_BUCKETS_MS, type LatencyHistogram } from '../stats/counters.ts';
import { METRICS, type MetricKey } from './names.ts';

export type Labels = Record<string, string>;

export interface MetricValue {
  value: number;
  labels: Labels;
  metricName?: string;
}

type MetricType = 'counter' | 'gauge' | 'histogram';

export class CollectedMetric {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  /** How prom-client's cluster aggregator combines workers: sums everything here. */
  readonly aggregator = 'sum';
  readonly #collect: () => MetricValue[];

  constructor(key: MetricKey, type: MetricType, collect: () => MetricValue[]) {
    this.name = METRICS[key].name;
    this.help = METRICS[key].help;
    this.type = type;
    this.#collect = collect;
  }

  async get(): Promise<{ name: string; help: string; type: MetricType; aggregator: string; values: MetricValue[] }> {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.#collect() };
  }

  register(registry: Registry): void {
    registry.registerMetric(this as never);
  }
}

/** Prometheus histogram series (`_bucket` cumulative with `le` in seconds, `_sum`, `_count`) of one histogram. */
export function histogramValues(name: string, histogram: LatencyHistogram, labels: Labels): MetricValue[] {
  const values: MetricValue[] = [];
  let cumulative = 0;
  for (let i = 0; i < LATENCY_BUCKETS_MS.length; i++) {
    cumulative += histogram.counts[i]!;
    values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: String(LATENCY_BUCKETS_MS[i]! / 1000) }, value: cumulative });
  }
  values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: histogram.count });
  values.push({ metricName: `${name}_sum`, labels, value: histogram.sum / 1000 });
  values.push({ metricName: `${name}_count`, labels, value: histogram.count });
  return values;
}
