/**
 * Istio `HTTPMatchRequest` → `RequestMatch`. Regexes are compiled here, once, anchored at both ends
 * because Envoy's safe_regex must match the whole value (RE2 full match).
 */
import type { HeaderCondition, QueryCondition, RequestMatch, StringMatch } from '../../snapshot/types.ts';
import type { FieldPath } from '../diagnostics.ts';
import type { StringMatchSpec } from '../schema/common.ts';
import type { MatchRequestSpec } from '../schema/virtual-service.ts';

/** Reports a regex that does not compile. */
export type RegexErrorSink = (field: FieldPath, message: string) => void;

/**
 * Compiles an RE2-style pattern for a full match. A leading `(?i)` (RE2's case-insensitive flag, which
 * JavaScript does not accept in that form) becomes the `i` flag.
 */
export function compileFullMatchRegex(source: string, caseInsensitive: boolean): RegExp | string {
  let src = source;
  let flags = caseInsensitive ? 'i' : '';
  if (src.startsWith('(?i)')) {
    src = src.slice(4);
    flags = 'i';
  }
  try {
    return new RegExp(`^(?:${src})$`, flags);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** Compiles one StringMatch; `null` when its regex does not compile (reported through `onError`). */
export function compileStringMatch(
  spec: StringMatchSpec,
  field: FieldPath,
  onError: RegexErrorSink,
  ignoreCase = false,
): StringMatch | null {
  if (spec.exact !== undefined) return { kind: 'exact', value: ignoreCase ? spec.exact.toLowerCase() : spec.exact };
  if (spec.prefix !== undefined) return { kind: 'prefix', value: ignoreCase ? spec.prefix.toLowerCase() : spec.prefix };
  const source = spec.regex ?? '';
  const regex = compileFullMatchRegex(source, ignoreCase);
  if (typeof regex === 'string') {
    onError([...field, 'regex'], `invalid regex ${JSON.stringify(source)}: ${regex}`);
    return null;
  }
  return { kind: 'regex', value: source, regex };
}

/** Compiles one `match[]` entry; `null` when any part failed (already reported). */
export function compileRequestMatch(spec: MatchRequestSpec, field: FieldPath, onError: RegexErrorSink): RequestMatch | null {
  let ok = true;
  const one = (s: StringMatchSpec | undefined, name: string, ignoreCase = false): StringMatch | null => {
    if (s === undefined) return null;
    const m = compileStringMatch(s, [...field, name], onError, ignoreCase);
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
      const m = compileStringMatch(s, [...field, name, key], onError);
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
