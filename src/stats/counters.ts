/**
 * Every counter the data plane keeps, in one place. The hot path bumps plain numbers on objects it
 * looked up once; exporters (metrics, the admin API) read them when asked, so counting costs no more
 * than an increment.
 */

export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx';

export function statusClass(status: number): StatusClass {
  if (status >= 500) return '5xx';
  if (status >= 400) return '4xx';
  if (status >= 300) return '3xx';
  if (status >= 200) return '2xx';
  return '1xx';
}

export interface ByStatusClass {
  '1xx': number;
  '2xx': number;
  '3xx': number;
  '4xx': number;
  '5xx': number;
}

/** Upper bounds in milliseconds, Envoy's default histogram buckets up to a minute. */
export const LATENCY_BUCKETS_MS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000] as const;

/** A cumulative-on-read histogram: one increment per observation, no allocation. */
export class LatencyHistogram {
  /** Per-bucket (non-cumulative) counts; the last slot is +Inf. */
  readonly counts = new Float64Array(LATENCY_BUCKETS_MS.length + 1);
  sum = 0;
  count = 0;
  observe(ms: number): void {
    let i = 0;
    while (i < LATENCY_BUCKETS_MS.length && ms > LATENCY_BUCKETS_MS[i]!) i++;
    this.counts[i]!++;
    this.sum += ms;
    this.count++;
  }
}

function byStatusClass(): ByStatusClass {
  return { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
}

/** Per route and mirror cluster. */
export interface MirrorCounters {
  readonly routeId: string;
  readonly cluster: string;
  /** Requests the sampling picked for this mirror. */
  sampled: number;
  /** Of those, with sticky sampling: picked by the request's key's hash. */
  sampledByKey: number;
  /** Of those, with sticky sampling: the request had no key and the random draw picked it. */
  sampledRandom: number;
  /** Capture records of this mirror written to the capture file. */
  captureWritten: number;
  /** Capture records dropped because the writer's queue was full (the disk or the writer fell behind). */
  captureDroppedQueueFull: number;
  /** Capture records dropped because writing failed (a full disk, an unwritable path). */
  captureDroppedWriteError: number;
  /** Copies handed to an upstream connection. */
  sent: number;
  /** Copies that got a whole response, by status class. */
  completed: ByStatusClass;
  failedConnect: number;
  failedReset: number;
  failedTimeout: number;
  /** The shadow answered bytes that are not HTTP. */
  failedProtocol: number;
  /** Dropped before sending: over the in-flight cap. */
  droppedOverflow: number;
  /** Abandoned: the request body outgrew the copy's buffer. */
  droppedBodyTooLarge: number;
  /** Dropped before sending: the cluster has no endpoint. */
  droppedNoEndpoint: number;
  /** Dropped before sending: the primary request ended before its body was complete. */
  droppedAborted: number;
  /** Dropped before sending: every endpoint is ejected by outlier detection (no connect attempt). */
  droppedEjected: number;
  /** Abandoned: the shadow's response outgrew `maxResponseBytes`; its connection was closed. */
  droppedResponseTooLarge: number;
  inFlight: number;
  /** Copy sent to its whole response received, answered copies only (failures are counted above). */
  readonly latency: LatencyHistogram;
  /** Response comparisons (a MirrorPolicy's `compare`) by result. */
  compare: CompareResultCounts;
  /** Skipped comparisons by reason (`body_too_large`, `streaming`, `memory`, `shadow_timeout`, ...). */
  compareSkipped: Record<string, number>;
}

export interface CompareResultCounts {
  match: number;
  differ: number;
  noise: number;
  skipped: number;
}

/** Per upstream cluster (primary traffic only; mirrors count above). */
export interface UpstreamCounters {
  readonly cluster: string;
  requests: number;
  completed: ByStatusClass;
  connectFailures: number;
  timeouts: number;
  resets: number;
  /** Attempts whose upstream answered bytes that are not HTTP (Envoy's UPE). */
  protocolErrors: number;
  overflows: number;
  retries: number;
  /** Retries not attempted: the cluster's `maxRetries` retries were already in flight (Envoy's retry overflow). */
  retryOverflows: number;
  /** Endpoints outlier detection ejected. */
  ejections: number;
  inFlight: number;
  /** Attempt start to response end. */
  readonly latency: LatencyHistogram;
}

/** Per listener and route, by the status sent downstream. */
export interface DownstreamCounters {
  readonly listener: string;
  readonly routeId: string;
  requests: number;
  completed: ByStatusClass;
  /** Request arrival to response end. */
  readonly latency: LatencyHistogram;
}

/** Per listener: connections the gateway closed or refused on its own (timeouts and limits). */
export interface ListenerCounters {
  readonly listener: string;
  /** Request headers not complete within the request-headers timeout (for HTTPS: the handshake too). */
  timeoutRequestHeaders: number;
  /** No request in progress for the idle timeout. */
  timeoutIdle: number;
  /** A request body that made no progress for the request-body timeout. */
  timeoutRequestBody: number;
  /** Closed on accept: the listener already had its maximum of connections. */
  refusedMaxConnections: number;
}

export class GatewayCounters {
  readonly #mirror = new Map<string, MirrorCounters>();
  readonly #upstream = new Map<string, UpstreamCounters>();
  readonly #downstream = new Map<string, DownstreamCounters>();
  readonly #listener = new Map<string, ListenerCounters>();

  mirror(routeId: string, cluster: string): MirrorCounters {
    const key = `${routeId} ${cluster}`;
    let counters = this.#mirror.get(key);
    if (counters === undefined) {
      counters = {
        routeId, cluster, sampled: 0, sampledByKey: 0, sampledRandom: 0, captureWritten: 0, captureDroppedQueueFull: 0,
        captureDroppedWriteError: 0, sent: 0, completed: byStatusClass(), failedConnect: 0, failedReset: 0,
        failedTimeout: 0, failedProtocol: 0, droppedOverflow: 0, droppedBodyTooLarge: 0, droppedNoEndpoint: 0,
        droppedAborted: 0, droppedEjected: 0, droppedResponseTooLarge: 0, inFlight: 0, latency: new LatencyHistogram(),
        compare: { match: 0, differ: 0, noise: 0, skipped: 0 }, compareSkipped: {},
      };
      this.#mirror.set(key, counters);
    }
    return counters;
  }

  upstream(cluster: string): UpstreamCounters {
    let counters = this.#upstream.get(cluster);
    if (counters === undefined) {
      counters = {
        cluster, requests: 0, completed: byStatusClass(), connectFailures: 0, timeouts: 0, resets: 0,
        protocolErrors: 0, overflows: 0, retries: 0, retryOverflows: 0, ejections: 0, inFlight: 0,
        latency: new LatencyHistogram(),
      };
      this.#upstream.set(cluster, counters);
    }
    return counters;
  }

  downstream(listener: string, routeId: string): DownstreamCounters {
    const key = `${listener} ${routeId}`;
    let counters = this.#downstream.get(key);
    if (counters === undefined) {
      counters = { listener, routeId, requests: 0, completed: byStatusClass(), latency: new LatencyHistogram() };
      this.#downstream.set(key, counters);
    }
    return counters;
  }

  listener(listener: string): ListenerCounters {
    let counters = this.#listener.get(listener);
    if (counters === undefined) {
      counters = { listener, timeoutRequestHeaders: 0, timeoutIdle: 0, timeoutRequestBody: 0, refusedMaxConnections: 0 };
      this.#listener.set(listener, counters);
    }
    return counters;
  }

  mirrors(): Iterable<Readonly<MirrorCounters>> {
    return this.#mirror.values();
  }

  upstreams(): Iterable<Readonly<UpstreamCounters>> {
    return this.#upstream.values();
  }

  downstreams(): Iterable<Readonly<DownstreamCounters>> {
    return this.#downstream.values();
  }

  listeners(): Iterable<Readonly<ListenerCounters>> {
    return this.#listener.values();
  }
}
