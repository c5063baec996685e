/**
 * Shape-checks a raw resource's spec: Istio's field tables first (unknown fields are errors, fields
 * shadowgate does not implement errors or warnings), then the kind's zod schema. Every problem is
 * reported; a resource with errors is salvaged (its bad values removed) so that the later stages can
 * still report theirs, without echoing the ones found here.
 */
import type { z } from 'zod';
import { DIAGNOSTIC_CODES, type ConfigDiagnostic, type DiagnosticCode, type FieldPath } from '../diagnostics.ts';
import { resourceDiagnostic, type RawResource, type ResourceKind, type ResourceSource } from '../source.ts';
import { checkFields } from './field-check.ts';
import { destinationRuleSpec, type DestinationRuleSpec } from './destination-rule.ts';
import { gatewaySpec, type GatewaySpec } from './gateway.ts';
import { mirrorPolicySpec, type MirrorPolicySpec } from './mirror-policy.ts';
import { checkSchemaFields } from './schema-fields.ts';
import { secretSpec, type SecretSpec } from './secret.ts';
import { serviceEntrySpec, type ServiceEntrySpec } from './service-entry.ts';
import { virtualServiceSpec, type VirtualServiceSpec } from './virtual-service.ts';

interface Validated<K extends ResourceKind, S> extends Omit<RawResource, 'kind' | 'spec'> {
  readonly kind: K;
  readonly spec: S;
  /** Marks a resource whose spec passed the schema (unknown fields removed). */
  readonly validated: true;
  /**
   * Set when the spec had errors and what is left after removing the bad values is compiled only to
   * report the errors of later stages (the snapshot is withheld anyway). See `salvage`.
   */
  readonly salvaged?: true;
}

export type ValidatedGateway = Validated<'Gateway', GatewaySpec>;
export type ValidatedVirtualService = Validated<'VirtualService', VirtualServiceSpec>;
export type ValidatedDestinationRule = Validated<'DestinationRule', DestinationRuleSpec>;
export type ValidatedServiceEntry = Validated<'ServiceEntry', ServiceEntrySpec>;
export type ValidatedSecret = Validated<'Secret', SecretSpec>;
export type ValidatedMirrorPolicy = Validated<'MirrorPolicy', MirrorPolicySpec>;
export type ValidatedResource =
  | ValidatedGateway
  | ValidatedVirtualService
  | ValidatedDestinationRule
  | ValidatedServiceEntry
  | ValidatedSecret
  | ValidatedMirrorPolicy;

const SPEC_SCHEMAS: Readonly<Record<ResourceKind, z.ZodType>> = {
  Gateway: gatewaySpec,
  VirtualService: virtualServiceSpec,
  DestinationRule: destinationRuleSpec,
  ServiceEntry: serviceEntrySpec,
  Secret: secretSpec,
  MirrorPolicy: mirrorPolicySpec,
};

/** Spec schemas by kind (tests walk them against the field tables). */
export const SPEC_SCHEMA_BY_KIND = SPEC_SCHEMAS;

export interface ValidationResult {
  /**
   * The resource, `null` when nothing usable is left of it. With errors, this is the salvaged
   * resource (`salvaged: true`): later stages check it so that one run reports every error.
   */
  readonly resource: ValidatedResource | null;
  readonly diagnostics: ConfigDiagnostic[];
}

/** Rounds of salvage: each removes one level (a value, then the object that required it, ...). */
const MAX_SALVAGE_ROUNDS = 12;

/**
 * Shape-checks one resource's spec: first every key against Istio's field tables (unknown and
 * unsupported fields), then the values against the kind's schema. When there are errors, the bad
 * values are removed (`salvage`) and what is left is returned for the later stages to check.
 */
export function validateResource(raw: RawResource): ValidationResult {
  const schema = SPEC_SCHEMAS[raw.kind];
  const diagnostics: ConfigDiagnostic[] = [];
  const fields = raw.kind === 'MirrorPolicy' ? checkSchemaFields('MirrorPolicy', schema, raw.spec) : checkFields(raw.kind, raw.spec);
  const removed: FieldPath[] = [];
  for (const p of fields.problems) {
    diagnostics.push(resourceDiagnostic(p.severity, p.code, raw, ['spec', ...p.path], p.message));
    if (p.severity === 'error') removed.push(p.path);
  }
  const first = schema.safeParse(fields.spec, { reportInput: true });
  if (first.success && removed.length === 0) {
    return { resource: { ...raw, spec: first.data, validated: true } as ValidatedResource, diagnostics };
  }
  const salvage = new Salvage(fields.spec, removed);
  let result = first;
  for (let round = 0; !result.success && round < MAX_SALVAGE_ROUNDS; round++) {
    for (const issue of result.error.issues) {
      const path = salvage.original(issue.path as FieldPath);
      // A problem at or around a value already removed is that removal's echo (a required field
      // now missing, a list now empty); anything else is a problem of its own.
      if (!salvage.touches(path)) {
        const { code, message } = humanizeIssue(issue);
        diagnostics.push(resourceDiagnostic('error', code, raw, ['spec', ...path], message));
      }
    }
    for (const issue of result.error.issues) salvage.remove(issue.path as FieldPath, issue.code === 'invalid_type' && issue.input === undefined);
    if (salvage.lostRoot) break;
    result = schema.safeParse(salvage.spec, { reportInput: true });
  }
  if (!result.success || salvage.lostRoot) return { resource: null, diagnostics };
  const source: ResourceSource = {
    ...raw.source,
    locate: (p) => raw.source.locate(p[0] === 'spec' ? ['spec', ...salvage.original(p.slice(1))] : p),
    salvage: {
      original: (p) => (p[0] === 'spec' ? ['spec', ...salvage.original(p.slice(1))] : p),
      removed: salvage.removedPaths.map((p) => ['spec', ...p]),
    },
  };
  return { resource: { ...raw, source, spec: result.data, validated: true, salvaged: true } as ValidatedResource, diagnostics };
}

/**
 * What is left of a spec once its bad values are removed. A value that fails is deleted; a missing
 * required field takes its parent with it; a list item is spliced out, and `original` maps paths in
 * the salvaged spec (whose later list items moved up) back to the paths the user wrote.
 */
class Salvage {
  readonly spec: unknown;
  /** Original-coordinate paths of every value removed (and of every field the field pass removed). */
  readonly removedPaths: FieldPath[];
  lostRoot = false;
  /** List items spliced out, in order: the list's path at the time (salvaged coordinates) and index. */
  readonly #splices: { readonly list: FieldPath; readonly index: number }[] = [];

  constructor(spec: unknown, removed: readonly FieldPath[]) {
    this.spec = structuredClone(spec);
    this.removedPaths = [...removed];
  }

  /** Salvaged-spec path → the path in the spec as written. */
  original(path: FieldPath): FieldPath {
    const out = [...path];
    for (let i = this.#splices.length - 1; i >= 0; i--) {
      const { list, index } = this.#splices[i]!;
      if (out.length <= list.length || !list.every((part, k) => out[k] === part)) continue;
      const at = out[list.length];
      if (typeof at === 'number' && at >= index) out[list.length] = at + 1;
    }
    return out;
  }

  /** Whether an original-coordinate path is at, inside or above a removed value. */
  touches(path: FieldPath): boolean {
    return this.removedPaths.some((r) => isPrefix(r, path) || isPrefix(path, r));
  }

  /** Removes the value at `path` (salvaged coordinates), or its parent when the value is missing. */
  remove(path: FieldPath, missing: boolean): void {
    const target = missing ? path.slice(0, -1) : [...path];
    if (target.length === 0) {
      this.lostRoot = true;
      return;
    }
    const parent = getAt(this.spec, target.slice(0, -1));
    const last = target[target.length - 1]!;
    if (parent === null || typeof parent !== 'object') return; // already removed with an ancestor
    const original = this.original(target);
    if (Array.isArray(parent) && typeof last === 'number') {
      if (last >= parent.length) return;
      parent.splice(last, 1);
      this.#splices.push({ list: target.slice(0, -1), index: last });
    } else {
      if (!Object.hasOwn(parent, last)) return;
      delete (parent as Record<string | number, unknown>)[last];
    }
    this.removedPaths.push(original);
  }
}

function isPrefix(prefix: FieldPath, path: FieldPath): boolean {
  return prefix.length <= path.length && prefix.every((part, i) => path[i] === part);
}

function getAt(root: unknown, path: readonly (string | number)[]): unknown {
  let node = root;
  for (const part of path) {
    if (node === null || typeof node !== 'object') return null;
    node = (node as Record<string | number, unknown>)[part];
  }
  return node;
}

/** Turns a zod issue into one of our codes and a sentence a config author can act on. */
function humanizeIssue(issue: z.core.$ZodIssue): { code: DiagnosticCode; message: string } {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return { code: 'INVALID_FIELD', message: 'is required' };
      return { code: 'INVALID_FIELD', message: `expected ${typeName(issue.expected)}, got ${describe(issue.input)}` };
    case 'too_small':
      if (issue.origin === 'array') return { code: 'INVALID_FIELD', message: `must have at least ${String(issue.minimum)} item(s)` };
      if (issue.origin === 'string') return { code: 'INVALID_FIELD', message: 'must not be empty' };
      return { code: 'INVALID_FIELD', message: `must be ${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)} (got ${describe(issue.input)})` };
    case 'too_big':
      return { code: 'INVALID_FIELD', message: `must be ${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)} (got ${describe(issue.input)})` };
    case 'invalid_value':
      return {
        code: 'INVALID_FIELD',
        message: `must be one of ${issue.values.map((v) => String(v)).join(', ')} (got ${describe(issue.input)})`,
      };
    case 'custom': {
      const code = issue.params?.['code'];
      if (typeof code === 'string' && code in DIAGNOSTIC_CODES) {
        const got = issue.input !== null && typeof issue.input === 'object' ? '' : ` (got ${describe(issue.input)})`;
        return { code: code as DiagnosticCode, message: `${issue.message}${got}` };
      }
      return { code: 'INVALID_FIELD', message: issue.message };
    }
    default:
      return { code: 'INVALID_FIELD', message: issue.message };
  }
}

function typeName(expected: string): string {
  switch (expected) {
    case 'int':
      return 'an integer';
    case 'object':
      return 'a mapping';
    case 'array':
      return 'a list';
    case 'record':
      return 'a mapping';
    default:
      return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
  }
}

function describe(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  if (typeof input === 'string') return `string ${JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input)}`;
  return `${typeof input} ${String(input)}`;
}
