/**
 * Sends a request with node:http instead of undici, for the headers undici will not send as given:
 * it replaces `Connection` with its own value and refuses `Keep-Alive`, `Transfer-Encoding`, `Upgrade`
 * and `Expect`. Hop-by-hop tests (RFC 9110 §7.6.1) need exactly those on the wire.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { Readable } from 'node:stream';

/** Header names undici rewrites or rejects; a request carrying one goes through node:http. */
export const HEADERS_UNDICI_WONT_SEND: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'expect',
]);

export interface RawHeadersResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/** One request on a fresh connection (no agent), whole response read. */
export function rawHeadersRequest(
  url: URL,
  method: string,
  headers: Record<string, string | string[]>,
  body: string | Buffer | Uint8Array | Readable | null,
  signal: AbortSignal | undefined,
): Promise<RawHeadersResponse> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? https.request : http.request;
    const req = send(url, {
      method,
      headers,
      agent: false,
      signal,
      // Loopback test servers with self-signed certificates; what these tests check is headers.
      rejectUnauthorized: false,
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    if (body === null) req.end();
    else if (typeof body === 'string' || body instanceof Uint8Array) req.end(body);
    else body.pipe(req);
  });
}
