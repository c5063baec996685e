/**
 * Header passes applied between downstream and upstream, in order. Each works on plain objects so it
 * can be tested without sockets.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { HeaderOperations, HeaderPolicy, WeightedCluster } from '../snapshot/types.ts';

/** Upstream request headers as undici takes them. */
export type HeaderMap = Record<string, string | string[]>;

/** Hop-by-hop headers (RFC 9110 §7.6.1) describe one connection and are never forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
  // The gateway answers `Expect: 100-continue` itself (Node does); upstream gets the body directly.
  'expect',
]);

/** Headers named by `Connection` are hop-by-hop too (RFC 9110 §7.6.1). */
function connectionListed(connection: string | undefined): Set<string> | null {
  if (connection === undefined) return null;
  let listed: Set<string> | null = null;
  for (const token of connection.split(',')) {
    const name = token.trim().toLowerCase();
    if (name === '' || name === 'close' || name === 'keep-alive') continue;
    (listed ??= new Set()).add(name);
  }
  return listed;
}

export interface ForwardedInfo {
  readonly clientAddress: string;
  readonly scheme: 'http' | 'https';
}

/**
 * Pass 1: the end-to-end headers of the downstream request plus the forwarding headers an Istio
 * gateway adds: `x-forwarded-for` (appended, as Envoy does with `use_remote_address`),
 * `x-forwarded-proto` and `x-request-id` (kept when the client sent one, generated otherwise).
 * No `x-forwarded-host`: Envoy adds it only with a route's `append_x_forwarded_host`, which Istio
 * never sets; the Host header itself is passed through.
 */
export function forwardedRequestHeaders(incoming: IncomingHttpHeaders, info: ForwardedInfo): HeaderMap {
  const out: HeaderMap = {};
  const listed = connectionListed(incoming.connection);
  for (const name in incoming) {
    if (HOP_BY_HOP.has(name) || (listed !== null && listed.has(name))) continue;
    const value = incoming[name];
    if (value !== undefined) out[name] = value;
  }
  const xff = incoming['x-forwarded-for'];
  out['x-forwarded-for'] = xff === undefined || xff === '' ? info.clientAddress : `${xff}, ${info.clientAddress}`;
  out['x-forwarded-proto'] = info.scheme;
  const requestId = incoming['x-request-id'];
  if (requestId === undefined || requestId === '') out['x-request-id'] = randomUUID();
  return out;
}

/** Pass 2: a VirtualService `headers.request` / `headers.response` block (set, then add, then remove). */
export function applyHeaderOperations(headers: HeaderMap | OutgoingHttpHeaders, ops: HeaderOperations): void {
  for (const [name, value] of ops.set) headers[name] = value;
  for (const [name, value] of ops.add) {
    const existing = headers[name];
    if (existing === undefined) headers[name] = value;
    else if (Array.isArray(existing)) headers[name] = [...existing, value];
    else headers[name] = [String(existing), value];
  }
  for (const name of ops.remove) delete headers[name];
}

/** Route-level operations first, then the chosen destination's, as Istio orders them. */
export function applyRequestPolicies(headers: HeaderMap, route: HeaderPolicy | null, destination: WeightedCluster): void {
  if (route?.request) applyHeaderOperations(headers, route.request);
  if (destination.headers?.request) applyHeaderOperations(headers, destination.headers.request);
}

/**
 * Upstream response headers for the downstream response: hop-by-hop ones removed (Node frames the body
 * itself), then the route's and the destination's `headers.response` operations.
 */
export function downstreamResponseHeaders(
  upstream: Record<string, string | string[] | undefined>,
  route: HeaderPolicy | null,
  destination: WeightedCluster,
): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  const connection = upstream.connection;
  const listed = connectionListed(Array.isArray(connection) ? connection.join(',') : connection);
  for (const name in upstream) {
    if (HOP_BY_HOP.has(name) || (listed !== null && listed.has(name))) continue;
    const value = upstream[name];
    if (value !== undefined) out[name] = value;
  }
  if (route?.response) applyHeaderOperations(out, route.response);
  if (destination.headers?.response) applyHeaderOperations(out, destination.headers.response);
  return out;
}
