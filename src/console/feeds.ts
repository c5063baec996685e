/**
 * Where the history's buckets come from. In one process, the sampler diffs this process's counters.
 * Under `--workers N`, each worker samples its own counters into a short history of its own, and once
 * a second the primary asks every worker for the seconds it completed since the last ask and adds them
 * up, as /stats sums the workers' counters.
 */
import type { GatewayCounters } from '../stats/counters.ts';
import type { History } from './history.ts';
import type { HistoryFeed } from './dashboard-state.ts';
import { CounterSampler } from './sampler.ts';

/** Samples counters in this process. */
export class SamplerFeed implements HistoryFeed {
  readonly #counters: GatewayCounters;
  #sampler: CounterSampler | null = null;

  constructor(counters: GatewayCounters) {
    this.#counters = counters;
  }

  start(history: History, onSecond: (second: number) => void): void {
    this.#sampler = new CounterSampler(this.#counters, history, onSecond);
    this.#sampler.start();
  }

  stop(): void {
    this.#sampler?.stop();
  }
}

/** What the primary needs of its worker supervisor. */
export interface BucketSource {
  /** Adds every worker's buckets completed since the previous call into `history`, then completes it. */
  collectHistory(history: History): Promise<void>;
}

/** After the workers' own ticks (5 ms past each second), so their newest second is usually ready. */
const COLLECT_OFFSET_MS = 50;

/** Sums the workers' buckets once a second. */
export class WorkerBucketFeed implements HistoryFeed {
  readonly #source: BucketSource;
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;

  constructor(source: BucketSource) {
    this.#source = source;
  }

  start(history: History, onSecond: (second: number) => void): void {
    const schedule = (): void => {
      if (this.#stopped) return;
      this.#timer = setTimeout(() => {
        void this.#source
          .collectHistory(history)
          .then(() => onSecond(history.through))
          .finally(schedule);
      }, 1000 - (Date.now() % 1000) + COLLECT_OFFSET_MS);
      this.#timer.unref();
    };
    schedule();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
  }
}
