/**
 * The gateway's own responses, one catalog with stable codes. Each maps to the status Envoy users expect
 * and to Envoy's response flag, which the access log carries. Branch on `code`, never on the message.
 */
import type { ServerResponse } from 'node:http';

export const LocalReplies = {
  BAD_REQUEST: { status: 400, flag: 'DPE', message: 'malformed request' },
  NO_ROUTE: { status: 404, flag: 'NR', message: 'no route matched the request' },
  NO_HEALTHY_UPSTREAM: { status: 503, flag: 'UH', message: 'no healthy upstream endpoint' },
  UPSTREAM_CONNECT_FAILURE: { status: 503, flag: 'UF', message: 'upstream connect error' },
  UPSTREAM_RESET: { status: 503, flag: 'UR', message: 'upstream reset before response started' },
  // Envoy answers 502 when the upstream's bytes are not HTTP: the upstream is there but broken.
  UPSTREAM_PROTOCOL_ERROR: { status: 502, flag: 'UPE', message: 'upstream protocol error' },
  UPSTREAM_OVERFLOW: { status: 503, flag: 'UO', message: 'upstream connection pool overflow' },
  UPSTREAM_TIMEOUT: { status: 504, flag: 'UT', message: 'upstream request timeout' },
} as const;

export type LocalReplyCode = keyof typeof LocalReplies;

/** Envoy adds URX when the failure is the last of several attempts. */
export const RETRIES_EXHAUSTED_FLAG = 'URX';

const bodies = new Map<LocalReplyCode, Buffer>(
  (Object.keys(LocalReplies) as LocalReplyCode[]).map((code) => [
    code,
    Buffer.from(JSON.stringify({ code, message: LocalReplies[code].message }) + '\n'),
  ]),
);

/** Sends the catalog's reply for `code`; the body is a short JSON `{code, message}`. */
export function sendLocalReply(res: ServerResponse, code: LocalReplyCode, requestId: string | null): void {
  const body = bodies.get(code)!;
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': body.length,
  };
  if (requestId !== null) headers['x-request-id'] = requestId;
  res.writeHead(LocalReplies[code].status, headers);
  res.end(body);
}
