/**
 * The request's consistent-hash key, Envoy's route `hash_policy` as Istio writes it from a
 * DestinationRule's `consistentHash`: XXH64 of a header's value, a cookie's value, the client's IP
 * address or a query parameter's value. A request without the key has no hash (the balancer then
 * picks a random point, as Envoy does), except for a cookie with a TTL: then, as Envoy does, a cookie
 * is made up from the connection's addresses, hashed, and set on the response.
 */
import type { HashKey } from '../../snapshot/types.ts';
import { xxhash64 } from './xxhash64.ts';

export interface HashInput {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The query string without `?` ('' for none). */
  readonly query: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
}

export interface RequestHash {
  /** `null`: the key is absent, pick at random. */
  readonly hash: bigint | null;
  /** A `Set-Cookie` value to add to the response, when the cookie was generated. */
  readonly setCookie: string | null;
}

const NO_HASH: RequestHash = { hash: null, setCookie: null };

export function requestHash(key: HashKey, input: HashInput): RequestHash {
  switch (key.kind) {
    case 'header': {
      const value = input.headers[key.name];
      if (value === undefined) return NO_HASH;
      return { hash: xxhash64(Array.isArray(value) ? value.join(',') : value), setCookie: null };
    }
    case 'sourceIp':
      return input.remoteAddress === '' ? NO_HASH : { hash: xxhash64(input.remoteAddress), setCookie: null };
    case 'queryParameter': {
      const value = queryParameter(input.query, key.name);
      return value === null ? NO_HASH : { hash: xxhash64(value), setCookie: null };
    }
    case 'cookie': {
      const value = cookieValue(input.headers['cookie'], key.name);
      if (value !== null) return { hash: xxhash64(value), setCookie: null };
      if (key.ttlMs === null) return NO_HASH;
      // Envoy's addDownstreamSetCookie: the same value for every request of one connection.
      const generated = xxhash64(`${endpointText(input.remoteAddress, input.remotePort)}${endpointText(input.localAddress, input.localPort)}`)
        .toString(16)
        .padStart(16, '0');
      return { hash: xxhash64(generated), setCookie: setCookieValue(key.name, generated, key.path, key.ttlMs) };
    }
  }
}

function endpointText(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** Envoy's `makeSetCookieValue`: quoted value, Max-Age in whole seconds unless 0 (a session cookie), HttpOnly. */
function setCookieValue(name: string, value: string, path: string | null, ttlMs: number): string {
  const maxAge = Math.floor(ttlMs / 1000);
  return `${name}="${value}"${maxAge > 0 ? `; Max-Age=${maxAge}` : ''}${path !== null && path !== '' ? `; Path=${path}` : ''}; HttpOnly`;
}

/** The first cookie called `name` (RFC 6265 `cookie-string`), quotes removed; `null` when absent. */
export function cookieValue(header: string | string[] | undefined, name: string): string | null {
  if (header === undefined) return null;
  const text = Array.isArray(header) ? header.join('; ') : header;
  for (const pair of text.split(';')) {
    const eq = pair.indexOf('=');
    if (eq === -1 || pair.slice(0, eq).trim() !== name) continue;
    const value = pair.slice(eq + 1).trim();
    return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
  }
  return null;
}

/** The first value of query parameter `name`, as it appears in the query (not percent-decoded). */
function queryParameter(query: string, name: string): string | null {
  if (query === '') return null;
  for (const part of query.split('&')) {
    const eq = part.indexOf('=');
    const key = eq === -1 ? part : part.slice(0, eq);
    if (key === name) return eq === -1 ? '' : part.slice(eq + 1);
  }
  return null;
}
