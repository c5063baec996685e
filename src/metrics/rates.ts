/**
 * Requests per second per cluster over the last 10 and 60 seconds, for primary traffic and for mirror
 * copies, so "at 100% the shadow's QPS equals the primary's" is one look at `/stats`. Totals are
 * sampled once a second into a ring; a rate is the difference between now and N seconds ago.
 */
import type { GatewayCounters } from '../stats/counters.ts';

const WINDOW = 61;

export interface ClusterRates {
  readonly cluster: string;
  readonly rps10s: number;
  readonly rps60s: number;
  readonly total: number;
}

class Ring {
  readonly samples = new Float64Array(WINDOW);
  filled = 0;
}

export class RateTracker {
  readonly #counters: GatewayCounters;
  readonly #primary = new Map<string, Ring>();
  readonly #mirror = new Map<string, Ring>();
  #position = 0;
  #timer: NodeJS.Timeout | null = null;

  constructor(counters: GatewayCounters) {
    this.#counters = counters;
  }

  start(intervalMs = 1000): void {
    this.sample();
    this.#timer = setInterval(() => this.sample(), intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Takes one sample of every total; public so tests can drive time. */
  sample(): void {
    this.#position = (this.#position + 1) % WINDOW;
    const { primary, mirror } = this.#totals();
    this.#record(this.#primary, primary);
    this.#record(this.#mirror, mirror);
  }

  /** Rates from the live totals against the samples 10 and 60 seconds back (or as far as there are). */
  rates(): { primary: ClusterRates[]; mirror: ClusterRates[] } {
    const { primary, mirror } = this.#totals();
    return { primary: this.#rates(this.#primary, primary), mirror: this.#rates(this.#mirror, mirror) };
  }

  #totals(): { primary: Map<string, number>; mirror: Map<string, number> } {
    const primary = new Map<string, number>();
    // Requests, not attempts: a retried request counts once.
    for (const c of this.#counters.upstreams()) primary.set(c.cluster, (primary.get(c.cluster) ?? 0) + c.requests - c.retries);
    const mirror = new Map<string, number>();
    for (const c of this.#counters.mirrors()) mirror.set(c.cluster, (mirror.get(c.cluster) ?? 0) + c.sent);
    return { primary, mirror };
  }

  #record(rings: Map<string, Ring>, totals: Map<string, number>): void {
    for (const [cluster, total] of totals) {
      let ring = rings.get(cluster);
      if (ring === undefined) {
        ring = new Ring();
        rings.set(cluster, ring);
      }
      ring.samples[this.#position] = total;
      ring.filled = Math.min(WINDOW, ring.filled + 1);
    }
  }

  #rates(rings: Map<string, Ring>, totals: Map<string, number>): ClusterRates[] {
    const out: ClusterRates[] = [];
    for (const [cluster, total] of totals) {
      const ring = rings.get(cluster);
      const perSecond = (seconds: number): number => {
        if (ring === undefined) return 0;
        // The newest sample is "now" to within a second; look back from it.
        const span = Math.min(seconds, ring.filled - 1);
        if (span <= 0) return 0;
        const newest = ring.samples[this.#position]!;
        const then = ring.samples[(this.#position - span + WINDOW) % WINDOW]!;
        return (newest - then) / span;
      };
      out.push({ cluster, rps10s: round(perSecond(10)), rps60s: round(perSecond(60)), total });
    }
    return out.sort((a, b) => a.cluster.localeCompare(b.cluster));
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
