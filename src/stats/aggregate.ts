/**
 * Counters across processes: a worker sends `dumpCounters()` over IPC, the supervisor sums every
 * worker's dump into one `GatewayCounters` with `absorbCounters()`, and metrics, `/stats` and rates
 * read that one object exactly as they read a single process's.
 */
import { GatewayCounters, type ByStatusClass, type LatencyHistogram } from './counters.ts';

interface HistogramDump {
  readonly counts: number[];
  readonly sum: number;
  readonly count: number;
}

type Dumped<T> = { [K in keyof T]: T[K] extends LatencyHistogram ? HistogramDump : T[K] };

export interface CountersDump {
  readonly mirror: Dumped<ReturnType<GatewayCounters['mirror']>>[];
  readonly upstream: Dumped<ReturnType<GatewayCounters['upstream']>>[];
  readonly downstream: Dumped<ReturnType<GatewayCounters['downstream']>>[];
  readonly listener: ReturnType<GatewayCounters['listener']>[];
}

function histogram(h: LatencyHistogram): HistogramDump {
  return { counts: [...h.counts], sum: h.sum, count: h.count };
}

/** A structured-clone-safe copy of every counter. */
export function dumpCounters(counters: GatewayCounters): CountersDump {
  return {
    mirror: [...counters.mirrors()].map((c) => ({
      ...c,
      completed: { ...c.completed },
      latency: histogram(c.latency),
      compare: { ...c.compare },
      compareSkipped: { ...c.compareSkipped },
    })),
    upstream: [...counters.upstreams()].map((c) => ({ ...c, completed: { ...c.completed }, latency: histogram(c.latency) })),
    downstream: [...counters.downstreams()].map((c) => ({ ...c, completed: { ...c.completed }, latency: histogram(c.latency) })),
    listener: [...counters.listeners()].map((c) => ({ ...c })),
  };
}

/** Adds every numeric field of `from` to `into` (nested status classes too); names are left alone. */
function addNumbers(into: Record<string, unknown>, from: Record<string, unknown>): void {
  for (const key in from) {
    const value = from[key];
    if (typeof value === 'number') (into as Record<string, number>)[key] = ((into[key] as number) ?? 0) + value;
  }
}

function addHistogram(into: LatencyHistogram, from: HistogramDump): void {
  for (let i = 0; i < into.counts.length; i++) into.counts[i]! += from.counts[i] ?? 0;
  into.sum += from.sum;
  into.count += from.count;
}

function zero(record: Record<string, unknown>): void {
  for (const key in record) if (typeof record[key] === 'number') (record as Record<string, number>)[key] = 0;
}

function zeroHistogram(h: LatencyHistogram): void {
  h.counts.fill(0);
  h.sum = 0;
  h.count = 0;
}

/** Makes `into` the sum of `dumps`, in place, so everything holding `into` sees the new totals. */
export function absorbCounters(into: GatewayCounters, dumps: readonly CountersDump[]): void {
  for (const c of [...into.mirrors(), ...into.upstreams(), ...into.downstreams()]) {
    zero(c as unknown as Record<string, unknown>);
    zero(c.completed as unknown as Record<string, unknown>);
    zeroHistogram(c.latency);
  }
  for (const c of into.listeners()) zero(c as unknown as Record<string, unknown>);
  for (const c of into.mirrors()) {
    zero(c.compare as unknown as Record<string, unknown>);
    zero(c.compareSkipped);
  }
  for (const dump of dumps) {
    for (const m of dump.mirror) {
      const target = into.mirror(m.routeId, m.cluster);
      addNumbers(target as unknown as Record<string, unknown>, m);
      addNumbers(target.completed as unknown as Record<string, unknown>, m.completed as ByStatusClass as unknown as Record<string, unknown>);
      addHistogram(target.latency, m.latency);
      addNumbers(target.compare as unknown as Record<string, unknown>, m.compare as unknown as Record<string, unknown>);
      addNumbers(target.compareSkipped, m.compareSkipped);
    }
    for (const u of dump.upstream) {
      const target = into.upstream(u.cluster);
      addNumbers(target as unknown as Record<string, unknown>, u);
      addNumbers(target.completed as unknown as Record<string, unknown>, u.completed as unknown as Record<string, unknown>);
      addHistogram(target.latency, u.latency);
    }
    for (const d of dump.downstream) {
      const target = into.downstream(d.listener, d.routeId);
      addNumbers(target as unknown as Record<string, unknown>, d);
      addNumbers(target.completed as unknown as Record<string, unknown>, d.completed as unknown as Record<string, unknown>);
      addHistogram(target.latency, d.latency);
    }
    for (const l of dump.listener) {
      addNumbers(into.listener(l.listener) as unknown as Record<string, unknown>, l as unknown as Record<string, unknown>);
    }
  }
}
