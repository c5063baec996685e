/**
 * Compares a shadow's response with the primary's, after both ended: status, headers (less the ones
 * that differ by nature), and the body by its type: JSON field by field, text as text, anything else
 * byte for byte. What cannot be compared honestly is skipped with a reason, never guessed at.
 */
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { diffJson, type DifferenceKind, type JsonDiffRules, JsonTooDeepError } from './json-diff.ts';
import { formatPath } from './json-path.ts';

/** A response as kept for comparison: the body up to the bound, and whether it was cut there. */
export interface CapturedResponse {
  readonly status: number;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly body: Buffer;
  /** The body went past the bound (or the stream was cut), so `body` is only its start. */
  readonly truncated: boolean;
}

export interface ResponseCompareRules {
  readonly json: JsonDiffRules;
  /** Lower-case header names left out of the comparison. */
  readonly ignoreHeaders: ReadonlySet<string>;
  /** A decompressed body may not grow past this (a zip bomb is skipped, not inflated). */
  readonly maxBodyBytes: number;
}

/** Headers that differ between any two responses for reasons of their own. */
export const ALWAYS_IGNORED_HEADERS: ReadonlySet<string> = new Set([
  'date',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'x-envoy-upstream-service-time',
  'x-request-id',
]);

export type SkipReason = 'body_too_large' | 'streaming' | 'invalid_json' | 'too_deep' | 'undecodable';

export interface ResponseDifference {
  readonly where: 'status' | 'header' | 'body';
  /** `status`, a header name, or a JSON path (`$.items[3].price`; `$` for a whole text/bytes body). */
  readonly path: string;
  readonly kind: DifferenceKind;
  readonly primary?: unknown;
  readonly shadow?: unknown;
}

export type Comparison =
  | { readonly result: 'match' }
  | { readonly result: 'differ'; readonly differences: readonly ResponseDifference[] }
  | { readonly result: 'skipped'; readonly reason: SkipReason };

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/;
const TEXT_TYPE = /^(?:text\/|application\/(?:xml|javascript|x-www-form-urlencoded)$|application\/[\w.+-]+\+xml$)/;

/** The media type without parameters, lower-case (`application/json; charset=utf-8` → `application/json`). */
export function mediaType(headers: CapturedResponse['headers']): string {
  const value = headers['content-type'];
  const text = Array.isArray(value) ? value[0] : value;
  return typeof text === 'string' ? text.split(';', 1)[0]!.trim().toLowerCase() : '';
}

/** Whether a response streams (no declared length, or an event stream): such bodies are not compared. */
export function isStreaming(response: Pick<CapturedResponse, 'headers'>): boolean {
  const type = mediaType(response.headers);
  if (type === 'text/event-stream' || type === 'application/x-ndjson') return true;
  return response.headers['content-length'] === undefined && response.headers['transfer-encoding'] !== undefined;
}

export function compareResponses(primary: CapturedResponse, shadow: CapturedResponse, rules: ResponseCompareRules): Comparison {
  if (primary.truncated || shadow.truncated) return { result: 'skipped', reason: 'body_too_large' };
  if (isStreaming(primary) || isStreaming(shadow)) return { result: 'skipped', reason: 'streaming' };
  const differences: ResponseDifference[] = [];
  if (primary.status !== shadow.status) {
    differences.push({ where: 'status', path: 'status', kind: 'value', primary: primary.status, shadow: shadow.status });
  }
  compareHeaders(primary.headers, shadow.headers, rules.ignoreHeaders, differences);
  const body = compareBodies(primary, shadow, rules);
  if ('reason' in body) return { result: 'skipped', reason: body.reason };
  differences.push(...body.differences);
  return differences.length === 0 ? { result: 'match' } : { result: 'differ', differences };
}

function headerText(value: string | readonly string[] | undefined): string | undefined {
  return value === undefined ? undefined : Array.isArray(value) ? value.join(', ') : (value as string);
}

function compareHeaders(
  primary: CapturedResponse['headers'],
  shadow: CapturedResponse['headers'],
  ignore: ReadonlySet<string>,
  out: ResponseDifference[],
): void {
  const names = new Set([...Object.keys(primary), ...Object.keys(shadow)]);
  for (const name of [...names].sort()) {
    if (ALWAYS_IGNORED_HEADERS.has(name) || ignore.has(name)) continue;
    const a = headerText(primary[name]);
    const b = headerText(shadow[name]);
    if (a === b) continue;
    const kind: DifferenceKind = a === undefined ? 'extra' : b === undefined ? 'missing' : 'value';
    out.push({ where: 'header', path: name, kind, ...(a !== undefined && { primary: a }), ...(b !== undefined && { shadow: b }) });
  }
}

function decoded(response: CapturedResponse, maxBytes: number): Buffer | null {
  const encoding = headerText(response.headers['content-encoding'])?.trim().toLowerCase() ?? '';
  const limit = { maxOutputLength: maxBytes };
  try {
    if (encoding === '' || encoding === 'identity') return response.body;
    if (encoding === 'gzip' || encoding === 'x-gzip') return gunzipSync(response.body, limit);
    if (encoding === 'deflate') return inflateSync(response.body, limit);
    if (encoding === 'br') return brotliDecompressSync(response.body, limit);
  } catch {
    return null;
  }
  return null;
}

function compareBodies(
  primary: CapturedResponse,
  shadow: CapturedResponse,
  rules: ResponseCompareRules,
): { differences: ResponseDifference[] } | { reason: SkipReason } {
  const a = decoded(primary, rules.maxBodyBytes);
  const b = decoded(shadow, rules.maxBodyBytes);
  if (a === null || b === null) return { reason: 'undecodable' };
  const type = mediaType(primary.headers);
  if (JSON_TYPE.test(type) && JSON_TYPE.test(mediaType(shadow.headers)) && a.length > 0 && b.length > 0) {
    let left: unknown;
    let right: unknown;
    try {
      left = JSON.parse(a.toString('utf8'));
      right = JSON.parse(b.toString('utf8'));
    } catch {
      return { reason: 'invalid_json' };
    }
    try {
      const differences = diffJson(left, right, rules.json).map(
        (d): ResponseDifference => ({ where: 'body', path: formatPath(d.path), kind: d.kind, primary: d.primary, shadow: d.shadow }),
      );
      return { differences };
    } catch (error) {
      if (error instanceof JsonTooDeepError) return { reason: 'too_deep' };
      throw error;
    }
  }
  if (a.equals(b)) return { differences: [] };
  const asText = TEXT_TYPE.test(type);
  return {
    differences: [
      {
        where: 'body',
        path: '$',
        kind: 'value',
        primary: asText ? excerpt(a.toString('utf8')) : `${a.length} bytes`,
        shadow: asText ? excerpt(b.toString('utf8')) : `${b.length} bytes`,
      },
    ],
  };
}

function excerpt(text: string): string {
  return text.length <= 200 ? text : `${text.slice(0, 200)}…`;
}
