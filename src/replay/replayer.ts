/**
 * Sends captured requests to a target service and measures what comes back. Requests keep their
 * method, path, query, headers and body; the authority becomes the target's unless `preserveHost`;
 * redacted header values stay `REDACTED` (a capture never holds the secret, so a replay cannot
 * restore it) unless `dropRedacted` leaves those headers out. Connections come from one undici Pool.
 */
import { Pool } from 'undici';
import { entryBody, REDACTED } from '../capture/har-entry.ts';
import type { ReplayEntry } from './capture-file.ts';
import { dueAt, type Pacing } from './pacing.ts';

export interface ReplayOptions {
  readonly target: URL;
  readonly pacing: Pacing;
  readonly concurrency: number;
  readonly preserveHost: boolean;
  readonly dropRedacted: boolean;
  /** Per request. */
  readonly timeoutMs: number;
  /** Called after each request ends. */
  readonly onProgress?: (done: number) => void;
}

export interface ReplayResult {
  readonly sent: number;
  /** Status code → count. */
  readonly statuses: ReadonlyMap<number, number>;
  /** Error code (`UND_ERR_SOCKET`, `ECONNREFUSED`, ...) → count. */
  readonly errors: ReadonlyMap<string, number>;
  /** Sorted, milliseconds, one per answered request. */
  readonly latenciesMs: readonly number[];
  /** Answered requests whose status is not the recorded primary's (entries that recorded one). */
  readonly statusMismatches: readonly { readonly url: string; readonly recorded: number; readonly replayed: number }[];
  readonly comparedStatuses: number;
  readonly elapsedMs: number;
}

/** Hop-by-hop and framing headers: the replaying connection sets its own. */
const NOT_REPLAYED = new Set(['host', 'connection', 'keep-alive', 'transfer-encoding', 'content-length', 'te', 'upgrade', 'proxy-connection', 'expect']);

export async function replay(entries: readonly ReplayEntry[], options: ReplayOptions): Promise<ReplayResult> {
  const pool = new Pool(options.target.origin, { connections: options.concurrency });
  const statuses = new Map<number, number>();
  const errors = new Map<string, number>();
  const latencies: number[] = [];
  const mismatches: { url: string; recorded: number; replayed: number }[] = [];
  let compared = 0;
  let next = 0;
  let done = 0;
  const start = performance.now();
  const basePath = options.target.pathname.replace(/\/$/, '');

  async function send(entry: ReplayEntry): Promise<void> {
    const recorded = new URL(entry.request.url);
    const headers: [string, string][] = [];
    let host = options.target.host;
    for (const { name, value } of entry.request.headers) {
      const lower = name.toLowerCase();
      if (lower === 'host' || lower === ':authority') {
        if (options.preserveHost) host = value;
        continue;
      }
      if (NOT_REPLAYED.has(lower) || (options.dropRedacted && value === REDACTED)) continue;
      headers.push([name, value]);
    }
    headers.push(['host', host]);
    const began = performance.now();
    try {
      const response = await pool.request({
        method: entry.request.method,
        path: `${basePath}${recorded.pathname}${recorded.search}`,
        headers: headers.flat(),
        body: entryBody(entry),
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      });
      await response.body.dump({ limit: Number.MAX_SAFE_INTEGER });
      latencies.push(performance.now() - began);
      statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
      const want = entry.response?.status ?? 0;
      if (want > 0) {
        compared++;
        if (want !== response.statusCode) mismatches.push({ url: entry.request.url, recorded: want, replayed: response.statusCode });
      }
    } catch (error) {
      const code = (error as { code?: string }).code ?? (error as Error).name;
      errors.set(code, (errors.get(code) ?? 0) + 1);
    }
    options.onProgress?.(++done);
  }

  async function worker(): Promise<void> {
    while (next < entries.length) {
      const index = next++;
      const wait = dueAt(options.pacing, entries, index) - (performance.now() - start);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      await send(entries[index]!);
    }
  }

  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, entries.length)) }, worker));
  } finally {
    await pool.close();
  }
  return {
    sent: entries.length,
    statuses,
    errors,
    latenciesMs: latencies.sort((a, b) => a - b),
    statusMismatches: mismatches,
    comparedStatuses: compared,
    elapsedMs: performance.now() - start,
  };
}

/** The q-quantile (0..1) of sorted values, nearest rank; NaN when empty. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
