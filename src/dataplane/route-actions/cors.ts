/**
 * Envoy's CORS filter (`cors_filter.cc`) for a route's `corsPolicy`. It runs first among the route's
 * filters: a preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) from an allowed
 * origin is answered by the gateway; any other request from an allowed origin gets the CORS response
 * headers on whatever answer it ends with; a request whose origin is not allowed gets no CORS headers,
 * and its preflight goes upstream unless `unmatchedPreflights: IGNORE`.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { CorsPolicy } from '../../snapshot/types.ts';
import { matchString } from '../router.ts';

/** What the CORS filter does with one request. */
export type CorsDecision =
  /** Not a CORS request (no Origin) or a foreign origin: nothing to add, route as usual. */
  | { readonly kind: 'none' }
  /** The gateway answers the preflight itself: 200 with these headers. */
  | { readonly kind: 'preflight'; readonly headers: readonly (readonly [string, string])[] }
  /** Route as usual; these headers go on the response, over any the upstream sent. */
  | { readonly kind: 'actual'; readonly headers: readonly (readonly [string, string])[] };

const NONE: CorsDecision = { kind: 'none' };

function single(value: string | string[] | undefined): string {
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
}

/** Envoy's `isOriginAllowed`: a matcher that matches `*` allows every origin. */
export function isOriginAllowed(policy: CorsPolicy, origin: string): boolean {
  for (const m of policy.allowOrigins) if (matchString(m, '*') || matchString(m, origin)) return true;
  return false;
}

/** Decides the CORS filter's part in one request. */
export function corsDecision(policy: CorsPolicy, method: string, headers: IncomingHttpHeaders): CorsDecision {
  const origin = single(headers.origin);
  if (origin === '') return NONE;
  const requestMethod = single(headers['access-control-request-method']);
  const preflight = method === 'OPTIONS' && requestMethod !== '';
  if (!isOriginAllowed(policy, origin)) {
    return preflight && !policy.forwardNotMatchingPreflights ? { kind: 'preflight', headers: [] } : NONE;
  }
  if (!preflight) {
    const out: [string, string][] = [['access-control-allow-origin', origin]];
    if (policy.allowCredentials === true) out.push(['access-control-allow-credentials', 'true']);
    if (policy.exposeHeaders !== '') out.push(['access-control-expose-headers', policy.exposeHeaders]);
    return { kind: 'actual', headers: out };
  }
  const out: [string, string][] = [['access-control-allow-origin', origin]];
  if (policy.allowCredentials === true) out.push(['access-control-allow-credentials', 'true']);
  if (policy.allowMethods !== '') out.push(['access-control-allow-methods', policy.allowMethods === '*' ? requestMethod : policy.allowMethods]);
  if (policy.allowHeaders !== '') {
    if (policy.allowHeaders !== '*') out.push(['access-control-allow-headers', policy.allowHeaders]);
    else {
      const requested = single(headers['access-control-request-headers']);
      if (requested !== '') out.push(['access-control-allow-headers', requested]);
    }
  }
  if (policy.maxAge !== '') out.push(['access-control-max-age', policy.maxAge]);
  return { kind: 'preflight', headers: out };
}
