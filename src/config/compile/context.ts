/**
 * State shared by the compile passes: the diagnostics being collected and the files read along the
 * way (their content is part of the snapshot version).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { SourceRef } from '../../snapshot/types.ts';
import type { ConfigDiagnostic, DiagnosticCode, FieldPath, Severity } from '../diagnostics.ts';
import { Re2Regex } from '../../snapshot/regex.ts';
import { hostCovers, resolveGatewayName, resolveHost } from '../names.ts';
import { echoesRemovedValue, resourceDiagnostic, type RawResource, type ResourceIdentity } from '../source.ts';
import type { RegexCompiler } from './matchers.ts';
import { compileRe2, type RegexProblem } from './regex.ts';

export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * What the compile cannot see because an earlier stage lost it: resources dropped for schema errors,
 * or whole documents that did not parse. A reference into a gap is not reported as missing, since the
 * error that made the gap is already reported (no cascade).
 */
export class ReferenceGaps {
  /** Some document could not be read at all: any reference may point into it. */
  all = false;
  readonly #gateways = new Set<string>();
  readonly #serviceHosts: string[] = [];
  readonly #ruleHosts: string[] = [];
  readonly #secrets = new Set<string>();
  readonly #virtualServices = new Set<string>();
  #anyService = false;
  #anyRule = false;

  /** Records a resource the schema stage dropped (nothing usable was left of it). */
  addDropped(raw: RawResource): void {
    const spec = (raw.spec ?? {}) as Record<string, unknown>;
    const ns = raw.metadata.namespace;
    if (raw.kind === 'Gateway') this.#gateways.add(`${ns}/${raw.metadata.name}`);
    if (raw.kind === 'ServiceEntry') {
      const hosts = Array.isArray(spec['hosts']) ? spec['hosts'].filter((h): h is string => typeof h === 'string') : [];
      if (hosts.length === 0) this.#anyService = true;
      for (const h of hosts) this.#serviceHosts.push(resolveHost(h, ns));
    }
    if (raw.kind === 'DestinationRule') {
      if (typeof spec['host'] === 'string') this.#ruleHosts.push(resolveHost(spec['host'], ns));
      else this.#anyRule = true;
    }
    if (raw.kind === 'Secret') this.#secrets.add(`${ns}/${raw.metadata.name}`);
    if (raw.kind === 'VirtualService') this.#virtualServices.add(`${ns}/${raw.metadata.name}`);
  }

  /** Whether a `namespace/name` VirtualService reference may point at a lost VirtualService. */
  coversVirtualService(id: string): boolean {
    return this.all || this.#virtualServices.has(id);
  }

  /** Whether a `namespace/name` Secret reference may point at a lost Secret. */
  coversSecret(id: string): boolean {
    return this.all || this.#secrets.has(id);
  }

  /** Whether a Gateway reference (as written, from `namespace`) may point at a lost Gateway. */
  coversGateway(ref: string, namespace: string): boolean {
    return this.all || this.#gateways.has(resolveGatewayName(ref, namespace));
  }

  /** Whether a resolved host may be one of a lost ServiceEntry. */
  coversServiceHost(host: string): boolean {
    return this.all || this.#anyService || this.#serviceHosts.some((h) => hostCovers(h, host));
  }

  /** Whether a resolved host may be the host of a lost DestinationRule. */
  coversRuleHost(host: string): boolean {
    return this.all || this.#anyRule || this.#ruleHosts.some((h) => hostCovers(h, host));
  }
}

export class CompileContext {
  readonly diagnostics: ConfigDiagnostic[] = [];
  readonly gaps = new ReferenceGaps();
  /** Absolute path → sha256 of every certificate or key file read, for the snapshot version. */
  readonly fileDigests = new Map<string, string>();
  /**
   * Compiled regexes by flag and pattern: a compiled RE2 program costs 8 to 14 KB, against a few hundred
   * bytes for a RegExp, and large configs repeat patterns (the same rewrite on every service).
   */
  readonly #regexes = new Map<string, Re2Regex | RegexProblem>();

  /** A `RegexCompiler` for one resource: through the cache, problems reported at their field. */
  regexCompiler(resource: ResourceIdentity): RegexCompiler {
    return (source, caseInsensitive, field) => {
      const compiled = this.regex(source, caseInsensitive);
      if (compiled instanceof Re2Regex) return compiled;
      this.error(compiled.code, resource, field, compiled.message);
      return null;
    };
  }

  /** `compileRe2`, once per distinct pattern and flag. */
  regex(source: string, caseInsensitive: boolean): Re2Regex | RegexProblem {
    const key = `${caseInsensitive ? 'i' : '-'}${source}`;
    let compiled = this.#regexes.get(key);
    if (compiled === undefined) {
      compiled = compileRe2(source, caseInsensitive);
      this.#regexes.set(key, compiled);
    }
    return compiled;
  }

  report(severity: Severity, code: DiagnosticCode, resource: ResourceIdentity, field: FieldPath, message: string): void {
    // On a salvaged resource, a problem at or around a removed value only echoes the schema error.
    if (echoesRemovedValue(resource, field)) return;
    this.diagnostics.push(resourceDiagnostic(severity, code, resource, field, message));
  }

  error(code: DiagnosticCode, resource: ResourceIdentity, field: FieldPath, message: string): void {
    this.report('error', code, resource, field, message);
  }

  warn(code: DiagnosticCode, resource: ResourceIdentity, field: FieldPath, message: string): void {
    this.report('warning', code, resource, field, message);
  }

  /**
   * Reads a file named in a resource (a certificate, key or CA bundle). Relative paths are relative to
   * the directory of the config file. Reports FILE_READ at `field` and returns `null` on failure.
   */
  readReferencedFile(resource: ResourceIdentity, field: FieldPath, ref: string): { path: string; text: string } | null {
    const file = path.isAbsolute(ref) ? ref : path.resolve(path.dirname(resource.source.file), ref);
    try {
      const text = readFileSync(file, 'utf8');
      this.fileDigests.set(file, createHash('sha256').update(text).digest('hex'));
      return { path: file, text };
    } catch (err) {
      const reason = err !== null && typeof err === 'object' && 'code' in err ? String(err.code) : String(err);
      this.error('FILE_READ', resource, field, `cannot read ${file} (${reason === 'ENOENT' ? 'no such file' : reason})`);
      return null;
    }
  }
}

/** A `SourceRef` pointing at a field of a resource. */
export function sourceRef(resource: ResourceIdentity, field: FieldPath): SourceRef {
  const { line, column } = resource.source.locate(field);
  return {
    file: resource.source.file,
    line,
    column,
    kind: resource.kind,
    namespace: resource.metadata.namespace,
    name: resource.metadata.name,
  };
}

/** `file:line:column` of a field, for messages that point at a second place. */
export function positionText(resource: ResourceIdentity, field: FieldPath): string {
  const { line, column } = resource.source.locate(field);
  return `${resource.source.file}:${line}:${column}`;
}
