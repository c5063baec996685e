/**
 * The live side of the snapshot's clusters: endpoints with their connection pools, a load balancer, and
 * DNS refresh for `resolution: DNS`. A snapshot says what a cluster is; this set keeps what a cluster has
 * (warm pools, resolved addresses, in-flight counts) and carries it across reloads when the cluster's
 * definition did not change.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Pool } from 'undici';
import type { Cluster, Endpoint, Snapshot } from '../../snapshot/types.ts';
import { EndpointPools } from './endpoint-pools.ts';
import { createLoadBalancer, type LoadBalancer } from './load-balancer.ts';
import { OutlierDetector } from './outlier-detector.ts';

export class UpstreamEndpoint {
  readonly address: string;
  readonly port: number;
  readonly weight: number;
  readonly pool: Pool;
  readonly poolKey: string;
  /** `address:port`, as access logs show it. */
  readonly label: string;
  inFlight = 0;
  constructor(endpoint: Endpoint, address: string, pool: Pool, poolKey: string) {
    this.address = address;
    this.port = endpoint.port;
    this.label = address.includes(':') ? `[${address}]:${endpoint.port}` : `${address}:${endpoint.port}`;
    this.weight = endpoint.weight;
    this.pool = pool;
    this.poolKey = poolKey;
  }
}

export class UpstreamCluster {
  readonly definition: Cluster;
  /** Identity of the definition; equal keys mean a reload may keep this runtime as it is. */
  readonly key: string;
  /** `servername` to pass with each request so undici never derives SNI from a rewritten Host. */
  readonly servername: string | undefined;
  /** Past this many requests in flight the cluster overflows (Envoy's circuit breakers, flag UO). */
  readonly maxInFlight: number;
  inFlight = 0;
  /** Retries scheduled or in flight, against the connection pool's `maxRetries`. */
  retriesInFlight = 0;
  endpoints: readonly UpstreamEndpoint[] = [];
  /** `null` when the cluster has no outlier detection (no DestinationRule sets it, or a shadow cluster). */
  readonly outliers: OutlierDetector<UpstreamEndpoint> | null;
  #balancer: LoadBalancer<UpstreamEndpoint>;
  /** Over the endpoints outlier detection has not ejected; rebuilt when that set changes. */
  #healthy: LoadBalancer<UpstreamEndpoint>;
  #healthyCount = 0;
  #stale = true;
  readonly #random: () => number;

  constructor(definition: Cluster, key: string, random: () => number, outlierDetection = true, now: () => number = Date.now) {
    this.definition = definition;
    this.key = key;
    this.servername = definition.tls?.sni;
    this.#random = random;
    this.#balancer = this.#createBalancer([]);
    this.#healthy = this.#balancer;
    const pool = definition.connectionPool;
    this.maxInFlight = Math.min(Math.max(1, definition.endpoints.length) * pool.maxConnections + pool.maxPendingRequests, pool.maxRequests);
    const od = definition.outlierDetection;
    this.outliers =
      od === null || !outlierDetection
        ? null
        : new OutlierDetector(
            {
              consecutive5xx: od.consecutive5xx,
              consecutiveGatewayFailure: od.consecutiveGatewayFailure,
              consecutiveLocalOriginFailure: 0,
              baseEjectionMs: od.baseEjectionMs,
              maxEjectionMs: od.maxEjectionMs,
              backoff: 'linear',
              maxEjectionPercent: od.maxEjectionPercent,
              intervalMs: od.intervalMs,
              probe: false,
            },
            now,
            () => this.endpoints.length,
          );
  }

  /**
   * An endpoint for one attempt. `hash` is the request's consistent-hash key (RING_HASH and MAGLEV
   * only). Ejected endpoints are left out unless fewer than `minHealthPercent` are healthy (Envoy's
   * panic mode); `null` when no endpoint can be used.
   */
  pick(hash: bigint | null = null): UpstreamEndpoint | null {
    const outliers = this.outliers;
    if (outliers === null) return this.#balancer.pick(hash);
    if (outliers.sweep()) this.#stale = true;
    if (this.#stale) this.#rebuildHealthy();
    const total = this.endpoints.length;
    if (this.#healthyCount === total) return this.#balancer.pick(hash);
    const panicBelow = this.definition.outlierDetection?.minHealthPercent ?? 0;
    if ((100 * this.#healthyCount) / total < panicBelow) return this.#balancer.pick(hash);
    return this.#healthy.pick(hash);
  }

  /** The endpoint answered with `status`; returns `true` when outlier detection ejected it. */
  responded(endpoint: UpstreamEndpoint, status: number): boolean {
    if (this.outliers === null || !this.outliers.responded(endpoint, status)) return false;
    this.#stale = true;
    return true;
  }

  /** A connect failure, reset or timeout; returns `true` when outlier detection ejected the endpoint. */
  failed(endpoint: UpstreamEndpoint): boolean {
    if (this.outliers === null || !this.outliers.failed(endpoint)) return false;
    this.#stale = true;
    return true;
  }

  setEndpoints(endpoints: readonly UpstreamEndpoint[]): void {
    this.endpoints = endpoints;
    this.#balancer = this.#createBalancer(endpoints);
    // New endpoint objects start healthy; ejections of the old ones no longer count.
    this.outliers?.forget();
    this.#stale = true;
  }

  #rebuildHealthy(): void {
    const outliers = this.outliers!;
    const healthy = this.endpoints.filter((e) => !outliers.ejected(e));
    this.#healthyCount = healthy.length;
    this.#healthy = healthy.length === this.endpoints.length ? this.#balancer : this.#createBalancer(healthy);
    this.#stale = false;
  }

  #createBalancer(endpoints: readonly UpstreamEndpoint[]): LoadBalancer<UpstreamEndpoint> {
    return createLoadBalancer(this.definition.loadBalancer, endpoints, this.#random, this.definition.consistentHash);
  }
}

export interface PreparedClusters {
  commit(): void;
  discard(): void;
}

export interface UpstreamClustersOptions {
  readonly random: () => number;
  /** How often DNS clusters re-resolve (Envoy's `dns_refresh_rate` defaults to 5 s). */
  readonly dnsRefreshMs?: number;
  /** Whether clusters run the DestinationRule's outlier detection (primaries); shadows have their own. */
  readonly outlierDetection?: boolean;
}

function definitionKey(cluster: Cluster): string {
  return JSON.stringify([
    cluster.endpoints,
    cluster.resolution,
    cluster.loadBalancer,
    cluster.consistentHash,
    cluster.connectionPool,
    cluster.outlierDetection,
    cluster.tls,
  ]);
}

export class UpstreamClusters {
  readonly #pools = new EndpointPools();
  readonly #random: () => number;
  readonly #dnsRefreshMs: number;
  readonly #outlierDetection: boolean;
  #clusters = new Map<string, UpstreamCluster>();
  #dnsTimer: NodeJS.Timeout | null = null;

  constructor(options: UpstreamClustersOptions) {
    this.#random = options.random;
    this.#dnsRefreshMs = options.dnsRefreshMs ?? 5000;
    this.#outlierDetection = options.outlierDetection ?? true;
  }

  get(name: string): UpstreamCluster | undefined {
    return this.#clusters.get(name);
  }

  all(): Iterable<UpstreamCluster> {
    return this.#clusters.values();
  }

  /**
   * Readies the live clusters for `snapshot` without touching the current ones: unchanged clusters are
   * kept, new ones get endpoints (DNS resolved before this resolves). `commit()` makes them current and
   * closes the pools only removed clusters used, once their in-flight requests finish; `discard()`
   * returns what was prepared.
   */
  async prepare(snapshot: Snapshot): Promise<PreparedClusters> {
    const next = new Map<string, UpstreamCluster>();
    const created: UpstreamCluster[] = [];
    for (const [name, definition] of snapshot.clusters) {
      const key = definitionKey(definition);
      const existing = this.#clusters.get(name);
      if (existing !== undefined && existing.key === key) {
        next.set(name, existing);
      } else {
        const cluster = new UpstreamCluster(definition, key, this.#random, this.#outlierDetection);
        next.set(name, cluster);
        created.push(cluster);
      }
    }
    await Promise.all(created.map((cluster) => this.#resolve(cluster)));
    return {
      commit: () => {
        const previous = this.#clusters;
        this.#clusters = next;
        for (const [name, cluster] of previous) {
          if (next.get(name) !== cluster) this.#releaseEndpoints(cluster.endpoints);
        }
        this.#scheduleDnsRefresh();
      },
      discard: () => {
        for (const cluster of created) this.#releaseEndpoints(cluster.endpoints);
      },
    };
  }

  async close(graceMs = 0): Promise<void> {
    if (this.#dnsTimer !== null) clearInterval(this.#dnsTimer);
    this.#dnsTimer = null;
    this.#clusters = new Map();
    await this.#pools.close(graceMs);
  }

  async #resolve(cluster: UpstreamCluster): Promise<void> {
    const definition = cluster.definition;
    const resolved: UpstreamEndpoint[] = [];
    for (const endpoint of definition.endpoints) {
      const addresses = definition.resolution === 'DNS' && isIP(endpoint.address) === 0
        ? await resolveAll(endpoint.address)
        : [endpoint.address];
      for (const address of addresses) {
        const { key, pool } = this.#pools.acquire({
          address,
          port: endpoint.port,
          settings: definition.connectionPool,
          tls: definition.tls,
        });
        resolved.push(new UpstreamEndpoint(endpoint, address, pool, key));
      }
    }
    const old = cluster.endpoints;
    cluster.setEndpoints(resolved);
    this.#releaseEndpoints(old);
  }

  #releaseEndpoints(endpoints: readonly UpstreamEndpoint[]): void {
    for (const endpoint of endpoints) this.#pools.release(endpoint.poolKey);
  }

  #scheduleDnsRefresh(): void {
    const needsDns = [...this.#clusters.values()].some((c) => c.definition.resolution === 'DNS');
    if (!needsDns) {
      if (this.#dnsTimer !== null) clearInterval(this.#dnsTimer);
      this.#dnsTimer = null;
      return;
    }
    if (this.#dnsTimer !== null) return;
    this.#dnsTimer = setInterval(() => {
      for (const cluster of this.#clusters.values()) {
        if (cluster.definition.resolution === 'DNS') void this.#refresh(cluster);
      }
    }, this.#dnsRefreshMs);
    this.#dnsTimer.unref();
  }

  async #refresh(cluster: UpstreamCluster): Promise<void> {
    const before = cluster.endpoints.map((e) => `${e.address}:${e.port}`).join(',');
    const probe = new UpstreamCluster(cluster.definition, cluster.key, this.#random, false);
    await this.#resolve(probe);
    const after = probe.endpoints.map((e) => `${e.address}:${e.port}`).join(',');
    // Keep the endpoints (and their in-flight counts) unless the answer changed; a cluster that a
    // reload dropped meanwhile just returns its new pools.
    if (after === before || this.#clusters.get(cluster.definition.name) !== cluster) {
      this.#releaseEndpoints(probe.endpoints);
      return;
    }
    const old = cluster.endpoints;
    cluster.setEndpoints(probe.endpoints);
    this.#releaseEndpoints(old);
  }
}

/** Every address of a name; a failed lookup leaves the cluster without those endpoints (503 UH). */
async function resolveAll(hostname: string): Promise<string[]> {
  try {
    const answers = await lookup(hostname, { all: true });
    return answers.map((a) => a.address);
  } catch {
    return [];
  }
}
