/**
 * The mirroring seam, after Envoy's ShadowWriter: the proxy hands over a copy of a request and gets
 * nothing back, no promise, no callback, no error. The copy goes through the mirror's own connection
 * pools under its own in-flight cap and timeout; its response is read and thrown away, up to a bound
 * past which the connection is closed instead (a copy with a comparison offers it to its sink first,
 * which keeps what it needs); every outcome becomes a counter. Nothing here can
 * delay, fail or alter the primary request.
 */
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { ResponseSink } from '../compare/response-tap.ts';
import type { HeaderMap } from '../dataplane/headers.ts';
import { classifyFailure } from '../dataplane/upstream/failure.ts';
import type { UpstreamCluster, UpstreamClusters, UpstreamEndpoint } from '../dataplane/upstream/upstream-clusters.ts';
import type { MirrorPolicy } from '../snapshot/types.ts';
import { type GatewayCounters, type MirrorCounters, statusClass } from '../stats/counters.ts';
import { BodyCopyOverflowError, DownstreamAbortedError } from '../dataplane/request-body.ts';
import { accessEvents } from '../dataplane/events.ts';
import { DeadlineEntry, DeadlineQueue } from './deadlines.ts';
import { OutlierDetector, type OutlierSettings } from './outlier-detector.ts';
import { copyAuthority, copyHeaders } from './copy-request.ts';

/** One copy to send. `headers` are the primary's upstream headers; the writer sets the shadow Host. */
export interface ShadowRequest {
  readonly routeId: string;
  readonly policy: MirrorPolicy;
  readonly method: string;
  readonly path: string;
  readonly headers: HeaderMap;
  /** The authority sent to the primary (after any rewrite). */
  readonly authority: string;
  readonly body: Readable | null;
  readonly timeoutMs: number;
  readonly listener: string;
  readonly requestId: string;
  /** For a policy with sticky sampling: whether the request's key or (without one) the random draw picked it. */
  readonly sampledBy?: 'key' | 'random';
  /** Where the response is offered for comparison (a mirror with `compare`); absent: read and discarded. */
  readonly comparison?: ResponseSink | null;
}

export interface ShadowWriterOptions {
  readonly clusters: UpstreamClusters;
  readonly counters: GatewayCounters;
  /** In-flight copies allowed per mirror cluster; more are dropped, not queued. */
  readonly maxInFlight: () => number;
  /** Response body bytes read from a shadow before its connection is closed (`MirrorSettings`). */
  readonly maxResponseBytes: () => number;
  readonly outlier?: OutlierSettings;
}

export class ShadowWriter {
  readonly #clusters: UpstreamClusters;
  readonly #counters: GatewayCounters;
  readonly #maxInFlight: () => number;
  /** @internal read by each exchange when its response starts. */
  readonly maxResponseBytes: () => number;
  /** Counters found once per compiled policy, so the hot path does no string keys. */
  readonly #countersByPolicy = new WeakMap<MirrorPolicy, MirrorCounters>();
  /** @internal shared with the exchanges, which report each endpoint's outcome. */
  readonly outliers: OutlierDetector<UpstreamEndpoint>;
  /** Each copy's timeout, for all copies by one coarse timer (see deadlines.ts). */
  readonly #deadlines = new DeadlineQueue();
  #inFlight = 0;
  #idle: (() => void)[] = [];

  constructor(options: ShadowWriterOptions) {
    this.#clusters = options.clusters;
    this.#counters = options.counters;
    this.#maxInFlight = options.maxInFlight;
    this.maxResponseBytes = options.maxResponseBytes;
    this.outliers = new OutlierDetector(options.outlier);
  }

  /** Sends a copy, or drops it and counts why. Returns nothing the caller could wait on. */
  shadow(request: ShadowRequest): void {
    const counters = this.#countersFor(request.routeId, request.policy);
    counters.sampled++;
    if (request.sampledBy === 'key') counters.sampledByKey++;
    else if (request.sampledBy === 'random') counters.sampledRandom++;
    const cluster = this.#clusters.get(request.policy.cluster);
    let endpoint: UpstreamEndpoint | null = null;
    let flag = 'UH';
    if (cluster === undefined) counters.droppedNoEndpoint++;
    else if (cluster.inFlight >= this.#maxInFlight()) {
      // Over the cap: dropped, not queued (Envoy's overflow).
      counters.droppedOverflow++;
      flag = 'UO';
    } else {
      endpoint = this.#pickAdmitted(cluster);
      if (endpoint === null) {
        if (cluster.endpoints.length === 0) counters.droppedNoEndpoint++;
        else counters.droppedEjected++;
      }
    }
    if (cluster === undefined || endpoint === null) {
      request.body?.destroy();
      request.comparison?.abort('dropped');
      if (accessEvents.hasSubscribers) publishShadow(request, authorityOf(request), '', 0, 0, flag, Date.now(), 0);
      return;
    }
    const authority = authorityOf(request);
    const headers = copyHeaders(request.policy, request.headers, authority);
    const exchange = new ShadowExchange(this, cluster, endpoint, counters, request, authority);
    counters.sent++;
    this.#started(cluster, endpoint, counters);
    // 0 means no timeout, as Istio's `timeout: 0s`.
    if (request.timeoutMs > 0) this.#deadlines.add(exchange, exchange.startMark, request.timeoutMs);
    try {
      endpoint.pool.dispatch(
        {
          method: request.method,
          path: request.path,
          headers,
          body: request.body,
          servername: cluster.servername,
        } as Dispatcher.DispatchOptions,
        exchange,
      );
    } catch (error) {
      exchange.onResponseError(null, error as Error);
    }
  }

  /** Shadows still in flight across all clusters. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Resolves once no shadow is in flight (or at once when none is). */
  idle(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** An endpoint outlier detection admits, trying each endpoint at most once; `null` when none is. */
  #pickAdmitted(cluster: UpstreamCluster): UpstreamEndpoint | null {
    for (let i = 0; i < cluster.endpoints.length; i++) {
      const endpoint = cluster.pick();
      if (endpoint === null) return null;
      if (this.outliers.admit(endpoint)) return endpoint;
    }
    return null;
  }

  #countersFor(routeId: string, policy: MirrorPolicy): MirrorCounters {
    let counters = this.#countersByPolicy.get(policy);
    if (counters === undefined) {
      counters = this.#counters.mirror(routeId, policy.cluster);
      this.#countersByPolicy.set(policy, counters);
    }
    return counters;
  }

  #started(cluster: UpstreamCluster, endpoint: UpstreamEndpoint, counters: MirrorCounters): void {
    this.#inFlight++;
    cluster.inFlight++;
    endpoint.inFlight++;
    counters.inFlight++;
  }

  /** @internal called once per exchange when it ends, however it ends. */
  finished(exchange: ShadowExchange, cluster: UpstreamCluster, endpoint: UpstreamEndpoint, counters: MirrorCounters): void {
    this.#deadlines.remove(exchange);
    this.#inFlight--;
    cluster.inFlight--;
    endpoint.inFlight--;
    counters.inFlight--;
    if (this.#inFlight === 0 && this.#idle.length > 0) {
      const waiters = this.#idle;
      this.#idle = [];
      for (const resolve of waiters) resolve();
    }
  }
}

function authorityOf(request: ShadowRequest): string {
  return copyAuthority(request.policy, request.authority);
}

function publishShadow(
  request: ShadowRequest,
  authority: string,
  endpoint: string,
  status: number,
  bytesOut: number,
  flags: string,
  startTime: number,
  durationMs: number,
): void {
  accessEvents.publish({
    kind: 'mirror',
    startTime,
    durationMs,
    requestId: request.requestId,
    listener: request.listener,
    method: request.method,
    path: request.path,
    authority,
    routeId: request.routeId,
    cluster: request.policy.cluster,
    endpoint,
    status,
    bytesIn: 0,
    bytesOut,
    flags,
    attempts: endpoint === '' ? 0 : 1,
  });
}

/** The reason a copy still in flight at its deadline is aborted. */
export class ShadowTimeoutError extends Error {
  readonly code = 'SG_SHADOW_TIMEOUT';
  constructor(timeoutMs: number) {
    super(`shadow request did not complete within ${timeoutMs} ms`);
  }
}

/**
 * The reason a copy is aborted once its response outgrows `maxResponseBytes`: the answer is thrown
 * away, so reading more would only cost the primary CPU and memory (a shadow streaming 100 MiB bodies
 * took the primary from ~58,000 to 374 requests per 15 s before this bound).
 */
export class ShadowResponseTooLargeError extends Error {
  readonly code = 'SG_SHADOW_RESPONSE_TOO_LARGE';
  readonly maxBytes: number;
  constructor(maxBytes: number) {
    super(`shadow response exceeded ${maxBytes} bytes`);
    this.maxBytes = maxBytes;
  }
}

/** Access-log flag of a copy abandoned for its response size; like SBO, not an Envoy flag. */
const RESPONSE_TOO_LARGE_FLAG = 'SRO';

let lastTooLarge: ShadowResponseTooLargeError | null = null;

/**
 * One error per bound, shared by every abort: a shadow that always answers too much is aborted once
 * per copy, and a fresh Error (with its stack trace) each time was a visible part of that cost.
 */
function tooLarge(maxBytes: number): ShadowResponseTooLargeError {
  if (lastTooLarge === null || lastTooLarge.maxBytes !== maxBytes) lastTooLarge = new ShadowResponseTooLargeError(maxBytes);
  return lastTooLarge;
}

/** undici handler for one copy: reads and discards the response, counts the outcome once. */
class ShadowExchange extends DeadlineEntry implements Dispatcher.DispatchHandler {
  readonly #writer: ShadowWriter;
  readonly #cluster: UpstreamCluster;
  readonly #endpoint: UpstreamEndpoint;
  readonly #counters: MirrorCounters;
  readonly #body: Readable | null;
  readonly #request: ShadowRequest;
  readonly #authority: string;
  readonly #comparison: ResponseSink | null;
  readonly #startTime = Date.now();
  readonly startMark = performance.now();
  #controller: Dispatcher.DispatchController | null = null;
  /** The deadline passed before undici handed over a controller; abort as soon as it does. */
  #timedOut = false;
  #done = false;
  #status = 0;
  #bytesOut = 0;
  /** Set when the response starts: `maxResponseBytes` of the snapshot serving then. */
  #maxBytes = 0;

  constructor(
    writer: ShadowWriter,
    cluster: UpstreamCluster,
    endpoint: UpstreamEndpoint,
    counters: MirrorCounters,
    request: ShadowRequest,
    authority: string,
  ) {
    super();
    this.#writer = writer;
    this.#cluster = cluster;
    this.#endpoint = endpoint;
    this.#counters = counters;
    this.#body = request.body;
    this.#request = request;
    this.#authority = authority;
    this.#comparison = request.comparison ?? null;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#timedOut) controller.abort(new ShadowTimeoutError(this.#request.timeoutMs));
  }

  onDeadline(): void {
    if (this.#done) return;
    if (this.#controller === null) this.#timedOut = true;
    else this.#controller.abort(new ShadowTimeoutError(this.#request.timeoutMs));
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    if (statusCode < 200) return;
    this.#status = statusCode;
    this.#maxBytes = this.#writer.maxResponseBytes();
    this.#comparison?.start(statusCode, headers);
    // A declared length past the bound is abandoned before a byte of it is read.
    const length = headers['content-length'];
    if (typeof length === 'string' && Number(length) > this.#maxBytes) {
      controller.abort(tooLarge(this.#maxBytes));
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    // Discarded without a copy, unless a comparison keeps one (up to its own bound).
    this.#bytesOut += chunk.length;
    this.#comparison?.data(chunk);
    // Aborting destroys the socket: the shadow sees its connection close and stops sending.
    if (this.#bytesOut > this.#maxBytes) controller.abort(tooLarge(this.#maxBytes));
  }

  onResponseEnd(): void {
    if (this.#done) return;
    this.#comparison?.end();
    this.#counters.completed[statusClass(this.#status)]++;
    // The one observation the console's latency chart needs of a copy; off the primary's path.
    this.#counters.latency.observe(performance.now() - this.startMark);
    this.#writer.outliers.succeeded(this.#endpoint);
    this.#finish('');
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, error: Error): void {
    if (this.#done) return;
    const counters = this.#counters;
    const outliers = this.#writer.outliers;
    let flag: string;
    if (error instanceof ShadowTimeoutError) {
      counters.failedTimeout++;
      outliers.failed(this.#endpoint);
      flag = 'UT';
      this.#comparison?.abort('timeout');
    } else if (error instanceof ShadowResponseTooLargeError) {
      this.#comparison?.abort('body_too_large');
      // The shadow answered (a status line is all outlier detection asks); only its size is past the bound.
      counters.droppedResponseTooLarge++;
      outliers.succeeded(this.#endpoint);
      flag = RESPONSE_TOO_LARGE_FLAG;
    } else if (error instanceof BodyCopyOverflowError || this.#body?.errored instanceof BodyCopyOverflowError) {
      // Not an Envoy flag: Envoy buffers shadow bodies without a bound of their own.
      counters.droppedBodyTooLarge++;
      outliers.inconclusive(this.#endpoint);
      flag = 'SBO';
    } else if (error instanceof DownstreamAbortedError || this.#body?.errored instanceof DownstreamAbortedError) {
      counters.droppedAborted++;
      outliers.inconclusive(this.#endpoint);
      flag = 'DC';
    } else {
      const failure = classifyFailure(error, this.#controller !== null);
      outliers.failed(this.#endpoint);
      if (failure === 'connect') {
        counters.failedConnect++;
        flag = 'UF';
      } else if (failure === 'protocol') {
        counters.failedProtocol++;
        flag = 'UPE';
      } else {
        counters.failedReset++;
        flag = 'UR';
      }
    }
    // Whatever else it was, the comparison has no whole response (a no-op after the ones above).
    this.#comparison?.abort('failed');
    this.#finish(flag);
  }

  #finish(flags: string): void {
    this.#done = true;
    if (this.#body !== null && !this.#body.destroyed) this.#body.destroy();
    this.#writer.finished(this, this.#cluster, this.#endpoint, this.#counters);
    if (accessEvents.hasSubscribers) {
      // An abandoned large response did get its status line; every other flag means no answer.
      const status = flags === '' || flags === RESPONSE_TOO_LARGE_FLAG ? this.#status : 0;
      const durationMs = performance.now() - this.startMark;
      publishShadow(this.#request, this.#authority, this.#endpoint.label, status, this.#bytesOut, flags, this.#startTime, durationMs);
    }
  }
}
