/**
 * The running gateway: the current snapshot, the listeners bound from it, the primary and mirror
 * upstreams, and the counters. `apply` is the only way config changes: it prepares everything the new
 * snapshot needs (listeners bound, DNS resolved, pools created), then swaps the snapshot reference in
 * one synchronous step, so each request runs entirely on the snapshot it started with.
 */
import type { Listener, Snapshot } from './snapshot/types.ts';
import { ListenerBindError } from './dataplane/bind-error.ts';
import type { DownstreamLimits } from './dataplane/downstream-limits.ts';
import { DEFAULT_DOWNSTREAM_LIMITS } from './dataplane/downstream-limits.ts';
import { BoundListener } from './dataplane/listener.ts';
import { Proxy } from './dataplane/proxy.ts';
import { Comparator } from './compare/comparator.ts';
import { DiffStore } from './compare/diff-store.ts';
import { UpstreamClusters } from './dataplane/upstream/upstream-clusters.ts';
import type { OutlierSettings } from './mirror/outlier-detector.ts';
import { ShadowWriter } from './mirror/shadow-writer.ts';
import { Captures } from './capture/captures.ts';
import { GatewayCounters } from './stats/counters.ts';

/** How long a listener removed by a reload may finish its in-flight requests. */
const RETIRED_LISTENER_GRACE_MS = 15_000;

export interface ListenerAddress {
  readonly name: string;
  readonly protocol: 'HTTP' | 'HTTPS';
  readonly address: string;
  readonly port: number;
}

export interface GatewayOptions {
  /** Random draw in [0, 1) used for mirror sampling and load balancing; injectable for tests. */
  readonly random?: () => number;
  /** How often `resolution: DNS` clusters re-resolve. */
  readonly dnsRefreshMs?: number;
  /** Ejection of failing mirror endpoints; defaults to 5 failures, 1 s doubling to 30 s. */
  readonly mirrorOutlier?: OutlierSettings;
  /** Where to count; a runtime passes its own so metrics can exist before the gateway starts. */
  readonly counters?: GatewayCounters;
  /** Timeouts and the connection limit of every listener; unset fields keep their defaults. */
  readonly downstream?: Partial<DownstreamLimits>;
  /** Response comparison: where results go and the memory cap; default an in-memory store, 64 MiB. */
  readonly compare?: { readonly store?: () => DiffStore; readonly maxMemoryBytes?: number };
}

/** The store a gateway opens when it is given none: memory, 1000 samples, 5 per kind of difference. */
export function memoryDiffStore(): DiffStore {
  return new DiffStore({ path: null, maxSamples: 1000, samplesPerKind: 5 });
}

/** A listener can be updated in place only while it keeps its address, port and protocol. */
function sameSocket(a: Listener, b: Listener): boolean {
  return a.address === b.address && a.port === b.port && a.protocol === b.protocol;
}

export class Gateway {
  readonly counters: GatewayCounters;
  readonly #primary: UpstreamClusters;
  readonly #mirror: UpstreamClusters;
  readonly #shadows: ShadowWriter;
  /** MirrorPolicy capture files, one writer per path. */
  readonly captures = new Captures();
  readonly #proxy: Proxy;
  readonly #downstreamLimits: DownstreamLimits;
  /** Compares responses of mirrors with `compare`; its store is what `/api/diffs` reads in process. */
  readonly comparator: Comparator;
  #snapshot: Snapshot;
  #listeners = new Map<string, BoundListener>();
  /** Listeners a reload removed, still finishing their requests; `close()` waits for them. */
  readonly #retiring = new Set<BoundListener>();
  #closed = false;

  private constructor(snapshot: Snapshot, options: GatewayOptions) {
    const random = options.random ?? Math.random;
    this.counters = options.counters ?? new GatewayCounters();
    this.#snapshot = snapshot;
    this.#downstreamLimits = Object.freeze({ ...DEFAULT_DOWNSTREAM_LIMITS, ...definedFields(options.downstream) });
    this.#primary = new UpstreamClusters({ random, dnsRefreshMs: options.dnsRefreshMs });
    // Shadows get pools of their own: a slow or dead shadow can never hold a primary connection.
    // Their outlier detection is the shadow writer's own, not the DestinationRule's.
    this.#mirror = new UpstreamClusters({ random, dnsRefreshMs: options.dnsRefreshMs, outlierDetection: false });
    this.#shadows = new ShadowWriter({
      clusters: this.#mirror,
      counters: this.counters,
      maxInFlight: () => this.#snapshot.mirror.maxInFlight,
      maxResponseBytes: () => this.#snapshot.mirror.maxResponseBytes,
      outlier: options.mirrorOutlier,
    });
    this.comparator = new Comparator({
      counters: this.counters,
      store: options.compare?.store ?? memoryDiffStore,
      maxMemoryBytes: options.compare?.maxMemoryBytes,
      ownsStore: options.compare?.store === undefined,
    });
    this.#proxy = new Proxy({
      snapshot: () => this.#snapshot,
      clusters: this.#primary,
      shadows: this.#shadows,
      counters: this.counters,
      random,
      captures: this.captures,
      comparator: this.comparator,
    });
  }

  /**
   * Binds every listener of the snapshot; rejects with a `ListenerBindError` naming the listener (and
   * releases what it opened) when one cannot bind.
   */
  static async start(snapshot: Snapshot, options: GatewayOptions = {}): Promise<Gateway> {
    const gateway = new Gateway(snapshot, options);
    try {
      await gateway.apply(snapshot);
    } catch (error) {
      await gateway.close(0);
      throw error;
    }
    return gateway;
  }

  get snapshot(): Snapshot {
    return this.#snapshot;
  }

  /** Shadows in flight right now, across all mirror clusters. */
  get shadowsInFlight(): number {
    return this.#shadows.inFlight;
  }

  /** Where each listener is bound (the real port when the config said 0). */
  addresses(): ListenerAddress[] {
    const out: ListenerAddress[] = [];
    for (const [name, listener] of this.#listeners) {
      const address = listener.address;
      if (address === null) continue;
      out.push({ name, protocol: listener.config.protocol, address: address.address, port: address.port });
    }
    return out;
  }

  /** Open downstream connections per listener. */
  connections(): { listener: string; count: number }[] {
    return [...this.#listeners].map(([listener, bound]) => ({ listener, count: bound.openConnections }));
  }

  /**
   * Swaps in a new snapshot: upstreams and new listeners are readied first, then the snapshot is swapped,
   * then listeners the new config no longer has stop accepting; their in-flight requests finish in the
   * background, so a slow request on a removed listener does not hold up the next reload.
   */
  async apply(snapshot: Snapshot): Promise<void> {
    if (this.#closed) throw new Error('gateway is closed');
    const [primary, mirror] = await Promise.all([this.#primary.prepare(snapshot), this.#mirror.prepare(snapshot)]);
    let opened: Map<string, BoundListener>;
    try {
      opened = await this.#openNewListeners(snapshot);
    } catch (error) {
      primary.discard();
      mirror.discard();
      throw error;
    }
    // The swap, in one synchronous step: every request from here on sees the new snapshot, its
    // clusters and its listener configs; requests already running keep the objects they hold.
    primary.commit();
    mirror.commit();
    this.#snapshot = snapshot;
    const next = new Map<string, BoundListener>();
    for (const config of snapshot.listeners) {
      const listener = opened.get(config.name) ?? this.#listeners.get(config.name)!;
      listener.update(config);
      next.set(config.name, listener);
    }
    const retired = [...this.#listeners].filter(([name, l]) => next.get(name) !== l).map(([, l]) => l);
    this.#listeners = next;
    // Capture files the new config no longer writes are closed (their queued records written first).
    void this.captures.retain(snapshot);
    for (const listener of retired) {
      this.#retiring.add(listener);
      void listener.close(RETIRED_LISTENER_GRACE_MS).finally(() => this.#retiring.delete(listener));
    }
  }

  /** Stops accepting, lets in-flight requests and shadows finish (up to `graceMs`), closes pools. */
  async close(graceMs = 15_000): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Retiring listeners are closed again: their grace shrinks to this one's.
    const listeners = [...this.#listeners.values(), ...this.#retiring];
    this.#listeners.clear();
    await Promise.all(listeners.map((l) => l.close(graceMs)));
    await Promise.race([this.#shadows.idle(), delay(graceMs)]);
    await Promise.race([this.captures.close(), delay(graceMs)]);
    await Promise.all([this.#primary.close(0), this.#mirror.close(0)]);
    // Comparisons the last shadows settled run on the next turn; let them land before the store closes.
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.comparator.close();
  }

  /** Binds the listeners `snapshot` adds; on failure closes them again and rethrows. */
  async #openNewListeners(snapshot: Snapshot): Promise<Map<string, BoundListener>> {
    const opened = new Map<string, BoundListener>();
    try {
      for (const config of snapshot.listeners) {
        const existing = this.#listeners.get(config.name);
        if (existing !== undefined && sameSocket(existing.config, config)) continue;
        // Same address and port with another protocol: the old socket must go before the new can bind.
        if (existing !== undefined) {
          this.#listeners.delete(config.name);
          await existing.close(0);
        }
        const listener = new BoundListener(config, this.#proxy, { limits: this.#downstreamLimits, counters: this.counters });
        try {
          await listener.listen();
        } catch (error) {
          throw new ListenerBindError({ kind: 'listener', listener: config }, error);
        }
        opened.set(config.name, listener);
      }
    } catch (error) {
      await Promise.all([...opened.values()].map((l) => l.close(0)));
      throw error;
    }
    return opened;
  }
}

/** `{a: undefined}` must not override a default when spread. */
function definedFields<T extends object>(value: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(value ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
