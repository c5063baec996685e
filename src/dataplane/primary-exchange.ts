/**
 * One downstream request's trip to its primary upstream: endpoint choice, attempts and retries, the
 * route timeout, and the response streamed back with backpressure both ways. Ends exactly once, as a
 * relayed response, a local reply (502/503/504 with Envoy's flag), or a reset when a stream broke midway.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { ResponseTap } from '../compare/response-tap.ts';
import type { Route, WeightedCluster } from '../snapshot/types.ts';
import type { DownstreamCounters, GatewayCounters, UpstreamCounters } from '../stats/counters.ts';
import { statusClass } from '../stats/counters.ts';
import { accessEvents } from './events.ts';
import { downstreamResponseHeaders, type HeaderMap } from './headers.ts';
import { LocalReplies, type LocalReplyCode, RETRIES_EXHAUSTED_FLAG, sendLocalReply } from './local-reply.ts';
import type { RequestBodyOwner } from './downstream-connections.ts';
import type { RequestBodyFanout } from './request-body.ts';
import { type AttemptOutcome, isRetriable, retryBackoffMs } from './retry.ts';
import { classifyFailure } from './upstream/failure.ts';
import type { UpstreamCluster, UpstreamClusters, UpstreamEndpoint } from './upstream/upstream-clusters.ts';

export interface PrimaryExchangeInit {
  readonly res: ServerResponse;
  readonly route: Route;
  readonly destination: WeightedCluster;
  readonly method: string;
  readonly path: string;
  readonly headers: HeaderMap;
  readonly body: RequestBodyFanout | null;
  readonly clusters: UpstreamClusters;
  readonly counters: GatewayCounters;
  readonly random: () => number;
  readonly listener: string;
  /** The authority sent upstream. */
  readonly authority: string;
  readonly downstream: DownstreamCounters;
  /** `performance.now()` and `Date.now()` when the request arrived. */
  readonly startMark: number;
  readonly startTime: number;
  /** The request's consistent-hash key for the destination cluster (`null`: none, or not a hash cluster). */
  readonly hash: bigint | null;
  /** A `Set-Cookie` the hash policy generated, for the response. */
  readonly setCookie: string | null;
  /** Response flags of the route's filters before the router (`DI` for an injected delay), or ''. */
  readonly filterFlags?: string;
  /**
   * Where the response is offered for comparison (mirrors with `compare` sampled for this request);
   * offered as it is relayed, never waited on. Absent or not `wanted`: nothing is kept.
   */
  readonly tap?: ResponseTap | null;
}

class AttemptAbort extends Error {
  readonly code: 'per-try-timeout' | 'route-timeout' | 'retry' | 'downstream-closed' | 'request-body-timeout';
  constructor(code: AttemptAbort['code']) {
    super(code);
    this.code = code;
  }
}

/** The local reply (and so the status and flag) for a failed attempt, as Envoy's router picks it. */
function failureReply(outcome: Exclude<AttemptOutcome, { kind: 'status' }>): LocalReplyCode {
  switch (outcome.kind) {
    case 'connect':
      return 'UPSTREAM_CONNECT_FAILURE';
    case 'reset':
      return 'UPSTREAM_RESET';
    case 'protocol':
      return 'UPSTREAM_PROTOCOL_ERROR';
    case 'per-try-timeout':
      return 'UPSTREAM_TIMEOUT';
  }
}

const upstreamCountersByCluster = new WeakMap<UpstreamCluster, UpstreamCounters>();

function upstreamCounters(counters: GatewayCounters, cluster: UpstreamCluster): UpstreamCounters {
  let found = upstreamCountersByCluster.get(cluster);
  if (found === undefined) {
    found = counters.upstream(cluster.definition.name);
    upstreamCountersByCluster.set(cluster, found);
  }
  return found;
}

export class PrimaryExchange implements RequestBodyOwner {
  readonly #init: PrimaryExchangeInit;
  #cluster: UpstreamCluster | null = null;
  #stats: UpstreamCounters | null = null;
  #attempt: Attempt | null = null;
  #retriesLeft = 0;
  #retryNumber = 0;
  #routeTimer: NodeJS.Timeout | null = null;
  #done = false;
  /** `onFinished` listeners, `null` when there are none (the common case pays nothing). */
  #finished: ((status: number, durationMs: number) => void)[] | null = null;
  #finishedWith: { readonly status: number; readonly durationMs: number } | null = null;
  #attempts = 0;
  #endpoint = '';
  #bytesOut = 0;
  #flags = '';
  /** A retry is scheduled and holds one of the cluster's `maxRetries` slots until its attempt ends. */
  #pendingRetrySlot = false;
  #retryOverflowed = false;

  constructor(init: PrimaryExchangeInit) {
    this.#init = init;
  }

  /** The comparison tap, read when the response starts (sinks are added right after `start()`). */
  get #tap(): ResponseTap | null {
    const tap = this.#init.tap;
    return tap !== undefined && tap !== null && tap.wanted ? tap : null;
  }

  start(): void {
    const { route, res, clusters, counters } = this.#init;
    const cluster = clusters.get(this.#init.destination.cluster);
    if (cluster === undefined || cluster.endpoints.length === 0) {
      this.#localReply('NO_HEALTHY_UPSTREAM');
      return;
    }
    this.#cluster = cluster;
    this.#stats = upstreamCounters(counters, cluster);
    if (cluster.inFlight >= cluster.maxInFlight) {
      this.#stats.overflows++;
      this.#flags = 'UO';
      this.#localReply('UPSTREAM_OVERFLOW');
      return;
    }
    this.#retriesLeft = route.retry?.numRetries ?? 0;
    res.on('close', () => this.#onDownstreamClose());
    if (route.timeoutMs !== null) this.#routeTimer = setTimeout(() => this.#onRouteTimeout(), route.timeoutMs);
    this.#dispatch();
  }

  #dispatch(): void {
    const cluster = this.#cluster!;
    const endpoint = cluster.pick(this.#init.hash);
    if (endpoint === null) {
      this.#localReply('NO_HEALTHY_UPSTREAM');
      return;
    }
    let body = null;
    if (this.#init.body !== null) {
      body = this.#init.body.openAttempt();
      if (body === null) {
        // The body can no longer be replayed (too large or aborted); the last failure stands.
        this.#localReply('UPSTREAM_RESET');
        return;
      }
    }
    const attempt = new Attempt(this, cluster, endpoint);
    attempt.holdsRetrySlot = this.#pendingRetrySlot;
    this.#pendingRetrySlot = false;
    this.#attempt = attempt;
    this.#attempts++;
    this.#endpoint = endpoint.label;
    this.#stats!.requests++;
    cluster.inFlight++;
    endpoint.inFlight++;
    this.#stats!.inFlight++;
    // Istio's gateway virtual hosts set Envoy's `include_request_attempt_count`: each attempt says
    // which it is. undici reads the headers during dispatch, so the shared object can be updated here.
    this.#init.headers['x-envoy-attempt-count'] = String(this.#attempts);
    const perTry = this.#init.route.retry?.perTryTimeoutMs ?? null;
    if (perTry !== null) attempt.startTimer(perTry);
    try {
      endpoint.pool.dispatch(
        {
          method: this.#init.method,
          path: this.#init.path,
          headers: this.#init.headers,
          body,
          servername: cluster.servername,
        } as Dispatcher.DispatchOptions,
        attempt,
      );
    } catch (error) {
      attempt.onResponseError(null, error as Error);
    }
  }

  /** @internal an attempt ended; free its slot. */
  attemptEnded(attempt: Attempt): void {
    this.#stats!.latency.observe(performance.now() - attempt.startMark);
    attempt.cluster.inFlight--;
    attempt.endpoint.inFlight--;
    this.#stats!.inFlight--;
    releaseRetrySlot(attempt);
    if (this.#attempt === attempt) this.#attempt = null;
  }

  /** @internal response headers arrived; returns false when the attempt is to be retried instead. */
  responseStarted(attempt: Attempt, status: number, headers: Record<string, string | string[] | undefined>): boolean {
    if (this.#done) return false;
    // The retry this attempt was has its outcome: its slot is free before the next retry asks (as Envoy's resetRetry).
    releaseRetrySlot(attempt);
    if (attempt.cluster.responded(attempt.endpoint, status)) this.#stats!.ejections++;
    const retry = this.#init.route.retry;
    if (retry !== null && this.#retriesLeft > 0 && isRetriable(retry, { kind: 'status', status }) && this.#canReplay() && this.#retrySlot(attempt.cluster)) {
      this.#stats!.completed[statusClass(status)]++;
      this.#scheduleRetry();
      return false;
    }
    const { res, route, destination, body } = this.#init;
    body?.commit();
    this.#stats!.completed[statusClass(status)]++;
    // The route timer keeps running: Envoy's route timeout covers the whole response, body included.
    const out = downstreamResponseHeaders(headers, route.headers, destination);
    if (this.#init.setCookie !== null) appendSetCookie(out, this.#init.setCookie);
    // Headers a filter set before the response (CORS) overwrite the upstream's, as Envoy's encoders do.
    for (const name of res.getHeaderNames()) delete out[name];
    res.writeHead(status, out);
    // The upstream's own headers, as a shadow's are seen: the route's response header rules are not compared.
    if (this.#tap !== null) this.#tap.start(status, headers);
    return true;
  }

  /** @internal */
  responseData(attempt: Attempt, controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#bytesOut += chunk.length;
    const written = this.#init.res.write(chunk);
    // After the write: the client's bytes never wait for the copy.
    if (this.#tap !== null) this.#tap.data(chunk);
    if (!written) {
      controller.pause();
      this.#init.res.once('drain', () => controller.resume());
    }
  }

  /** @internal */
  responseEnded(): void {
    if (this.#done) return;
    this.#tap?.end();
    this.#finish(this.#init.res.statusCode);
    this.#init.res.end();
  }

  /** @internal the attempt failed before or after its response started. */
  attemptFailed(attempt: Attempt, outcome: Exclude<AttemptOutcome, { kind: 'status' }> | null, error: unknown): void {
    // No outcome: the exchange aborted the attempt itself (route timeout, downstream close) and settles
    // the request there; flagging it here would count it twice, and as a reset.
    if (this.#done || outcome === null) return;
    const stats = this.#stats!;
    if (outcome.kind === 'connect') stats.connectFailures++;
    else if (outcome.kind === 'reset') stats.resets++;
    else if (outcome.kind === 'protocol') stats.protocolErrors++;
    else if (outcome.kind === 'per-try-timeout') stats.timeouts++;
    // Envoy's outlier detection counts each local-origin failure as a 503 from the endpoint.
    if (attempt.cluster.failed(attempt.endpoint)) stats.ejections++;
    const res = this.#init.res;
    if (res.headersSent) {
      // The response is half-relayed: only a reset tells the client it is incomplete.
      this.#flags = LocalReplies[failureReply(outcome)].flag;
      this.#finish(res.statusCode);
      res.destroy(error instanceof Error ? error : undefined);
      return;
    }
    const retry = this.#init.route.retry;
    if (retry !== null && this.#retriesLeft > 0 && isRetriable(retry, outcome) && this.#canReplay() && this.#retrySlot(attempt.cluster)) {
      this.#scheduleRetry();
      return;
    }
    this.#localReply(failureReply(outcome), this.#attempts > 1);
  }

  #canReplay(): boolean {
    return this.#init.body === null || this.#init.body.replayable;
  }

  /**
   * Takes one of the cluster's `maxRetries` slots for a retry (Envoy's retry circuit breaker); when
   * none is free the retry is not attempted, counted, and the request is flagged UO.
   */
  #retrySlot(cluster: UpstreamCluster): boolean {
    if (cluster.retriesInFlight >= cluster.definition.connectionPool.maxRetries) {
      this.#stats!.retryOverflows++;
      this.#retryOverflowed = true;
      return false;
    }
    cluster.retriesInFlight++;
    this.#pendingRetrySlot = true;
    return true;
  }

  #scheduleRetry(): void {
    this.#retriesLeft--;
    this.#stats!.retries++;
    const wait = retryBackoffMs(this.#retryNumber++, this.#init.random);
    setTimeout(() => {
      if (this.#done) return;
      // As Envoy does, a retry looks the cluster up again: a reload in between may have replaced it
      // and closed the pools of the endpoints it had.
      const current = this.#init.clusters.get(this.#init.destination.cluster);
      if (current !== undefined && current !== this.#cluster) {
        this.#cluster = current;
        this.#stats = upstreamCounters(this.#init.counters, current);
      }
      this.#dispatch();
    }, wait);
  }

  #onRouteTimeout(): void {
    this.#routeTimer = null;
    if (this.#done) return;
    this.#stats!.timeouts++;
    const attempt = this.#attempt;
    // Envoy reports a route timeout to outlier detection as a local-origin timeout of the endpoint.
    if (attempt !== null && attempt.cluster.failed(attempt.endpoint)) this.#stats!.ejections++;
    attempt?.abort(new AttemptAbort('route-timeout'));
    if (this.#init.res.headersSent) {
      this.#flags = 'UT';
      this.#finish(this.#init.res.statusCode);
      this.#init.res.destroy();
    } else {
      this.#localReply('UPSTREAM_TIMEOUT');
    }
  }

  /**
   * The client stopped sending the body (the listener's request-body timeout): the upstream attempt is
   * abandoned and the client gets a 408, or a reset if the response already started. Either way the
   * connection closes, since the rest of the body will not come.
   */
  requestBodyTimedOut(): void {
    const { res } = this.#init;
    if (this.#done) {
      // Answered already (the upstream replied early); only the drain of the body is left.
      res.socket?.destroy();
      return;
    }
    this.#attempt?.abort(new AttemptAbort('request-body-timeout'));
    if (res.headersSent) {
      this.#flags = LocalReplies.REQUEST_BODY_TIMEOUT.flag;
      this.#finish(res.statusCode);
      res.destroy();
    } else {
      this.#localReply('REQUEST_BODY_TIMEOUT');
    }
  }

  /**
   * Node's parser found the body's framing broken (a bad chunk size, say): the upstream attempt is
   * dropped before it can see a body the client never validly sent, and the client gets a 400.
   */
  requestBodyMalformed(): void {
    const { res } = this.#init;
    if (this.#done || res.headersSent) {
      res.socket?.destroy();
      return;
    }
    this.#attempt?.abort(new AttemptAbort('downstream-closed'));
    this.#localReply('BAD_REQUEST');
  }

  #onDownstreamClose(): void {
    if (this.#done || this.#init.res.writableFinished) return;
    this.#attempt?.abort(new AttemptAbort('downstream-closed'));
    this.#flags = this.#flags === '' ? 'DC' : `${this.#flags},DC`;
    this.#finish(this.#init.res.headersSent ? this.#init.res.statusCode : 0);
  }

  #localReply(code: LocalReplyCode, retriesExhausted = false): void {
    if (this.#done) return;
    const { res } = this.#init;
    this.#flags = retriesExhausted ? `${LocalReplies[code].flag},${RETRIES_EXHAUSTED_FLAG}` : LocalReplies[code].flag;
    sendLocalReply(res, code, this.#requestId());
    // #finish releases the request body, which drains what is left of it for the next request.
    this.#finish(res.statusCode);
  }

  #requestId(): string {
    const id = this.#init.headers['x-request-id'];
    return typeof id === 'string' ? id : Array.isArray(id) ? (id[0] ?? '') : '';
  }

  /** Counts and reports the request once; `status` 0 means the client got no status line. */
  #finish(status: number): void {
    this.#done = true;
    const finished = this.#finished;
    // Not ended whole (a local reply, a reset midway, a timeout, the client gone): nothing to compare.
    this.#init.tap?.abort(this.#flags.split(',').includes('DC') ? 'aborted' : 'failed');
    if (this.#pendingRetrySlot) {
      this.#pendingRetrySlot = false;
      this.#cluster!.retriesInFlight--;
    }
    if (this.#retryOverflowed && !this.#flags.split(',').includes('UO')) this.#flags = this.#flags === '' ? 'UO' : `${this.#flags},UO`;
    if (this.#routeTimer !== null) clearTimeout(this.#routeTimer);
    this.#routeTimer = null;
    const init = this.#init;
    // No attempt follows: whatever is left of the request body drains instead of waiting for a reader.
    init.body?.release();
    const durationMs = performance.now() - init.startMark;
    init.downstream.completed[statusClass(status === 0 ? 503 : status)]++;
    init.downstream.latency.observe(durationMs);
    if (accessEvents.hasSubscribers) {
      accessEvents.publish({
        kind: 'primary',
        startTime: init.startTime,
        durationMs,
        requestId: this.#requestId(),
        listener: init.listener,
        method: init.method,
        path: init.path,
        authority: init.authority,
        routeId: init.route.id,
        cluster: init.destination.cluster,
        endpoint: this.#endpoint,
        status,
        bytesIn: init.body?.bytesReceived ?? 0,
        bytesOut: this.#bytesOut,
        flags: init.filterFlags ? (this.#flags === '' ? init.filterFlags : `${init.filterFlags},${this.#flags}`) : this.#flags,
        attempts: this.#attempts,
      });
    }
    this.#finishedWith = { status, durationMs };
    if (finished !== null) {
      this.#finished = null;
      for (const listener of finished) {
        try {
          listener(status, durationMs);
        } catch {
          // A listener's failure is its own; the request is already answered and counted.
        }
      }
    }
  }

  /**
   * Calls `listener` once with the status the client got (0: none) and the latency, when the exchange
   * ends (at once when it has). One way: a listener learns the outcome and cannot change it; capture
   * uses it to record the primary's answer next to a copy.
   */
  onFinished(listener: (status: number, durationMs: number) => void): void {
    const done = this.#finishedWith;
    if (done !== null) {
      queueMicrotask(() => listener(done.status, done.durationMs));
      return;
    }
    (this.#finished ??= []).push(listener);
  }
}

function releaseRetrySlot(attempt: Attempt): void {
  if (!attempt.holdsRetrySlot) return;
  attempt.holdsRetrySlot = false;
  attempt.cluster.retriesInFlight--;
}

/** Adds a generated hash-policy cookie next to any the upstream set. */
function appendSetCookie(headers: OutgoingHttpHeaders, cookie: string): void {
  const existing = headers['set-cookie'];
  headers['set-cookie'] = existing === undefined ? [cookie] : [...(Array.isArray(existing) ? existing : [String(existing)]), cookie];
}

/** undici handler for one attempt; late callbacks of a superseded attempt are ignored. */
class Attempt implements Dispatcher.DispatchHandler {
  readonly exchange: PrimaryExchange;
  readonly cluster: UpstreamCluster;
  readonly endpoint: UpstreamEndpoint;
  readonly startMark = performance.now();
  /** This attempt is a retry and holds a `maxRetries` slot until it ends. */
  holdsRetrySlot = false;
  #controller: Dispatcher.DispatchController | null = null;
  #pendingAbort: AttemptAbort | null = null;
  #timer: NodeJS.Timeout | null = null;
  #ended = false;
  #relaying = false;

  constructor(exchange: PrimaryExchange, cluster: UpstreamCluster, endpoint: UpstreamEndpoint) {
    this.exchange = exchange;
    this.cluster = cluster;
    this.endpoint = endpoint;
  }

  startTimer(ms: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.abort(new AttemptAbort('per-try-timeout'));
    }, ms);
  }

  /** Aborts the attempt; before the request reaches a connection, as soon as it does. */
  abort(reason: AttemptAbort): void {
    if (this.#ended) return;
    if (this.#controller === null) {
      this.#pendingAbort = reason;
      if (reason.code === 'per-try-timeout') this.#fail(reason);
      return;
    }
    this.#controller.abort(reason);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#pendingAbort !== null) controller.abort(this.#pendingAbort);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    if (this.#ended || statusCode < 200) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.exchange.responseStarted(this, statusCode, headers)) {
      this.#relaying = true;
    } else {
      this.#end();
      controller.abort(new AttemptAbort('retry'));
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#relaying) this.exchange.responseData(this, controller, chunk);
  }

  onResponseEnd(): void {
    if (this.#ended) return;
    this.#end();
    this.exchange.responseEnded();
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, error: Error): void {
    if (this.#ended) return;
    this.#fail(error);
  }

  #fail(error: Error): void {
    this.#end();
    let outcome: Exclude<AttemptOutcome, { kind: 'status' }> | null;
    if (error instanceof AttemptAbort) {
      // Route timeouts and downstream closes are settled by the exchange itself.
      outcome = error.code === 'per-try-timeout' ? { kind: 'per-try-timeout' } : null;
    } else {
      outcome = { kind: classifyFailure(error, this.#controller !== null) };
    }
    this.exchange.attemptFailed(this, outcome, error);
  }

  #end(): void {
    this.#ended = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.exchange.attemptEnded(this);
  }
}
