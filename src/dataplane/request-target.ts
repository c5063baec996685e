/**
 * The request target and authority as RFC 9112 reads them, checked before routing so that what the
 * gateway routes on is exactly what it forwards: one Host, a valid authority, and for absolute-form
 * (`GET http://other.example/ HTTP/1.1`) the target's authority, which replaces the Host header
 * (RFC 9112 §3.2.2). Anything else is a 400 and is never forwarded.
 */
import type { IncomingMessage } from 'node:http';

export interface RequestTarget {
  readonly path: string;
  readonly query: string;
  /** The authority to route on and send upstream. */
  readonly authority: string;
}

/**
 * RFC 3986 §3.2.2-3.2.3 `host [ ":" port ]`: an IP literal or a non-empty reg-name (unreserved,
 * pct-encoded, sub-delims), then at most a 5-digit port. No userinfo (RFC 9110 §4.2.4: a recipient
 * treats it as an error) and no empty host (RFC 9110 §4.2.1).
 */
const AUTHORITY = /^(?:\[[0-9A-Fa-f:.]+\]|(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})+)(?::[0-9]{1,5})?$/;

export function isValidAuthority(authority: string): boolean {
  return AUTHORITY.test(authority);
}

/** RFC 9112 §3.2: more than one Host field line is a 400. Node keeps only the first, so count the raw lines. */
export function hasOneHostLine(rawHeaders: readonly string[]): boolean {
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length === 4 && name.toLowerCase() === 'host' && ++count > 1) return false;
  }
  return count === 1;
}

/** Only HTTP/1.0 and HTTP/1.1 request lines are served on an HTTP/1 connection. */
export function isHttp1(req: IncomingMessage): boolean {
  return req.httpVersionMajor === 1 && (req.httpVersionMinor === 1 || req.httpVersionMinor === 0);
}

function schemeLength(url: string): number {
  // Schemes are case-insensitive (RFC 9110 §4.2.3).
  const head = url.slice(0, 8).toLowerCase();
  return head.startsWith('http://') ? 7 : head.startsWith('https://') ? 8 : -1;
}

/**
 * Reads the target of `req` (origin-form or absolute-form) with the authority it is for, or `null`
 * when the target, the Host line or the authority is invalid. asterisk-form (`OPTIONS *`) and
 * authority-form (CONNECT) are not proxied.
 */
export function readRequestTarget(req: IncomingMessage): RequestTarget | null {
  const url = req.url ?? '';
  // A fragment is never part of a request target (RFC 9112 §3.2); a client sending one is confused.
  if (url.includes('#')) return null;
  if (!hasOneHostLine(req.rawHeaders)) return null;
  let authority: string;
  let target: string;
  if (url.charCodeAt(0) === 47 /* / */) {
    authority = req.headers.host ?? '';
    target = url;
  } else {
    const scheme = schemeLength(url);
    if (scheme === -1) return null;
    let end = scheme;
    while (end < url.length && url[end] !== '/' && url[end] !== '?') end++;
    authority = url.slice(scheme, end);
    target = end === url.length ? '/' : url[end] === '?' ? `/${url.slice(end)}` : url.slice(end);
  }
  if (!isValidAuthority(authority)) return null;
  const q = target.indexOf('?');
  return q === -1
    ? { path: target, query: '', authority }
    : { path: target.slice(0, q), query: target.slice(q + 1), authority };
}
