/**
 * Route selection over a listener's compiled virtual hosts: Envoy's domain order (exact, longest
 * `*.suffix`, `*`), then the first route whose match holds, in config order (Istio's HTTPRoute order).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { lookupDomain } from '../snapshot/domain-table.ts';
import type {
  HeaderCondition,
  Listener,
  QueryCondition,
  RequestMatch,
  Route,
  StringMatch,
  VirtualHost,
  VirtualHostTable,
} from '../snapshot/types.ts';

/** The parts of a request that routing looks at. */
export interface RoutingRequest {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  /** Query string without the `?`, or '' when there is none. */
  readonly query: string;
  /** The Host header as sent (may include a port). */
  readonly authority: string;
  readonly headers: IncomingHttpHeaders;
}

export interface RouteSelection {
  readonly route: Route;
  /** The `match[]` entry that held, `null` for a route without matches. */
  readonly match: RequestMatch | null;
}

/** Strips the port and lower-cases: `Example.com:8080` → `example.com`, `[::1]:80` → `[::1]`. */
export function hostWithoutPort(authority: string): string {
  let end = authority.length;
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    if (close !== -1) end = close + 1;
  } else {
    const colon = authority.lastIndexOf(':');
    if (colon !== -1) end = colon;
  }
  return authority.slice(0, end).toLowerCase();
}

export function findVirtualHost(table: VirtualHostTable, authority: string): VirtualHost | null {
  return lookupDomain(table, hostWithoutPort(authority));
}

/** The port of a Host header, 80 when it has none (the mesh listener's service port). */
export function authorityPort(authority: string): number {
  const colon = authority.lastIndexOf(':');
  if (colon === -1 || colon < authority.lastIndexOf(']')) return 80;
  const port = Number(authority.slice(colon + 1));
  return Number.isInteger(port) ? port : 80;
}

/**
 * The listener's virtual host for a Host header: matched without its port on Gateway listeners, and
 * as sent (lower-cased) on the mesh listener, whose domains carry the service port.
 */
export function virtualHostFor(listener: Listener, authority: string): VirtualHost | null {
  if (listener.matchPortInHost === true) return lookupDomain(listener.virtualHosts, authority.toLowerCase());
  return findVirtualHost(listener.virtualHosts, authority);
}

export function matchString(match: StringMatch, value: string): boolean {
  switch (match.kind) {
    case 'exact':
      return value === match.value;
    case 'prefix':
      return value.startsWith(match.value);
    case 'regex':
      return match.regex.fullMatch(value);
  }
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function headersMatch(conditions: readonly HeaderCondition[], headers: IncomingHttpHeaders): boolean {
  for (const condition of conditions) {
    const value = headerValue(headers, condition.name);
    if (value === undefined || !matchString(condition.match, value)) return false;
  }
  return true;
}

/** Istio `withoutHeaders`: the request must match none of the conditions. */
function noHeaderMatches(conditions: readonly HeaderCondition[], headers: IncomingHttpHeaders): boolean {
  for (const condition of conditions) {
    const value = headerValue(headers, condition.name);
    if (value !== undefined && matchString(condition.match, value)) return false;
  }
  return true;
}

function queryMatches(conditions: readonly QueryCondition[], params: URLSearchParams): boolean {
  for (const condition of conditions) {
    const value = params.get(condition.name);
    if (value === null || !matchString(condition.match, value)) return false;
  }
  return true;
}

/** Parses the query once per request, and only when a route asks for it. */
class LazyQuery {
  readonly #raw: string;
  #params: URLSearchParams | null = null;
  constructor(raw: string) {
    this.#raw = raw;
  }
  get params(): URLSearchParams {
    return (this.#params ??= new URLSearchParams(this.#raw));
  }
}

function requestMatches(match: RequestMatch, request: RoutingRequest, query: LazyQuery): boolean {
  if (match.uri !== null) {
    const path = match.ignoreUriCase ? request.path.toLowerCase() : request.path;
    if (!matchString(match.uri, path)) return false;
  }
  if (match.method !== null && !matchString(match.method, request.method)) return false;
  if (match.authority !== null && !matchString(match.authority, request.authority)) return false;
  if (match.headers !== null && !headersMatch(match.headers, request.headers)) return false;
  if (match.withoutHeaders !== null && !noHeaderMatches(match.withoutHeaders, request.headers)) return false;
  if (match.queryParams !== null && !queryMatches(match.queryParams, query.params)) return false;
  return true;
}

/** The first route of the virtual host that matches, or `null` (a 404 with flag NR). */
export function selectRoute(virtualHost: VirtualHost, request: RoutingRequest): RouteSelection | null {
  const query = new LazyQuery(request.query);
  for (const route of virtualHost.routes) {
    if (route.matches === null) return { route, match: null };
    for (const match of route.matches) {
      if (requestMatches(match, request, query)) return { route, match };
    }
  }
  return null;
}

/**
 * The upstream path after Istio's `rewrite.uri`: it replaces the matched prefix for a prefix match and
 * the whole path otherwise (Envoy's `prefix_rewrite`, a route without a uri match being prefix `/`).
 * `rewrite.uriRegexRewrite` substitutes every match of its regex (as Envoy's `regex_rewrite` replaces
 * globally, with RE2's `\1` turned into `$1`). The query string is kept.
 */
export function rewritePath(route: Route, match: RequestMatch | null, path: string, query: string): string {
  const rewrite = route.rewrite;
  if (rewrite === null) return query === '' ? path : `${path}?${query}`;
  let rewritten = path;
  if (rewrite.uriRegex !== null) {
    rewritten = rewrite.uriRegex.regex.replaceAll(path, rewrite.uriRegex.rewrite);
  } else if (rewrite.uri !== null) {
    const uri = match?.uri ?? null;
    if (uri === null) rewritten = rewrite.uri + path.slice(1);
    else if (uri.kind === 'prefix') rewritten = rewrite.uri + path.slice(uri.value.length);
    else rewritten = rewrite.uri;
    if (rewritten === '') rewritten = '/';
  }
  return query === '' ? rewritten : `${rewritten}?${query}`;
}
