/**
 * The config package: load Istio resources from files, shape-check them, and compile them into a
 * `Snapshot`. Problems are returned as `ConfigDiagnostic` values, never thrown.
 */
import type { ServiceRegistry } from './compile/services.ts';
import { compileSnapshot, type CompileOptions } from './compile/snapshot.ts';
import { hasErrors, sortDiagnostics, unattachedDiagnostic, type ConfigDiagnostic } from './diagnostics.ts';
import { loadResources, type LoadOptions, type LoadResult } from './load.ts';
import type { Snapshot } from '../snapshot/types.ts';

export { DEFAULT_MAX_CONFIG_FILE_BYTES, loadResources, parseResources, type LoadOptions, type LoadResult } from './load.ts';

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
export { DEFAULT_PROXY_IDENTITY, MESH_GATEWAY, type ProxyIdentity } from './compile/match-scope.ts';
export { meshListenerName, type MeshListenerAddress } from './compile/mesh.ts';
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
export async function buildSnapshotFromPaths(
  paths: readonly string[],
  options: CompileOptions = {},
  load: LoadOptions = {},
): Promise<BuildResult> {
  return compileLoaded(await loadResources(paths, load), paths, options);
}

/** Codes of load errors that lose a document (its resources are unknown to the later stages). */
const LOST_DOCUMENT_CODES: ReadonlySet<string> = new Set(['READ_FAILED', 'FILE_TOO_LARGE', 'YAML_SYNTAX', 'INVALID_RESOURCE', 'UNKNOWN_FIELD']);

/**
 * Compiles what `loadResources` returned, in one pass that reports the problems of every stage: load
 * errors do not stop the compile. When a document was lost to a load error, the compile is told so
 * (`incompleteInput`) and does not report references to resources that may have been in it. A load
 * that found no resource at all (and no error) is itself an error, `NO_RESOURCES`.
 */
export function compileLoaded(loaded: LoadResult, paths: readonly string[], options: CompileOptions = {}): BuildResult {
  const lost = loaded.diagnostics.some((d) => d.severity === 'error' && LOST_DOCUMENT_CODES.has(d.code));
  const extra: ConfigDiagnostic[] = [];
  if (loaded.resources.length === 0 && !lost) {
    const looked = loaded.files.length === 0 ? 'no .yaml, .yml or .json file' : `${loaded.files.length} file(s) but no Gateway, VirtualService, DestinationRule or ServiceEntry`;
    extra.push(
      unattachedDiagnostic('error', 'NO_RESOURCES', paths.join(', '), null, `no Istio resources found: ${looked} under ${paths.join(', ')} (directories are read recursively)`),
    );
  }
  const compiled = compileSnapshot(loaded.resources, { ...options, incompleteInput: lost || loaded.resources.length === 0 || options.incompleteInput === true });
  const fileOrder = [...new Set([...loaded.files, ...loaded.resources.map((r) => r.source.file), ...loaded.diagnostics.map((d) => d.file)])];
  const diagnostics = sortDiagnostics([...extra, ...loaded.diagnostics, ...compiled.diagnostics], fileOrder);
  const failed = hasErrors(diagnostics);
  return { snapshot: failed ? null : compiled.snapshot, diagnostics, services: compiled.services };
}
