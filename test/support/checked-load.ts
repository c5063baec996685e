/**
 * Steady primary traffic for the fault suite and the soak: a fixed number of concurrent loops, each
 * sending one request after another for a bounded time, checking every answer (status 200 and the
 * exact body the primary sends for that path), counted in constant memory so a 10-minute soak can
 * run it (test/load/steady-load.ts instead records every outcome, for tests that inspect each one).
 * Also the primary that answers it, and readings of a process's resident memory and open descriptors.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Agent, request } from 'undici';
import { listenOnLoopback, type TestServer } from './listen.ts';

/**
 * A primary that answers `ok <path>` to a GET and `got <n>` (the body's length) to anything with a
 * body. It keeps no record of requests, so it can serve a 10-minute soak in constant memory.
 */
export async function steadyPrimary(): Promise<TestServer> {
  let count = 0;
  const server = createServer((req, res) => {
    count++;
    let bytes = 0;
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => {
      const body = req.method === 'GET' ? `ok ${req.url}` : `got ${bytes}`;
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  const host = '127.0.0.1';
  const { port, close } = await listenOnLoopback(server, host);
  return {
    host,
    port,
    url: `http://${host}:${port}`,
    get count() {
      return count;
    },
    close,
  };
}

export interface CheckedLoadOptions {
  /** The gateway's listener, `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** Host header the gateway routes on. */
  readonly host: string;
  readonly concurrency: number;
  readonly durationMs: number;
  /** Each request POSTs this many bytes instead of a GET (0, the default: GET). */
  readonly postBytes?: number;
  /** Stops early once this many requests were sent (a bound for slow machines). */
  readonly maxRequests?: number;
  /** A request that takes longer than this counts as a failure (default 10 s). */
  readonly requestTimeoutMs?: number;
  /** Stops early when aborted. */
  readonly signal?: AbortSignal;
  /** Updated as answers arrive, for a caller that reports progress while the load runs. */
  readonly progress?: { requests: number; failures: number };
}

export interface CheckedLoadResult {
  readonly requests: number;
  readonly failures: number;
  /** The first few failures, as text, for the assertion message. */
  readonly failureSamples: readonly string[];
  /** Slowest request, in milliseconds. */
  readonly maxLatencyMs: number;
}

/** Runs the loops until the time (or request bound) is up; never rejects, failures are counted. */
export async function checkedLoad(options: CheckedLoadOptions): Promise<CheckedLoadResult> {
  const agent = new Agent({ connections: options.concurrency, keepAliveTimeout: 10_000 });
  const deadline = performance.now() + options.durationMs;
  const maxRequests = options.maxRequests ?? Number.POSITIVE_INFINITY;
  const postBody = options.postBytes ? Buffer.alloc(options.postBytes, 0x70) : null;
  const samples: string[] = [];
  let requests = 0;
  let failures = 0;
  let maxLatencyMs = 0;
  const progress = options.progress ?? { requests: 0, failures: 0 };
  const fail = (text: string): void => {
    failures++;
    progress.failures++;
    if (samples.length < 5) samples.push(text);
  };
  const loop = async (worker: number): Promise<void> => {
    for (let i = 0; performance.now() < deadline && requests < maxRequests && !options.signal?.aborted; i++) {
      requests++;
      const path = `/steady/${worker}/${i}`;
      const started = performance.now();
      try {
        const response = await request(`${options.url}${path}`, {
          method: postBody === null ? 'GET' : 'POST',
          headers: { host: options.host },
          body: postBody,
          dispatcher: agent,
          signal: AbortSignal.timeout(options.requestTimeoutMs ?? 10_000),
        });
        const text = await response.body.text();
        const expected = postBody === null ? `ok ${path}` : `got ${postBody.length}`;
        if (response.statusCode !== 200 || text !== expected) fail(`${path}: ${response.statusCode} ${text.slice(0, 120)}`);
      } catch (error) {
        fail(`${path}: ${(error as Error).message}`);
      }
      progress.requests++;
      maxLatencyMs = Math.max(maxLatencyMs, performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, worker) => loop(worker)));
  await agent.close();
  return { requests, failures, failureSamples: samples, maxLatencyMs };
}

/** Resident memory and open descriptors of a process (this one by default), from /proc. */
export interface ProcessUsage {
  readonly rssBytes: number;
  readonly fds: number;
  /** V8 heap in use (this process only; 0 for another pid). After a full GC: what is still held. */
  readonly heapUsedBytes: number;
}

export function processUsage(pid: number | 'self' = 'self'): ProcessUsage {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  const heapUsedBytes = pid === 'self' ? process.memoryUsage().heapUsed : 0;
  return { rssBytes: rssKb * 1024, fds: readdirSync(`/proc/${pid}/fd`).length, heapUsedBytes };
}

let gcFunction: (() => void) | null = null;

/**
 * A full garbage collection of this process, so an RSS reading after a burst measures what is still
 * held, not what the collector has not got to yet. (`--expose-gc` turned on at run time.)
 */
export function collectGarbage(): void {
  if (gcFunction === null) {
    setFlagsFromString('--expose-gc');
    gcFunction = runInNewContext('gc') as () => void;
  }
  gcFunction();
}
