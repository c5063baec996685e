/**
 * A listener's open connections and the deadlines kept on them: the idle timeout (no request in
 * progress) and the request-body progress timeout. One timer per listener checks every connection each
 * interval, as Node's own `connectionsCheckingInterval` does for header timeouts, so the request path
 * pays a map lookup and three assignments, never a timer.
 *
 * Progress is read from `socket.bytesRead` (decrypted bytes for TLS) between two checks. A body whose
 * stream the gateway has paused or left unread (backpressure from the upstream, a retry pending) is
 * not stalled by the client, so its clock restarts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ListenerCounters } from '../stats/counters.ts';
import type { DownstreamLimits } from './downstream-limits.ts';
import { sendLocalReply } from './local-reply.ts';

/**
 * The exchange a request body belongs to, which ends it when the body fails: it answers (408 for a
 * stall, 400 for broken framing) or resets, frees its upstream attempt, and closes the connection.
 */
export interface RequestBodyOwner {
  requestBodyTimedOut(): void;
  requestBodyMalformed(): void;
}

/** Where the proxy says which exchange owns a request's body (the listener's `DownstreamConnections`). */
export type BodyOwnerSink = (req: IncomingMessage, owner: RequestBodyOwner) => void;

/** Time after a timeout's reply by which the connection must be gone; past it, it is destroyed. */
const CLOSE_GRACE_MS = 1000;

interface Connection {
  /** `socket.bytesRead` at the last check. */
  bytes: number;
  /** Since when no request has been in progress. */
  idleSince: number;
  /** Whether a request was in progress at the last check. */
  active: boolean;
  /** The connection's latest request, until it and its response are complete. */
  req: IncomingMessage | null;
  res: ServerResponse | null;
  owner: RequestBodyOwner | null;
  /** When the body last moved; -1 until the first check sees the request. */
  bodyProgressAt: number;
  /** When the gateway started closing it for a timeout; -1 while it is not. */
  closingSince: number;
}

export class DownstreamConnections {
  readonly #limits: DownstreamLimits;
  readonly #counters: ListenerCounters;
  readonly #connections = new Map<Socket, Connection>();
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | null = null;

  constructor(limits: DownstreamLimits, counters: ListenerCounters, intervalMs: number) {
    this.#limits = limits;
    this.#counters = counters;
    this.#intervalMs = intervalMs;
  }

  /** Starts tracking a connection that speaks HTTP (after the handshake, for TLS). */
  add(socket: Socket): void {
    this.#connections.set(socket, {
      bytes: socket.bytesRead,
      idleSince: performance.now(),
      active: false,
      req: null,
      res: null,
      owner: null,
      bodyProgressAt: -1,
      closingSince: -1,
    });
    socket.once('close', () => this.#connections.delete(socket));
  }

  /** A request's headers are complete. */
  request(req: IncomingMessage, res: ServerResponse): void {
    const connection = this.#connections.get(req.socket);
    if (connection === undefined) return;
    connection.req = req;
    connection.res = res;
    connection.owner = null;
    connection.bodyProgressAt = -1;
  }

  /**
   * `owner` ends `req` if its body fails. Set when the proxy forwards the request, which a fault delay
   * can postpone; a bound property, so the proxy is handed one function for every request.
   */
  readonly ownBody: BodyOwnerSink = (req, owner) => {
    const connection = this.#connections.get(req.socket);
    if (connection !== undefined && connection.req === req) connection.owner = owner;
  };

  /** Whether a response is due or being sent on `socket` (raw bytes written now would corrupt it). */
  responding(socket: Socket): boolean {
    const res = this.#connections.get(socket)?.res;
    return res != null && !res.writableFinished && !res.destroyed;
  }

  /** Who ends the request whose body is arriving on `socket`, while its response has not started. */
  bodyOwner(socket: Socket): RequestBodyOwner | null {
    const c = this.#connections.get(socket);
    return c?.owner != null && c.res !== null && !c.res.headersSent ? c.owner : null;
  }

  /**
   * Marks `socket` as being closed by the gateway; true the first time, so a timeout Node reports
   * twice (it does for header timeouts) is counted once.
   */
  markClosing(socket: Socket): boolean {
    const connection = this.#connections.get(socket);
    if (connection === undefined) return !socket.destroyed;
    if (connection.closingSince !== -1) return false;
    connection.closingSince = performance.now();
    return true;
  }

  start(): void {
    if (this.#timer !== null) return;
    this.#timer = setInterval(() => this.#check(), this.#intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  #check(): void {
    const now = performance.now();
    const { idleTimeoutMs, requestBodyTimeoutMs } = this.#limits;
    for (const [socket, c] of this.#connections) {
      if (socket.destroyed) continue;
      if (c.closingSince !== -1) {
        if (now - c.closingSince > CLOSE_GRACE_MS) socket.destroy();
        continue;
      }
      const bytes = socket.bytesRead;
      const moved = bytes !== c.bytes;
      c.bytes = bytes;
      const req = c.req;
      const res = c.res;
      const bodyOpen = req !== null && !req.complete && !req.destroyed;
      const active = res !== null && !res.writableFinished && !res.destroyed;
      if (!active && !bodyOpen) {
        // Done with this request; don't keep its objects alive for as long as the connection idles.
        c.req = null;
        c.res = null;
        c.owner = null;
      }
      if (active || moved || c.active) c.idleSince = now;
      c.active = active;
      if (bodyOpen && requestBodyTimeoutMs > 0) {
        if (c.bodyProgressAt === -1 || moved || req.readableLength > 0 || req.isPaused()) {
          c.bodyProgressAt = now;
        } else if (now - c.bodyProgressAt >= requestBodyTimeoutMs) {
          this.#bodyTimedOut(socket, c);
          continue;
        }
      }
      if (!active && !bodyOpen && idleTimeoutMs > 0 && now - c.idleSince >= idleTimeoutMs) {
        this.#counters.timeoutIdle++;
        c.closingSince = now;
        socket.destroy();
      }
    }
  }

  #bodyTimedOut(socket: Socket, c: Connection): void {
    this.#counters.timeoutRequestBody++;
    c.closingSince = performance.now();
    const { res, owner } = c;
    if (owner !== null) owner.requestBodyTimedOut();
    else if (res !== null && !res.headersSent) sendLocalReply(res, 'REQUEST_BODY_TIMEOUT', null);
    else socket.destroy();
  }
}
