/**
 * VirtualService `http[]` → `Route`s: matches, weighted clusters, rewrite, timeout, retries, header
 * operations, mirror policies and the route actions (fault, redirect, direct response, CORS). A route
 * with `delegate` is replaced by its delegate's merged routes first. Destinations are checked against
 * the service registry and collected as cluster targets.
 */
import type {
  HeaderOperations,
  HeaderPolicy,
  MirrorPolicy,
  RequestMatch,
  RetryPolicy,
  Rewrite,
  Route,
  WeightedCluster,
} from '../../snapshot/types.ts';
import type { DiagnosticCode, FieldPath } from '../diagnostics.ts';
import { resolveHost } from '../names.ts';
import type { ResourceSource } from '../source.ts';
import { durationMs } from '../duration.ts';
import type { DestinationSpec, HeadersSpec } from '../schema/common.ts';
import type { ValidatedVirtualService } from '../schema/validate.ts';
import type { HttpRouteSpec } from '../schema/virtual-service.ts';
import { type CompileContext, type Mutable, sourceRef } from './context.ts';
import { resolveDestination, type ClusterTarget } from './destinations.ts';
import { isDelegate, mergeDelegateRoute, resolveRouteNames, type ExpandedRoute } from './delegate.ts';
import { matchScope, type ScopedMatch } from './match-scope.ts';
import { compileRequestMatch } from './matchers.ts';
import { compileRetryOn } from './retry-on.ts';
import { compileRouteActions } from './route-actions.ts';
import { findDestinationRule, type ServiceRegistry } from './services.ts';
import { percentToPerMillion } from '../../snapshot/fraction.ts';

/** Annotation that turns off the `-shadow` authority suffix for a VirtualService's mirrors. */
export const SHADOW_HOST_SUFFIX_ANNOTATION = 'shadowgate.io/shadow-host-suffix';

/** Istio's retry policy when a route sets no `retries` (pilot's `retry.DefaultPolicy`). */
export const DEFAULT_RETRY_ON = ['connect-failure', 'refused-stream', 'unavailable', 'cancelled', 'retriable-status-codes'] as const;
export const DEFAULT_RETRY_ATTEMPTS = 2;
export const DEFAULT_RETRIABLE_STATUS_CODES = [503] as const;

/** A route still open for mirror overrides, with what an override needs to know about it. */
export interface CompiledRoute {
  readonly route: Mutable<Route>;
  readonly virtualService: ValidatedVirtualService;
  readonly hostSuffix: boolean;
  /** `route.matches` with where each applies (`null` when the route has no `match`). */
  readonly scopedMatches: readonly ScopedMatch[] | null;
}

/** Cluster targets referenced so far, by cluster name (first reference wins). */
export type ClusterTargets = Map<string, ClusterTarget>;

/** Every VirtualService by `namespace/name`, where `delegate` references are looked up. */
export type VirtualServiceIndex = ReadonlyMap<string, ValidatedVirtualService>;

/** Compiles every http route of a VirtualService, in order, with delegated routes merged in place. */
export function compileVirtualServiceRoutes(
  vs: ValidatedVirtualService,
  registry: ServiceRegistry,
  targets: ClusterTargets,
  ctx: CompileContext,
  virtualServices: VirtualServiceIndex = new Map(),
): CompiledRoute[] {
  const hostSuffix = shadowHostSuffix(vs, ctx);
  const ids = new Set<string>();
  const out: CompiledRoute[] = [];
  (vs.spec.http ?? []).forEach((spec, i) => {
    const name = spec.name ?? String(i);
    const id = `${vs.metadata.namespace}/${vs.metadata.name}/${name}`;
    if (ids.has(id)) {
      ctx.error('DUPLICATE_ROUTE_NAME', vs, ['spec', 'http', i, 'name'], `route name ${name} is used twice in this VirtualService (route ids must be unique)`);
    }
    ids.add(id);
    const expanded: ExpandedRoute[] =
      spec.delegate === undefined
        ? [{ spec, owner: vs, at: ['spec', 'http', i], name, idSuffix: name }]
        : expandDelegate(vs, spec, ['spec', 'http', i], name, virtualServices, ctx);
    for (const e of expanded) {
      const routeId = `${vs.metadata.namespace}/${vs.metadata.name}/${e.idSuffix}`;
      const scopedMatches = compileMatches(e.owner, e.spec, e.at, ctx);
      const route = compileRoute(e.owner, e.spec, e.at, routeId, e.name, hostSuffix, scopedMatches, registry, targets, ctx);
      out.push({ route, virtualService: vs, hostSuffix, scopedMatches });
    }
  });
  return out;
}

/**
 * A root route's delegate, merged (Istio's `mergeHTTPRoutes`). A missing delegate is an error: Istio
 * would drop the route quietly, which changes what is served.
 */
function expandDelegate(
  root: ValidatedVirtualService,
  spec: HttpRouteSpec,
  at: FieldPath,
  rootName: string,
  virtualServices: VirtualServiceIndex,
  ctx: CompileContext,
): ExpandedRoute[] {
  const ref = spec.delegate!;
  if (spec.route !== undefined || spec.redirect !== undefined || spec.directResponse !== undefined) {
    const field = spec.route !== undefined ? 'route' : spec.redirect !== undefined ? 'redirect' : 'directResponse';
    ctx.error('ROUTE_ACTION_CONFLICT', root, [...at, field], `an http route with delegate cannot also have ${field}: the delegate's routes decide where requests go`);
    return [];
  }
  const key = `${ref.namespace ?? root.metadata.namespace}/${ref.name}`;
  const delegate = virtualServices.get(key);
  if (delegate === undefined) {
    ctx.error('UNKNOWN_DELEGATE', root, [...at, 'delegate'], `delegate VirtualService ${key} does not exist`);
    return [];
  }
  if (!isDelegate(delegate)) {
    ctx.error('UNKNOWN_DELEGATE', root, [...at, 'delegate'], `VirtualService ${key} has hosts, so it is not a delegate (a delegate VirtualService has no hosts)`);
    return [];
  }
  const rootSpec = resolveRouteNames(spec, root.metadata.namespace);
  const out: ExpandedRoute[] = [];
  const leafNames = new Set<string>();
  (delegate.spec.http ?? []).forEach((leaf, j) => {
    const leafAt: FieldPath = ['spec', 'http', j];
    if (leaf.delegate !== undefined) return; // reported once, with the delegate (checkDelegate)
    const leafName = leaf.name ?? String(j);
    if (leafNames.has(leafName)) {
      ctx.error('DUPLICATE_ROUTE_NAME', delegate, [...leafAt, 'name'], `route name ${leafName} is used twice in this delegate VirtualService (route ids must be unique)`);
    }
    leafNames.add(leafName);
    const merged = mergeDelegateRoute(rootSpec, resolveRouteNames(leaf, delegate.metadata.namespace));
    if (merged.kind === 'conflict') {
      ctx.warn(
        'DELEGATE_MATCH_CONFLICT',
        delegate,
        [...leafAt, 'match'],
        `no match of this route lies within the match of root route ${root.metadata.namespace}/${root.metadata.name}/${rootName}, so it is dropped, as Istio drops it`,
      );
      return;
    }
    out.push({ spec: merged.spec, owner: delegate, at: leafAt, name: merged.spec.name ?? '', idSuffix: `${rootName}/${leafName}` });
  });
  return out;
}

/** Istio's checks on a delegate VirtualService itself: no gateways, and no delegation of its own. */
export function checkDelegate(vs: ValidatedVirtualService, ctx: CompileContext): void {
  if (vs.spec.gateways !== undefined && vs.spec.gateways.length > 0) {
    ctx.error('INVALID_DELEGATE', vs, ['spec', 'gateways'], 'a delegate VirtualService (one without hosts) cannot name gateways: its root decides where it is served');
  }
  (vs.spec.http ?? []).forEach((spec, j) => {
    if (spec.delegate !== undefined) {
      ctx.error('INVALID_DELEGATE', vs, ['spec', 'http', j, 'delegate'], 'a delegate VirtualService cannot delegate again (Istio supports one level of delegation)');
    }
  });
}

function compileRoute(
  vs: ValidatedVirtualService,
  spec: HttpRouteSpec,
  at: FieldPath,
  id: string,
  name: string,
  hostSuffix: boolean,
  scopedMatches: readonly ScopedMatch[] | null,
  registry: ServiceRegistry,
  targets: ClusterTargets,
  ctx: CompileContext,
): Mutable<Route> {
  const matches: RequestMatch[] | null = scopedMatches === null ? null : scopedMatches.map((m) => m.match);
  const actions = compileRouteActions(vs, spec, at, ctx);
  // A redirect or direct response is answered by the gateway: no destination, nothing to mirror.
  const answered = spec.redirect !== undefined || spec.directResponse !== undefined;
  const clusters = answered ? [] : compileWeightedClusters(vs, spec, at, registry, targets, ctx);
  return {
    id,
    name,
    matches,
    clusters,
    totalWeight: clusters.reduce((sum, c) => sum + c.weight, 0),
    rewrite: compileRewrite(vs, spec, at, ctx),
    timeoutMs: spec.timeout === undefined || durationMs(spec.timeout) === 0 ? null : durationMs(spec.timeout),
    retry: compileRetry(vs, spec, at, ctx),
    headers: compileHeaders(spec.headers),
    mirrors: answered ? null : compileMirrors(vs, spec, at, hostSuffix, registry, targets, ctx),
    ...actions,
    source: sourceRef(vs, at),
  };
}

/** `match[]` → compiled matches with their scopes; `null` when the route has none (it matches everything). */
function compileMatches(vs: ValidatedVirtualService, spec: HttpRouteSpec, at: FieldPath, ctx: CompileContext): ScopedMatch[] | null {
  if (spec.match === undefined || spec.match.length === 0) return null;
  const regexes = ctx.regexCompiler(vs);
  const out: ScopedMatch[] = [];
  spec.match.forEach((m, j) => {
    const match = compileRequestMatch(m, [...at, 'match', j], regexes);
    if (match !== null) out.push({ match, scope: matchScope(m, vs.metadata.namespace) });
  });
  return out;
}

function compileWeightedClusters(
  vs: ValidatedVirtualService,
  spec: HttpRouteSpec,
  at: FieldPath,
  registry: ServiceRegistry,
  targets: ClusterTargets,
  ctx: CompileContext,
): WeightedCluster[] {
  const destinations = spec.route ?? [];
  if (destinations.length === 0) {
    ctx.error(
      'NO_ROUTE_DESTINATION',
      vs,
      [...at, 'route'],
      'an http route needs route[] destinations, a redirect, a directResponse or a delegate',
    );
    return [];
  }
  if (destinations.length > 1) {
    const weights = destinations.map((d) => d.weight ?? 0);
    const sum = weights.reduce((a, b) => a + b, 0);
    if (sum !== 100) {
      ctx.error('WEIGHT_SUM', vs, [...at, 'route'], `route[] weights must sum to 100 when there are several destinations (got ${weights.join(' + ')} = ${sum})`);
    }
  }
  const out: WeightedCluster[] = [];
  destinations.forEach((d, j) => {
    const target = resolveAndReport(vs, d.destination, [...at, 'route', j, 'destination'], 'route', registry, targets, ctx);
    if (target === null) return;
    // Istio sends all traffic to a sole destination whatever its weight says.
    out.push({ cluster: target.name, weight: destinations.length === 1 ? 100 : (d.weight ?? 0), headers: compileHeaders(d.headers) });
  });
  return out;
}

function compileMirrors(
  vs: ValidatedVirtualService,
  spec: HttpRouteSpec,
  at: FieldPath,
  hostSuffix: boolean,
  registry: ServiceRegistry,
  targets: ClusterTargets,
  ctx: CompileContext,
): MirrorPolicy[] | null {
  if (spec.mirror !== undefined && spec.mirrors !== undefined) {
    ctx.error('MIRROR_CONFLICT', vs, [...at, 'mirrors'], 'set either mirror or mirrors, not both');
  }
  if (spec.mirrorPercent !== undefined && spec.mirror_percent !== undefined) {
    ctx.error('MIRROR_CONFLICT', vs, [...at, 'mirror_percent'], 'mirror_percent is mirrorPercent spelled differently; set one of them');
  }
  const legacy = spec.mirrorPercent ?? spec.mirror_percent;
  const legacyField = spec.mirrorPercent !== undefined ? 'mirrorPercent' : 'mirror_percent';
  for (const [field, set] of [['mirrorPercentage', spec.mirrorPercentage !== undefined], [legacyField, legacy !== undefined]] as const) {
    if (!set) continue;
    if (spec.mirrors !== undefined) {
      ctx.error('MIRROR_CONFLICT', vs, [...at, field], `${field} applies to mirror; with mirrors, set mirrors[].percentage`);
    } else if (spec.mirror === undefined) {
      ctx.warn('MIRROR_PERCENTAGE_UNUSED', vs, [...at, field], `${field} has no effect without mirror; ignored`);
    }
  }
  const mirrors: MirrorPolicy[] = [];
  const add = (destination: DestinationSpec, percentage: MirrorPercentage, field: FieldPath) => {
    const target = resolveAndReport(vs, destination, field, 'mirror', registry, targets, ctx);
    const perMillion = percentToPerMillion(percentage.value);
    // An explicit 0% switches the mirror off (Istio's MirrorPercent); it is still checked above.
    if (target === null || perMillion === 0) return;
    mirrors.push({ cluster: target.name, perMillion, hostSuffix, origin: 'config', ...(percentage.integer ? { denominator: 'HUNDRED' as const } : {}) });
  };
  if (spec.mirror !== undefined) add(spec.mirror, mirrorPercentage(spec.mirrorPercentage?.value, legacy), [...at, 'mirror']);
  spec.mirrors?.forEach((m, k) =>
    add(m.destination, m.percentage === undefined ? ISTIO_DEFAULT_PERCENTAGE : { value: m.percentage.value, integer: false }, [...at, 'mirrors', k, 'destination']),
  );
  return mirrors.length > 0 ? mirrors : null;
}

interface MirrorPercentage {
  readonly value: number;
  /**
   * Istio sends this one as a HUNDRED fraction: the deprecated integer `mirrorPercent`, and the 100%
   * it fills in when no percentage is given; a `Percent` value goes over MILLION.
   */
  readonly integer: boolean;
}

/** What Istio writes for a mirror without a percentage: `{numerator: 100}` over HUNDRED. */
const ISTIO_DEFAULT_PERCENTAGE: MirrorPercentage = { value: 100, integer: true };

/**
 * The percentage of `mirror`, as Istio's `MirrorPercent` picks it: `mirrorPercentage` wins, then the
 * deprecated `mirrorPercent` integer, then 100.
 */
export function mirrorPercentage(percentage: number | undefined, legacyPercent: number | undefined): MirrorPercentage {
  if (percentage !== undefined) return { value: percentage, integer: false };
  if (legacyPercent !== undefined) return { value: legacyPercent, integer: true };
  return ISTIO_DEFAULT_PERCENTAGE;
}

function resolveAndReport(
  vs: ValidatedVirtualService,
  destination: DestinationSpec,
  field: FieldPath,
  role: 'route' | 'mirror',
  registry: ServiceRegistry,
  targets: ClusterTargets,
  ctx: CompileContext,
): ClusterTarget | null {
  const { target, problems } = resolveDestination(
    { host: destination.host, port: destination.port?.number, subset: destination.subset },
    vs.metadata.namespace,
    role,
    registry,
  );
  const host = resolveHost(destination.host, vs.metadata.namespace);
  for (const p of problems) {
    if (intoGap(p.code, host, registry, ctx)) continue;
    ctx.error(p.code, vs, [...field, p.field], p.message);
  }
  if (target !== null && !targets.has(target.name)) targets.set(target.name, target);
  return target;
}

/**
 * Whether a destination problem points into something an earlier error removed: a lost or salvaged
 * ServiceEntry or DestinationRule. Those are reported where they are, not again here.
 */
function intoGap(code: DiagnosticCode, host: string, registry: ServiceRegistry, ctx: CompileContext): boolean {
  switch (code) {
    case 'UNKNOWN_HOST':
      return ctx.gaps.coversServiceHost(host);
    case 'UNKNOWN_PORT':
    case 'MULTI_PORT_NEEDS_PORT':
    case 'MIRROR_PROTOCOL': {
      const service = registry.services.get(host);
      return service !== undefined && lostUnder(service.resource, 'ports');
    }
    case 'UNKNOWN_SUBSET': {
      const rule = findDestinationRule(registry, host);
      return ctx.gaps.coversRuleHost(host) || (rule !== null && lostUnder(rule.resource, 'subsets'));
    }
    default:
      return false;
  }
}

/** Whether a salvaged resource lost a value at or under `spec.<field>` (or `spec` itself). */
function lostUnder(resource: { readonly source: ResourceSource }, field: string): boolean {
  return resource.source.salvage?.removed.some((p) => p.length < 2 || p[1] === field) ?? false;
}

function compileRewrite(vs: ValidatedVirtualService, spec: HttpRouteSpec, at: FieldPath, ctx: CompileContext): Rewrite | null {
  const rw = spec.rewrite;
  if (rw === undefined) return null;
  if (rw.uri !== undefined && rw.uriRegexRewrite !== undefined) {
    ctx.error('REWRITE_CONFLICT', vs, [...at, 'rewrite', 'uriRegexRewrite'], 'set either rewrite.uri or rewrite.uriRegexRewrite, not both');
  }
  let uriRegex: Rewrite['uriRegex'] = null;
  if (rw.uriRegexRewrite !== undefined) {
    // Envoy's regex_rewrite replaces every match (RE2 GlobalReplace): Re2Regex.replaceAll.
    const regex = ctx.regexCompiler(vs)(rw.uriRegexRewrite.match, false, [...at, 'rewrite', 'uriRegexRewrite', 'match']);
    if (regex !== null) uriRegex = { regex, rewrite: toJsReplacement(rw.uriRegexRewrite.rewrite) };
  }
  if (rw.uri === undefined && uriRegex === null && rw.authority === undefined) return null;
  return { uri: rw.uri ?? null, uriRegex, authority: rw.authority ?? null };
}

/**
 * RE2 substitutions write capture groups as `\1`; `String.prototype.replace` wants `$1` and reads a
 * bare `$` specially, so literal dollars are doubled.
 */
export function toJsReplacement(re2: string): string {
  let out = '';
  for (let i = 0; i < re2.length; i++) {
    const c = re2[i]!;
    const next = re2[i + 1];
    if (c === '\\' && next !== undefined && /\d/.test(next)) {
      out += `$${next}`;
      i++;
    } else if (c === '\\' && next === '\\') {
      out += '\\';
      i++;
    } else if (c === '$') {
      out += '$$';
    } else {
      out += c;
    }
  }
  return out;
}

function compileRetry(vs: ValidatedVirtualService, spec: HttpRouteSpec, at: FieldPath, ctx: CompileContext): RetryPolicy | null {
  const r = spec.retries;
  if (r === undefined) {
    return {
      numRetries: DEFAULT_RETRY_ATTEMPTS,
      perTryTimeoutMs: null,
      retryOn: new Set(DEFAULT_RETRY_ON),
      retriableStatusCodes: new Set(DEFAULT_RETRIABLE_STATUS_CODES),
    };
  }
  // As in Istio, a retries block without attempts (or with 0) disables retries.
  if (r.attempts === undefined || r.attempts === 0) return null;
  let retryOn = new Set<string>(DEFAULT_RETRY_ON);
  let codes = new Set<number>(DEFAULT_RETRIABLE_STATUS_CODES);
  if (r.retryOn !== undefined && r.retryOn !== '') {
    const compiled = compileRetryOn(r.retryOn, {
      error: (message) => ctx.error('INVALID_RETRY_ON', vs, [...at, 'retries', 'retryOn'], message),
      ignored: (message) => ctx.warn('NO_OP_FIELD', vs, [...at, 'retries', 'retryOn'], message),
    });
    retryOn = new Set(compiled.retryOn);
    codes = new Set(compiled.statusCodes);
  }
  return {
    numRetries: r.attempts,
    perTryTimeoutMs: r.perTryTimeout === undefined || durationMs(r.perTryTimeout) === 0 ? null : durationMs(r.perTryTimeout),
    retryOn,
    retriableStatusCodes: codes,
  };
}

/** Istio `Headers` → header operations with lower-case names. */
export function compileHeaders(spec: HeadersSpec | undefined): HeaderPolicy | null {
  if (spec === undefined) return null;
  const side = (ops: NonNullable<HeadersSpec['request']> | undefined): HeaderOperations | null => {
    if (ops === undefined) return null;
    return {
      set: Object.entries(ops.set ?? {}).map(([k, v]) => [k.toLowerCase(), v] as const),
      add: Object.entries(ops.add ?? {}).map(([k, v]) => [k.toLowerCase(), v] as const),
      remove: (ops.remove ?? []).map((k) => k.toLowerCase()),
    };
  };
  const request = side(spec.request);
  const response = side(spec.response);
  return request === null && response === null ? null : { request, response };
}

function shadowHostSuffix(vs: ValidatedVirtualService, ctx: CompileContext): boolean {
  const value = vs.metadata.annotations[SHADOW_HOST_SUFFIX_ANNOTATION];
  if (value === undefined || value === 'true') return true;
  if (value === 'false') return false;
  ctx.warn(
    'INVALID_ANNOTATION',
    vs,
    ['metadata', 'annotations', SHADOW_HOST_SUFFIX_ANNOTATION],
    `expected "true" or "false", got ${JSON.stringify(value)}; the -shadow suffix stays on`,
  );
  return true;
}
