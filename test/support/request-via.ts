/**
 * A small client for tests: undici's `request` with a keep-alive agent, returning the whole response.
 */
import type { Readable } from 'node:stream';
import { Agent, request, type Dispatcher } from 'undici';

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

/** Sends one request and reads the whole response body. Connection errors reject, as undici's do. */
export async function requestVia(url: string | URL, options: RequestViaOptions = {}): Promise<ViaResponse> {
  const ownAgent = options.agent ? null : new Agent();
  const headers: Record<string, string | string[]> = { ...options.headers };
  if (options.host !== undefined) headers.host = options.host;
  try {
    const response = await request(url, {
      method: options.method ?? (options.body == null ? 'GET' : 'POST'),
      headers,
      body: options.body ?? null,
      dispatcher: options.agent ?? ownAgent ?? undefined,
      signal: options.signal,
    });
    const body = Buffer.from(await response.body.arrayBuffer());
    return {
      status: response.statusCode,
      headers: response.headers,
      body,
      text: () => body.toString('utf8'),
      json: <T>() => JSON.parse(body.toString('utf8')) as T,
    };
  } finally {
    await ownAgent?.close();
  }
}
