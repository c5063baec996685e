/**
 * The config package: load Istio resources from files, shape-check them, and compile them into a
 * `Snapshot`. Problems are returned as `ConfigDiagnostic` values, never thrown.
 */
import { compileSnapshot, type CompileOptions } from './compile/snapshot.ts';
import type { ConfigDiagnostic } from './diagnostics.ts';
import { loadResources } from './load.ts';
import type { Snapshot } from '../snapshot/types.ts';

export { loadResources, parseResources, type LoadResult } from './load.ts';
export {
  compileSnapshot,
  canonicalJson,
  DEFAULT_MIRROR_SETTINGS,
  DEFAULT_PROXY_SETTINGS,
  type CompileOptions,
  type CompileResult,
} from './compile/snapshot.ts';
export { validateMirrorOverride, OVERRIDE_SOURCE, type MirrorOverride } from './compile/overrides.ts';
export type { ServiceRegistry, Service, ServicePort } from './compile/services.ts';
export { SHADOW_HOST_SUFFIX_ANNOTATION } from './compile/routes.ts';
export {
  DIAGNOSTIC_CODES,
  formatDiagnostic,
  formatFieldPath,
  hasErrors,
  type ConfigDiagnostic,
  type DiagnosticCode,
  type Severity,
} from './diagnostics.ts';
export type { RawResource, ResourceKind, ResourceSource, ResourceMetadata, Position } from './source.ts';
export { validateResource, type ValidatedResource } from './schema/validate.ts';
export { UNSUPPORTED_FIELDS } from './schema/unsupported.ts';
export { resolveHost } from './names.ts';

/** Loads `paths` and compiles them; load diagnostics come first. */
export async function buildSnapshotFromPaths(
  paths: readonly string[],
  options: CompileOptions = {},
): Promise<{ snapshot: Snapshot | null; diagnostics: ConfigDiagnostic[] }> {
  const loaded = await loadResources(paths);
  const compiled = compileSnapshot(loaded.resources, options);
  const diagnostics = [...loaded.diagnostics, ...compiled.diagnostics];
  const failed = loaded.diagnostics.some((d) => d.severity === 'error');
  return { snapshot: failed ? null : compiled.snapshot, diagnostics };
}
