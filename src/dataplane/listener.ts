/**
 * A bound downstream listener: an HTTP/1.1 server (TLS-terminating for HTTPS, with SNI choosing among
 * the Gateway servers' certificates) whose requests go to the proxy with the listener's current
 * compiled config. A reload swaps `config` in place, so the socket and its connections survive.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { createServer as createHttpServer } from '../platform/node-http.ts';
import type { Listener } from '../snapshot/types.ts';
import type { GatewayCounters, ListenerCounters } from '../stats/counters.ts';
import { DownstreamConnections } from './downstream-connections.ts';
import { checkIntervalMs, DEFAULT_DOWNSTREAM_LIMITS, type DownstreamLimits } from './downstream-limits.ts';
import { rawLocalReply } from './local-reply.ts';
import type { Proxy } from './proxy.ts';
import { DownstreamTls } from './tls-contexts.ts';

/** Envoy's default header limit is 60 KiB; Node's 16 KiB would turn valid requests into 431s. */
const MAX_HEADER_BYTES = 60 * 1024;
/** Node's own default, for HTTPS listeners with the request-headers timeout disabled. */
const TLS_HANDSHAKE_TIMEOUT_MS = 120_000;

export interface BoundListenerOptions {
  readonly limits?: DownstreamLimits;
  /** Where the listener counts the connections it closes or refuses. */
  readonly counters: GatewayCounters;
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
  readonly #connections: DownstreamConnections;
  readonly #counters: ListenerCounters;
  #tls: DownstreamTls | null = null;
  #draining = false;
  #closed: Promise<void> | null = null;

  constructor(config: Listener, proxy: Proxy, options: BoundListenerOptions) {
    this.config = config;
    const limits = options.limits ?? DEFAULT_DOWNSTREAM_LIMITS;
    const interval = checkIntervalMs(limits);
    this.#counters = options.counters.listener(config.name);
    const connections = new DownstreamConnections(limits, this.#counters, interval);
    this.#connections = connections;
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      (req.socket as ServedSocket)[CURRENT_RESPONSE] = res;
      // Draining: answer, then close the connection, so the client takes its next request elsewhere.
      if (this.#draining) res.setHeader('connection', 'close');
      connections.request(req, res);
      proxy.handle(this.config, req, res, connections.ownBody);
    };
    const common = {
      maxHeaderSize: MAX_HEADER_BYTES,
      // Node's parser times the headers (from a request's first byte, checked every `interval`) and
      // reports ERR_HTTP_REQUEST_TIMEOUT as a client error; idle and body deadlines are ours, so Node's
      // keep-alive timer and whole-request timeout are off (a body may stream as long as it progresses).
      headersTimeout: limits.requestHeadersTimeoutMs,
      requestTimeout: 0,
      keepAliveTimeout: 0,
      connectionsCheckingInterval: interval,
      requireHostHeader: true,
    };
    if (config.protocol === 'HTTPS') {
      const tls = (this.#tls = new DownstreamTls(config.tls ?? []));
      this.server = createHttpsServer(
        {
          ...common,
          ...tls.serverOptions,
          handshakeTimeout: limits.requestHeadersTimeoutMs > 0 ? limits.requestHeadersTimeoutMs : TLS_HANDSHAKE_TIMEOUT_MS,
          SNICallback: (servername, callback) => callback(null, this.#tls?.contextFor(servername)),
        },
        handler,
      );
      // Before the HTTP layer sees the connection: a refused one never has a request read.
      this.server.prependListener('secureConnection', (socket: TLSSocket) => {
        if (this.#tls?.checksClients === true && !this.#tls.admit(socket)) socket.destroy();
      });
      this.server.on('secureConnection', (socket: TLSSocket) => connections.add(socket));
      this.server.on('tlsClientError', (error: NodeJS.ErrnoException, socket: TLSSocket) => {
        if (error.code === 'ERR_TLS_HANDSHAKE_TIMEOUT') this.#counters.timeoutRequestHeaders++;
        // With a listener attached Node leaves the socket to us; a timed-out handshake stays open otherwise.
        socket.destroy();
      });
    } else {
      this.server = createHttpServer(common, handler);
      this.server.on('connection', (socket: Socket) => connections.add(socket));
    }
    if (limits.maxConnections > 0) this.server.maxConnections = limits.maxConnections;
    // Node closes a connection over the limit on accept and tells us after.
    this.server.on('drop', () => this.#counters.refusedMaxConnections++);
    this.server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => this.#onClientError(error, socket));
    this.server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
  }

  /** Swaps in a recompiled config for the same address and protocol (new certificates included). */
  update(config: Listener): void {
    this.config = config;
    if (config.protocol === 'HTTPS') {
      const tls = (this.#tls = new DownstreamTls(config.tls ?? []));
      // The default context and per-port settings; Node reads requestCert/rejectUnauthorized per connection.
      const server = this.server as HttpsServer & { requestCert: boolean; rejectUnauthorized: boolean };
      server.setSecureContext(tls.serverOptions);
      server.requestCert = tls.serverOptions.requestCert === true;
      server.rejectUnauthorized = tls.serverOptions.rejectUnauthorized === true;
    }
  }

  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host: this.config.address, port: this.config.port }, () => {
        this.server.off('error', reject);
        this.#connections.start();
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
    this.#connections.stop();
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

  /**
   * A request Node's parser rejects (bad framing, invalid characters, conflicting lengths, headers
   * that took too long) is answered here and never reaches the proxy, so it is never forwarded. The
   * reply is written only while no response is due on the connection, as Node's own handler does.
   */
  #onClientError(error: NodeJS.ErrnoException, socket: Socket): void {
    const timedOut = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    const first = this.#connections.markClosing(socket);
    if (timedOut && first) this.#counters.timeoutRequestHeaders++;
    if (this.#connections.responding(socket)) {
      // Broken framing inside a body being proxied: its exchange answers 400 and drops the upstream
      // attempt. Anything else after a request still being answered is garbage: close.
      const owner = first && !timedOut ? this.#connections.bodyOwner(socket) : null;
      if (owner !== null) owner.requestBodyMalformed();
      else socket.destroy();
      return;
    }
    if (first && socket.writable && !socket.destroyed) {
      socket.end(
        rawLocalReply(timedOut ? 'REQUEST_HEADERS_TIMEOUT' : error.code === 'HPE_HEADER_OVERFLOW' ? 'HEADERS_TOO_LARGE' : 'BAD_REQUEST'),
      );
    }
    // Closes once the reply is flushed; a peer that never reads it is destroyed by the next checks.
    socket.destroySoon?.();
  }
}
