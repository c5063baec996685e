/**
 * Istio's name rules: short hosts, `ns/name` references, wildcard hosts and their intersection.
 */

/** The cluster DNS suffix Istio assumes for short service names. */
export const CLUSTER_DOMAIN = 'svc.cluster.local';

/**
 * Resolves a host as Istio does for the resource that refers to it: a name without dots (`httpbin`)
 * is the service `httpbin.<namespace>.svc.cluster.local`; anything with a dot, and wildcards, are taken
 * as written. The result is lower-case.
 */
export function resolveHost(host: string, namespace: string): string {
  const h = host.toLowerCase();
  if (h === '*' || h.includes('.')) return h;
  return `${h}.${namespace}.${CLUSTER_DOMAIN}`;
}

/** Whether a host is a short name that `resolveHost` expands. */
export function isShortHost(host: string): boolean {
  return host !== '*' && !host.includes('.');
}

/**
 * Resolves a Gateway reference of a VirtualService (`gateways[]`, `match[].gateways[]`) to `ns/name`,
 * as Istio's `resolveGatewayName` does: `name` is in the VirtualService's namespace, `./name` too,
 * `ns/name` as written, and the legacy FQDN form `name.ns.svc.cluster.local` (or `name.ns`) is
 * `ns/name`.
 */
export function resolveGatewayName(ref: string, namespace: string): string {
  const slash = ref.indexOf('/');
  if (slash !== -1) return ref.slice(0, slash) === '.' ? `${namespace}/${ref.slice(slash + 1)}` : ref;
  const dot = ref.indexOf('.');
  if (dot === -1) return `${namespace}/${ref}`;
  const rest = ref.slice(dot + 1);
  const next = rest.indexOf('.');
  return `${next === -1 ? rest : rest.slice(0, next)}/${ref.slice(0, dot)}`;
}

/**
 * Splits an Istio Gateway server host `ns/host` into its namespace filter and host. `*` (or no prefix)
 * admits VirtualServices of any namespace; `.` means the Gateway's own namespace.
 */
export function splitServerHost(entry: string, gatewayNamespace: string): { namespace: string | null; host: string } {
  const slash = entry.indexOf('/');
  if (slash === -1) return { namespace: null, host: entry.toLowerCase() };
  const ns = entry.slice(0, slash);
  const host = entry.slice(slash + 1).toLowerCase();
  if (ns === '*') return { namespace: null, host };
  if (ns === '.') return { namespace: gatewayNamespace, host };
  return { namespace: ns, host };
}

/** Whether `host` is `*` or `*.suffix`. */
export function isWildcardHost(host: string): boolean {
  return host.startsWith('*');
}

/**
 * Whether the host pattern `pattern` covers `host` (`*` covers anything; `*.a.com` covers `b.a.com`,
 * `c.b.a.com` and `*.b.a.com`; an exact name covers only itself).
 */
export function hostCovers(pattern: string, host: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*.')) {
    const suffix = pattern.slice(1); // `.a.com`
    if (host.startsWith('*')) return host === pattern || (host.startsWith('*.') && host.slice(1).endsWith(suffix));
    return host.endsWith(suffix) && host.length > suffix.length;
  }
  return pattern === host;
}

/**
 * The narrower of two host patterns when they intersect (`*` and `b.a.com` give `b.a.com`; `*.a.com` and
 * `*.b.a.com` give `*.b.a.com`), or `null` when no name matches both.
 */
export function intersectHosts(a: string, b: string): string | null {
  if (hostCovers(a, b)) return b;
  if (hostCovers(b, a)) return a;
  return null;
}
