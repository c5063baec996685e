/**
 * The authority a shadow request carries: the primary's host with `-shadow` appended to the host part,
 * as Envoy's shadow writer does (`httpbin` → `httpbin-shadow`, `httpbin:8000` → `httpbin-shadow:8000`),
 * so the shadow service and its logs can tell mirrored traffic from real traffic.
 */
export const SHADOW_SUFFIX = '-shadow';

export function shadowAuthority(authority: string): string {
  // An IPv6 literal keeps its brackets; the suffix goes after them, before any port.
  const portColon = authority.startsWith('[') ? authority.indexOf(':', authority.indexOf(']')) : authority.indexOf(':');
  if (portColon === -1) return authority + SHADOW_SUFFIX;
  return authority.slice(0, portColon) + SHADOW_SUFFIX + authority.slice(portColon);
}
