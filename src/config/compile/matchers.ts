/**
 * Istio `HTTPMatchRequest` → `RequestMatch`. Regexes are compiled here, once, as RE2; the data plane
 * full-matches them against the whole value, as Envoy's safe_regex does.
 */
import type { Re2Regex } from '../../snapshot/regex.ts';
import type { HeaderCondition, QueryCondition, RequestMatch, StringMatch } from '../../snapshot/types.ts';
import type { FieldPath } from '../diagnostics.ts';
import type { StringMatchSpec } from '../schema/common.ts';
import type { MatchRequestSpec } from '../schema/virtual-service.ts';

/**
 * Compiles a regex found at `field`; `null` when it does not compile or is over a size bound (the
 * implementation reports that at `field`).
 */
export type RegexCompiler = (source: string, caseInsensitive: boolean, field: FieldPath) => Re2Regex | null;

/** Compiles one StringMatch; `null` when its regex does not compile (reported through `onError`). */
export function compileStringMatch(
  spec: StringMatchSpec,
  field: FieldPath,
  regexes: RegexCompiler,
  ignoreCase = false,
): StringMatch | null {
  if (spec.exact !== undefined) return { kind: 'exact', value: ignoreCase ? spec.exact.toLowerCase() : spec.exact };
  if (spec.prefix !== undefined) return { kind: 'prefix', value: ignoreCase ? spec.prefix.toLowerCase() : spec.prefix };
  const source = spec.regex ?? '';
  const regex = regexes(source, ignoreCase, [...field, 'regex']);
  return regex === null ? null : { kind: 'regex', value: source, regex };
}

/** Compiles one `match[]` entry; `null` when any part failed (already reported). */
export function compileRequestMatch(spec: MatchRequestSpec, field: FieldPath, regexes: RegexCompiler): RequestMatch | null {
  let ok = true;
  const one = (s: StringMatchSpec | undefined, name: string, ignoreCase = false): StringMatch | null => {
    if (s === undefined) return null;
    const m = compileStringMatch(s, [...field, name], regexes, ignoreCase);
    if (m === null) ok = false;
    return m;
  };
  const conditions = (
    map: Readonly<Record<string, StringMatchSpec>> | undefined,
    name: string,
    lowerCaseNames: boolean,
  ): (HeaderCondition | QueryCondition)[] | null => {
    if (map === undefined) return null;
    const out: (HeaderCondition | QueryCondition)[] = [];
    for (const [key, s] of Object.entries(map)) {
      const m = compileStringMatch(s, [...field, name, key], regexes);
      if (m === null) ok = false;
      else out.push({ name: lowerCaseNames ? key.toLowerCase() : key, match: m });
    }
    return out.length > 0 ? out : null;
  };
  const ignoreUriCase = spec.ignoreUriCase ?? false;
  const match: RequestMatch = {
    uri: one(spec.uri, 'uri', ignoreUriCase),
    ignoreUriCase,
    method: one(spec.method, 'method'),
    authority: one(spec.authority, 'authority'),
    headers: conditions(spec.headers, 'headers', true),
    withoutHeaders: conditions(spec.withoutHeaders, 'withoutHeaders', true),
    queryParams: conditions(spec.queryParams, 'queryParams', false),
  };
  return ok ? match : null;
}
