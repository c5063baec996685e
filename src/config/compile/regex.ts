/**
 * RE2 regexes for the snapshot. Istio's `regex` fields are RE2 (Envoy's `safe_regex`), so a pattern RE2
 * rejects (backreferences `\1`, lookahead `(?=`, lookbehind `(?<=`, possessive `a++`) is a config error
 * here as it is for Envoy, not a pattern some other engine happens to accept. Size is bounded twice: the
 * source length, and the size of the compiled program, which is what matching cost grows with (Envoy
 * bounds the same measure with `re2.max_program_size.error_level`, default 100).
 */
import { RE2JS } from 're2js';
import { Re2Regex } from '../../snapshot/regex.ts';
import type { DiagnosticCode } from '../diagnostics.ts';

/** Longest regex source accepted, in UTF-8 bytes. */
export const MAX_REGEX_BYTES = 1024;

/**
 * Largest compiled RE2 program accepted (re2js's `programSize()`, its instruction count). Ten times
 * Envoy's default error level, because re2js counts instructions a little differently from C++ RE2 and a
 * UUID or an alternation of a dozen path segments already costs 40 to 60; a bounded repeat such as
 * `[a-z]{1,600}` is what reaches it.
 */
export const MAX_REGEX_PROGRAM_SIZE = 1000;

export interface RegexProblem {
  readonly code: DiagnosticCode;
  readonly message: string;
}

/** Constructs RE2 has no way to express: their presence explains a syntax error better than RE2's words. */
const NOT_RE2 = /\\[1-9]|\\k<|\(\?[=!]|\(\?<[=!]|[*+?}][+]/;

/**
 * Compiles `source` as RE2 (`caseInsensitive` is RE2's `(?i)` for the whole pattern), or says why not:
 * INVALID_REGEX for syntax RE2 rejects, REGEX_TOO_LARGE past either bound.
 */
export function compileRe2(source: string, caseInsensitive: boolean): Re2Regex | RegexProblem {
  const quoted = JSON.stringify(source.length > 80 ? `${source.slice(0, 80)}…` : source);
  const bytes = Buffer.byteLength(source, 'utf8');
  if (bytes > MAX_REGEX_BYTES) {
    return { code: 'REGEX_TOO_LARGE', message: `regex ${quoted} is ${bytes} bytes long; at most ${MAX_REGEX_BYTES} are accepted` };
  }
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(source, caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const hint = NOT_RE2.test(source) ? ' (RE2 syntax has no backreferences, lookahead, lookbehind or possessive quantifiers)' : '';
    return { code: 'INVALID_REGEX', message: `invalid regex ${quoted}: ${reason}${hint}` };
  }
  const size = compiled.programSize();
  if (size > MAX_REGEX_PROGRAM_SIZE) {
    return {
      code: 'REGEX_TOO_LARGE',
      message: `regex ${quoted} compiles to an RE2 program of ${size} instructions; at most ${MAX_REGEX_PROGRAM_SIZE} are accepted`,
    };
  }
  // The program is dropped: Re2Regex builds its own on first use (see there for why).
  return new Re2Regex(source, caseInsensitive);
}
