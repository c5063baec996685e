/**
 * Feeds the history from the counters the data plane already keeps: once a second, on the second, it
 * reads every counter, subtracts what it read a second earlier and adds the difference to the bucket
 * of the second that just ended. The request path does nothing new; the cost is one pass over the
 * counters per second, here.
 */
import type { GatewayCounters } from '../stats/counters.ts';
import type { History } from './history.ts';
import { mirrorTotals, routeTotals, rowWidth, upstreamTotals, type SeriesId } from './series.ts';

/** How far past the second's boundary a tick is scheduled, so it never lands just before it. */
const TICK_SLACK_MS = 5;

export class CounterSampler {
  readonly #counters: GatewayCounters;
  readonly #history: History;
  readonly #onTick: (second: number) => void;
  readonly #clock: () => number;
  /** What each counter object read last time; counter objects live as long as the process. */
  readonly #previous = new WeakMap<object, Float64Array>();
  #timer: NodeJS.Timeout | null = null;

  constructor(counters: GatewayCounters, history: History, onTick: (second: number) => void = () => {}, clock = Date.now) {
    this.#counters = counters;
    this.#history = history;
    this.#onTick = onTick;
    this.#clock = clock;
  }

  /** Takes the baseline (what was counted before now is not history) and samples on every second. */
  start(): void {
    this.#pass(null);
    this.#schedule();
  }

  stop(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  /**
   * Records everything counted since the previous sample as `second`, and marks it complete. Public
   * so tests can drive time; the timer calls it with the second that just ended.
   */
  sample(second: number): void {
    this.#pass(second);
    this.#history.complete(second);
    this.#onTick(second);
  }

  #schedule(): void {
    const now = this.#clock();
    this.#timer = setTimeout(() => {
      // The tick lands just after a boundary; rounding finds that boundary even if it fired early.
      this.sample(Math.round(this.#clock() / 1000) - 1);
      this.#schedule();
    }, 1000 - (now % 1000) + TICK_SLACK_MS);
    this.#timer.unref();
  }

  /** Diffs every counter; with `second` null only remembers the totals (the baseline). */
  #pass(second: number | null): void {
    const c = this.#counters;
    for (const d of c.downstreams()) {
      // Listener-level local replies (no route matched) have no route to chart.
      if (d.routeId === '') continue;
      this.#diff(d, { kind: 'route', route: d.routeId, cluster: '' }, second, (row) => routeTotals(d, row));
    }
    for (const u of c.upstreams()) this.#diff(u, { kind: 'upstream', route: '', cluster: u.cluster }, second, (row) => upstreamTotals(u, row));
    for (const m of c.mirrors()) this.#diff(m, { kind: 'mirror', route: m.routeId, cluster: m.cluster }, second, (row) => mirrorTotals(m, row));
  }

  #diff(counter: object, id: SeriesId, second: number | null, read: (row: Float64Array) => Float64Array): void {
    const now = read(new Float64Array(rowWidth(id.kind)));
    const before = this.#previous.get(counter);
    this.#previous.set(counter, now);
    if (second === null) return;
    const delta = new Float64Array(now.length);
    // A counter first seen now started at zero after the baseline, so all of it is new.
    for (let i = 0; i < now.length; i++) delta[i] = Math.max(0, now[i]! - (before?.[i] ?? 0));
    this.#history.add(id, second, delta);
  }
}
