/**
 * A small client for tests: undici's `request` with a keep-alive agent, returning the whole response.
 */
import type { Readable } from 'node:stream';
import { Agent, request, type Dispatcher } from 'undici';
import { HEADERS_UNDICI_WONT_SEND, rawHeadersRequest } from './raw-headers-request.ts';

/** The part of node:test's TestContext this module needs. */
interface AfterHook {
  after(fn: () => unknown): void;
}

export interface RequestViaOptions {
  readonly method?: Dispatcher.HttpMethod;
  readonly headers?: Record<string, string | string[]>;
  /** Sets the Host header (the gateway routes on it) without changing where the connection goes. */
  readonly host?: string;
  readonly body?: string | Buffer | Uint8Array | Readable | null;
  /** The agent to send through (see `testAgent`); without one a one-shot agent is used and closed. */
  readonly agent?: Dispatcher;
  readonly signal?: AbortSignal;
}

export interface ViaResponse {
  readonly status: number;
  /** Lower-case names. */
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
  text(): string;
  json<T = unknown>(): T;
}

/**
 * A keep-alive agent for one test, closed when the test ends. Pass `options.connect.ca` for HTTPS
 * against a self-signed certificate.
 */
export function testAgent(t: AfterHook, options: Agent.Options = {}): Agent {
  const agent = new Agent({ keepAliveTimeout: 10_000, ...options });
  // A test may close its agent itself (e.g. before stopping a gateway); closing twice would reject.
  t.after(() => (agent.closed || agent.destroyed ? undefined : agent.close()));
  return agent;
}

/**
 * Sends one request and reads the whole response body. Connection errors reject, as undici's do.
 * A request with a header undici will not send as given (`Connection` with tokens, `Keep-Alive`,
 * `Transfer-Encoding`, `Upgrade`, `Expect`) goes through node:http on a fresh connection instead, so
 * the header reaches the server exactly as written; `agent` is not used for it.
 */
export async function requestVia(url: string | URL, options: RequestViaOptions = {}): Promise<ViaResponse> {
  const headers: Record<string, string | string[]> = { ...options.headers };
  if (options.host !== undefined) headers.host = options.host;
  const method = options.method ?? (options.body == null ? 'GET' : 'POST');
  if (Object.keys(headers).some((name) => HEADERS_UNDICI_WONT_SEND.has(name.toLowerCase()))) {
    const raw = await rawHeadersRequest(new URL(url), method, headers, options.body ?? null, options.signal);
    return viaResponse(raw.status, raw.headers, raw.body);
  }
  const ownAgent = options.agent ? null : new Agent();
  try {
    const response = await request(url, {
      method,
      headers,
      body: options.body ?? null,
      dispatcher: options.agent ?? ownAgent ?? undefined,
      signal: options.signal,
    });
    const body = Buffer.from(await response.body.arrayBuffer());
    return viaResponse(response.statusCode, response.headers, body);
  } finally {
    await ownAgent?.close();
  }
}

function viaResponse(status: number, headers: ViaResponse['headers'], body: Buffer): ViaResponse {
  return {
    status,
    headers,
    body,
    text: () => body.toString('utf8'),
    json: <T>() => JSON.parse(body.toString('utf8')) as T,
  };
}
