/**
 * Runtime mirror overrides: replace one route's configured mirrors with a single policy (or none).
 * The checks are the ones a VirtualService mirror gets, so the admin API and the config give the same
 * messages.
 */
import { formatFieldPath, type ConfigDiagnostic, type DiagnosticCode } from '../diagnostics.ts';
import type { ClusterTarget } from './destinations.ts';
import { resolveDestination } from './destinations.ts';
import { percentToPerMillion } from '../../snapshot/fraction.ts';
import type { ClusterTargets, CompiledRoute } from './routes.ts';
import type { ServiceRegistry } from './services.ts';

/** A runtime replacement for one route's mirrors. */
export interface MirrorOverride {
  readonly destination: { readonly host: string; readonly port?: number; readonly subset?: string };
  /** 0..100, like `mirrorPercentage.value`. */
  readonly percentage: number;
  /** `false` turns the route's mirroring off. */
  readonly enabled: boolean;
}

/** Pseudo file name diagnostics about overrides carry (they do not come from a config file). */
export const OVERRIDE_SOURCE = '<mirror-override>';

/**
 * Checks one override for route `routeId` (`namespace/virtualservice/route`) against the compiled
 * services: the same host, port, protocol, subset and percentage rules as a VirtualService mirror.
 * Short hosts resolve in the route's namespace. Returns the problems; empty means it can be applied.
 */
export function validateMirrorOverride(routeId: string, override: MirrorOverride, services: ServiceRegistry): ConfigDiagnostic[] {
  return checkMirrorOverride(routeId, override, services).diagnostics;
}

export function checkMirrorOverride(
  routeId: string,
  override: MirrorOverride,
  services: ServiceRegistry,
): { target: ClusterTarget | null; diagnostics: ConfigDiagnostic[] } {
  const [namespace = 'default', name = ''] = routeId.split('/');
  const diagnostics: ConfigDiagnostic[] = [];
  const report = (code: DiagnosticCode, field: readonly string[], message: string, severity: 'error' | 'warning' = 'error') =>
    diagnostics.push({
      severity,
      file: OVERRIDE_SOURCE,
      line: 0,
      column: 0,
      kind: 'VirtualService',
      namespace,
      name,
      field: formatFieldPath(['mirrorOverrides', routeId, ...field]),
      message,
      code,
    });
  if (!override.enabled) return { target: null, diagnostics };
  const pct = override.percentage;
  if (typeof pct !== 'number' || !Number.isFinite(pct) || pct < 0 || pct > 100) {
    report('PERCENTAGE_RANGE', ['percentage'], `must be between 0 and 100 (got ${String(pct)})`);
  }
  const d = override.destination;
  if (typeof d?.host !== 'string' || d.host === '') {
    report('INVALID_FIELD', ['destination', 'host'], 'is required');
    return { target: null, diagnostics };
  }
  if (d.port !== undefined && (!Number.isInteger(d.port) || d.port < 0 || d.port > 65535)) {
    report('INVALID_FIELD', ['destination', 'port'], `must be a port number (got ${String(d.port)})`);
    return { target: null, diagnostics };
  }
  const { target, problems } = resolveDestination(d, namespace, 'mirror', services);
  for (const p of problems) report(p.code, ['destination', p.field], p.message);
  return { target: diagnostics.length === 0 ? target : null, diagnostics };
}

/** A warning for an override that cannot apply to the current config; the override itself is kept. */
function ignoredOverride(routeId: string, code: ConfigDiagnostic['code'], message: string): ConfigDiagnostic {
  const [namespace = '', name = ''] = routeId.split('/');
  return {
    severity: 'warning',
    file: OVERRIDE_SOURCE,
    line: 0,
    column: 0,
    kind: 'VirtualService',
    namespace,
    name,
    field: formatFieldPath(['mirrorOverrides', routeId]),
    message,
    code,
  };
}

/** Applies overrides to compiled routes in place, adding the clusters they need to `targets`. */
export function applyMirrorOverrides(
  overrides: ReadonlyMap<string, MirrorOverride>,
  routes: ReadonlyMap<string, CompiledRoute>,
  services: ServiceRegistry,
  targets: ClusterTargets,
  diagnostics: ConfigDiagnostic[],
): void {
  for (const [routeId, override] of overrides) {
    const compiled = routes.get(routeId);
    if (compiled === undefined) {
      diagnostics.push(ignoredOverride(routeId, 'UNKNOWN_ROUTE', `no route ${routeId} in the config; override ignored`));
      continue;
    }
    if (compiled.route.redirect !== null || compiled.route.directResponse !== null) {
      diagnostics.push(
        ignoredOverride(
          routeId,
          'NO_OP_FIELD',
          `route ${routeId} is answered by the gateway (redirect or directResponse) and forwards nothing, so there is nothing to mirror; override ignored`,
        ),
      );
      continue;
    }
    const checked = checkMirrorOverride(routeId, override, services);
    diagnostics.push(...checked.diagnostics);
    if (checked.diagnostics.some((x) => x.severity === 'error')) continue;
    if (!override.enabled || checked.target === null) {
      compiled.route.mirrors = null;
      continue;
    }
    const perMillion = percentToPerMillion(override.percentage);
    if (!targets.has(checked.target.name)) targets.set(checked.target.name, checked.target);
    // A MirrorPolicy's settings follow the destination: an override to the same cluster keeps them
    // (header rules that strip credentials must survive a percentage change), another one drops them.
    const extensions = compiled.route.mirrors?.find((m) => m.cluster === checked.target!.name)?.extensions ?? null;
    compiled.route.mirrors =
      perMillion > 0
        ? [{ cluster: checked.target.name, perMillion, hostSuffix: compiled.hostSuffix, origin: 'override', ...(extensions !== null ? { extensions } : {}) }]
        : null;
  }
}
