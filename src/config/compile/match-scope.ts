/**
 * The parts of an Istio `HTTPMatchRequest` that select *where* a match applies rather than which
 * requests it matches: `gateways`, `port`, `sourceLabels` and `sourceNamespace`. Istio's pilot
 * evaluates them when it generates a proxy's routes (`translateRoute` and `sourceMatchHTTP` in
 * pilot/pkg/networking/core/route/route.go): a match that does not apply to the proxy, listener port
 * or gateway is left out of that proxy's config. shadowgate does the same at compile time, so the data
 * plane never sees these conditions and pays nothing for them.
 */
import type { RequestMatch } from '../../snapshot/types.ts';
import { resolveGatewayName } from '../names.ts';
import type { MatchRequestSpec } from '../schema/virtual-service.ts';

/** The pseudo-gateway that stands for sidecars (Istio's `constants.IstioMeshGateway`). */
export const MESH_GATEWAY = 'mesh';

/** Who shadowgate is, as `sourceLabels` and `sourceNamespace` see it: the gateway workload's own labels and namespace. */
export interface ProxyIdentity {
  readonly labels: Readonly<Record<string, string>>;
  readonly namespace: string;
}

export const DEFAULT_PROXY_IDENTITY: ProxyIdentity = { labels: {}, namespace: 'default' };

/** Where-conditions of one `match[]` entry; `null` fields are unset. */
export interface MatchScope {
  /** `ns/name` (resolved in the VirtualService's namespace) or `mesh`. */
  readonly gateways: readonly string[] | null;
  readonly port: number | null;
  readonly sourceLabels: Readonly<Record<string, string>> | null;
  readonly sourceNamespace: string | null;
}

/** One compiled match and its scope (`null` when it applies everywhere). */
export interface ScopedMatch {
  readonly match: RequestMatch;
  readonly scope: MatchScope | null;
}

/** What a route is being generated for: one Gateway (or `mesh`), one listener port, this proxy. */
export interface RouteContext {
  readonly gateway: string;
  readonly port: number;
  readonly identity: ProxyIdentity;
}

/** The scope of a match entry, `null` when it sets none of the four fields. */
export function matchScope(spec: MatchRequestSpec, vsNamespace: string): MatchScope | null {
  const gateways =
    spec.gateways !== undefined && spec.gateways.length > 0
      ? spec.gateways.map((g) => (g === MESH_GATEWAY ? g : resolveGatewayName(g, vsNamespace)))
      : null;
  const port = spec.port !== undefined && spec.port !== 0 ? spec.port : null;
  const sourceLabels = spec.sourceLabels !== undefined && Object.keys(spec.sourceLabels).length > 0 ? spec.sourceLabels : null;
  const sourceNamespace = spec.sourceNamespace !== undefined && spec.sourceNamespace !== '' ? spec.sourceNamespace : null;
  if (gateways === null && port === null && sourceLabels === null && sourceNamespace === null) return null;
  return { gateways, port, sourceLabels, sourceNamespace };
}

/**
 * Whether a match applies in `context`, exactly as Istio decides: the port must equal the listener
 * port when set; then, if `gateways` is set it alone decides (it overrides the VirtualService's
 * `gateways`, and `sourceLabels`/`sourceNamespace` are not consulted), otherwise `sourceLabels` must
 * be a subset of the proxy's labels and `sourceNamespace`, when set, its namespace.
 */
export function scopeApplies(scope: MatchScope | null, context: RouteContext): boolean {
  if (scope === null) return true;
  if (scope.port !== null && scope.port !== context.port) return false;
  if (scope.gateways !== null) return scope.gateways.includes(context.gateway);
  for (const [key, value] of Object.entries(scope.sourceLabels ?? {})) {
    if (context.identity.labels[key] !== value) return false;
  }
  return scope.sourceNamespace === null || scope.sourceNamespace === context.identity.namespace;
}

/** Whether any match of a route depends on which gateway it is generated for. */
export function dependsOnGateway(matches: readonly ScopedMatch[] | null): boolean {
  return matches !== null && matches.some((m) => m.scope?.gateways != null);
}
