/**
 * JSON paths as comparison rules name them: `$`, `.field`, `['field']`, `[3]`, and the wildcards
 * `[*]` / `.*` (any one element or member). A rule path is parsed once, when the policy is compiled;
 * a value's own path is an array of segments built while walking it, and printed only for reports.
 */

/** One step into a JSON value: a member name or an array index. */
export type PathSegment = string | number;

/** A parsed rule path; `'*'` stands for any single segment. */
export interface PathPattern {
  readonly source: string;
  readonly segments: readonly (PathSegment | typeof ANY)[];
}

export const ANY: unique symbol = Symbol('any');

export class JsonPathSyntaxError extends Error {
  readonly code = 'JSON_PATH_SYNTAX';
  readonly source: string;
  readonly offset: number;
  constructor(source: string, offset: number, reason: string) {
    super(`invalid JSON path ${JSON.stringify(source)} at offset ${offset}: ${reason}`);
    this.source = source;
    this.offset = offset;
  }
}

const IDENTIFIER = /^[A-Za-z_$][\w$-]*/;

/** Parses `$.items[*].price` into segments; throws JsonPathSyntaxError. */
export function parsePathPattern(source: string): PathPattern {
  if (!source.startsWith('$')) throw new JsonPathSyntaxError(source, 0, 'a path starts with "$"');
  const segments: (PathSegment | typeof ANY)[] = [];
  let i = 1;
  while (i < source.length) {
    const rest = source.slice(i);
    if (rest.startsWith('.*')) {
      segments.push(ANY);
      i += 2;
    } else if (rest.startsWith('.')) {
      const name = IDENTIFIER.exec(rest.slice(1));
      if (name === null) throw new JsonPathSyntaxError(source, i + 1, 'expected a member name after "."');
      segments.push(name[0]);
      i += 1 + name[0].length;
    } else if (rest.startsWith('[*]')) {
      segments.push(ANY);
      i += 3;
    } else if (rest.startsWith("['") || rest.startsWith('["')) {
      const quote = rest[1]!;
      const end = rest.indexOf(`${quote}]`, 2);
      if (end === -1) throw new JsonPathSyntaxError(source, i, `unterminated ${quote}...${quote}]`);
      segments.push(rest.slice(2, end));
      i += end + 2;
    } else if (rest.startsWith('[')) {
      const index = /^\[(\d+)\]/.exec(rest);
      if (index === null) throw new JsonPathSyntaxError(source, i, 'expected [N], [*] or [\'name\']');
      segments.push(Number(index[1]));
      i += index[0].length;
    } else {
      throw new JsonPathSyntaxError(source, i, 'expected ".", "[" or the end');
    }
  }
  return { source, segments };
}

/** Whether a concrete path is exactly what `pattern` names. */
export function matchesPattern(pattern: PathPattern, path: readonly PathSegment[]): boolean {
  const want = pattern.segments;
  if (want.length !== path.length) return false;
  for (let i = 0; i < want.length; i++) {
    const segment = want[i]!;
    if (segment !== ANY && segment !== path[i]) return false;
  }
  return true;
}

/** Whether `path` is `pattern` or lies under it (ignoring `$.meta` ignores `$.meta.time` too). */
export function coversPath(pattern: PathPattern, path: readonly PathSegment[]): boolean {
  const want = pattern.segments;
  if (want.length > path.length) return false;
  for (let i = 0; i < want.length; i++) {
    const segment = want[i]!;
    if (segment !== ANY && segment !== path[i]) return false;
  }
  return true;
}

/** `$.items[3].price`: the form reports and the dashboard show. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '$';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (IDENTIFIER.exec(segment)?.[0] === segment) out += `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** The path with every array index replaced by `[*]`, so differences group by field, not by element. */
export function generalisePath(path: readonly PathSegment[]): string {
  return formatPath(path.map((s) => (typeof s === 'number' ? -1 : s))).replaceAll('[-1]', '[*]');
}
