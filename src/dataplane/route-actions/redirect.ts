/**
 * The Location of a route's `redirect`, as Envoy's `Http::Utility::newUri` builds it from the request:
 * scheme, host and port, then path.
 *
 * - scheme: `redirect.scheme`, else the request's (the listener's, as an edge Envoy sets
 *   x-forwarded-proto).
 * - port: `redirect.port` (or the listener's port for `derivePort: FROM_REQUEST_PORT`, as Istio writes
 *   it); without one the request's Host is kept, except that its port is dropped when a port is given
 *   or when the scheme changes away from the one whose default port (80/443) the Host carries.
 * - host: `redirect.authority` replaces the whole Host (its port included).
 * - path: `redirect.uri` replaces the path and keeps the query unless it brings its own; a uri that
 *   starts with `%PREFIX()%` (Istio's prefix redirect) replaces the matched prefix only.
 */
import type { RedirectAction, RequestMatch } from '../../snapshot/types.ts';

/** Istio's marker for a prefix redirect (`HTTPRedirect.uri: "%PREFIX()%/new"`), Envoy `prefix_rewrite`. */
export const PREFIX_REDIRECT = '%PREFIX()%';

export interface RedirectRequest {
  readonly scheme: 'http' | 'https';
  /** The Host header as sent. */
  readonly authority: string;
  readonly path: string;
  /** Without `?`; '' for none. */
  readonly query: string;
  /** The port the request arrived on (for FROM_REQUEST_PORT). */
  readonly listenerPort: number;
  readonly match: RequestMatch | null;
}

/** Envoy's `processRequestHost`: the request Host, with its port dropped where Envoy drops it. */
function requestHost(authority: string, requestScheme: string, newScheme: string, newPort: string): string {
  if (authority === '') return authority;
  let end: number;
  if (authority.startsWith('[')) {
    end = authority.lastIndexOf(']:');
    if (end !== -1) end += 1;
  } else {
    end = authority.lastIndexOf(':');
  }
  if (end === -1) return authority;
  const port = authority.slice(end);
  let remove = newPort !== '';
  if (newScheme !== requestScheme) {
    remove ||= requestScheme === 'https' && port === ':443';
    remove ||= requestScheme === 'http' && port === ':80';
  }
  return remove ? authority.slice(0, end) : authority;
}

function newPath(action: RedirectAction, request: RedirectRequest): string {
  const query = request.query === '' ? '' : `?${request.query}`;
  const redirect = action.path;
  if (redirect === null) return request.path + query;
  if (redirect.startsWith(PREFIX_REDIRECT)) {
    const replacement = redirect.slice(PREFIX_REDIRECT.length);
    const uri = request.match?.uri ?? null;
    let path: string;
    if (uri === null) path = replacement + request.path.slice(1);
    else if (uri.kind === 'prefix') path = replacement + request.path.slice(uri.value.length);
    else path = replacement;
    return (path.startsWith('/') ? path : `/${path}`) + query;
  }
  // A query in the redirect uri replaces the request's.
  const path = redirect.includes('?') ? redirect : redirect + query;
  return path.startsWith('/') ? path : `/${path}`;
}

/** The `Location` header value for a request answered by `action`. */
export function redirectLocation(action: RedirectAction, request: RedirectRequest): string {
  const scheme = action.scheme ?? request.scheme;
  const portNumber = action.port === 'request' ? request.listenerPort : action.port;
  const port = portNumber === null ? '' : `:${portNumber}`;
  const host = action.host ?? requestHost(request.authority, request.scheme, scheme, port);
  return `${scheme}://${host}${port}${newPath(action, request)}`;
}
