/**
 * The compile step: validated resources → one deep-frozen `Snapshot`. Every problem is collected (the
 * compile does not stop at the first); the snapshot is `null` when any of them is an error.
 */
import { createHash } from 'node:crypto';
import { deepFreeze } from '../../snapshot/freeze.ts';
import type { Cluster, MirrorSettings, ProxySettings, Route, Snapshot } from '../../snapshot/types.ts';
import { hasErrors, sortDiagnostics, unattachedDiagnostic, type ConfigDiagnostic } from '../diagnostics.ts';
import type { RawResource } from '../source.ts';
import {
  validateResource,
  type ValidatedDestinationRule,
  type ValidatedGateway,
  type ValidatedMirrorPolicy,
  type ValidatedResource,
  type ValidatedSecret,
  type ValidatedServiceEntry,
  type ValidatedVirtualService,
} from '../schema/validate.ts';
import { buildCluster } from './clusters.ts';
import { CompileContext } from './context.ts';
import { bindVirtualService, finishListeners, planListeners, type ListenerPlan, type RoutesFor } from './listeners.ts';
import { DEFAULT_PROXY_IDENTITY, dependsOnGateway, scopeApplies, type ProxyIdentity } from './match-scope.ts';
import { appliesToMesh, buildMeshListener, checkMeshHosts, meshListenerName, type MeshListenerAddress } from './mesh.ts';
import { applyMirrorPolicies } from './mirror-policies.ts';
import { applyMirrorOverrides, type MirrorOverride } from './overrides.ts';
import { isDelegate } from './delegate.ts';
import { checkDelegate, compileVirtualServiceRoutes, type ClusterTargets, type CompiledRoute } from './routes.ts';
import { SecretStore } from './secrets.ts';
import { buildServiceRegistry, type ServiceRegistry } from './services.ts';

export const DEFAULT_MIRROR_SETTINGS: MirrorSettings = {
  maxBodyBytes: 8 * 1024 * 1024,
  defaultTimeoutMs: 10_000,
  maxInFlight: 1000,
  maxResponseBytes: 1024 * 1024,
};

export const DEFAULT_PROXY_SETTINGS: ProxySettings = {
  retryBufferBytes: 1024 * 1024,
};

export interface CompileOptions {
  readonly mirror?: Partial<MirrorSettings>;
  readonly proxy?: Partial<ProxySettings>;
  /** Route id → replacement for that route's mirrors. */
  readonly overrides?: ReadonlyMap<string, MirrorOverride>;
  /** Clock for `loadedAt` (tests inject one). */
  readonly now?: () => Date;
  /**
   * The gateway workload's labels and namespace, against which `match[].sourceLabels` and
   * `sourceNamespace` are evaluated (`--proxy-labels`, `--proxy-namespace`). Default: no labels, `default`.
   */
  readonly identity?: ProxyIdentity;
  /**
   * Where to serve mesh-bound VirtualServices and the service registry, as a sidecar's outbound
   * routes (`--mesh-listener`); absent: mesh routes are not served.
   */
  readonly meshListener?: MeshListenerAddress;
  /**
   * Set when some documents could not be read (a YAML error, say): references to resources that may
   * have been in them, and "no Gateway", are not reported, since they would only echo that error.
   */
  readonly incompleteInput?: boolean;
}

export interface CompileResult {
  /** `null` when any diagnostic is an error. */
  readonly snapshot: Snapshot | null;
  /** Sorted by file (load order), line and column. */
  readonly diagnostics: ConfigDiagnostic[];
  /** The service registry the snapshot was checked against; `validateMirrorOverride` takes it. */
  readonly services: ServiceRegistry;
}

/** Compiles resources (raw ones are shape-checked first) into a snapshot. */
export function compileSnapshot(resources: readonly (RawResource | ValidatedResource)[], options: CompileOptions = {}): CompileResult {
  const ctx = new CompileContext();
  ctx.gaps.all = options.incompleteInput === true;
  const validated: ValidatedResource[] = [];
  for (const r of resources) {
    if ('validated' in r && r.validated === true) {
      validated.push(r as ValidatedResource);
      continue;
    }
    const result = validateResource(r);
    ctx.diagnostics.push(...result.diagnostics);
    if (result.resource !== null) validated.push(result.resource);
    else ctx.gaps.addDropped(r);
  }
  const identity = options.identity ?? DEFAULT_PROXY_IDENTITY;
  const visible = validated.filter((r) => exportedTo(r, identity.namespace, ctx));
  const ofKind = <K extends ValidatedResource['kind']>(kind: K) =>
    visible.filter((r): r is Extract<ValidatedResource, { kind: K }> => r.kind === kind);
  const gateways: ValidatedGateway[] = ofKind('Gateway');
  const virtualServices: ValidatedVirtualService[] = ofKind('VirtualService');
  const serviceEntries: ValidatedServiceEntry[] = ofKind('ServiceEntry');
  const destinationRules: ValidatedDestinationRule[] = ofKind('DestinationRule');
  const mirrorPolicies: ValidatedMirrorPolicy[] = ofKind('MirrorPolicy');
  const secrets = new SecretStore(ofKind('Secret') as ValidatedSecret[], ctx);

  const mirror = settings('mirror', DEFAULT_MIRROR_SETTINGS, options.mirror, ctx.diagnostics);
  const proxy = settings('proxy', DEFAULT_PROXY_SETTINGS, options.proxy, ctx.diagnostics);

  const services = buildServiceRegistry(serviceEntries, destinationRules, ctx, secrets);
  const plan = planListeners(gateways, ctx, { store: secrets, namespace: identity.namespace });
  const mesh = options.meshListener ?? null;
  const gatewayLost = options.incompleteInput === true || resources.some((r) => r.kind === 'Gateway');
  if (gateways.length === 0 && !gatewayLost && mesh === null) {
    ctx.diagnostics.push(
      unattachedDiagnostic(
        'error',
        'NO_LISTENERS',
        resources[0]?.source.file ?? '',
        null,
        'no Gateway is defined, so shadowgate would not listen on any port: add a networking.istio.io Gateway with an HTTP or HTTPS server, or serve mesh routes with --mesh-listener HOST:PORT',
      ),
    );
  }
  if (mesh !== null) checkMeshAddress(mesh, plan.listeners, ctx);

  const targets: ClusterTargets = new Map();
  const routesByVs = new Map<ValidatedVirtualService, CompiledRoute[]>();
  const routesById = new Map<string, CompiledRoute>();
  const byName = new Map(virtualServices.map((vs) => [`${vs.metadata.namespace}/${vs.metadata.name}`, vs] as const));
  const meshVirtualServices: ValidatedVirtualService[] = [];
  for (const vs of virtualServices) {
    // A delegate is served only through the root routes that name it.
    if (isDelegate(vs)) {
      checkDelegate(vs, ctx);
      continue;
    }
    const forMesh = appliesToMesh(vs);
    if (forMesh) checkMeshHosts(vs, ctx);
    const forGateways = bindVirtualService(vs, plan, ctx, mesh !== null);
    if (forMesh && mesh !== null) meshVirtualServices.push(vs);
    if (!forGateways && !(forMesh && mesh !== null)) continue;
    const routes = compileVirtualServiceRoutes(vs, services, targets, ctx, byName);
    routesByVs.set(vs, routes);
    for (const r of routes) if (!routesById.has(r.route.id)) routesById.set(r.route.id, r);
  }
  applyMirrorPolicies(mirrorPolicies, byName, routesByVs, services, targets, ctx);
  if (options.overrides !== undefined) {
    applyMirrorOverrides(options.overrides, routesById, services, targets, ctx.diagnostics);
  }

  const routesOf = routesForContext(routesByVs);
  const meshListener =
    mesh === null ? null : buildMeshListener({ at: mesh, virtualServices: meshVirtualServices, routesOf, registry: services, targets, identity }, ctx);

  const clusters = new Map<string, Cluster>();
  for (const target of targets.values()) clusters.set(target.name, buildCluster(target, ctx));

  const listeners = finishListeners(plan, routesOf, virtualServices, identity);
  if (meshListener !== null) listeners.push(meshListener);

  const diagnostics = sortDiagnostics(ctx.diagnostics, [...new Set(resources.map((r) => r.source.file))]);
  if (hasErrors(diagnostics)) return { snapshot: null, diagnostics, services };
  const snapshot: Snapshot = {
    version: snapshotVersion(validated, ctx.fileDigests, options, mirror, proxy),
    loadedAt: (options.now?.() ?? new Date()).toISOString(),
    listeners,
    clusters,
    mirror,
    proxy,
  };
  return { snapshot: deepFreeze(snapshot), diagnostics, services };
}

/**
 * Each VirtualService's routes as generated for a gateway, port and proxy: matches whose
 * `gateways`/`port`/`sourceLabels`/`sourceNamespace` do not apply are left out, and a route left with
 * none is dropped, as Istio's `BuildHTTPRoutesForVirtualService` does. Results are cached, and a
 * VirtualService whose matches name no gateway gets one array per port, so `finishListeners` adds it once.
 */
function routesForContext(routesByVs: ReadonlyMap<ValidatedVirtualService, readonly CompiledRoute[]>): RoutesFor {
  const cache = new Map<ValidatedVirtualService, Map<string, readonly Route[]>>();
  return (vs, context) => {
    const compiled = routesByVs.get(vs) ?? [];
    const key = compiled.some((r) => dependsOnGateway(r.scopedMatches)) ? `${context.gateway}|${context.port}` : String(context.port);
    let byKey = cache.get(vs);
    if (byKey === undefined) cache.set(vs, (byKey = new Map()));
    const hit = byKey.get(key);
    if (hit !== undefined) return hit;
    const routes: Route[] = [];
    for (const r of compiled) {
      if (r.scopedMatches === null) {
        routes.push(r.route);
        continue;
      }
      const kept = r.scopedMatches.filter((m) => scopeApplies(m.scope, context));
      if (kept.length === 0) continue;
      routes.push(kept.length === r.scopedMatches.length ? r.route : { ...r.route, matches: kept.map((m) => m.match) });
    }
    byKey.set(key, routes);
    return routes;
  };
}

/** The mesh listener cannot share its address and port with a Gateway listener (port 0 always gets its own). */
function checkMeshAddress(mesh: MeshListenerAddress, listeners: ListenerPlan['listeners'], ctx: CompileContext): void {
  if (mesh.port === 0) return;
  const wildcard = (a: string) => a === '0.0.0.0' || a === '::';
  const taken = listeners.find((l) => l.port === mesh.port && (l.address === mesh.address || wildcard(l.address) || wildcard(mesh.address)));
  if (taken === undefined) return;
  ctx.diagnostics.push(
    unattachedDiagnostic(
      'error',
      'MESH_LISTENER_CONFLICT',
      '<options>',
      null,
      `--mesh-listener ${mesh.address}:${mesh.port} (listener ${meshListenerName(mesh)}) takes the port of listener ${taken.name} (Gateway ${taken.gateways.join(', ')}); give the mesh listener another port`,
      'meshListener',
    ),
  );
}

/**
 * Istio's `exportTo` as a gateway in `namespace` sees it: absent (or empty) and `*` export everywhere,
 * `.` to the resource's own namespace, a name to that namespace, `~` nowhere. A resource this gateway
 * would not see is skipped with a warning.
 */
function exportedTo(resource: ValidatedResource, namespace: string, ctx: CompileContext): boolean {
  const exportTo = resource.kind === 'Gateway' || resource.kind === 'Secret' || resource.kind === 'MirrorPolicy' ? undefined : resource.spec.exportTo;
  if (exportTo === undefined || exportTo.length === 0) return true;
  const ok = exportTo.some((v) => v === '*' || v === namespace || (v === '.' && resource.metadata.namespace === namespace));
  if (!ok) {
    ctx.warn(
      'NOT_EXPORTED',
      resource,
      ['spec', 'exportTo'],
      `exported to ${exportTo.join(', ')}, not to namespace ${namespace} (--proxy-namespace) where this gateway runs; skipped, as Istio's gateway there would not see it`,
    );
  }
  return ok;
}

function settings<T extends object>(
  name: string,
  defaults: T,
  given: Partial<T> | undefined,
  diagnostics: ConfigDiagnostic[],
): T {
  const out = { ...defaults };
  for (const [key, value] of Object.entries(given ?? {})) {
    if (!(key in defaults)) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      diagnostics.push(
        unattachedDiagnostic('error', 'INVALID_OPTION', '<options>', null, `must be a non-negative number (got ${String(value)})`, `${name}.${key}`),
      );
      continue;
    }
    (out as Record<string, unknown>)[key] = value;
  }
  return out;
}

/**
 * sha256 (first 12 hex characters) of a canonical JSON of the validated resources in load order, the
 * contents of the certificate files they name, the settings and the overrides: anything that changes
 * the snapshot changes the version.
 */
function snapshotVersion(
  resources: readonly ValidatedResource[],
  fileDigests: ReadonlyMap<string, string>,
  options: CompileOptions,
  mirror: MirrorSettings,
  proxy: ProxySettings,
): string {
  // Hashed a resource at a time: one canonical JSON string of a large config would be as big as the
  // config, and building it nested allocates several times that.
  // The same bytes as canonicalJson of { files, mirror, overrides, proxy, resources } (keys sorted).
  const rest = {
    files: [...fileDigests.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    mirror,
    proxy,
    identity: options.identity ?? DEFAULT_PROXY_IDENTITY,
    mesh: options.meshListener ?? null,
    overrides: [...(options.overrides ?? new Map<string, MirrorOverride>()).entries()],
  };
  const hash = createHash('sha256');
  hash.update(`${canonicalJson(rest).slice(0, -1)},"resources":[`);
  resources.forEach((r, i) => {
    hash.update(`${i === 0 ? '' : ','}${canonicalJson({ apiVersion: r.apiVersion, kind: r.kind, metadata: r.metadata, spec: r.spec })}`);
  });
  hash.update(']}');
  return hash.digest('hex').slice(0, 12);
}

/** JSON with object keys sorted, so equal content hashes equally whatever the key order in YAML. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
