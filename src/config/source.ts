/**
 * Raw resources as read from YAML, and the positions that let every diagnostic point at a line.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, type LineCounter, type Node } from 'yaml';
import {
  formatFieldPath,
  type ConfigDiagnostic,
  type DiagnosticCode,
  type FieldPath,
  type Severity,
} from './diagnostics.ts';

export const RESOURCE_KINDS = ['Gateway', 'VirtualService', 'DestinationRule', 'ServiceEntry', 'Secret', 'MirrorPolicy'] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

/** shadowgate's own kinds, with their apiVersion (their fields come from their schema, not Istio's tables). */
export const SHADOWGATE_KINDS: Readonly<Record<string, string>> = { MirrorPolicy: 'shadowgate.io/v1alpha1' };

/** The kinds checked against Istio's (and Kubernetes') field tables in `fields.ts`. */
export type FieldTableKind = Exclude<ResourceKind, 'MirrorPolicy'>;

export const ISTIO_API_VERSIONS = [
  'networking.istio.io/v1alpha3',
  'networking.istio.io/v1beta1',
  'networking.istio.io/v1',
] as const;

/** Kubernetes core kinds read from the config files (for `credentialName`), with their apiVersion. */
export const CORE_KINDS: Readonly<Record<string, string>> = { Secret: 'v1' };

/** A 1-based line and column. */
export interface Position {
  readonly line: number;
  readonly column: number;
}

/** Where a resource was read from. */
export interface ResourceSource {
  readonly file: string;
  /** Index of the YAML document within the file (0-based). */
  readonly docIndex: number;
  /**
   * Position of the deepest node that exists along `path` (relative to the resource, e.g.
   * `['spec', 'http', 0, 'mirror', 'port']`). A map entry is located at its key.
   */
  locate(path: FieldPath): Position;
  /**
   * Present on a resource salvaged after schema errors (schema/validate.ts): paths given to `locate`
   * and to diagnostics are paths in the salvaged spec, `original` maps them back to the YAML, and
   * `removed` lists the (original) paths of the values that were removed.
   */
  readonly salvage?: {
    original(path: FieldPath): FieldPath;
    readonly removed: readonly FieldPath[];
  };
}

export interface ResourceMetadata {
  readonly name: string;
  /** `default` when the document sets none. */
  readonly namespace: string;
  readonly annotations: Readonly<Record<string, string>>;
}

/** One Istio resource as loaded, before its spec is shape-checked. */
export interface RawResource {
  readonly apiVersion: string;
  readonly kind: ResourceKind;
  readonly metadata: ResourceMetadata;
  readonly spec: unknown;
  readonly source: ResourceSource;
}

/** The part of a resource a diagnostic needs to point at it. */
export interface ResourceIdentity {
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace: string };
  readonly source: ResourceSource;
}

/** Builds a diagnostic about a field of a resource, located through the resource's source. */
export function resourceDiagnostic(
  severity: Severity,
  code: DiagnosticCode,
  resource: ResourceIdentity,
  path: FieldPath,
  message: string,
): ConfigDiagnostic {
  const { line, column } = resource.source.locate(path);
  const field = resource.source.salvage?.original(path) ?? path;
  return {
    severity,
    file: resource.source.file,
    line,
    column,
    kind: resource.kind,
    namespace: resource.metadata.namespace,
    name: resource.metadata.name,
    field: formatFieldPath(field),
    message,
    code,
  };
}

/**
 * Whether a diagnostic at `path` of a salvaged resource would only echo a schema error: it is at,
 * inside or above a value that was removed (a route left without its bad destination has "no
 * destination", a list without its bad item has "wrong weights").
 */
export function echoesRemovedValue(resource: ResourceIdentity, path: FieldPath): boolean {
  const salvage = resource.source.salvage;
  if (salvage === undefined) return false;
  const p = salvage.original(path);
  const isPrefix = (a: FieldPath, b: FieldPath) => a.length <= b.length && a.every((x, i) => b[i] === x);
  return salvage.removed.some((r) => isPrefix(r, p) || isPrefix(p, r));
}

/**
 * Makes a `locate` function over a parsed YAML node. `root` is the resource's own node (the document
 * contents, or an item of a `kind: List`).
 */
export function nodeLocator(root: Node | null, lineCounter: LineCounter): (path: FieldPath) => Position {
  const at = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  return (path) => {
    let node: unknown = root;
    let best: Position = rangeStart(root) !== null ? at(rangeStart(root)!) : { line: 1, column: 1 };
    for (const part of path) {
      if (isAlias(node)) break;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(part));
        if (pair === undefined) break;
        const keyStart = rangeStart(pair.key);
        if (keyStart !== null) best = at(keyStart);
        node = pair.value;
      } else if (isSeq(node) && typeof part === 'number') {
        const item = node.items[part];
        if (item === undefined) break;
        const start = rangeStart(item);
        if (start !== null) best = at(start);
        node = item;
      } else {
        break;
      }
    }
    return best;
  };
}

function rangeStart(node: unknown): number | null {
  if (node === null || typeof node !== 'object') return null;
  const range = (node as { range?: readonly number[] | null }).range;
  return range?.[0] ?? null;
}
