/**
 * The benchmark's backends, run as their own process (pinned beside the proxy): a primary answering a
 * small JSON body, and three shadows (with a body, 204, and 200 ms slow then a body).
 *
 * Each is a raw `net` server that parses just enough HTTP/1.1 to find where a request ends
 * (Content-Length or chunked) and answers a canned response, so a backend costs a few microseconds per
 * request and the proxies, not the backends, are what the numbers measure. Each counts the requests it
 * received in full and the TCP connections it accepted; a small node:http control server reports and
 * resets the counts.
 *
 * Started as `node bench/backends.ts`; prints one JSON line `BackendPorts` on stdout once listening.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';

/** The primary's body: what a correct proxy must hand back. */
export const PRIMARY_BODY = '{"service":"primary","ok":true,"items":[1,2,3],"message":"hello from the bench primary"}';
export const SHADOW_BODY = '{"service":"shadow","ok":true,"message":"shadow copy received"}';
export const SLOW_SHADOW_DELAY_MS = 200;

export type BackendName = 'primary' | 'shadowBody' | 'shadow204' | 'shadowSlow';
export const BACKEND_NAMES: readonly BackendName[] = ['primary', 'shadowBody', 'shadow204', 'shadowSlow'];

/** What the backends process prints once every server listens. */
export interface BackendPorts {
  readonly control: number;
  readonly ports: Readonly<Record<BackendName, number>>;
}

/** Counts since the last reset, as the control server's `GET /stats` reports them. */
export interface BackendCounts {
  /** Requests received in full (head and body). */
  requests: number;
  /** TCP connections accepted. */
  connections: number;
  /** Connections open right now. */
  open: number;
  /** The last request's Host header, method, path and body size, for the correctness checks. */
  lastHost: string | null;
  lastMethod: string | null;
  lastPath: string | null;
  lastBodyBytes: number;
}

function response(status: string, body: string, extra = ''): Buffer {
  return Buffer.from(
    `HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`,
    'latin1',
  );
}

const HEAD_END = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');
/** A request head larger than this is a broken client; the connection is dropped. */
const MAX_HEAD_BYTES = 64 * 1024;

interface Behaviour {
  readonly reply: Buffer;
  readonly delayMs: number;
}

function freshCounts(): BackendCounts {
  return { requests: 0, connections: 0, open: 0, lastHost: null, lastMethod: null, lastPath: null, lastBodyBytes: 0 };
}

/**
 * One connection's parser. States: reading a head; skipping `remaining` body bytes; reading chunked
 * body framing. Responses go out in request order (every request of a backend waits the same delay).
 */
class Connection {
  #buffer: Buffer | null = null;
  #state: 'head' | 'body' | 'chunk-size' | 'chunk-data' | 'chunk-data-end' | 'trailers' = 'head';
  #remaining = 0;
  #bodyBytes = 0;
  #closeAfter = false;
  #host: string | null = null;
  #method = '';
  #path = '';

  private readonly socket: net.Socket;
  private readonly behaviour: Behaviour;
  private readonly counts: () => BackendCounts;

  constructor(socket: net.Socket, behaviour: Behaviour, counts: () => BackendCounts) {
    this.socket = socket;
    this.behaviour = behaviour;
    this.counts = counts;
  }

  onData(chunk: Buffer): void {
    const data = this.#buffer === null ? chunk : Buffer.concat([this.#buffer, chunk]);
    this.#buffer = null;
    let offset = 0;
    while (offset < data.length) {
      if (this.#state === 'head') {
        const end = data.indexOf(HEAD_END, offset);
        if (end === -1) {
          if (data.length - offset > MAX_HEAD_BYTES) return void this.socket.destroy();
          break;
        }
        this.#parseHead(data.toString('latin1', offset, end));
        offset = end + 4;
        if (this.#state === 'head') this.#complete();
      } else if (this.#state === 'body' || this.#state === 'chunk-data') {
        const take = Math.min(this.#remaining, data.length - offset);
        offset += take;
        this.#remaining -= take;
        this.#bodyBytes += take;
        if (this.#remaining > 0) break;
        if (this.#state === 'body') {
          this.#state = 'head';
          this.#complete();
        } else {
          this.#state = 'chunk-data-end';
        }
      } else if (this.#state === 'chunk-data-end') {
        // The CRLF after a chunk's data.
        if (data.length - offset < 2) break;
        offset += 2;
        this.#state = 'chunk-size';
      } else if (this.#state === 'chunk-size') {
        const end = data.indexOf(CRLF, offset);
        if (end === -1) break;
        const size = Number.parseInt(data.toString('latin1', offset, end).split(';')[0]!.trim(), 16);
        offset = end + 2;
        if (!Number.isFinite(size)) return void this.socket.destroy();
        if (size === 0) {
          this.#state = 'trailers';
        } else {
          this.#state = 'chunk-data';
          this.#remaining = size;
        }
      } else {
        // Trailer section after the last chunk: lines until an empty one.
        const end = data.indexOf(CRLF, offset);
        if (end === -1) break;
        const empty = end === offset;
        offset = end + 2;
        if (empty) {
          this.#state = 'head';
          this.#complete();
        }
      }
    }
    if (offset < data.length) this.#buffer = data.subarray(offset);
  }

  #parseHead(head: string): void {
    const lines = head.split('\r\n');
    const [method = '', path = ''] = lines[0]!.split(' ');
    this.#method = method;
    this.#path = path;
    this.#host = null;
    this.#bodyBytes = 0;
    this.#closeAfter = false;
    let length = 0;
    let chunked = false;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      if (colon === -1) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      if (name === 'content-length') length = Number(line.slice(colon + 1).trim());
      else if (name === 'transfer-encoding') chunked = line.toLowerCase().includes('chunked');
      else if (name === 'host') this.#host = line.slice(colon + 1).trim();
      else if (name === 'connection') this.#closeAfter = line.toLowerCase().includes('close');
    }
    if (chunked) {
      this.#state = 'chunk-size';
    } else if (length > 0) {
      this.#state = 'body';
      this.#remaining = length;
    } else {
      this.#state = 'head';
    }
  }

  #complete(): void {
    const counts = this.counts();
    counts.requests++;
    counts.lastHost = this.#host;
    counts.lastMethod = this.#method;
    counts.lastPath = this.#path;
    counts.lastBodyBytes = this.#bodyBytes;
    const close = this.#closeAfter;
    const send = (): void => {
      if (this.socket.destroyed) return;
      this.socket.write(this.behaviour.reply);
      if (close) this.socket.end();
    };
    if (this.behaviour.delayMs > 0) setTimeout(send, this.behaviour.delayMs);
    else send();
  }
}

interface Backend {
  readonly server: net.Server;
  counts: BackendCounts;
}

function startBackend(behaviour: Behaviour): Promise<Backend> {
  const backend: Backend = { server: net.createServer(), counts: freshCounts() };
  backend.server.on('connection', (socket) => {
    backend.counts.connections++;
    backend.counts.open++;
    socket.setNoDelay(true);
    const connection = new Connection(socket, behaviour, () => backend.counts);
    socket.on('data', (chunk: Buffer) => connection.onData(chunk));
    socket.on('error', () => {});
    socket.on('close', () => backend.counts.open--);
  });
  return new Promise((resolve) => backend.server.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, () => resolve(backend)));
}

async function main(): Promise<void> {
  const body = response('200 OK', PRIMARY_BODY);
  const backends: Record<BackendName, Backend> = {
    primary: await startBackend({ reply: body, delayMs: 0 }),
    shadowBody: await startBackend({ reply: response('200 OK', SHADOW_BODY), delayMs: 0 }),
    shadow204: await startBackend({ reply: Buffer.from('HTTP/1.1 204 No Content\r\n\r\n', 'latin1'), delayMs: 0 }),
    shadowSlow: await startBackend({ reply: response('200 OK', SHADOW_BODY), delayMs: SLOW_SHADOW_DELAY_MS }),
  };
  const control = http.createServer((req, res) => {
    if (req.url === '/stats' && req.method === 'GET') {
      const stats = Object.fromEntries(BACKEND_NAMES.map((name) => [name, backends[name].counts]));
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ stats, cpu: process.cpuUsage() }));
    } else if (req.url === '/reset' && req.method === 'POST') {
      for (const name of BACKEND_NAMES) {
        const open = backends[name].counts.open;
        backends[name].counts = { ...freshCounts(), open };
      }
      res.end('ok');
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
  const ports = Object.fromEntries(BACKEND_NAMES.map((name) => [name, (backends[name].server.address() as AddressInfo).port]));
  const announced: BackendPorts = { control: (control.address() as AddressInfo).port, ports: ports as Record<BackendName, number> };
  process.stdout.write(`${JSON.stringify(announced)}\n`);
  const stop = (): void => process.exit(0);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // The runner owns this process: when its stdin closes (runner gone), stop too.
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
}

if (import.meta.main) await main();
