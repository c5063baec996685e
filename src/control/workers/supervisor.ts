/**
 * `--workers N`: the primary process forks N gateway workers (node:cluster) that share the listening
 * sockets, and stays their single point of control: one admin endpoint, config reloads and mirror
 * overrides pushed to every worker, counters summed across workers, crashed workers restarted.
 *
 * Sockets are shared with SCHED_NONE: each worker accepts for itself and the kernel spreads the
 * connections, so the primary never touches request traffic.
 */
import cluster, { type Worker } from 'node:cluster';
import type { MirrorOverride } from '../../config/index.ts';
import type { ListenerAddress } from '../../gateway.ts';
import type { History } from '../../console/history.ts';
import { absorbCounters, type CountersDump } from '../../stats/aggregate.ts';
import { WorkerBindError } from '../../dataplane/bind-error.ts';
import { GatewayCounters } from '../../stats/counters.ts';
import type { DataPlaneView } from '../data-plane-view.ts';
import { isMessage, OVERRIDES_ENV, type FromWorker, type ToWorker } from './messages.ts';

/** A worker that dies within this long of starting is restarted only after a pause, not in a loop. */
const CRASH_LOOP_WINDOW_MS = 2000;
const RESTART_PAUSE_MS = 1000;
const STATS_TIMEOUT_MS = 500;

interface WorkerState {
  readonly worker: Worker;
  readonly startedAt: number;
  ready: boolean;
  version: string;
  addresses: ListenerAddress[];
  lastStats: { counters: CountersDump; connections: { listener: string; count: number }[] } | null;
  /** The newest second of this worker's console history already added into the primary's. */
  historyThrough: number;
}

export interface SupervisorOptions {
  readonly count: number;
  readonly overrides: () => ReadonlyMap<string, MirrorOverride>;
  readonly log: (line: string) => void;
  /** Where the workers' counters are summed. */
  readonly counters?: GatewayCounters;
}

export class WorkerSupervisor implements DataPlaneView {
  readonly counters: GatewayCounters;
  readonly #options: SupervisorOptions;
  readonly #workers = new Map<number, WorkerState>();
  #stopping = false;
  #statsId = 0;
  readonly #pendingStats = new Map<number, { waiting: Set<number>; resolve: () => void }>();
  readonly #pendingHistory = new Map<number, { history: History; waiting: Set<number>; resolve: () => void }>();
  #restarts = 0;
  /** Set when a worker could not bind a listener before all were ready: start fails with it. */
  #bindFailure: string | null = null;
  #poll: NodeJS.Timeout | null = null;

  constructor(options: SupervisorOptions) {
    this.#options = options;
    this.counters = options.counters ?? new GatewayCounters();
  }

  /**
   * Forks the workers and resolves once every one has bound its listeners; rejects with a
   * `WorkerBindError` naming the listener when a worker cannot bind one.
   */
  async start(timeoutMs = 30_000): Promise<void> {
    cluster.schedulingPolicy = cluster.SCHED_NONE;
    for (let i = 0; i < this.#options.count; i++) this.#fork();
    const deadline = Date.now() + timeoutMs;
    while (!this.ready) {
      if (Date.now() > deadline) throw new Error(`workers did not become ready within ${timeoutMs} ms`);
      if (this.#bindFailure !== null) throw new WorkerBindError(this.#bindFailure);
      if (this.#workers.size === 0) throw new Error('every worker exited during start-up');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // Keep the summed counters fresh for the per-second rates, not only when the admin API asks.
    this.#poll = setInterval(() => void this.refresh(), 1000);
    this.#poll.unref();
  }

  get ready(): boolean {
    return this.#workers.size === this.#options.count && [...this.#workers.values()].every((w) => w.ready);
  }

  get restarts(): number {
    return this.#restarts;
  }

  /** Worker process ids, for tests and operators. */
  pids(): number[] {
    return [...this.#workers.values()].map((w) => w.worker.process.pid!).filter(Boolean);
  }

  addresses(): ListenerAddress[] {
    return [...this.#workers.values()].find((w) => w.ready)?.addresses ?? [];
  }

  connections(): { listener: string; count: number }[] {
    const total = new Map<string, number>();
    for (const w of this.#workers.values()) {
      for (const c of w.lastStats?.connections ?? []) total.set(c.listener, (total.get(c.listener) ?? 0) + c.count);
    }
    return [...total].map(([listener, count]) => ({ listener, count }));
  }

  /** Asks every worker for its counters (waiting at most 500 ms) and sums them into `counters`. */
  async refresh(): Promise<void> {
    const id = ++this.#statsId;
    const waiting = new Set([...this.#workers.values()].filter((w) => w.ready).map((w) => w.worker.id));
    if (waiting.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, STATS_TIMEOUT_MS);
        this.#pendingStats.set(id, {
          waiting,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
        this.#broadcast({ type: 'sg:stats', id });
      });
      this.#pendingStats.delete(id);
    }
    const dumps = [...this.#workers.values()].flatMap((w) => (w.lastStats === null ? [] : [w.lastStats.counters]));
    absorbCounters(this.counters, dumps);
  }

  /**
   * Asks every worker for the console buckets it completed since the last ask (waiting at most
   * 500 ms), adds them into `history`, and completes it up to the second every worker has reported.
   */
  async collectHistory(history: History): Promise<void> {
    const id = ++this.#statsId;
    const ready = [...this.#workers.values()].filter((w) => w.ready);
    if (ready.length === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, STATS_TIMEOUT_MS);
      this.#pendingHistory.set(id, {
        history,
        waiting: new Set(ready.map((w) => w.worker.id)),
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
      for (const w of ready) if (w.worker.isConnected()) w.worker.send({ type: 'sg:history', id, after: w.historyThrough } satisfies ToWorker);
    });
    this.#pendingHistory.delete(id);
    const reported = [...this.#workers.values()].filter((w) => w.ready).map((w) => w.historyThrough);
    if (reported.length > 0) history.complete(Math.min(...reported));
  }

  /** Tells every worker to reload the config files with these overrides. */
  reload(): void {
    this.#broadcast({ type: 'sg:reload', overrides: [...this.#options.overrides()] });
  }

  reopenLogs(): void {
    this.#broadcast({ type: 'sg:reopen-logs' });
  }

  /** Asks every worker to drain and exit; kills what is left after `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    if (this.#poll !== null) clearInterval(this.#poll);
    const exits = [...this.#workers.values()].map(
      (w) => new Promise<void>((resolve) => (w.worker.isDead() ? resolve() : w.worker.once('exit', () => resolve()))),
    );
    this.#broadcast({ type: 'sg:shutdown' });
    const timer = setTimeout(() => {
      for (const w of this.#workers.values()) if (!w.worker.isDead()) w.worker.kill('SIGKILL');
    }, graceMs + 2000);
    await Promise.all(exits);
    clearTimeout(timer);
  }

  #fork(): void {
    const worker = cluster.fork({ [OVERRIDES_ENV]: JSON.stringify([...this.#options.overrides()]) });
    const state: WorkerState = {
      worker, startedAt: Date.now(), ready: false, version: '', addresses: [], lastStats: null, historyThrough: -1,
    };
    this.#workers.set(worker.id, state);
    worker.on('message', (message: unknown) => {
      if (isMessage<FromWorker>(message)) this.#onMessage(state, message);
    });
    worker.on('exit', (code, signal) => this.#onExit(state, code, signal));
  }

  #onMessage(state: WorkerState, message: FromWorker): void {
    switch (message.type) {
      case 'sg:ready':
        state.ready = true;
        state.version = message.version;
        state.addresses = message.addresses;
        return;
      case 'sg:applied':
        state.version = message.version;
        return;
      case 'sg:rejected':
        this.#options.log(`worker ${state.worker.process.pid} rejected a reload: ${message.messages.join('; ')}`);
        return;
      case 'sg:history': {
        const pending = this.#pendingHistory.get(message.id);
        // A late answer is dropped whole; the next ask starts from where this worker was absorbed.
        if (pending === undefined) return;
        if (message.through > state.historyThrough) {
          for (const row of message.rows) if (row.second > state.historyThrough) pending.history.add(row.id, row.second, row.values);
          state.historyThrough = message.through;
        }
        pending.waiting.delete(state.worker.id);
        if (pending.waiting.size === 0) pending.resolve();
        return;
      }
      case 'sg:bind-failed':
        this.#bindFailure ??= message.message;
        return;
      case 'sg:stats': {
        state.lastStats = { counters: message.counters, connections: message.connections };
        const pending = this.#pendingStats.get(message.id);
        if (pending !== undefined) {
          pending.waiting.delete(state.worker.id);
          if (pending.waiting.size === 0) pending.resolve();
        }
        return;
      }
    }
  }

  #onExit(state: WorkerState, code: number | null, signal: string | null): void {
    this.#workers.delete(state.worker.id);
    if (this.#stopping) return;
    this.#restarts++;
    const quick = Date.now() - state.startedAt < CRASH_LOOP_WINDOW_MS;
    this.#options.log(
      `worker ${state.worker.process.pid} exited (${signal ?? `code ${code}`}); restarting${quick ? ` in ${RESTART_PAUSE_MS} ms` : ''}`,
    );
    setTimeout(() => {
      if (!this.#stopping) this.#fork();
    }, quick ? RESTART_PAUSE_MS : 0).unref();
  }

  #broadcast(message: ToWorker): void {
    for (const w of this.#workers.values()) {
      if (w.worker.isConnected()) w.worker.send(message);
    }
  }
}
