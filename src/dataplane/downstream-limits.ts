/**
 * What a listener allows a downstream client: how long it may take to send request headers, to keep a
 * connection open with no request, to let a request body stall, and how many connections it may hold.
 * The names and meanings are Envoy's HTTP connection manager's, so operators can carry settings over.
 */
export interface DownstreamLimits {
  /**
   * From a request's first byte to its complete headers (Envoy's `request_headers_timeout`). A new
   * connection's first request is timed from the accept (Node's parser does so, as nginx's
   * `client_header_timeout`), so a connection that never sends a byte gets a 408 after this long, not
   * after the idle timeout. For HTTPS it also bounds the TLS handshake. 0 disables it.
   */
  readonly requestHeadersTimeoutMs: number;
  /** A connection with no request in progress for this long is closed (Envoy's `idle_timeout`); 0 disables it. */
  readonly idleTimeoutMs: number;
  /**
   * A request body that receives no byte for this long is ended: 408 if no response has started, else a
   * reset. Time the gateway itself holds the client back (backpressure from a slow upstream) does not
   * count. 0 disables it.
   */
  readonly requestBodyTimeoutMs: number;
  /** Open connections per listener (per process, with workers); past it new ones are closed on accept. 0: unlimited. */
  readonly maxConnections: number;
}

/**
 * Envoy's defaults where it has them: 10 s for headers (Envoy's edge-proxy recommendation; its built-in
 * default is none) and 1 h idle in Envoy, which we shorten to 60 s, Node's and nginx's order of
 * magnitude, since a Node process pays more per idle socket. For a stalled body, nginx's
 * `client_body_timeout` (60 s between two reads) is the same rule; Envoy's `stream_idle_timeout` (5 min)
 * covers the whole stream. 10,000 connections per listener stays below typical fd limits times workers.
 */
export const DEFAULT_DOWNSTREAM_LIMITS: DownstreamLimits = Object.freeze({
  requestHeadersTimeoutMs: 10_000,
  idleTimeoutMs: 60_000,
  requestBodyTimeoutMs: 60_000,
  maxConnections: 10_000,
});

/**
 * How often deadlines are checked: a tenth of the shortest one, between 10 ms and 1 s. A timeout fires
 * up to one interval late, never early.
 */
export function checkIntervalMs(limits: DownstreamLimits): number {
  const enabled = [limits.requestHeadersTimeoutMs, limits.idleTimeoutMs, limits.requestBodyTimeoutMs].filter((ms) => ms > 0);
  if (enabled.length === 0) return 1000;
  return Math.min(1000, Math.max(10, Math.floor(Math.min(...enabled) / 10)));
}
