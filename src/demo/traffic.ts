/**
 * Gentle, steady demo traffic: a fixed request rate through the gateway, mixing the httpbin calls a
 * newcomer would try by hand, until an AbortSignal stops it.
 */
import { Agent, request, type Dispatcher } from 'undici';

export interface TrafficOptions {
  /** Base URL of the gateway listener, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** Host header to send; the gateway routes on it. */
  readonly host: string;
  /** Requests started per second. Defaults to 20. */
  readonly ratePerSecond?: number;
  /** Requests allowed in flight at once; a tick past it is skipped rather than queued. Defaults to 64. */
  readonly maxInFlight?: number;
  /** Stops the traffic; in-flight requests are aborted. */
  readonly signal: AbortSignal;
}

/** Running totals; read them any time. */
export interface TrafficCounts {
  /** Requests started. */
  readonly sent: number;
  /** Responses received, by status code. */
  readonly byStatus: ReadonlyMap<number, number>;
  /** Requests that got no response, by error code (e.g. `ECONNREFUSED`). */
  readonly errors: ReadonlyMap<string, number>;
  /** Ticks skipped because `maxInFlight` requests were already waiting. */
  readonly skipped: number;
}

export interface Traffic {
  readonly counts: TrafficCounts;
  /** Settles once the signal fired and every in-flight request has finished or been aborted. */
  readonly done: Promise<void>;
}

interface PlannedRequest {
  readonly method: Dispatcher.HttpMethod;
  readonly path: string;
  readonly body: string | null;
}

/** The n-th request of the mix: a third each of GET /headers, GET /anything/..., POST /anything. */
export function plannedRequest(n: number): PlannedRequest {
  switch (n % 3) {
    case 0:
      return { method: 'GET', path: '/headers', body: null };
    case 1:
      return { method: 'GET', path: `/anything/orders/${n}?view=summary`, body: null };
    default:
      return {
        method: 'POST',
        path: '/anything/orders',
        body: JSON.stringify({ order: n, items: [{ sku: 'tea', quantity: 1 + (n % 4) }] }),
      };
  }
}

/** Starts sending at once; see `Traffic.done` for when it has stopped. */
export function startTraffic(options: TrafficOptions): Traffic {
  const interval = 1000 / (options.ratePerSecond ?? 20);
  const maxInFlight = options.maxInFlight ?? 64;
  const agent = new Agent({ keepAliveTimeout: 10_000 });
  const byStatus = new Map<number, number>();
  const errors = new Map<string, number>();
  const inFlight = new Set<Promise<void>>();
  let sent = 0;
  let skipped = 0;

  const sendOne = async (n: number): Promise<void> => {
    const planned = plannedRequest(n);
    try {
      const response = await request(new URL(planned.path, options.url), {
        method: planned.method,
        headers: planned.body === null
          ? { host: options.host }
          : { host: options.host, 'content-type': 'application/json' },
        body: planned.body,
        dispatcher: agent,
        signal: options.signal,
      });
      await response.body.dump();
      byStatus.set(response.statusCode, (byStatus.get(response.statusCode) ?? 0) + 1);
    } catch (error) {
      // Requests cut short by stopping are not failures of the gateway.
      if (options.signal.aborted) return;
      const code = (error as { code?: unknown }).code;
      const key = typeof code === 'string' ? code : 'ERROR';
      errors.set(key, (errors.get(key) ?? 0) + 1);
    }
  };

  const tick = (): void => {
    if (inFlight.size >= maxInFlight) {
      skipped += 1;
      return;
    }
    const pending = sendOne(sent);
    sent += 1;
    inFlight.add(pending);
    void pending.finally(() => inFlight.delete(pending));
  };

  const done = new Promise<void>((resolve) => {
    const stop = async (): Promise<void> => {
      clearInterval(timer);
      await Promise.allSettled([...inFlight]);
      await agent.destroy();
      resolve();
    };
    const timer = setInterval(tick, interval);
    if (options.signal.aborted) void stop();
    else options.signal.addEventListener('abort', () => void stop(), { once: true });
  });

  return {
    counts: {
      get sent() {
        return sent;
      },
      byStatus,
      errors,
      get skipped() {
        return skipped;
      },
    },
    done,
  };
}
