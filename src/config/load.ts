/**
 * Loading: files and directories of YAML/JSON into raw Istio resources with positions. Problems are
 * returned as diagnostics; nothing here throws for bad config.
 */
import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Composer, isMap, isSeq, LineCounter, Parser, type Document, type Node, type YAMLError } from 'yaml';
import { type ConfigDiagnostic, unattachedDiagnostic } from './diagnostics.ts';
import { closestName } from './schema/field-check.ts';
import {
  CORE_KINDS,
  ISTIO_API_VERSIONS,
  positionTree,
  rangeStart,
  RESOURCE_KINDS,
  SHADOWGATE_KINDS,
  resourceDiagnostic,
  type Position,
  type RawResource,
  type ResourceKind,
  type ResourceSource,
  treeLocator,
} from './source.ts';

export interface LoadResult {
  readonly resources: RawResource[];
  readonly diagnostics: ConfigDiagnostic[];
  /** The config files found under the paths, in load order. */
  readonly files: readonly string[];
}

const CONFIG_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** The top-level keys of a Kubernetes object (`status` is written by the API server and ignored). */
const RESOURCE_KEYS = ['apiVersion', 'kind', 'metadata', 'spec', 'status'] as const;

/** The default bound on one config file's size (`--max-config-file-bytes`). */
export const DEFAULT_MAX_CONFIG_FILE_BYTES = 32 * 1024 * 1024;

export interface LoadOptions {
  /** A file larger than this is not read (FILE_TOO_LARGE); defaults to DEFAULT_MAX_CONFIG_FILE_BYTES. */
  readonly maxFileBytes?: number;
}

/**
 * Reads every resource from `paths`: files, or directories (their `.yaml`, `.yml` and `.json` files,
 * recursively, in name order; see `walkDirectory`). Multi-document YAML and `kind: List` are expanded.
 * Kinds other than Gateway, VirtualService, DestinationRule and ServiceEntry are skipped with a warning.
 */
export async function loadResources(paths: readonly string[], options: LoadOptions = {}): Promise<LoadResult> {
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_CONFIG_FILE_BYTES;
  const diagnostics: ConfigDiagnostic[] = [];
  const resources: RawResource[] = [];
  const seen = new Map<string, RawResource>();
  const files = await expandPaths(paths, diagnostics);
  for (const file of files) {
    const text = await readConfigFile(file, maxFileBytes, diagnostics);
    if (text === null) continue;
    for (const resource of parseResources(file, text, diagnostics)) {
      const key = `${resource.kind}/${resource.metadata.namespace}/${resource.metadata.name}`;
      const first = seen.get(key);
      if (first !== undefined) {
        const at = first.source.locate(['metadata', 'name']);
        diagnostics.push(
          resourceDiagnostic(
            'error',
            'DUPLICATE_RESOURCE',
            resource,
            ['metadata', 'name'],
            `${resource.kind} ${resource.metadata.namespace}/${resource.metadata.name} is already defined at ${first.source.file}:${at.line}:${at.column}`,
          ),
        );
        continue;
      }
      seen.set(key, resource);
      resources.push(resource);
    }
  }
  return { resources, diagnostics, files };
}

/**
 * Parses one file's text into resources. Exported so tests and other config sources can parse text
 * that does not live on disk; `file` is only used in positions.
 *
 * Documents are composed one at a time and their YAML trees dropped as soon as the values and a
 * position tree are taken from them, so memory follows the config's values, not the parser's nodes.
 */
export function parseResources(file: string, text: string, diagnostics: ConfigDiagnostic[]): RawResource[] {
  const lineCounter = new LineCounter();
  const composer = new Composer({});
  const out: RawResource[] = [];
  const pos = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  // The first line of what parseAllDocuments' prettified errors say (their code frame is not shown).
  const where = (error: YAMLError): string => {
    const first = firstLine(error.message);
    if (error.pos[0] === -1) return first;
    const { line, column } = pos(error.pos[0]);
    const starts = lineCounter.lineStarts;
    const lineText = text.substring(starts[line - 1] ?? 0, starts[line] ?? text.length).replace(/[\n\r]+$/, '');
    const previous = line > 1 && /^ *$/.test(lineText.substring(0, column - 1)) ? text.substring(starts[line - 2]!, starts[line - 1]!) : '';
    return `${first} at line ${line}, column ${column}${/[^ ]/.test(previous + lineText) ? ':' : ''}`;
  };
  let docIndex = -1;
  for (const doc of composer.compose(new Parser(lineCounter.addNewLine).parse(text))) {
    docIndex++;
    if (doc.errors.length > 0) {
      for (const error of doc.errors) {
        diagnostics.push(unattachedDiagnostic('error', 'YAML_SYNTAX', file, pos(error.pos[0]), where(error)));
      }
      continue;
    }
    for (const warning of doc.warnings) {
      diagnostics.push(unattachedDiagnostic('warning', 'YAML_WARNING', file, pos(warning.pos[0]), where(warning)));
    }
    if (doc.contents === null) continue;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (err) {
      diagnostics.push(unattachedDiagnostic('error', 'YAML_SYNTAX', file, null, errorText(err)));
      continue;
    }
    if (value === null || value === undefined) continue;
    const [start, , end] = doc.range;
    if (isRecord(value) && value['kind'] === 'List' && Array.isArray(value['items'])) {
      const itemsNode = listItemsNode(doc);
      value['items'].forEach((item: unknown, i: number) => {
        const node = (itemsNode?.items[i] as Node | undefined) ?? null;
        const locate = treeLocator(positionTree(node), rangeStart(node), lineCounter, { text, start, end, prefix: ['items', i] });
        const resource = toResource(item, file, docIndex, locate, diagnostics);
        if (resource !== null) out.push(resource);
      });
      continue;
    }
    const locate = treeLocator(positionTree(doc.contents), rangeStart(doc.contents), lineCounter, { text, start, end, prefix: [] });
    const resource = toResource(value, file, docIndex, locate, diagnostics);
    if (resource !== null) out.push(resource);
  }
  return out;
}

function listItemsNode(doc: Document): { items: unknown[] } | null {
  const contents = doc.contents;
  if (!isMap(contents)) return null;
  const items = contents.get('items', true);
  return isSeq(items) ? items : null;
}

function toResource(
  value: unknown,
  file: string,
  docIndex: number,
  locate: (p: readonly (string | number)[]) => Position,
  diagnostics: ConfigDiagnostic[],
): RawResource | null {
  const source: ResourceSource = { file, docIndex, locate };
  const at = (p: readonly (string | number)[]) => source.locate(p);
  if (!isRecord(value)) {
    diagnostics.push(unattachedDiagnostic('error', 'INVALID_RESOURCE', file, at([]), 'a document must be a mapping with apiVersion, kind, metadata and spec'));
    return null;
  }
  const { apiVersion, kind, metadata, spec } = value;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
    diagnostics.push(unattachedDiagnostic('error', 'INVALID_RESOURCE', file, at([]), 'a resource needs string apiVersion and kind'));
    return null;
  }
  const meta = isRecord(metadata) ? metadata : {};
  const name = typeof meta['name'] === 'string' ? meta['name'] : '';
  const namespace = typeof meta['namespace'] === 'string' && meta['namespace'] !== '' ? meta['namespace'] : 'default';
  const identity = { kind, metadata: { name, namespace }, source };
  const core = CORE_KINDS[kind] === apiVersion;
  const own = SHADOWGATE_KINDS[kind];
  const istio = own === undefined && (RESOURCE_KINDS as readonly string[]).includes(kind) && (ISTIO_API_VERSIONS as readonly string[]).includes(apiVersion);
  if (!core && !istio && own !== apiVersion) {
    diagnostics.push(
      resourceDiagnostic('warning', 'UNSUPPORTED_KIND', identity, ['kind'], `${apiVersion} ${kind} is not read by shadowgate; skipped`),
    );
    return null;
  }
  if (name === '') {
    diagnostics.push(resourceDiagnostic('error', 'INVALID_RESOURCE', identity, ['metadata', 'name'], 'metadata.name must be a non-empty string'));
    return null;
  }
  if (core) {
    // A core kind has no spec: its top-level fields (a Secret's type, data, stringData) stand in for one.
    const { apiVersion: _a, kind: _k, metadata: _m, ...fields } = value;
    const locate = source.locate;
    const coreSource: ResourceSource = { file, docIndex, locate: (p) => locate(p[0] === 'spec' ? p.slice(1) : p) };
    return { apiVersion, kind: kind as ResourceKind, metadata: { name, namespace, annotations: {} }, spec: fields, source: coreSource };
  }
  // kubectl's strict field validation rejects a top-level typo (`sepc:`); so does shadowgate.
  let unknownKey = false;
  for (const key of Object.keys(value)) {
    if ((RESOURCE_KEYS as readonly string[]).includes(key)) continue;
    const suggestion = closestName(key, RESOURCE_KEYS);
    const tail = suggestion !== null ? ` (did you mean "${suggestion}"?)` : `; a resource has ${RESOURCE_KEYS.join(', ')}`;
    diagnostics.push(resourceDiagnostic('error', 'UNKNOWN_FIELD', identity, [key], `unknown field "${key}"${tail}`));
    unknownKey = true;
  }
  if (!isRecord(spec)) {
    // A misspelt spec was reported above; "spec must be a mapping" would only echo it.
    if (!unknownKey) diagnostics.push(resourceDiagnostic('error', 'INVALID_RESOURCE', identity, ['spec'], 'spec must be a mapping'));
    return null;
  }
  const annotations: Record<string, string> = {};
  if (isRecord(meta['annotations'])) {
    for (const [key, v] of Object.entries(meta['annotations'])) {
      // Kubernetes annotation values are strings; an unquoted `false` or `1` is read as its text.
      if (v !== null && v !== undefined) annotations[key] = typeof v === 'string' ? v : String(v);
    }
  }
  return {
    apiVersion,
    kind: kind as ResourceKind,
    metadata: { name, namespace, annotations },
    spec,
    source,
  };
}

/** The file's text, or `null` (reported) when it cannot be read or is over the size bound. */
async function readConfigFile(file: string, maxFileBytes: number, diagnostics: ConfigDiagnostic[]): Promise<string | null> {
  const tooLarge = (size: number) =>
    unattachedDiagnostic(
      'error',
      'FILE_TOO_LARGE',
      file,
      null,
      `${file} is ${size} bytes, over the ${maxFileBytes}-byte limit for one config file (--max-config-file-bytes); not read`,
    );
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    diagnostics.push(unattachedDiagnostic('error', 'READ_FAILED', file, null, `cannot read ${file}: ${errorText(err)}`));
    return null;
  }
  try {
    // Checked before reading, so an oversized file costs no memory; again after, for one still growing.
    const { size } = await handle.stat();
    if (size > maxFileBytes) {
      diagnostics.push(tooLarge(size));
      return null;
    }
    const bytes = await handle.readFile();
    if (bytes.length > maxFileBytes) {
      diagnostics.push(tooLarge(bytes.length));
      return null;
    }
    return bytes.toString('utf8');
  } catch (err) {
    diagnostics.push(unattachedDiagnostic('error', 'READ_FAILED', file, null, `cannot read ${file}: ${errorText(err)}`));
    return null;
  } finally {
    await handle.close();
  }
}

async function expandPaths(paths: readonly string[], diagnostics: ConfigDiagnostic[]): Promise<string[]> {
  const files: string[] = [];
  for (const p of paths) {
    let isDirectory: boolean;
    try {
      isDirectory = (await stat(p)).isDirectory();
    } catch (err) {
      diagnostics.push(unattachedDiagnostic('error', 'READ_FAILED', p, null, `cannot read ${p}: ${errorText(err)}`));
      continue;
    }
    if (isDirectory) await walkDirectory(p, files, diagnostics);
    else files.push(p);
  }
  return files;
}

/**
 * Appends the config files under `dir`, as `kubectl apply -R` reads them: depth first, entries in
 * code-unit order of their names (files and subdirectories interleaved), so the load order (and with
 * it "the first one loaded wins") does not depend on the file system. Entries whose name starts with a
 * dot are skipped: Kubernetes ConfigMap volumes hold `..data` and `..2024_…` directories that would
 * load every file twice. Symbolic links to files are read (ConfigMap files are links); links to
 * directories are not followed, so a link cannot make a cycle.
 */
async function walkDirectory(dir: string, files: string[], diagnostics: ConfigDiagnostic[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    diagnostics.push(unattachedDiagnostic('error', 'READ_FAILED', dir, null, `cannot read directory ${dir}: ${errorText(err)}`));
    return;
  }
  const names = entries.filter((e) => !e.name.startsWith('.')).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of names) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      await walkDirectory(full, files, diagnostics);
      continue;
    }
    if (!CONFIG_EXTENSIONS.has(path.extname(entry.name).toLowerCase())) continue;
    if (entry.isFile()) files.push(full);
    else if (entry.isSymbolicLink()) {
      const target = await stat(full).catch(() => null);
      if (target === null || target.isFile()) files.push(full); // a dangling link is reported by the read
    }
  }
}


function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

function errorText(err: unknown): string {
  if (err !== null && typeof err === 'object' && 'code' in err && typeof err.code === 'string') {
    const code = err.code;
    if (code === 'ENOENT') return 'no such file or directory';
    if (code === 'EACCES') return 'permission denied';
    return code;
  }
  return err instanceof Error ? err.message : String(err);
}
