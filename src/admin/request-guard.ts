/**
 * The admin server's gate, checked before any endpoint runs, so every route (the dashboard's too)
 * inherits it. A browser can reach a loopback admin port from any web page, so the gate refuses what a
 * page could send and a legitimate client never does:
 *
 * - a `Host` that is not one of the admin's own names (DNS rebinding: a page whose domain now resolves
 *   to 127.0.0.1 is same-origin with the admin port, and its requests carry the page's host name);
 * - for anything but GET/HEAD/OPTIONS, a cross-site `Origin` or `Sec-Fetch-Site` (CSRF: a form or a
 *   `no-cors` fetch from another site), and a body that is not `application/json` (forms and
 *   `text/plain` are the content types a page may send cross-site without a preflight);
 * - without the bearer token, when one is configured.
 *
 * Credentials are only ever the `Authorization` header: no cookies, so a browser never adds them.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { networkInterfaces } from 'node:os';

/** The gate's answers, one catalog with stable codes; the body is JSON `{code, message}`. */
export const AdminRefusals = {
  ADMIN_HOST_NOT_ALLOWED: { status: 421, message: 'the Host header is not a name of this admin server (see --admin-allowed-hosts)' },
  ADMIN_CROSS_SITE: { status: 403, message: 'cross-site requests may not change the admin state' },
  ADMIN_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'a request body must be application/json' },
  ADMIN_UNAUTHORIZED: { status: 401, message: 'a valid admin token is required (Authorization: Bearer <token>)' },
} as const;

export type AdminRefusalCode = keyof typeof AdminRefusals;

export interface AdminRefusal {
  readonly code: AdminRefusalCode;
  readonly status: number;
  readonly message: string;
  /** Extra response headers (`WWW-Authenticate` on a 401). */
  readonly headers: Readonly<Record<string, string>>;
}

export interface AdminGuardOptions {
  /** The bearer token every request must carry; `null` when none is configured (loopback only). */
  readonly token: string | null;
  /**
   * More `Host` values to accept, from `--admin-allowed-hosts`: `name` accepts any port, `name:port`
   * only that one. Case-insensitive.
   */
  readonly allowedHosts?: readonly string[];
}

/** The loopback names are always accepted, with any port: only this machine can reach them. */
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** `name` and optional port of a `Host` header or allow-list entry; IPv6 without brackets. */
interface Authority {
  readonly name: string;
  readonly port: number | null;
}

/** Parses `name`, `name:port`, `[v6]` or `[v6]:port`; `null` when it is none of these. */
export function parseAuthority(text: string): Authority | null {
  const match = /^(?:\[([0-9a-f:.]+)\]|([^\s:[\]/@]+))(?::(\d{1,5}))?$/i.exec(text.trim());
  if (match === null) return null;
  const port = match[3] === undefined ? null : Number(match[3]);
  if (port !== null && port > 65_535) return null;
  const name = (match[1] ?? match[2]!).toLowerCase().replace(/\.$/, '');
  return name === '' ? null : { name, port };
}

/** Credentials are compared as digests: equal lengths, so the comparison time says nothing about the token. */
function tokenDigest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function refusal(code: AdminRefusalCode, headers: Record<string, string> = {}): AdminRefusal {
  return { code, status: AdminRefusals[code].status, message: AdminRefusals[code].message, headers };
}

/** The addresses of this machine's interfaces, accepted as `Host` when the admin binds all of them. */
function interfaceAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address.toLowerCase()));
}

/** Decides, per request, whether the admin server may answer it; holds no per-request state. */
export class AdminRequestGuard {
  readonly #token: Buffer | null;
  /** name → ports accepted (`null`: any port). */
  readonly #hosts = new Map<string, Set<number> | null>();

  constructor(options: AdminGuardOptions) {
    this.#token = options.token === null ? null : tokenDigest(`Bearer ${options.token}`);
    for (const name of LOOPBACK_NAMES) this.#allow({ name, port: null });
    for (const entry of options.allowedHosts ?? []) {
      const authority = parseAuthority(entry);
      if (authority === null) throw new InvalidAllowedHostError(entry);
      this.#allow(authority);
    }
  }

  /**
   * Adds the address the server is bound to (with its port), once it listens. Bound to every
   * interface (`0.0.0.0`, `::`), each interface address is accepted with that port.
   */
  bound(address: string, port: number): void {
    const unspecified = address === '0.0.0.0' || address === '::';
    for (const name of unspecified ? interfaceAddresses() : [address.toLowerCase()]) this.#allow({ name, port });
  }

  /**
   * `null` when the request may go on to its endpoint, otherwise the refusal to send. With
   * `tokenRequired: false` (static files that hold no data, such as the dashboard page) the token is
   * not asked for; the Host and cross-site checks still apply.
   */
  check(req: IncomingMessage, options: { readonly tokenRequired?: boolean } = {}): AdminRefusal | null {
    const host = req.headers.host;
    if (host === undefined || !this.#hostAllowed(host)) return refusal('ADMIN_HOST_NOT_ALLOWED');
    const mutating = !SAFE_METHODS.has(req.method ?? 'GET');
    if (mutating && isCrossSite(req, host)) return refusal('ADMIN_CROSS_SITE');
    if (options.tokenRequired !== false && !this.#authorized(req)) return refusal('ADMIN_UNAUTHORIZED', { 'www-authenticate': 'Bearer' });
    if (mutating && !jsonOrNoBody(req)) return refusal('ADMIN_UNSUPPORTED_MEDIA_TYPE');
    return null;
  }

  #allow(authority: Authority): void {
    if (authority.port === null) {
      this.#hosts.set(authority.name, null);
      return;
    }
    const ports = this.#hosts.get(authority.name);
    if (ports === null) return;
    if (ports === undefined) this.#hosts.set(authority.name, new Set([authority.port]));
    else ports.add(authority.port);
  }

  #hostAllowed(host: string): boolean {
    const authority = parseAuthority(host);
    if (authority === null) return false;
    const ports = this.#hosts.get(authority.name);
    if (ports === undefined) return false;
    // A Host without a port means the scheme's default port (80): accepted only for a name without ports.
    return ports === null || (authority.port !== null && ports.has(authority.port));
  }

  #authorized(req: IncomingMessage): boolean {
    if (this.#token === null) return true;
    return timingSafeEqual(tokenDigest(req.headers.authorization ?? ''), this.#token);
  }
}

/** Thrown for an `--admin-allowed-hosts` entry that is not `name` or `name:port`. */
export class InvalidAllowedHostError extends Error {
  readonly code = 'SG_ADMIN_ALLOWED_HOST';
  constructor(entry: string) {
    super(`--admin-allowed-hosts: ${JSON.stringify(entry)} is not a host name or HOST:PORT`);
  }
}

/**
 * A browser's own word that the request comes from another site: an `Origin` that is not the admin's
 * (`null` included, as sandboxed frames send), or Fetch Metadata saying `cross-site` / `same-site`.
 * Clients that are not browsers send neither header.
 */
function isCrossSite(req: IncomingMessage, host: string): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return true;
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  return !sameOrigin(origin, host);
}

/**
 * Same origin: the Origin names the host (and port) the request was sent to. The scheme may be http or
 * https, since a TLS-terminating proxy in front of the admin is reached by https with the same Host.
 */
function sameOrigin(origin: string, host: string): boolean {
  try {
    const given = new URL(origin);
    if (given.protocol !== 'http:' && given.protocol !== 'https:') return false;
    return given.host === new URL(`${given.protocol}//${host}`).host;
  } catch {
    return false;
  }
}

/**
 * A body must be declared `application/json` (parameters such as `charset` allowed); a request that
 * names any other content type is refused even with an empty body, as a form POST to `/reload` is.
 */
function jsonOrNoBody(req: IncomingMessage): boolean {
  const type = req.headers['content-type'];
  if (type !== undefined) return type.split(';', 1)[0]!.trim().toLowerCase() === 'application/json';
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] === undefined && (length === undefined || Number(length) === 0);
}
