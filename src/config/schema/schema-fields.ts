/**
 * The field pass for shadowgate's own kinds (MirrorPolicy), which have no Istio field table: the
 * known fields are the zod schema's own shape, walked through optional, array and record wrappers.
 * A key the schema does not have is an `UNKNOWN_FIELD` error naming the closest known field, exactly
 * as `field-check.ts` reports Istio typos, and is removed so the rest is still checked.
 */
import type { z } from 'zod';
import type { FieldProblem } from './field-check.ts';
import { closestName } from './field-check.ts';

interface ZodDef {
  readonly type: string;
  readonly shape?: Record<string, z.ZodType>;
  readonly innerType?: z.ZodType;
  readonly element?: z.ZodType;
  readonly valueType?: z.ZodType;
  readonly in?: z.ZodType;
}

/** Checks every key of `spec` against `schema`'s object shapes; `kind` names the kind in messages. */
export function checkSchemaFields(kind: string, schema: z.ZodType, spec: unknown): { problems: FieldProblem[]; spec: unknown } {
  const problems: FieldProblem[] = [];
  const copy = structuredClone(spec);
  walk(schema, copy, [], kind, problems);
  return { problems, spec: copy };
}

function defOf(schema: z.ZodType): ZodDef {
  return (schema as unknown as { _zod: { def: ZodDef } })._zod.def;
}

function walk(schema: z.ZodType, value: unknown, path: (string | number)[], kind: string, problems: FieldProblem[]): void {
  const def = defOf(schema);
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'readonly':
      return walk(def.innerType!, value, path, kind, problems);
    case 'pipe':
      return walk(def.in!, value, path, kind, problems);
    case 'array':
      if (Array.isArray(value)) value.forEach((item, i) => walk(def.element!, item, [...path, i], kind, problems));
      return;
    case 'record':
      if (isRecord(value)) for (const [k, v] of Object.entries(value)) walk(def.valueType!, v, [...path, k], kind, problems);
      return;
    case 'object': {
      if (!isRecord(value)) return; // a wrong type is the schema's to report
      const shape = def.shape!;
      const known = Object.keys(shape);
      for (const key of Object.keys(value)) {
        const field = Object.hasOwn(shape, key) ? shape[key] : undefined;
        if (field === undefined) {
          const suggestion = closestName(key, known);
          const tail = suggestion !== null ? ` (did you mean "${suggestion}"?)` : `; known fields here: ${known.join(', ')}`;
          const where = path.length === 0 ? 'spec' : String(path.filter((p) => typeof p === 'string').at(-1));
          problems.push({ path: [...path, key], severity: 'error', code: 'UNKNOWN_FIELD', message: `unknown field "${key}": ${kind} ${where} has no such field${tail}` });
          delete value[key];
          continue;
        }
        walk(field, value[key], [...path, key], kind, problems);
      }
      return;
    }
    default:
      return;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
