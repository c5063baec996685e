/**
 * One mirrored request as a HAR 1.2 `entry` (http://www.softwareishard.com/blog/har-12-spec/), the
 * shape HAR viewers and replay tools read. Captures are JSON Lines: one entry per line, so a file is
 * appendable, rotatable and streamable; wrapping lines in `{"log": {"entries": [...]}}` makes a HAR.
 * Headers are redacted before they are written; a binary or non-UTF-8 body is base64 (`_encoding`,
 * a custom field as the spec allows them); a body past the bound is cut and marked `_truncated`.
 */

export interface HarNameValue {
  readonly name: string;
  readonly value: string;
}

export interface HarEntry {
  readonly startedDateTime: string;
  /** Milliseconds, the primary's latency when known (else 0). */
  readonly time: number;
  readonly request: {
    readonly method: string;
    readonly url: string;
    readonly httpVersion: string;
    readonly cookies: readonly HarNameValue[];
    readonly headers: readonly HarNameValue[];
    readonly queryString: readonly HarNameValue[];
    readonly postData?: { readonly mimeType: string; readonly text: string; readonly _encoding?: 'base64'; readonly _truncated?: true };
    readonly headersSize: -1;
    readonly bodySize: number;
  };
  readonly response: {
    /** The primary's status when recorded; 0 when not (HAR's "no response"). */
    readonly status: number;
    readonly statusText: string;
    readonly httpVersion: string;
    readonly cookies: readonly HarNameValue[];
    readonly headers: readonly HarNameValue[];
    readonly content: { readonly size: number; readonly mimeType: string };
    readonly redirectURL: string;
    readonly headersSize: -1;
    readonly bodySize: -1;
  };
  readonly cache: Record<string, never>;
  readonly timings: { readonly send: number; readonly wait: number; readonly receive: number };
  readonly _shadowgate: { readonly route: string; readonly mirrorCluster: string; readonly requestId: string };
}

/** Headers whose values are replaced by `REDACTED` unless configured otherwise. */
export const DEFAULT_REDACTED_HEADERS: readonly string[] = ['authorization', 'cookie', 'proxy-authorization'];
export const REDACTED = 'REDACTED';

export interface CapturedRequest {
  readonly startTime: number;
  readonly method: string;
  /** `scheme://authority/path?query` as the primary saw it (after rewrites). */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[]>>;
  /** The body (up to the capture bound), or null for none. */
  readonly body: Buffer | null;
  readonly bodyTruncated: boolean;
  /** The whole body's length when known. */
  readonly bodySize: number;
  readonly route: string;
  readonly mirrorCluster: string;
  readonly requestId: string;
  /** The primary's answer, when the capture waits for it. */
  readonly primary?: { readonly status: number; readonly durationMs: number };
}

/** Builds the entry; `redact` is a set of lower-case header names. */
export function harEntry(request: CapturedRequest, redact: ReadonlySet<string>): HarEntry {
  const headers: HarNameValue[] = [];
  for (const [name, value] of Object.entries(request.headers)) {
    for (const one of Array.isArray(value) ? value : [value]) {
      headers.push({ name, value: redact.has(name) ? REDACTED : one });
    }
  }
  const cookieHeader = request.headers.cookie;
  const cookies = redact.has('cookie') || cookieHeader === undefined ? [] : parseCookies(cookieHeader);
  const url = new URL(request.url);
  const queryString = [...url.searchParams].map(([name, value]) => ({ name, value }));
  const mimeType = headerValue(request.headers['content-type']);
  const entry: HarEntry = {
    startedDateTime: new Date(request.startTime).toISOString(),
    time: request.primary?.durationMs ?? 0,
    request: {
      method: request.method,
      url: request.url,
      httpVersion: 'HTTP/1.1',
      cookies,
      headers,
      queryString,
      ...(request.body !== null && { postData: postData(request.body, mimeType, request.bodyTruncated) }),
      headersSize: -1,
      bodySize: request.body === null ? 0 : request.bodySize,
    },
    response: {
      status: request.primary?.status ?? 0,
      statusText: '',
      httpVersion: 'HTTP/1.1',
      cookies: [],
      headers: [],
      content: { size: 0, mimeType: '' },
      redirectURL: '',
      headersSize: -1,
      bodySize: -1,
    },
    cache: {},
    timings: { send: 0, wait: request.primary?.durationMs ?? 0, receive: 0 },
    _shadowgate: { route: request.route, mirrorCluster: request.mirrorCluster, requestId: request.requestId },
  };
  return entry;
}

function headerValue(value: string | string[] | undefined): string {
  return value === undefined ? '' : Array.isArray(value) ? (value[0] ?? '') : value;
}

function parseCookies(header: string | string[]): HarNameValue[] {
  const out: HarNameValue[] = [];
  for (const line of Array.isArray(header) ? header : [header]) {
    for (const pair of line.split(';')) {
      const eq = pair.indexOf('=');
      if (eq > 0) out.push({ name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim() });
    }
  }
  return out;
}

const TEXTUAL = /^(?:text\/|application\/(?:json|xml|javascript|x-www-form-urlencoded|[\w.+-]+\+(?:json|xml))\b)/i;

function postData(body: Buffer, mimeType: string, truncated: boolean): NonNullable<HarEntry['request']['postData']> {
  // Text is kept as text only when it round-trips: a cut in the middle of a UTF-8 sequence would not.
  const asText = TEXTUAL.test(mimeType) && !truncated ? body.toString('utf8') : null;
  const text = asText !== null && Buffer.byteLength(asText) === body.length && !asText.includes('\uFFFD') ? asText : null;
  return {
    mimeType,
    text: text ?? body.toString('base64'),
    ...(text === null && { _encoding: 'base64' as const }),
    ...(truncated && { _truncated: true as const }),
  };
}

/** The body bytes an entry recorded (decoding `_encoding`). */
export function entryBody(entry: Pick<HarEntry, 'request'>): Buffer | null {
  const data = entry.request.postData;
  if (data === undefined) return null;
  return Buffer.from(data.text, data._encoding === 'base64' ? 'base64' : 'utf8');
}
