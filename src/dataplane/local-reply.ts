/**
 * The gateway's own responses, one catalog with stable codes. Each maps to the status Envoy users expect
 * and to Envoy's response flag, which the access log carries. Branch on `code`, never on the message.
 */
import type { ServerResponse } from 'node:http';

interface LocalReply {
  readonly status: number;
  readonly flag: string;
  readonly message: string;
  /** The connection cannot carry another request after this reply (its framing is lost or stalled). */
  readonly closesConnection?: true;
}

export const LocalReplies = {
  BAD_REQUEST: { status: 400, flag: 'DPE', message: 'malformed request', closesConnection: true },
  HEADERS_TOO_LARGE: { status: 431, flag: 'DPE', message: 'request headers too large', closesConnection: true },
  HTTP_VERSION_NOT_SUPPORTED: { status: 505, flag: 'DPE', message: 'only HTTP/1.0 and HTTP/1.1 are served', closesConnection: true },
  REQUEST_HEADERS_TIMEOUT: { status: 408, flag: 'SI', message: 'request headers not received in time', closesConnection: true },
  REQUEST_BODY_TIMEOUT: { status: 408, flag: 'SI', message: 'request body made no progress in time', closesConnection: true },
  NO_ROUTE: { status: 404, flag: 'NR', message: 'no route matched the request' },
  NO_HEALTHY_UPSTREAM: { status: 503, flag: 'UH', message: 'no healthy upstream endpoint' },
  UPSTREAM_CONNECT_FAILURE: { status: 503, flag: 'UF', message: 'upstream connect error' },
  UPSTREAM_RESET: { status: 503, flag: 'UR', message: 'upstream reset before response started' },
  // Envoy answers 502 when the upstream's bytes are not HTTP: the upstream is there but broken.
  UPSTREAM_PROTOCOL_ERROR: { status: 502, flag: 'UPE', message: 'upstream protocol error' },
  UPSTREAM_OVERFLOW: { status: 503, flag: 'UO', message: 'upstream connection pool overflow' },
  UPSTREAM_TIMEOUT: { status: 504, flag: 'UT', message: 'upstream request timeout' },
} as const satisfies Record<string, LocalReply>;

export type LocalReplyCode = keyof typeof LocalReplies;

/** Envoy adds URX when the failure is the last of several attempts. */
export const RETRIES_EXHAUSTED_FLAG = 'URX';

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  404: 'Not Found',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
};

const codes = Object.keys(LocalReplies) as LocalReplyCode[];

const bodies = new Map<LocalReplyCode, Buffer>(
  codes.map((code) => [code, Buffer.from(JSON.stringify({ code, message: LocalReplies[code].message }) + '\n')]),
);

/** Sends the catalog's reply for `code`; the body is a short JSON `{code, message}`. */
export function sendLocalReply(res: ServerResponse, code: LocalReplyCode, requestId: string | null): void {
  const body = bodies.get(code)!;
  const reply: LocalReply = LocalReplies[code];
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': body.length,
  };
  if (requestId !== null) headers['x-request-id'] = requestId;
  // Node closes the connection after a response that says so.
  if (reply.closesConnection === true) headers.connection = 'close';
  res.writeHead(reply.status, headers);
  res.end(body);
}

const rawReplies = new Map<LocalReplyCode, Buffer>(
  codes.map((code) => {
    const { status } = LocalReplies[code];
    const body = bodies.get(code)!;
    const head =
      `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? ''}\r\ncontent-type: application/json\r\nconnection: close\r\n` +
      `content-length: ${body.length}\r\n\r\n`;
    return [code, Buffer.concat([Buffer.from(head, 'latin1'), body])];
  }),
);

/**
 * The catalog's reply as bytes for a socket no `ServerResponse` exists for (Node's parser rejected the
 * request, or its headers never completed); it always closes the connection.
 */
export function rawLocalReply(code: LocalReplyCode): Buffer {
  return rawReplies.get(code)!;
}
