/**
 * The config package: load Istio resources from files, shape-check them, and compile them into a
 * `Snapshot`. Problems are returned as `ConfigDiagnostic` values, never thrown.
 */
import type { ServiceRegistry } from './compile/services.ts';
import { compileSnapshot, type CompileOptions } from './compile/snapshot.ts';
import { sortDiagnostics, type ConfigDiagnostic } from './diagnostics.ts';
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
export { findDestinationRule } from './compile/services.ts';
export { SHADOW_HOST_SUFFIX_ANNOTATION } from './compile/routes.ts';
export {
  DIAGNOSTIC_CODES,
  formatDiagnostic,
  formatFieldPath,
  hasErrors,
  sortDiagnostics,
  type ConfigDiagnostic,
  type DiagnosticCode,
  type Severity,
} from './diagnostics.ts';
export type { RawResource, ResourceKind, ResourceSource, ResourceMetadata, Position } from './source.ts';
export { validateResource, type ValidatedResource } from './schema/validate.ts';
export { UNSUPPORTED_FIELDS } from './schema/unsupported.ts';
export { resolveHost } from './names.ts';

export interface BuildResult {
  /** `null` when loading or compiling found an error. */
  readonly snapshot: Snapshot | null;
  /** Load and compile diagnostics, sorted by file (in load order), line and column. */
  readonly diagnostics: ConfigDiagnostic[];
  /** For `validateMirrorOverride`. */
  readonly services: ServiceRegistry;
}

/** Loads `paths` and compiles what loaded; any load error also withholds the snapshot. */
export async function buildSnapshotFromPaths(paths: readonly string[], options: CompileOptions = {}): Promise<BuildResult> {
  const loaded = await loadResources(paths);
  const compiled = compileSnapshot(loaded.resources, options);
  const fileOrder = [...new Set([...loaded.resources.map((r) => r.source.file), ...loaded.diagnostics.map((d) => d.file)])];
  const diagnostics = sortDiagnostics([...loaded.diagnostics, ...compiled.diagnostics], fileOrder);
  const failed = loaded.diagnostics.some((d) => d.severity === 'error');
  return { snapshot: failed ? null : compiled.snapshot, diagnostics, services: compiled.services };
}
