/**
 * Field-by-field comparison of two JSON values, as Diffy does it: every difference carries the path
 * where it is (`$.items[3].price`), so results can be counted per field. Rules, compiled once per
 * policy: paths to ignore (wildcards allowed), a numeric tolerance, and arrays whose order does not
 * matter. The walk recurses, so nesting deeper than MAX_DEPTH is refused with a typed error (the
 * caller counts the comparison as skipped) instead of overflowing the stack; the number of differences
 * reported is capped.
 */
import { coversPath, type PathPattern, type PathSegment } from './json-path.ts';

export type DifferenceKind = 'value' | 'type' | 'missing' | 'extra';

/** One place where the shadow's value is not the primary's. */
export interface Difference {
  readonly path: readonly PathSegment[];
  readonly kind: DifferenceKind;
  /** The primary's value there (absent for `extra`). */
  readonly primary?: unknown;
  /** The shadow's value there (absent for `missing`). */
  readonly shadow?: unknown;
}

export interface JsonDiffRules {
  readonly ignore: readonly PathPattern[];
  /** Numbers are equal when |a - b| <= max(absolute, relative × max(|a|, |b|)). */
  readonly tolerance: { readonly absolute: number; readonly relative: number };
  /** Arrays at these paths are compared as multisets. */
  readonly unordered: readonly PathPattern[];
  /** Stop collecting past this many differences (the comparison still says "differ"). */
  readonly maxDifferences: number;
}

/** Deeper documents are not compared (a 256 KiB body could otherwise nest 100,000 levels). */
export const MAX_DEPTH = 256;

export class JsonTooDeepError extends Error {
  readonly code = 'JSON_TOO_DEEP';
  constructor() {
    super(`JSON nested deeper than ${MAX_DEPTH} levels is not compared`);
  }
}

export const DEFAULT_JSON_DIFF_RULES: JsonDiffRules = {
  ignore: [],
  tolerance: { absolute: 0, relative: 0 },
  unordered: [],
  maxDifferences: 100,
};

/** Every difference between `primary` and `shadow` under `rules`, in document order; throws JsonTooDeepError. */
export function diffJson(primary: unknown, shadow: unknown, rules: JsonDiffRules = DEFAULT_JSON_DIFF_RULES): Difference[] {
  const out: Difference[] = [];
  walk(primary, shadow, [], rules, out);
  return out;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function ignored(path: readonly PathSegment[], rules: JsonDiffRules): boolean {
  for (const pattern of rules.ignore) if (coversPath(pattern, path)) return true;
  return false;
}

function full(out: Difference[], rules: JsonDiffRules): boolean {
  return out.length >= rules.maxDifferences;
}

function walk(a: unknown, b: unknown, path: PathSegment[], rules: JsonDiffRules, out: Difference[]): void {
  if (full(out, rules) || ignored(path, rules)) return;
  if (path.length > MAX_DEPTH) throw new JsonTooDeepError();
  const ta = typeOf(a);
  const tb = typeOf(b);
  if (ta !== tb) {
    out.push({ path: [...path], kind: 'type', primary: a, shadow: b });
    return;
  }
  switch (ta) {
    case 'object':
      walkObject(a as Record<string, unknown>, b as Record<string, unknown>, path, rules, out);
      return;
    case 'array':
      if (rules.unordered.some((p) => coversPath(p, path) && p.segments.length === path.length)) {
        walkUnordered(a as unknown[], b as unknown[], path, rules, out);
      } else {
        walkArray(a as unknown[], b as unknown[], path, rules, out);
      }
      return;
    case 'number':
      if (!numbersEqual(a as number, b as number, rules)) out.push({ path: [...path], kind: 'value', primary: a, shadow: b });
      return;
    default:
      if (a !== b) out.push({ path: [...path], kind: 'value', primary: a, shadow: b });
  }
}

function numbersEqual(a: number, b: number, rules: JsonDiffRules): boolean {
  if (a === b) return true;
  const { absolute, relative } = rules.tolerance;
  return Math.abs(a - b) <= Math.max(absolute, relative * Math.max(Math.abs(a), Math.abs(b)));
}

function walkObject(a: Record<string, unknown>, b: Record<string, unknown>, path: PathSegment[], rules: JsonDiffRules, out: Difference[]): void {
  for (const key of Object.keys(a)) {
    path.push(key);
    if (!Object.hasOwn(b, key)) {
      if (!ignored(path, rules) && !full(out, rules)) out.push({ path: [...path], kind: 'missing', primary: a[key] });
    } else {
      walk(a[key], b[key], path, rules, out);
    }
    path.pop();
  }
  for (const key of Object.keys(b)) {
    if (Object.hasOwn(a, key)) continue;
    path.push(key);
    if (!ignored(path, rules) && !full(out, rules)) out.push({ path: [...path], kind: 'extra', shadow: b[key] });
    path.pop();
  }
}

function walkArray(a: unknown[], b: unknown[], path: PathSegment[], rules: JsonDiffRules, out: Difference[]): void {
  const common = Math.min(a.length, b.length);
  for (let i = 0; i < common; i++) {
    path.push(i);
    walk(a[i], b[i], path, rules, out);
    path.pop();
  }
  for (let i = common; i < a.length; i++) {
    path.push(i);
    if (!ignored(path, rules) && !full(out, rules)) out.push({ path: [...path], kind: 'missing', primary: a[i] });
    path.pop();
  }
  for (let i = common; i < b.length; i++) {
    path.push(i);
    if (!ignored(path, rules) && !full(out, rules)) out.push({ path: [...path], kind: 'extra', shadow: b[i] });
    path.pop();
  }
}

/**
 * Order-free: each primary element is paired with an equal shadow element (equal under the same rules,
 * so ignored fields and tolerances apply inside elements too); what is left over on either side is
 * reported at the element's primary (or shadow) index. Quadratic in the array length, which the body
 * bound keeps small.
 */
function walkUnordered(a: unknown[], b: unknown[], path: PathSegment[], rules: JsonDiffRules, out: Difference[]): void {
  const unmatched = new Set(b.keys());
  const probeRules: JsonDiffRules = { ...rules, maxDifferences: 1 };
  const leftover: number[] = [];
  for (let i = 0; i < a.length; i++) {
    let found = -1;
    for (const j of unmatched) {
      const probe: Difference[] = [];
      path.push(i);
      walk(a[i], b[j], path, probeRules, probe);
      path.pop();
      if (probe.length === 0) {
        found = j;
        break;
      }
    }
    if (found === -1) leftover.push(i);
    else unmatched.delete(found);
  }
  for (const i of leftover) {
    if (full(out, rules)) return;
    out.push({ path: [...path, i], kind: 'missing', primary: a[i] });
  }
  for (const j of unmatched) {
    if (full(out, rules)) return;
    out.push({ path: [...path, j], kind: 'extra', shadow: b[j] });
  }
}
