/**
 * Shape-checks a raw resource's spec. Unknown fields become warnings (never silently dropped) and are
 * then removed so the rest of the resource is still used; any other schema issue is an error.
 */
import type { z } from 'zod';
import { DIAGNOSTIC_CODES, type ConfigDiagnostic, type DiagnosticCode } from '../diagnostics.ts';
import { resourceDiagnostic, type RawResource, type ResourceKind } from '../source.ts';
import { destinationRuleSpec, type DestinationRuleSpec } from './destination-rule.ts';
import { gatewaySpec, type GatewaySpec } from './gateway.ts';
import { serviceEntrySpec, type ServiceEntrySpec } from './service-entry.ts';
import { unsupportedFieldHint } from './unsupported.ts';
import { virtualServiceSpec, type VirtualServiceSpec } from './virtual-service.ts';

interface Validated<K extends ResourceKind, S> extends Omit<RawResource, 'kind' | 'spec'> {
  readonly kind: K;
  readonly spec: S;
  /** Marks a resource whose spec passed the schema (unknown fields removed). */
  readonly validated: true;
}

export type ValidatedGateway = Validated<'Gateway', GatewaySpec>;
export type ValidatedVirtualService = Validated<'VirtualService', VirtualServiceSpec>;
export type ValidatedDestinationRule = Validated<'DestinationRule', DestinationRuleSpec>;
export type ValidatedServiceEntry = Validated<'ServiceEntry', ServiceEntrySpec>;
export type ValidatedResource = ValidatedGateway | ValidatedVirtualService | ValidatedDestinationRule | ValidatedServiceEntry;

const SPEC_SCHEMAS: Readonly<Record<ResourceKind, z.ZodType>> = {
  Gateway: gatewaySpec,
  VirtualService: virtualServiceSpec,
  DestinationRule: destinationRuleSpec,
  ServiceEntry: serviceEntrySpec,
};

export interface ValidationResult {
  /** `null` when the spec has errors. */
  readonly resource: ValidatedResource | null;
  readonly diagnostics: ConfigDiagnostic[];
}

/** Shape-checks one resource's spec against its kind's schema. */
export function validateResource(raw: RawResource): ValidationResult {
  const schema = SPEC_SCHEMAS[raw.kind];
  const diagnostics: ConfigDiagnostic[] = [];
  let result = schema.safeParse(raw.spec, { reportInput: true });
  if (result.success) return { resource: { ...raw, spec: result.data, validated: true } as ValidatedResource, diagnostics };

  const unknown = result.error.issues.filter((i) => i.code === 'unrecognized_keys');
  for (const issue of unknown) {
    for (const key of issue.keys) {
      const specPath = [...issue.path, key] as (string | number)[];
      const hint = unsupportedFieldHint(raw.kind, specPath);
      const message =
        hint === undefined
          ? `unknown field "${key}" ignored`
          : `"${key}" is not supported by shadowgate; ignored${hint === '' ? '' : ` (${hint})`}`;
      diagnostics.push(
        resourceDiagnostic('warning', hint === undefined ? 'UNKNOWN_FIELD' : 'UNSUPPORTED_FIELD', raw, ['spec', ...specPath], message),
      );
    }
  }
  if (unknown.length === result.error.issues.length) {
    // Only unknown fields: drop them and parse again, which also runs checks that zod skipped on
    // objects with unrecognized keys (the StringMatch one-of rule, for example).
    const spec = structuredClone(raw.spec) as Record<string, unknown>;
    for (const issue of unknown) {
      const target = getAt(spec, issue.path as (string | number)[]);
      if (target !== null && typeof target === 'object') for (const key of issue.keys) delete (target as Record<string, unknown>)[key];
    }
    result = schema.safeParse(spec, { reportInput: true });
    if (result.success) return { resource: { ...raw, spec: result.data, validated: true } as ValidatedResource, diagnostics };
  }
  for (const issue of result.error.issues) {
    if (issue.code === 'unrecognized_keys') continue;
    const { code, message } = humanizeIssue(issue);
    diagnostics.push(resourceDiagnostic('error', code, raw, ['spec', ...(issue.path as (string | number)[])], message));
  }
  return { resource: null, diagnostics };
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
