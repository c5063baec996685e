/**
 * A small httpbin look-alike: the demo's backends and the integration tests' backends.
 *
 * It answers `/headers`, `/anything[/...]`, `/status/:code` and `/delay/:ms` the way httpbin does (JSON,
 * header names lower-cased as node receives them) and records every request it received, so a test can
 * assert what the primary and the shadow each saw. Kept deliberately plain: tests send it thousands of
 * requests, so it does one hash and one small JSON body per request and nothing else.
 */
import { createHash } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import type * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { createServer } from '../platform/node-http.ts';

/** One request as the echo service received it. */
export interface ReceivedRequest {
  readonly method: string;
  /** Path and query exactly as sent on the request line. */
  readonly url: string;
  /** Node's view of the headers: lower-case names, repeated headers joined. */
  readonly headers: Readonly<http.IncomingHttpHeaders>;
  readonly bodyBytes: number;
  /** Hex SHA-256 of the request body (of the empty string when there was none). */
  readonly bodySha256: string;
  /** `Date.now()` when the whole request had arrived. */
  readonly at: number;
}

/** What `/anything` answers: the request mirrored back. */
export interface AnythingReply {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  /** The body as UTF-8 text, or base64 when it is not valid UTF-8 (see `bodyEncoding`). */
  readonly body: string;
  readonly bodyEncoding: 'utf8' | 'base64';
  readonly bodySha256: string;
  readonly bodyBytes: number;
  /** The echo service's name, so a test can tell which backend answered. */
  readonly service: string;
}

export interface EchoServiceOptions {
  /** Shown in the `x-echo-service` response header and in `/anything` replies. */
  readonly name: string;
  readonly host?: string;
  /** 0 (the default) asks the OS for a free port. */
  readonly port?: number;
  /** PEM cert and key: serve HTTPS instead of HTTP. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  /** How many requests `received` keeps; past it the oldest tenth is dropped. Defaults to 100,000. */
  readonly maxRecorded?: number;
}

export interface EchoService {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly protocol: 'http' | 'https';
  /** `http://127.0.0.1:PORT` (or https), without a trailing slash. */
  readonly url: string;
  /** The most recent requests, oldest first (at most `maxRecorded`). */
  readonly received: readonly ReceivedRequest[];
  /** Every request received since start (or the last `reset()`), including ones dropped from `received`. */
  readonly count: number;
  /** The last request received, or `null`. */
  readonly last: ReceivedRequest | null;
  /** Forgets what was received, e.g. between phases of a test. */
  reset(): void;
  /** Stops listening, destroys open connections and cancels pending `/delay` replies. */
  close(): Promise<void>;
}

const DEFAULT_MAX_RECORDED = 100_000;
/** `/delay` is for timeouts in tests and the demo; a minute is longer than anything needs. */
const MAX_DELAY_MS = 60_000;

/** Starts an echo service; resolves once it is listening. */
export async function startEchoService(options: EchoServiceOptions): Promise<EchoService> {
  const maxRecorded = options.maxRecorded ?? DEFAULT_MAX_RECORDED;
  const host = options.host ?? '127.0.0.1';
  const protocol = options.tls ? 'https' : 'http';
  const sockets = new Set<Socket>();
  const pendingDelays = new Set<NodeJS.Timeout>();
  let received: ReceivedRequest[] = [];
  let count = 0;
  let last: ReceivedRequest | null = null;

  const record = (entry: ReceivedRequest): void => {
    count += 1;
    last = entry;
    if (received.length >= maxRecorded) {
      // Dropping a tenth at a time keeps recording O(1) amortised instead of shifting on every request.
      received.splice(0, Math.max(1, Math.floor(maxRecorded / 10)));
    }
    received.push(entry);
  };

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    let bodyBytes = 0;
    req.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      chunks.push(chunk);
      bodyBytes += chunk.length;
    });
    req.on('end', () => {
      const entry: ReceivedRequest = {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: { ...req.headers },
        bodyBytes,
        bodySha256: hash.digest('hex'),
        at: Date.now(),
      };
      record(entry);
      answer(res, entry, Buffer.concat(chunks, bodyBytes));
    });
    // A client that goes away mid-body just ends the exchange; nothing to answer.
    req.on('error', () => res.destroy());
  };

  const answer = (res: http.ServerResponse, entry: ReceivedRequest, body: Buffer): void => {
    res.setHeader('x-echo-service', options.name);
    const path = entry.url.split('?', 1)[0] ?? '/';
    if (path === '/headers') {
      sendJson(res, 200, { headers: entry.headers });
      return;
    }
    if (path === '/anything' || path.startsWith('/anything/')) {
      sendJson(res, 200, anythingReply(entry, body, options.name));
      return;
    }
    const status = /^\/status\/(\d{3})$/.exec(path);
    if (status) {
      const code = Number(status[1]);
      if (code < 200 || code > 599) {
        sendJson(res, 400, { error: `status ${code} is not a final HTTP status` });
        return;
      }
      res.statusCode = code;
      res.end();
      return;
    }
    const delay = /^\/delay\/(\d+)$/.exec(path);
    if (delay) {
      const ms = Math.min(Number(delay[1]), MAX_DELAY_MS);
      const timer = setTimeout(() => {
        pendingDelays.delete(timer);
        sendJson(res, 200, anythingReply(entry, body, options.name));
      }, ms);
      pendingDelays.add(timer);
      // The client (or the proxy's timeout) gave up: no reply is owed, so drop the timer.
      res.on('close', () => {
        clearTimeout(timer);
        pendingDelays.delete(timer);
      });
      return;
    }
    sendJson(res, 404, { error: 'not found', path });
  };

  const server = options.tls
    ? https.createServer({ cert: options.tls.cert, key: options.tls.key }, onRequest)
    : createServer(onRequest);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // Tests open and drop many connections on purpose; a client error must not crash the service.
  server.on('clientError', (_error, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    name: options.name,
    host,
    port,
    protocol,
    url: `${protocol}://${urlHost}:${port}`,
    get received() {
      return received;
    },
    get count() {
      return count;
    },
    get last() {
      return last;
    },
    reset() {
      received = [];
      count = 0;
      last = null;
    },
    close() {
      for (const timer of pendingDelays) clearTimeout(timer);
      pendingDelays.clear();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}

function anythingReply(entry: ReceivedRequest, body: Buffer, service: string): AnythingReply {
  const utf8 = isUtf8(body);
  return {
    method: entry.method,
    url: entry.url,
    headers: entry.headers,
    body: body.toString(utf8 ? 'utf8' : 'base64'),
    bodyEncoding: utf8 ? 'utf8' : 'base64',
    bodySha256: entry.bodySha256,
    bodyBytes: entry.bodyBytes,
    service,
  };
}

function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
  const payload = Buffer.from(`${JSON.stringify(value, null, 2)}\n`);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': payload.length,
  });
  res.end(payload);
}
