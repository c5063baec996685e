/**
 * A compiled regular expression of the snapshot: RE2 syntax and semantics, run by re2js (a pure
 * JavaScript port of RE2/J), so matching time is linear in the input whatever the pattern. JavaScript's
 * own RegExp backtracks: `(a+)+$` against forty `a`s and a `!` runs for hours and blocks the event loop.
 *
 * The config package compiles these (checking RE2 syntax and size bounds); the data plane only calls
 * `fullMatch` and `replaceAll`. The engine sits in a private field, so the snapshot's deep freeze leaves
 * its lazily built matching caches writable.
 *
 * The RE2 program itself is built on first use, not in the constructor: a compiled re2js program costs
 * 8 to 14 KB (a RegExp a few hundred bytes), and in a large route table most regexes are ruled out by
 * their literal prefix and never run. The config package has compiled the pattern once already to check
 * it, so the first match cannot fail; it costs that compile (tens of microseconds) once.
 */
import { RE2JS } from 're2js';

export class Re2Regex {
  /** The pattern as written in the config. */
  readonly source: string;
  readonly caseInsensitive: boolean;
  /** What every full match starts with (`literalPrefix`), checked before the engine runs. */
  readonly prefix: string;
  #re: RE2JS | null;

  /** `source` must be valid RE2 within the size bounds (`compileRe2` in the config package checks). */
  constructor(source: string, caseInsensitive: boolean, compiled: RE2JS | null = null) {
    this.source = source;
    this.caseInsensitive = caseInsensitive;
    this.prefix = caseInsensitive ? '' : literalPrefix(source);
    this.#re = compiled;
  }

  #engine(): RE2JS {
    return (this.#re ??= RE2JS.compile(this.source, this.caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0));
  }

  /** Whether the whole value matches: Envoy's `safe_regex` is an RE2 full match, never a search. */
  fullMatch(value: string): boolean {
    // re2js costs about a microsecond per call even when the first byte already rules a match out; a
    // route table walks past hundreds of regexes whose literal prefix (`/items/svc7/`) tells at once.
    return value.startsWith(this.prefix) && this.#engine().testExact(value);
  }

  /**
   * `value` with every non-overlapping match replaced (RE2 `GlobalReplace`, as Envoy's `regex_rewrite`
   * does); `replacement` uses `String.prototype.replace` syntax (`$1`, `$$`).
   */
  replaceAll(value: string, replacement: string): string {
    return this.#engine().matcher(value).replaceAll(replacement);
  }
}

/** ASCII characters that stand for themselves in RE2 syntax outside a character class. */
const PLAIN = /[A-Za-z0-9/\-_~%:=,;@!&'"<>#` ]/;

/**
 * The literal text every full match of the RE2 pattern `source` must start with, or '' when there is none
 * that a simple reading can be sure of: the leading run of plain characters and escaped punctuation, up to
 * the first metacharacter; a character under `*`, `?` or `{` is left out, one under `+` kept (it occurs at
 * least once). A leading `^` is skipped (a full match starts at the start anyway); a top-level `|`, or a
 * flag group such as `(?i)` before any literal, means no prefix. Case-insensitive patterns get none.
 */
export function literalPrefix(source: string): string {
  if (hasTopLevelAlternation(source)) return '';
  let out = '';
  let i = source.startsWith('^') ? 1 : 0;
  while (i < source.length) {
    const c = source[i]!;
    let literal: string;
    let next: number;
    if (c === '\\') {
      const d = source[i + 1];
      if (d === undefined || /[A-Za-z0-9]/.test(d) || d.charCodeAt(0) > 0x7e) break; // \d, \pL, \Q, \z...
      literal = d;
      next = i + 2;
    } else if (PLAIN.test(c)) {
      literal = c;
      next = i + 1;
    } else {
      break;
    }
    const quantifier = source[next];
    if (quantifier === '*' || quantifier === '?' || quantifier === '{') break;
    out += literal;
    if (quantifier === '+') break;
    i = next;
  }
  return out;
}

/** Whether `source` has a `|` outside any group and character class. */
function hasTopLevelAlternation(source: string): boolean {
  let depth = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      i++;
    } else if (c === '[') {
      // A class ends at the first `]` that is not its first member and not escaped.
      i++;
      if (source[i] === '^') i++;
      if (source[i] === ']') i++;
      while (i < source.length && source[i] !== ']') {
        if (source[i] === '\\') i++;
        else if (source[i] === '[' && source[i + 1] === ':') {
          const end = source.indexOf(':]', i + 2);
          if (end !== -1) i = end + 1;
        }
        i++;
      }
    } else if (c === '(') {
      depth++;
    } else if (c === ')') {
      depth--;
    } else if (c === '|' && depth === 0) {
      return true;
    }
  }
  return false;
}
