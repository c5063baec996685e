/**
 * Raw resources as read from YAML, and the positions that let every diagnostic point at a line.
 */
import { isMap, isPair, isScalar, isSeq, parseDocument, type LineCounter } from 'yaml';
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
 * Where the entries of one YAML collection start, kept instead of the YAML tree itself: the parser's
 * nodes cost tens of bytes per byte of config, so holding every document's tree until compile time made
 * a large config's memory (and the collector's work) grow far faster than the file. One flat array per
 * collection, sized exactly: a map holds `key, offset, child` per entry (scalar keys only, as strings;
 * `offset` is the key's), a sequence `offset, child` per item; `child` is the entry's value when that
 * is a collection, `null` otherwise (scalars, aliases).
 *
 * The tree stops at `POSITION_TREE_DEPTH` levels below the resource (`spec.http[3]`, `spec.hosts[0]`:
 * what every compiled route and service points back at); deeper collections are `DEEPER`, and a path
 * into one is located by parsing that one document again, which only a diagnostic needs.
 */
export interface PositionTree {
  readonly map: boolean;
  readonly entries: readonly (string | number | PositionTree | null)[];
}

export const POSITION_TREE_DEPTH = 3;

/** A collection below the tree's depth. */
const DEEPER: PositionTree = Object.freeze({ map: false, entries: Object.freeze([]) });

/** The offsets of `node`'s collections, `depth` levels down; `null` for a scalar or an alias. */
export function positionTree(node: unknown, depth = POSITION_TREE_DEPTH): PositionTree | null {
  if (isMap(node)) {
    if (depth === 0) return DEEPER;
    const entries = new Array<string | number | PositionTree | null>(node.items.length * 3);
    let n = 0;
    for (const pair of node.items) {
      if (!isPair(pair) || !isScalar(pair.key)) continue;
      entries[n++] = String(pair.key.value);
      entries[n++] = rangeStart(pair.key) ?? -1;
      entries[n++] = positionTree(pair.value, depth - 1);
    }
    entries.length = n;
    return { map: true, entries };
  }
  if (isSeq(node)) {
    if (depth === 0) return DEEPER;
    const entries = new Array<string | number | PositionTree | null>(node.items.length * 2);
    let n = 0;
    for (const item of node.items) {
      entries[n++] = rangeStart(item) ?? -1;
      entries[n++] = positionTree(item, depth - 1);
    }
    return { map: false, entries };
  }
  return null;
}

/** Where a resource sits in its file, for the locator's re-parse of deep paths. */
export interface DocumentSpan {
  /** The whole file's text. */
  readonly text: string;
  /** The document's start and end offsets in `text`. */
  readonly start: number;
  readonly end: number;
  /** The resource's path inside the document: `[]`, or `['items', i]` for an item of a `kind: List`. */
  readonly prefix: FieldPath;
}

/** The most recently re-parsed document: diagnostics about one resource come in runs. */
let lastReparsed: { readonly span: DocumentSpan; readonly contents: unknown } | null = null;

function reparsedContents(span: DocumentSpan): unknown {
  if (lastReparsed?.span !== span) {
    const doc = parseDocument(span.text.slice(span.start, span.end), { prettyErrors: false, keepSourceTokens: false });
    lastReparsed = { span, contents: doc.errors.length === 0 ? doc.contents : null };
  }
  return lastReparsed.contents;
}

/**
 * Makes a `locate` function over a resource's position tree. `rootAt` is the offset of the resource's
 * own node (the document contents, or an item of a `kind: List`).
 */
export function treeLocator(
  root: PositionTree | null,
  rootAt: number | null,
  lineCounter: LineCounter,
  span: DocumentSpan,
): (path: FieldPath) => Position {
  const at = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  return (path) => {
    let node = root;
    let best: Position = rootAt !== null ? at(rootAt) : { line: 1, column: 1 };
    for (let depth = 0; depth < path.length; depth++) {
      const part = path[depth]!;
      if (node === null) break;
      if (node === DEEPER) return locateInYaml(reparsedContents(span), [...span.prefix, ...path], span.start, at) ?? best;
      const { entries } = node;
      let i = -1; // index of the entry's offset
      if (node.map) {
        const key = String(part);
        for (let k = 0; k < entries.length; k += 3) {
          if (entries[k] === key) {
            i = k + 1;
            break;
          }
        }
      } else if (typeof part === 'number' && part >= 0 && part * 2 < entries.length) {
        i = part * 2;
      }
      if (i < 0) break;
      const offset = entries[i] as number;
      if (offset >= 0) best = at(offset);
      node = entries[i + 1] as PositionTree | null;
    }
    return best;
  };
}

/** The deepest node along `path` in a parsed YAML tree whose offsets are `shift` short of the file's. */
function locateInYaml(root: unknown, path: FieldPath, shift: number, at: (offset: number) => Position): Position | null {
  let node = root;
  const start = rangeStart(root);
  let best = start !== null ? at(start + shift) : null;
  for (const part of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(part));
      if (pair === undefined) break;
      const keyStart = rangeStart(pair.key);
      if (keyStart !== null) best = at(keyStart + shift);
      node = pair.value;
    } else if (isSeq(node) && typeof part === 'number') {
      const item = node.items[part];
      if (item === undefined) break;
      const itemStart = rangeStart(item);
      if (itemStart !== null) best = at(itemStart + shift);
      node = item;
    } else {
      break;
    }
  }
  return best;
}

/** The offset where a YAML node starts, when it has one. */
export function rangeStart(node: unknown): number | null {
  if (node === null || typeof node !== 'object') return null;
  const range = (node as { range?: readonly number[] | null }).range;
  return range?.[0] ?? null;
}
