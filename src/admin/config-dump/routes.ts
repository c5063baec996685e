/**
 * Compiled routes → Envoy `RouteConfiguration`s, the way Istio's pilot writes a gateway's routes: one
 * Envoy route per Istio `match[]` entry (all with the same action), Istio's retry host predicate, `0s`
 * for no timeout, and `request_mirror_policies` with MILLION fractions.
 */
import type {
  Cluster,
  HashKey,
  HeaderCondition,
  HeaderOperations,
  HeaderPolicy,
  Listener,
  MirrorPolicy,
  RequestMatch,
  RetryPolicy,
  Route,
} from '../../snapshot/types.ts';
import { mirrorPoliciesMetadata, shadowPolicyFields } from './mirror-extensions.ts';
import {
  TYPE_URLS,
  type EnvoyHashPolicy,
  type EnvoyHeaderMatcher,
  type EnvoyHeaderMutations,
  type EnvoyHeaderValueOption,
  type EnvoyPathSpecifier,
  type EnvoyRequestMirrorPolicy,
  type EnvoyRetryPolicy,
  type EnvoyRoute,
  type EnvoyRouteAction,
  type EnvoyRouteActionField,
  type EnvoyRouteConfiguration,
  type EnvoyRouteMatch,
} from './envoy-types.ts';
import { MILLION } from '../../snapshot/fraction.ts';
import { renderDirectResponse, renderRedirect, renderTypedPerFilterConfig } from './route-actions.ts';
import { envoyDuration, re2Substitution, sourceText, stringMatcher } from './values.ts';

/** What rendering a route needs besides the route. */
export interface RouteRenderContext {
  /** Route ids with a runtime mirror override. */
  readonly overrides: ReadonlySet<string>;
  /** The snapshot's clusters, for the hash policy a consistent-hash DestinationRule puts on the route. */
  readonly clusters?: ReadonlyMap<string, Cluster>;
  /** The port of the listener being rendered (a redirect's `derivePort: FROM_REQUEST_PORT`). */
  readonly listenerPort?: number;
}

/** One listener's virtual hosts as the route configuration named `name`. */
export function renderRouteConfiguration(listener: Listener, name: string, ctx: RouteRenderContext): EnvoyRouteConfiguration {
  return {
    '@type': TYPE_URLS.routeConfiguration,
    name,
    virtual_hosts: listener.virtualHosts.all.map((vh) => ({
      name: vh.name,
      domains: [...vh.domains],
      routes: vh.routes.flatMap((route) => renderRoute(route, { ...ctx, listenerPort: listener.port })),
      include_request_attempt_count: true,
      ...(vh.requireTls === true ? { require_tls: 'ALL' as const } : {}),
    })),
    validate_clusters: false,
    // The mesh listener's domains carry the service port, so the Host is matched with its port.
    ignore_port_in_host_matching: listener.matchPortInHost !== true,
  };
}

/** One Envoy route per `match[]` entry, or one catch-all (`prefix: "/"`) for a route without matches. */
export function renderRoute(route: Route, ctx: RouteRenderContext): EnvoyRoute[] {
  const action: EnvoyRouteActionField =
    route.redirect !== null
      ? { redirect: renderRedirect(route.redirect, ctx.listenerPort ?? 0) }
      : route.directResponse !== null
        ? { direct_response: renderDirectResponse(route.directResponse) }
        : { route: renderAction(route, ctx) };
  const perFilter = renderTypedPerFilterConfig(route.fault, route.cors);
  const mirrors = route.mirrors ?? [];
  const metadata: EnvoyRoute['metadata'] = {
    filter_metadata: {
      shadowgate: {
        route_id: route.id,
        source: sourceText(route.source),
        mirror_origins: mirrors.map((m) => m.origin),
        ...(mirrors.length > 0 ? { shadow_host_suffix: mirrors[0]!.hostSuffix } : {}),
        mirror_override: ctx.overrides.has(route.id),
        ...mirrorPoliciesMetadata(mirrors),
      },
    },
  };
  // Istio folds a sole destination's header operations into the route's (the action has no room for them).
  const sole = route.clusters.length === 1 ? route.clusters[0]! : null;
  const headers = headerMutations(route.headers, sole?.headers ?? null);
  const matches: (RequestMatch | null)[] = route.matches === null ? [null] : [...route.matches];
  return matches.map((m) => ({
    name: route.name,
    match: renderMatch(m),
    ...action,
    metadata,
    ...(perFilter !== null ? { typed_per_filter_config: perFilter } : {}),
    ...headers,
  }));
}

// ---- match --------------------------------------------------------------------------------------

export function renderMatch(match: RequestMatch | null): EnvoyRouteMatch {
  if (match === null) return { prefix: '/' };
  const headers: EnvoyHeaderMatcher[] = [];
  if (match.method !== null) headers.push({ name: ':method', string_match: stringMatcher(match.method) });
  if (match.authority !== null) headers.push({ name: ':authority', string_match: stringMatcher(match.authority) });
  for (const h of match.headers ?? []) headers.push(headerMatcher(h, false));
  for (const h of match.withoutHeaders ?? []) headers.push(headerMatcher(h, true));
  const query = (match.queryParams ?? []).map((q) => ({ name: q.name, string_match: stringMatcher(q.match) }));
  return {
    ...pathSpecifier(match),
    case_sensitive: !match.ignoreUriCase,
    ...(headers.length > 0 ? { headers } : {}),
    ...(query.length > 0 ? { query_parameters: query } : {}),
  };
}

function pathSpecifier(match: RequestMatch): EnvoyPathSpecifier {
  const uri = match.uri;
  if (uri === null) return { prefix: '/' };
  switch (uri.kind) {
    case 'prefix':
      return { prefix: uri.value };
    case 'exact':
      return { path: uri.value };
    case 'regex':
      // Envoy's case_sensitive does not reach safe_regex; the data plane matches ignoreUriCase regexes
      // case-insensitively, which RE2 writes as a leading (?i).
      return { safe_regex: { regex: match.ignoreUriCase && !uri.value.startsWith('(?i)') ? `(?i)${uri.value}` : uri.value } };
  }
}

function headerMatcher(condition: HeaderCondition, invert: boolean): EnvoyHeaderMatcher {
  return { name: condition.name, string_match: stringMatcher(condition.match), ...(invert ? { invert_match: true as const } : {}) };
}


// ---- action -------------------------------------------------------------------------------------

function renderAction(route: Route, ctx: RouteRenderContext): EnvoyRouteAction {
  const target =
    route.clusters.length === 1
      ? { cluster: route.clusters[0]!.cluster }
      : {
          weighted_clusters: {
            clusters: route.clusters.map((c) => ({ name: c.cluster, weight: c.weight, ...headerMutations(c.headers, null) })),
          },
        };
  const rewrite = route.rewrite;
  return {
    ...target,
    ...(rewrite?.uriRegex != null
      ? { regex_rewrite: { pattern: { regex: rewrite.uriRegex.regex.source }, substitution: re2Substitution(rewrite.uriRegex.rewrite) } }
      : rewrite?.uri != null
        ? { prefix_rewrite: rewrite.uri }
        : {}),
    ...(rewrite?.authority != null ? { host_rewrite_literal: rewrite.authority } : {}),
    ...hashPolicy(route, ctx),
    timeout: route.timeoutMs === null ? '0s' : envoyDuration(route.timeoutMs),
    ...(route.retry !== null ? { retry_policy: renderRetry(route.retry) } : {}),
    ...(route.mirrors !== null ? { request_mirror_policies: route.mirrors.map(renderMirror) } : {}),
  };
}

/**
 * The route's `hash_policy`, from the consistent-hash DestinationRule of its destination. Istio writes
 * it from the first destination that has one; the data plane hashes by each cluster's own key.
 */
function hashPolicy(route: Route, ctx: RouteRenderContext): { hash_policy?: readonly EnvoyHashPolicy[] } {
  for (const destination of route.clusters) {
    const key = ctx.clusters?.get(destination.cluster)?.consistentHash?.key;
    if (key !== undefined) return { hash_policy: [renderHashKey(key)] };
  }
  return {};
}

function renderHashKey(key: HashKey): EnvoyHashPolicy {
  switch (key.kind) {
    case 'header':
      return { header: { header_name: key.name } };
    case 'cookie':
      return {
        cookie: { name: key.name, ...(key.path !== null ? { path: key.path } : {}), ...(key.ttlMs !== null ? { ttl: envoyDuration(key.ttlMs) } : {}) },
      };
    case 'sourceIp':
      return { connection_properties: { source_ip: true } };
    case 'queryParameter':
      return { query_parameter: { name: key.name } };
  }
}

/** Istio's retry policy shape: it always adds the previous-hosts predicate with 5 host selection attempts. */
function renderRetry(retry: RetryPolicy): EnvoyRetryPolicy {
  return {
    retry_on: [...retry.retryOn].join(','),
    num_retries: retry.numRetries,
    ...(retry.perTryTimeoutMs !== null ? { per_try_timeout: envoyDuration(retry.perTryTimeoutMs) } : {}),
    retry_host_predicate: [
      { name: 'envoy.retry_host_predicates.previous_hosts', typed_config: { '@type': TYPE_URLS.previousHostsPredicate } },
    ],
    host_selection_retry_max_attempts: '5',
    ...(retry.retriableStatusCodes.size > 0 ? { retriable_status_codes: [...retry.retriableStatusCodes] } : {}),
  };
}

function renderMirror(mirror: MirrorPolicy): EnvoyRequestMirrorPolicy {
  return {
    cluster: mirror.cluster,
    runtime_fraction: { default_value: mirrorFraction(mirror) },
    trace_sampled: false,
    ...(mirror.hostSuffix ? {} : { disable_shadow_host_suffix_append: true as const }),
    ...shadowPolicyFields(mirror),
  };
}

/** Istio writes the deprecated integer `mirrorPercent`, and a percentage left out, over HUNDRED; a `Percent` over MILLION. */
function mirrorFraction(mirror: MirrorPolicy): { numerator: number; denominator: 'MILLION' | 'HUNDRED' } {
  if (mirror.denominator === 'HUNDRED') return { numerator: Math.round(mirror.perMillion / (MILLION / 100)), denominator: 'HUNDRED' };
  return { numerator: mirror.perMillion, denominator: 'MILLION' };
}

// ---- headers ------------------------------------------------------------------------------------

/** Istio `headers` → Envoy's four lists: `set` overwrites, `add` appends; empty lists are left out. */
function headerMutations(first: HeaderPolicy | null, second: HeaderPolicy | null): EnvoyHeaderMutations {
  const requestOps = [first?.request, second?.request].filter((o): o is HeaderOperations => o != null);
  const responseOps = [first?.response, second?.response].filter((o): o is HeaderOperations => o != null);
  const requestAdd = requestOps.flatMap(toAdd);
  const requestRemove = requestOps.flatMap((o) => o.remove);
  const responseAdd = responseOps.flatMap(toAdd);
  const responseRemove = responseOps.flatMap((o) => o.remove);
  return {
    ...(requestAdd.length > 0 ? { request_headers_to_add: requestAdd } : {}),
    ...(requestRemove.length > 0 ? { request_headers_to_remove: requestRemove } : {}),
    ...(responseAdd.length > 0 ? { response_headers_to_add: responseAdd } : {}),
    ...(responseRemove.length > 0 ? { response_headers_to_remove: responseRemove } : {}),
  };
}

function toAdd(ops: HeaderOperations): EnvoyHeaderValueOption[] {
  return [
    ...ops.set.map(([key, value]) => ({ header: { key, value }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' as const })),
    ...ops.add.map(([key, value]) => ({ header: { key, value }, append_action: 'APPEND_IF_EXISTS_OR_ADD' as const })),
  ];
}
