/**
 * undici connection pools, one per upstream endpoint and connection settings, shared by every cluster
 * that reaches the same endpoint the same way and reference-counted so a reload that keeps an endpoint
 * keeps its warm connections. A pool nobody uses any more is closed gracefully: requests already on it
 * finish first.
 */
import { createHash } from 'node:crypto';
import { Pool } from 'undici';
import type { ConnectionPoolSettings, UpstreamTls } from '../../snapshot/types.ts';

interface PoolEntry {
  readonly pool: Pool;
  refs: number;
}

export interface PoolRequest {
  readonly address: string;
  readonly port: number;
  readonly settings: ConnectionPoolSettings;
  readonly tls: UpstreamTls | null;
}

function originOf(address: string, port: number, tls: UpstreamTls | null): string {
  const host = address.includes(':') ? `[${address}]` : address;
  return `${tls === null ? 'http' : 'https'}://${host}:${port}`;
}

function keyOf(request: PoolRequest): string {
  const { settings, tls } = request;
  return [
    originOf(request.address, request.port, tls),
    settings.maxConnections,
    settings.connectTimeoutMs,
    settings.idleTimeoutMs,
    settings.maxRequestsPerConnection,
    tls === null ? '' : `${tls.sni}|${tls.insecureSkipVerify}|${credentialDigest(tls)}`,
  ].join('|');
}

/** Pools differ by the CA and client certificate they present, compared by digest (keys are never kept in a key). */
function credentialDigest(tls: UpstreamTls): string {
  const hash = createHash('sha256');
  for (const part of [tls.ca, tls.clientCertificate?.cert, tls.clientCertificate?.key]) hash.update(part ?? '').update('\0');
  return hash.digest('hex').slice(0, 16);
}

export interface AcquiredPool {
  readonly key: string;
  readonly pool: Pool;
}

export class EndpointPools {
  readonly #pools = new Map<string, PoolEntry>();
  #closed = false;

  acquire(request: PoolRequest): AcquiredPool {
    if (this.#closed) throw new Error('endpoint pools are closed');
    const key = keyOf(request);
    let entry = this.#pools.get(key);
    if (entry === undefined) {
      entry = { pool: createPool(request), refs: 0 };
      this.#pools.set(key, entry);
    }
    entry.refs++;
    return { key, pool: entry.pool };
  }

  release(key: string): void {
    const entry = this.#pools.get(key);
    if (entry === undefined) return;
    if (--entry.refs > 0) return;
    this.#pools.delete(key);
    // close() lets queued and running requests finish; nothing waits on it.
    entry.pool.close().catch(() => {});
  }

  get size(): number {
    return this.#pools.size;
  }

  /** Closes every pool once its requests are done; after `graceMs`, destroys what is left. */
  async close(graceMs = 0): Promise<void> {
    this.#closed = true;
    const pools = [...this.#pools.values()].map((e) => e.pool);
    this.#pools.clear();
    const closing = Promise.allSettled(pools.map((p) => p.close()));
    if (graceMs <= 0) {
      await Promise.allSettled(pools.map((p) => p.destroy()));
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([closing, deadline]);
    clearTimeout(timer);
    await Promise.allSettled(pools.map((p) => p.destroy()));
  }
}

function createPool(request: PoolRequest): Pool {
  const { settings, tls } = request;
  return new Pool(originOf(request.address, request.port, tls), {
    connections: settings.maxConnections,
    pipelining: 1,
    // Istio maxRequestsPerConnection: undici closes a connection once it has served this many.
    ...(settings.maxRequestsPerConnection > 0 ? { maxRequestsPerClient: settings.maxRequestsPerConnection } : {}),
    connectTimeout: settings.connectTimeoutMs,
    keepAliveMaxTimeout: settings.idleTimeoutMs,
    // The data plane runs its own route and shadow timers; undici's defaults would cut long streams.
    headersTimeout: 0,
    bodyTimeout: 0,
    connect:
      tls === null
        ? undefined
        : {
            servername: tls.sni,
            ca: tls.ca ?? undefined,
            rejectUnauthorized: !tls.insecureSkipVerify,
            ...(tls.clientCertificate !== null ? { cert: tls.clientCertificate.cert, key: tls.clientCertificate.key } : {}),
          },
  });
}
