/**
 * A bound downstream listener: an HTTP/1.1 server (TLS-terminating for HTTPS, with SNI choosing among
 * the Gateway servers' certificates) whose requests go to the proxy with the listener's current
 * compiled config. A reload swaps `config` in place, so the socket and its connections survive.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';
import { createServer as createHttpServer } from '../platform/node-http.ts';
import { type DomainTable, domainTable, lookupDomain } from '../snapshot/domain-table.ts';
import type { Listener, TlsServerContext } from '../snapshot/types.ts';
import type { Proxy } from './proxy.ts';

/** Envoy's default header limit is 60 KiB; Node's 16 KiB would turn valid requests into 431s. */
const MAX_HEADER_BYTES = 60 * 1024;
const KEEP_ALIVE_TIMEOUT_MS = 60_000;

const BAD_REQUEST = Buffer.from(
  'HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\nconnection: close\r\ncontent-length: 51\r\n\r\n' +
    '{"code":"BAD_REQUEST","message":"malformed request"}',
);
const HEADERS_TOO_LARGE = Buffer.from(
  'HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: application/json\r\nconnection: close\r\n' +
    'content-length: 63\r\n\r\n{"code":"HEADERS_TOO_LARGE","message":"request headers too large"}',
);

/**
 * A request Node's parser rejects (bad framing, invalid characters, conflicting lengths) is answered
 * here and never reaches the proxy, so it is never forwarded.
 */
function onClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (socket.writable && !socket.destroyed) {
    socket.end(error.code === 'HPE_HEADER_OVERFLOW' ? HEADERS_TOO_LARGE : BAD_REQUEST);
  }
  socket.destroySoon?.();
}

/** The response a connection is busy with, kept on the socket so draining can find it. */
const CURRENT_RESPONSE = Symbol('shadowgate.currentResponse');

interface ServedSocket extends Socket {
  [CURRENT_RESPONSE]?: ServerResponse;
}

export class BoundListener {
  config: Listener;
  readonly server: Server;
  readonly #sockets = new Set<ServedSocket>();
  #certificates: Certificates = NO_CERTIFICATES;
  #draining = false;
  #closed: Promise<void> | null = null;

  constructor(config: Listener, proxy: Proxy) {
    this.config = config;
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      (req.socket as ServedSocket)[CURRENT_RESPONSE] = res;
      // Draining: answer, then close the connection, so the client takes its next request elsewhere.
      if (this.#draining) res.setHeader('connection', 'close');
      proxy.handle(this.config, req, res);
    };
    const common = {
      maxHeaderSize: MAX_HEADER_BYTES,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      // Bodies may stream for as long as the route allows; the route timeout governs, not Node's.
      requestTimeout: 0,
      requireHostHeader: true,
    };
    if (config.protocol === 'HTTPS') {
      this.#certificates = certificates(config.tls ?? []);
      const first = config.tls?.[0];
      this.server = createHttpsServer(
        {
          ...common,
          cert: first?.cert,
          key: first?.key,
          SNICallback: (servername, callback) => callback(null, this.#contextFor(servername)),
        },
        handler,
      );
    } else {
      this.server = createHttpServer(common, handler);
    }
    this.server.on('clientError', onClientError);
    this.server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
  }

  /** Swaps in a recompiled config for the same address and protocol (new certificates included). */
  update(config: Listener): void {
    this.config = config;
    if (config.protocol === 'HTTPS') this.#certificates = certificates(config.tls ?? []);
  }

  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host: this.config.address, port: this.config.port }, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  get address(): AddressInfo | null {
    return this.server.address() as AddressInfo | null;
  }

  get openConnections(): number {
    return this.#sockets.size;
  }

  /**
   * Stops accepting; idle keep-alive connections close now, busy ones after their response, which
   * carries `Connection: close` (HTTP/1.1 has no other way to tell a keep-alive client to stop). What
   * is still open after `graceMs` is destroyed. Calling it again (a shutdown while a reload retires
   * this listener) only brings the deadline forward.
   */
  async close(graceMs: number): Promise<void> {
    this.#closed ??= this.#drain();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([this.#closed, deadline]);
    clearTimeout(timer);
    for (const socket of this.#sockets) socket.destroy();
    await this.#closed;
  }

  /** Starts draining; resolves when the last connection has closed. */
  #drain(): Promise<void> {
    this.#draining = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    for (const socket of this.#sockets) {
      const res = socket[CURRENT_RESPONSE];
      if (res === undefined || res.writableFinished) continue;
      if (!res.headersSent) res.setHeader('connection', 'close');
      // Already streaming without that header: close the connection once it has gone idle. A request
      // the client writes in between is either read (and answered, with Connection: close) or never
      // read at all: the unavoidable keep-alive race, which clients retry on a new connection.
      else res.once('finish', () => setImmediate(() => this.server.closeIdleConnections()));
    }
    return closed;
  }

  /** As Envoy picks a filter chain by `server_names`; a name nothing matches gets the first server's. */
  #contextFor(servername: string): SecureContext | undefined {
    const { byName, first } = this.#certificates;
    return lookupDomain(byName, servername.toLowerCase()) ?? first;
  }
}

interface Certificates {
  readonly byName: DomainTable<SecureContext>;
  readonly first: SecureContext | undefined;
}

const NO_CERTIFICATES: Certificates = { byName: domainTable([]), first: undefined };

/** One secure context per Gateway server, found by the server's hosts (SNI). */
function certificates(tls: readonly TlsServerContext[]): Certificates {
  const entries = tls.map((t) => [t.hosts, createSecureContext({ cert: t.cert, key: t.key })] as const);
  return { byName: domainTable(entries), first: entries[0]?.[1] };
}
