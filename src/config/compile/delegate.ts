/**
 * VirtualService delegation, merged as Istio's `mergeVirtualServicesIfNeeded` does before any route is
 * built: a root route with `delegate` is replaced by the delegate VirtualService's routes, in their
 * order. Each delegate route's matches are merged with the root route's (every delegate match must sit
 * inside some root match, else the delegate route is dropped), and the fields the delegate route
 * leaves out come from the root route. Only one level: a delegate cannot delegate again.
 *
 * Everything here works on specs, so the merged route is then compiled like any other.
 */
import type { FieldPath } from '../diagnostics.ts';
import { resolveGatewayName, resolveHost } from '../names.ts';
import type { DestinationSpec, StringMatchSpec } from '../schema/common.ts';
import type { ValidatedVirtualService } from '../schema/validate.ts';
import type { HttpRouteSpec, MatchRequestSpec } from '../schema/virtual-service.ts';
import { MESH_GATEWAY } from './match-scope.ts';

/** A match with every field Istio's merge reads (some are only in newer schemas). */
type Match = MatchRequestSpec &
  Partial<{
    port: number;
    sourceLabels: Record<string, string>;
    gateways: string[];
    sourceNamespace: string;
    scheme: StringMatchSpec;
    statPrefix: string;
  }>;

/** Whether a VirtualService is a delegate: Istio's rule is simply "it has no hosts". */
export function isDelegate(vs: ValidatedVirtualService): boolean {
  return vs.spec.hosts === undefined || vs.spec.hosts.length === 0;
}

/** One route to compile: its spec, the resource it is reported against, and its id parts. */
export interface ExpandedRoute {
  readonly spec: HttpRouteSpec;
  readonly owner: ValidatedVirtualService;
  readonly at: FieldPath;
  /** The route's Envoy name (Istio's merged name for a delegated route). */
  readonly name: string;
  /** The last part of the route id (after `namespace/virtualservice/`). */
  readonly idSuffix: string;
}

/** Outcome of merging one delegate route into its root route. */
export type MergeOutcome = { readonly kind: 'merged'; readonly spec: HttpRouteSpec } | { readonly kind: 'conflict' };

/**
 * Istio's `mergeHTTPRoute`. `root` and `leaf` must already have their namespace-relative names
 * resolved (see `resolveRouteNames`), since they come from different VirtualServices.
 */
export function mergeDelegateRoute(root: HttpRouteSpec, leaf: HttpRouteSpec): MergeOutcome {
  const matches = mergeMatchLists((root.match ?? []) as Match[], (leaf.match ?? []) as Match[]);
  if (matches === null) return { kind: 'conflict' };
  const merged: HttpRouteSpec = { ...leaf };
  if (matches.length > 0) merged.match = matches;
  else delete merged.match;
  const name = mergedName(root.name, leaf.name);
  if (name !== undefined) merged.name = name;
  const inherited = ['rewrite', 'directResponse', 'timeout', 'retries', 'fault', 'mirror', 'mirrorPercentage', 'corsPolicy', 'mirrors', 'headers'] as const;
  for (const field of inherited) {
    if (merged[field] === undefined && root[field] !== undefined) (merged as Record<string, unknown>)[field] = root[field];
  }
  // The deprecated integer mirror percentage, in the schemas that have it.
  const loose = merged as Record<string, unknown>;
  const rootLoose = root as Record<string, unknown>;
  for (const field of ['mirrorPercent', 'mirror_percent']) if (loose[field] === undefined && rootLoose[field] !== undefined) loose[field] = rootLoose[field];
  delete merged.delegate;
  return { kind: 'merged', spec: merged };
}

function mergedName(root: string | undefined, leaf: string | undefined): string | undefined {
  if (leaf === undefined || leaf === '') return root;
  return root === undefined || root === '' ? leaf : `${root}-${leaf}`;
}

/** Istio's `mergeHTTPMatchRequests`: `null` on conflict. */
function mergeMatchLists(root: readonly Match[], leaf: readonly Match[]): Match[] | null {
  if (root.length === 0) return [...leaf];
  if (leaf.length === 0) return [...root];
  const out: Match[] = [];
  for (const sub of leaf) {
    let found = false;
    for (const r of root) {
      if (matchesConflict(r, sub)) continue;
      out.push(mergeMatch(r, sub));
      found = true;
    }
    if (!found) return null;
  }
  return out.length === 0 ? null : out;
}

/** Istio's `mergeHTTPMatchRequest`: the delegate's conditions, with the root's filling the gaps. */
function mergeMatch(root: Match, leaf: Match): Match {
  const out: Match = { ...leaf };
  const name = mergedName(root.name, leaf.name);
  if (name !== undefined) out.name = name;
  for (const field of ['uri', 'scheme', 'method', 'authority'] as const) {
    if (out[field] === undefined && root[field] !== undefined) out[field] = root[field];
  }
  for (const field of ['headers', 'withoutHeaders', 'queryParams'] as const) {
    if (root[field] !== undefined || leaf[field] !== undefined) out[field] = { ...root[field], ...leaf[field] };
  }
  if ((out.port === undefined || out.port === 0) && root.port !== undefined) out.port = root.port;
  if (root.sourceLabels !== undefined || leaf.sourceLabels !== undefined) out.sourceLabels = { ...root.sourceLabels, ...leaf.sourceLabels };
  if ((out.sourceNamespace === undefined || out.sourceNamespace === '') && root.sourceNamespace !== undefined) out.sourceNamespace = root.sourceNamespace;
  if ((out.gateways === undefined || out.gateways.length === 0) && root.gateways !== undefined) out.gateways = root.gateways;
  if ((out.statPrefix === undefined || out.statPrefix === '') && root.statPrefix !== undefined) out.statPrefix = root.statPrefix;
  return out;
}

/** Istio's `hasConflict`: whether `leaf` can match anything outside `root`. */
function matchesConflict(root: Match, leaf: Match): boolean {
  for (const field of ['uri', 'scheme', 'method', 'authority'] as const) {
    if (stringMatchConflict(root[field], leaf[field])) return true;
  }
  for (const field of ['headers', 'withoutHeaders', 'queryParams'] as const) {
    for (const [key, value] of Object.entries(leaf[field] ?? {})) {
      if (stringMatchConflict(root[field]?.[key], value)) return true;
    }
  }
  if ((root.ignoreUriCase ?? false) !== (leaf.ignoreUriCase ?? false)) return true;
  if ((root.port ?? 0) > 0 && (leaf.port ?? 0) > 0 && root.port !== leaf.port) return true;
  if (root.sourceNamespace !== undefined && root.sourceNamespace !== '' && leaf.sourceNamespace !== root.sourceNamespace) return true;
  for (const [key, value] of Object.entries(leaf.sourceLabels ?? {})) {
    const rootValue = root.sourceLabels?.[key];
    if (rootValue !== undefined && rootValue !== value) return true;
  }
  const rootGateways = root.gateways ?? [];
  const leafGateways = leaf.gateways ?? [];
  if (rootGateways.length > 0 && leafGateways.length > 0) {
    if (rootGateways.length < leafGateways.length) return true;
    if (leafGateways.some((g) => !rootGateways.includes(g))) return true;
  }
  return false;
}

/** Istio's `stringMatchConflict`: a regex on either side conflicts with anything on the other. */
function stringMatchConflict(root: StringMatchSpec | undefined, leaf: StringMatchSpec | undefined): boolean {
  if (root === undefined || leaf === undefined) return false;
  const set = (v: string | undefined) => v !== undefined && v !== '';
  if (set(root.regex) && (set(leaf.regex) || set(leaf.prefix) || set(leaf.exact))) return true;
  if (set(leaf.regex) && (set(root.regex) || set(root.prefix) || set(root.exact))) return true;
  if (set(root.exact)) return leaf.exact !== root.exact;
  if (set(root.prefix)) {
    if (set(leaf.prefix)) return !leaf.prefix!.startsWith(root.prefix!);
    if (set(leaf.exact)) return !leaf.exact!.startsWith(root.prefix!);
  }
  return true;
}

/**
 * Istio resolves short names in each VirtualService against its own namespace before merging
 * (`resolveVirtualServiceShortnames`): destination hosts become FQDNs and match gateways `ns/name`.
 */
export function resolveRouteNames(spec: HttpRouteSpec, namespace: string): HttpRouteSpec {
  const destination = (d: DestinationSpec): DestinationSpec => ({ ...d, host: resolveHost(d.host, namespace) });
  const out: HttpRouteSpec = { ...spec };
  if (spec.route !== undefined) out.route = spec.route.map((r) => ({ ...r, destination: destination(r.destination) }));
  if (spec.mirror !== undefined) out.mirror = destination(spec.mirror);
  if (spec.mirrors !== undefined) out.mirrors = spec.mirrors.map((m) => ({ ...m, destination: destination(m.destination) }));
  if (spec.match !== undefined) {
    out.match = (spec.match as Match[]).map((m) =>
      m.gateways === undefined ? m : { ...m, gateways: m.gateways.map((g) => (g === MESH_GATEWAY ? g : resolveGatewayName(g, namespace))) },
    );
  }
  return out;
}
