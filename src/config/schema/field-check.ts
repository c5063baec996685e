/**
 * The field pass, before the shape check: walks a spec against Istio's field tables (`fields.ts`).
 * A key Istio's API does not have is an error naming the closest known field; a field shadowgate does
 * not implement is an error or a warning by its status. Both are removed from the copy handed to the
 * schema, so the rest of the resource is still checked.
 */
import type { FieldPath } from '../diagnostics.ts';
import type { FieldTableKind } from '../source.ts';
import { messageFields, SPEC_MESSAGE, type MessageName } from './fields.ts';

export interface FieldProblem {
  /** Relative to `spec`. */
  readonly path: FieldPath;
  readonly severity: 'error' | 'warning';
  readonly code: 'UNKNOWN_FIELD' | 'UNSUPPORTED_FIELD';
  readonly message: string;
}

export interface FieldCheck {
  readonly problems: FieldProblem[];
  /** A copy of the spec without unknown and unsupported fields. */
  readonly spec: unknown;
}

const SUPPORTED_LATER = 'ignoring it would change which requests are served, routed or mirrored';

/** Checks every key of `spec` (at any depth) against the tables for `kind`. */
export function checkFields(kind: FieldTableKind, spec: unknown): FieldCheck {
  const problems: FieldProblem[] = [];
  const copy = structuredClone(spec);
  walkMessage(copy, SPEC_MESSAGE[kind], [], false, problems);
  return { problems, spec: copy };
}

function walkMessage(value: unknown, message: MessageName, path: (string | number)[], inUnsupported: boolean, problems: FieldProblem[]): void {
  if (!isRecord(value)) return; // a wrong type is the schema's to report
  const fields = messageFields(message);
  for (const key of Object.keys(value)) {
    const at = [...path, key];
    const rule = Object.hasOwn(fields, key) ? fields[key] : undefined;
    if (rule === undefined) {
      const suggestion = closestName(key, Object.keys(fields));
      const tail = suggestion !== null ? ` (did you mean "${suggestion}"?)` : `; known fields here: ${Object.keys(fields).join(', ')}`;
      problems.push({ path: at, severity: 'error', code: 'UNKNOWN_FIELD', message: `unknown field "${key}": Istio's ${message} has no such field${tail}` });
      delete value[key];
      continue;
    }
    const unsupported = !inUnsupported && rule.status !== 'supported';
    if (unsupported) {
      const hint = rule.hint !== undefined ? `; ${rule.hint}` : '';
      problems.push(
        rule.status === 'refused'
          ? { path: at, severity: 'error', code: 'UNSUPPORTED_FIELD', message: `"${key}" is not supported by shadowgate, and ${SUPPORTED_LATER}${hint}` }
          : { path: at, severity: 'warning', code: 'UNSUPPORTED_FIELD', message: `"${key}" is not supported by shadowgate; ignored${hint}` },
      );
    }
    if (rule.message !== undefined) {
      const child = value[key];
      const inner = inUnsupported || unsupported;
      // A value of the wrong shape (a mapping where a list belongs, say) is left to the schema.
      if (rule.map === true) {
        if (isRecord(child)) for (const [k, v] of Object.entries(child)) walkMessage(v, rule.message, [...at, k], inner, problems);
      } else if (rule.list === true) {
        if (Array.isArray(child)) child.forEach((item, i) => walkMessage(item, rule.message!, [...at, i], inner, problems));
      } else {
        walkMessage(child, rule.message, at, inner, problems);
      }
    }
    if (unsupported) delete value[key];
  }
}

/**
 * The known name closest to `name` by edit distance, compared case-insensitively and ignoring `_`
 * and `-` (so `mirror_percentage` finds `mirrorPercentage`); `null` when none is close enough to be
 * a likely typo.
 */
export function closestName(name: string, known: readonly string[]): string | null {
  const norm = (s: string) => s.toLowerCase().replace(/[_-]/g, '');
  const target = norm(name);
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = editDistance(target, norm(candidate));
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const limit = Math.max(2, Math.floor(target.length / 3));
  return bestDistance <= limit ? best : null;
}

/** Levenshtein distance with adjacent transpositions counted as one edit (`vaule` → `value`). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
