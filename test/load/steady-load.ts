/**
 * A bounded, steady load for the load tests: N keep-alive clients (one connection each, one request at
 * a time) sending back to back until stopped, or until a request or time budget runs out. Every
 * request and its outcome is recorded, so a test can say exactly which failed and why.
 */
import { Client } from 'undici';

export interface LoadOutcome {
  /** Unique per request, carried in the path so a backend's record can be matched. */
  readonly id: number;
  /** What the test knew before sending (e.g. the config generation last applied). */
  readonly before: number;
  /** The same, when the answer (or the error) arrived. */
  readonly after: number;
  readonly status: number | null;
  readonly headers: Record<string, string | string[] | undefined>;
  /** The error code (`ECONNREFUSED`, `UND_ERR_SOCKET`, ...) when there was no response. */
  readonly error: string | null;
  /** Whether the request went out on a connection that had already carried a response. */
  readonly reused: boolean;
}

export interface SteadyLoadOptions {
  readonly origin: string;
  readonly clients: number;
  /** Path of request `id`; it should carry the id (`/anything/${id}`). */
  readonly path: (id: number) => string;
  readonly host: string;
  /** Read before sending and after answering: whatever the test tracks (a generation, a phase). */
  readonly marker?: () => number;
  /** Hard bounds, whichever comes first. */
  readonly maxRequests: number;
  readonly maxMs: number;
  /** A client stops after a connection is refused (the server is gone); default true. */
  readonly stopOnRefused?: boolean;
}

export interface SteadyLoad {
  /** Every request so far, in completion order. */
  readonly outcomes: readonly LoadOutcome[];
  /** Answered requests so far. */
  answered(): number;
  /** Asks every client to stop after its current request; resolves once all have. */
  stop(): Promise<readonly LoadOutcome[]>;
}

function errorCode(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown };
  return typeof e.code === 'string' ? e.code : String(e.message ?? error);
}

/** Starts the clients at once; they run until `stop()` or a bound. */
export function startSteadyLoad(options: SteadyLoadOptions): SteadyLoad {
  const outcomes: LoadOutcome[] = [];
  const marker = options.marker ?? (() => 0);
  const deadline = performance.now() + options.maxMs;
  let next = 0;
  let stopping = false;
  let answered = 0;
  const one = async (): Promise<void> => {
    // keepAliveTimeout well past the test's length: only the server decides when a connection ends.
    const client = new Client(options.origin, { keepAliveTimeout: 30_000, pipelining: 1 });
    let used = false;
    try {
      while (!stopping && next < options.maxRequests && performance.now() < deadline) {
        const id = next++;
        const before = marker();
        const reused = used;
        try {
          const response = await client.request({ method: 'GET', path: options.path(id), headers: { host: options.host } });
          await response.body.dump();
          answered++;
          // After `Connection: close` the client's next request goes out on a new connection.
          used = response.headers.connection !== 'close';
          outcomes.push({ id, before, after: marker(), status: response.statusCode, headers: response.headers, error: null, reused });
        } catch (error) {
          const code = errorCode(error);
          used = false;
          outcomes.push({ id, before, after: marker(), status: null, headers: {}, error: code, reused });
          if (code === 'ECONNREFUSED' && options.stopOnRefused !== false) return;
        }
      }
    } finally {
      await client.destroy();
    }
  };
  const running = Promise.all(Array.from({ length: options.clients }, one));
  return {
    outcomes,
    answered: () => answered,
    async stop() {
      stopping = true;
      await running;
      return outcomes;
    },
  };
}
