/**
 * MirrorPolicy resources → `MirrorPolicy.extensions` on the compiled mirrors of the routes they target.
 * A policy names a VirtualService (and optionally some of its `http[].name`s); each `mirrors[]` entry
 * picks mirror destinations of those routes by host (resolved in the VirtualService's namespace, as its
 * mirror hosts are) and optional subset and port, or all of them when it names no host.
 *
 * Choices: an entry naming a host the routes do not mirror is an error, not a warning, because header
 * rules usually strip credentials and must not silently apply to nothing; two policies (or two entries)
 * claiming one mirror is an error naming both places.
 */
import path from 'node:path';
import { parsePathPattern } from '../../compare/json-path.ts';
import type { CaptureSettings, CompareSettings, MirrorExtensions, StickySampling } from '../../snapshot/mirror-extensions.ts';
import type { HeaderOperations, MirrorPolicy } from '../../snapshot/types.ts';
import type { FieldPath } from '../diagnostics.ts';
import { resolveHost } from '../names.ts';
import type { MirrorRuleSpec } from '../schema/mirror-policy.ts';
import type { ValidatedMirrorPolicy, ValidatedVirtualService } from '../schema/validate.ts';
import { type CompileContext, positionText } from './context.ts';
import { isDelegate } from './delegate.ts';
import { resolveDestination } from './destinations.ts';
import { compileHeaders, type ClusterTargets, type CompiledRoute } from './routes.ts';
import type { ServiceRegistry } from './services.ts';

export const DEFAULT_COMPARE_MAX_BODY_BYTES = 256 * 1024;
export const DEFAULT_CAPTURE_MAX_FILE_BYTES = 64 * 1024 * 1024;
export const DEFAULT_CAPTURE_MAX_FILES = 5;
export const DEFAULT_CAPTURE_MAX_BODY_BYTES = 64 * 1024;
export const DEFAULT_CAPTURE_REDACT_HEADERS: readonly string[] = ['authorization', 'cookie', 'proxy-authorization'];

/** Headers the copy's authority and routing depend on: set them with `authority`, not header rules. */
const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection']);

/** Who set a mirror's extensions, for the conflict message. */
interface Claim {
  readonly policy: ValidatedMirrorPolicy;
  readonly field: FieldPath;
}

/**
 * Sets `extensions` on the mirrors the policies select, in place (routes are still mutable here).
 * Runs after the VirtualServices' routes are compiled and before runtime overrides, which keep the
 * extensions of a mirror they replace with the same destination (see `overrides.ts`).
 */
export function applyMirrorPolicies(
  policies: readonly ValidatedMirrorPolicy[],
  virtualServices: ReadonlyMap<string, ValidatedVirtualService>,
  routesByVs: ReadonlyMap<ValidatedVirtualService, readonly CompiledRoute[]>,
  registry: ServiceRegistry,
  targets: ClusterTargets,
  ctx: CompileContext,
): void {
  const claims = new Map<string, Claim>();
  const captures = new Map<string, { settings: CaptureSettings; policy: ValidatedMirrorPolicy; field: FieldPath }>();
  for (const policy of policies) {
    const { targetRef } = policy.spec;
    const namespace = targetRef.namespace ?? policy.metadata.namespace;
    const id = `${namespace}/${targetRef.name}`;
    const vs = virtualServices.get(id);
    if (vs === undefined) {
      if (!ctx.gaps.coversVirtualService(id)) {
        ctx.error('UNKNOWN_TARGET', policy, ['spec', 'targetRef', 'name'], `no VirtualService ${id} in the config files (targetRef.namespace defaults to the MirrorPolicy's)`);
      }
      continue;
    }
    if (isDelegate(vs)) {
      ctx.error('UNKNOWN_TARGET', policy, ['spec', 'targetRef', 'name'], `VirtualService ${id} is a delegate (no hosts); target the root VirtualService whose route delegates to it`);
      continue;
    }
    const written = new Set((vs.spec.http ?? []).map((h, i) => h.name ?? String(i)));
    policy.spec.routes?.forEach((name, i) => {
      if (!written.has(name)) {
        const known = [...written].join(', ');
        ctx.error('UNKNOWN_ROUTE', policy, ['spec', 'routes', i], `VirtualService ${id} has no http route named ${name} (its routes: ${known === '' ? 'none' : known})`);
      }
    });
    // A VirtualService that is not bound to a Gateway compiles no routes; its own diagnostics say why.
    const compiled = routesByVs.get(vs) ?? [];
    const names = policy.spec.routes === undefined ? null : new Set(policy.spec.routes);
    const selected = compiled.filter((r) => names === null || names.has(routeName(r, vs)));
    const rules: { rule: MirrorRuleSpec; at: FieldPath }[] =
      policy.spec.mirrors?.map((rule, k) => ({ rule, at: ['spec', 'mirrors', k] })) ?? [{ rule: {}, at: ['spec'] }];
    for (const { rule, at } of rules) {
      if (rule.host === undefined && (rule.subset !== undefined || rule.port !== undefined)) {
        ctx.error('INVALID_FIELD', policy, [...at, rule.subset !== undefined ? 'subset' : 'port'], 'selects a mirror by host: set host too (without host the entry applies to every mirror)');
        continue;
      }
      const extensions = compileExtensions(policy, rule, at, vs.metadata.namespace, registry, targets, ctx);
      if (extensions?.capture) {
        const other = captures.get(extensions.capture.path);
        const mine = extensions.capture;
        if (other === undefined) captures.set(mine.path, { settings: mine, policy, field: [...at, 'capture', 'path'] });
        else if (other.settings.maxFileBytes !== mine.maxFileBytes || other.settings.maxFiles !== mine.maxFiles) {
          ctx.error('CAPTURE_PATH_CONFLICT', policy, [...at, 'capture', 'path'], `${mine.path} is also written by ${positionText(other.policy, other.field)} with other maxFileBytes/maxFiles; one file has one rotation`);
        }
      }
      const host = rule.host === undefined ? null : resolveHost(rule.host, vs.metadata.namespace);
      let matched = 0;
      for (const r of selected) {
        const mirrors = r.route.mirrors;
        if (mirrors === null) continue;
        let changed = false;
        const next = mirrors.map((m, j): MirrorPolicy => {
          if (!mirrorMatches(m.cluster, host, rule)) return m;
          matched++;
          const key = `${r.route.id}#${j}`;
          const field = rule.host === undefined ? at : [...at, 'host'];
          const first = claims.get(key);
          if (first !== undefined) {
            ctx.error(
              'MIRROR_POLICY_CONFLICT',
              policy,
              field,
              `mirror ${m.cluster} of route ${r.route.id} is already configured by MirrorPolicy ${first.policy.metadata.namespace}/${first.policy.metadata.name} (${positionText(first.policy, first.field)}); one MirrorPolicy per mirror`,
            );
            return m;
          }
          claims.set(key, { policy, field });
          changed = true;
          return { ...m, extensions };
        });
        if (changed) r.route.mirrors = next;
      }
      if (matched > 0) continue;
      const shown = selected.flatMap((r) => (r.route.mirrors ?? []).map((m) => m.cluster));
      if (rule.host !== undefined) {
        const which = shown.length === 0 ? 'they mirror nothing' : `they mirror ${[...new Set(shown)].join(', ')}`;
        ctx.error('MIRROR_POLICY_NO_MATCH', policy, [...at, 'host'], `no mirror of ${host}${rule.subset ? ` subset ${rule.subset}` : ''}${rule.port ? ` port ${rule.port.number}` : ''} on the targeted routes of ${id}: ${which}`);
      } else if (selected.length > 0) {
        ctx.warn('MIRROR_POLICY_NO_MATCH', policy, ['spec', 'targetRef'], `the targeted routes of ${id} mirror nothing, so this MirrorPolicy has no effect`);
      }
    }
  }
}

/** The `http[].name` a compiled route came from (a delegated route's id is `root/leaf`). */
function routeName(route: CompiledRoute, vs: ValidatedVirtualService): string {
  const prefix = `${vs.metadata.namespace}/${vs.metadata.name}/`;
  const suffix = route.route.id.startsWith(prefix) ? route.route.id.slice(prefix.length) : route.route.id;
  const slash = suffix.indexOf('/');
  return slash === -1 ? suffix : suffix.slice(0, slash);
}

/** Whether mirror cluster `outbound|port|subset|host` is selected by an entry's host, subset and port. */
function mirrorMatches(cluster: string, host: string | null, rule: MirrorRuleSpec): boolean {
  if (host === null) return true;
  const [, port = '', subset = '', clusterHost = ''] = cluster.split('|');
  if (clusterHost !== host) return false;
  if (rule.subset !== undefined && subset !== rule.subset) return false;
  return rule.port === undefined || Number(port) === rule.port.number;
}

/** One `mirrors[]` entry's settings, `null` when it sets none (the hot path then pays one null check). */
function compileExtensions(
  policy: ValidatedMirrorPolicy,
  rule: MirrorRuleSpec,
  at: FieldPath,
  namespace: string,
  registry: ServiceRegistry,
  targets: ClusterTargets,
  ctx: CompileContext,
): MirrorExtensions | null {
  const requestHeaders = compileRequestHeaders(policy, rule, at, ctx);
  const authority = rule.authority ?? null;
  const sampling = compileSampling(rule);
  const compare = compileCompare(policy, rule, at, namespace, registry, targets, ctx);
  const capture = compileCapture(policy, rule);
  if (requestHeaders === null && authority === null && sampling === null && compare === null && capture === null) return null;
  return { source: `${policy.metadata.namespace}/${policy.metadata.name}`, requestHeaders, authority, sampling, compare, capture };
}

function compileRequestHeaders(policy: ValidatedMirrorPolicy, rule: MirrorRuleSpec, at: FieldPath, ctx: CompileContext): HeaderOperations | null {
  if (rule.requestHeaders === undefined) return null;
  for (const op of ['set', 'add'] as const) {
    for (const name of Object.keys(rule.requestHeaders[op] ?? {})) {
      if (RESERVED_HEADERS.has(name.toLowerCase())) {
        ctx.error('INVALID_FIELD', policy, [...at, 'requestHeaders', op, name], `${name} cannot be changed by header rules${name.toLowerCase() === 'host' ? ' (set authority instead)' : ''}`);
      }
    }
  }
  rule.requestHeaders.remove?.forEach((name, i) => {
    if (RESERVED_HEADERS.has(name.toLowerCase())) {
      ctx.error('INVALID_FIELD', policy, [...at, 'requestHeaders', 'remove', i], `${name} cannot be removed by header rules`);
    }
  });
  return compileHeaders({ request: rule.requestHeaders })?.request ?? null;
}

function compileSampling(rule: MirrorRuleSpec): StickySampling | null {
  const key = rule.sampling?.key;
  if (key === undefined) return null;
  if (key.header !== undefined) return { key: { kind: 'header', name: key.header.toLowerCase() } };
  if (key.cookie !== undefined) return { key: { kind: 'cookie', name: key.cookie } };
  return { key: { kind: 'queryParameter', name: key.queryParameter! } };
}

function compileCompare(
  policy: ValidatedMirrorPolicy,
  rule: MirrorRuleSpec,
  at: FieldPath,
  namespace: string,
  registry: ServiceRegistry,
  targets: ClusterTargets,
  ctx: CompileContext,
): CompareSettings | null {
  const spec = rule.compare;
  if (spec === undefined || spec.enabled === false) return null;
  const paths = (field: 'ignorePaths' | 'unorderedArrays'): string[] => {
    const out: string[] = [];
    spec[field]?.forEach((source, i) => {
      try {
        parsePathPattern(source);
        out.push(source);
      } catch (err) {
        ctx.error('INVALID_JSON_PATH', policy, [...at, 'compare', field, i], (err as Error).message);
      }
    });
    return out;
  };
  let baselineCluster: string | null = null;
  if (spec.baseline !== undefined) {
    const b = spec.baseline;
    const { target, problems } = resolveDestination({ host: b.host, port: b.port?.number, subset: b.subset }, namespace, 'mirror', registry);
    for (const p of problems) ctx.error(p.code, policy, [...at, 'compare', 'baseline', p.field], p.message);
    if (target !== null && problems.length === 0) {
      if (!targets.has(target.name)) targets.set(target.name, target);
      baselineCluster = target.name;
    }
  }
  return {
    maxBodyBytes: spec.maxBodyBytes ?? DEFAULT_COMPARE_MAX_BODY_BYTES,
    ignoreHeaders: (spec.ignoreHeaders ?? []).map((h) => h.toLowerCase()),
    ignorePaths: paths('ignorePaths'),
    tolerance: { absolute: spec.numericTolerance?.absolute ?? 0, relative: spec.numericTolerance?.relative ?? 0 },
    unorderedArrays: paths('unorderedArrays'),
    baselineCluster,
  };
}

function compileCapture(policy: ValidatedMirrorPolicy, rule: MirrorRuleSpec): CaptureSettings | null {
  const spec = rule.capture;
  if (spec === undefined) return null;
  // Relative to the config file, as certificate paths are.
  const file = path.isAbsolute(spec.path) ? spec.path : path.resolve(path.dirname(policy.source.file), spec.path);
  return {
    path: file,
    maxFileBytes: spec.maxFileBytes ?? DEFAULT_CAPTURE_MAX_FILE_BYTES,
    maxFiles: spec.maxFiles ?? DEFAULT_CAPTURE_MAX_FILES,
    maxBodyBytes: spec.maxBodyBytes ?? DEFAULT_CAPTURE_MAX_BODY_BYTES,
    redactHeaders: (spec.redactHeaders ?? DEFAULT_CAPTURE_REDACT_HEADERS).map((h) => h.toLowerCase()),
    includePrimaryResponse: spec.includePrimaryResponse ?? false,
  };
}
