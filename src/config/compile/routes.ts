/**
 * VirtualService `http[]` → `Route`s: matches, weighted clusters, rewrite, timeout, retries, header
 * operations and mirror policies. Destinations are checked against the service registry and collected
 * as cluster targets.
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
import { matchScope, type ScopedMatch } from './match-scope.ts';
import { compileRequestMatch } from './matchers.ts';
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

/** Compiles every http route of a VirtualService, in order. */
export function compileVirtualServiceRoutes(
  vs: ValidatedVirtualService,
  registry: ServiceRegistry,
  targets: ClusterTargets,
  ctx: CompileContext,
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
    const scopedMatches = compileMatches(vs, spec, ['spec', 'http', i], ctx);
    const route = compileRoute(vs, spec, ['spec', 'http', i], id, name, hostSuffix, scopedMatches, registry, targets, ctx);
    out.push({ route, virtualService: vs, hostSuffix, scopedMatches });
  });
  return out;
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
  const clusters = compileWeightedClusters(vs, spec, at, registry, targets, ctx);
  return {
    id,
    name,
    matches,
    clusters,
    totalWeight: clusters.reduce((sum, c) => sum + c.weight, 0),
    rewrite: compileRewrite(vs, spec, at, ctx),
    timeoutMs: spec.timeout === undefined || durationMs(spec.timeout) === 0 ? null : durationMs(spec.timeout),
    retry: compileRetry(spec),
    headers: compileHeaders(spec.headers),
    mirrors: compileMirrors(vs, spec, at, hostSuffix, registry, targets, ctx),
    source: sourceRef(vs, at),
  };
}

/** `match[]` → compiled matches with their scopes; `null` when the route has none (it matches everything). */
function compileMatches(vs: ValidatedVirtualService, spec: HttpRouteSpec, at: FieldPath, ctx: CompileContext): ScopedMatch[] | null {
  if (spec.match === undefined || spec.match.length === 0) return null;
  const onRegexError = (field: FieldPath, message: string) => ctx.error('INVALID_REGEX', vs, field, message);
  const out: ScopedMatch[] = [];
  spec.match.forEach((m, j) => {
    const match = compileRequestMatch(m, [...at, 'match', j], onRegexError);
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
      'an http route needs at least one route[] destination (redirect, directResponse and delegate are not supported)',
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
    try {
      // Envoy's regex_rewrite replaces every match (RE2 GlobalReplace), hence the `g` flag.
      uriRegex = { regex: new RegExp(rw.uriRegexRewrite.match, 'g'), rewrite: toJsReplacement(rw.uriRegexRewrite.rewrite) };
    } catch (err) {
      ctx.error(
        'INVALID_REGEX',
        vs,
        [...at, 'rewrite', 'uriRegexRewrite', 'match'],
        `invalid regex ${JSON.stringify(rw.uriRegexRewrite.match)}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
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

function compileRetry(spec: HttpRouteSpec): RetryPolicy | null {
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
  if (r.retryOn !== undefined && r.retryOn.trim() !== '') {
    retryOn = new Set();
    codes = new Set();
    for (const entry of r.retryOn.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
      if (/^\d+$/.test(entry)) codes.add(Number(entry));
      else retryOn.add(entry);
    }
    if (codes.size > 0) retryOn.add('retriable-status-codes');
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
