/**
 * State shared by the compile passes: the diagnostics being collected and the files read along the
 * way (their content is part of the snapshot version).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { SourceRef } from '../../snapshot/types.ts';
import type { ConfigDiagnostic, DiagnosticCode, FieldPath, Severity } from '../diagnostics.ts';
import { resourceDiagnostic, type ResourceIdentity } from '../source.ts';

export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export class CompileContext {
  readonly diagnostics: ConfigDiagnostic[] = [];
  /** Absolute path → sha256 of every certificate or key file read, for the snapshot version. */
  readonly fileDigests = new Map<string, string>();

  report(severity: Severity, code: DiagnosticCode, resource: ResourceIdentity, field: FieldPath, message: string): void {
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
