/**
 * The request path, one way: pick the virtual host and route from the snapshot, run the route's CORS
 * and fault filters and answer a redirect or direct response (route-actions/), else choose a
 * destination, prepare the upstream request, hand copies to the shadow writer, and stream the primary.
 * Nothing here throws out of a request: every failure ends as a local reply or a counter.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Listener, MirrorPolicy, RequestMatch, Route, Snapshot, WeightedCluster } from '../snapshot/types.ts';
import type { DownstreamCounters, GatewayCounters } from '../stats/counters.ts';
import { statusClass } from '../stats/counters.ts';
import { drawPerMillion, shouldMirror } from '../mirror/sampling.ts';
import type { ShadowRequest, ShadowWriter } from '../mirror/shadow-writer.ts';
import { stickyDraw, stickyKey } from '../mirror/sticky-sampling.ts';
import { copyAuthority, copyHeaders } from '../mirror/copy-request.ts';
import type { Captures } from '../capture/captures.ts';
import type { CaptureSettings } from '../snapshot/mirror-extensions.ts';
import { anyCompares, baselinePolicy } from '../compare/baseline-policy.ts';
import type { Comparator } from '../compare/comparator.ts';
import { ResponseTap } from '../compare/response-tap.ts';
import { applyRequestPolicies, forwardedRequestHeaders, type HeaderMap } from './headers.ts';
import { accessEvents } from './events.ts';
import { LocalReplies, type LocalReplyCode, sendLocalReply } from './local-reply.ts';
import type { BodyOwnerSink } from './downstream-connections.ts';
import { PrimaryExchange } from './primary-exchange.ts';
import { hasForwardableFraming, hasRequestBody, RequestBodyFanout } from './request-body.ts';
import { isHttp1, readRequestTarget } from './request-target.ts';
import { runRouteFilters } from './route-actions/filters.ts';
import { authorityPort, rewritePath, selectRoute, virtualHostFor } from './router.ts';
import { requestHash, type RequestHash } from './upstream/hash-key.ts';
import type { UpstreamClusters } from './upstream/upstream-clusters.ts';

const NO_REQUEST_HASH: RequestHash = { hash: null, setCookie: null };

export interface ProxyOptions {
  readonly snapshot: () => Snapshot;
  readonly clusters: UpstreamClusters;
  readonly shadows: ShadowWriter;
  readonly counters: GatewayCounters;
  readonly random: () => number;
  /** Where MirrorPolicy `capture` records go; without it, nothing is captured. */
  readonly captures?: Captures;
  /** Compares responses for mirrors with `compare`; absent: no comparison anywhere. */
  readonly comparator?: Comparator;
}

/** What the copies of one request share besides the primary's request line and headers. */
interface MirrorContext {
  readonly req: IncomingMessage;
  readonly query: string;
  readonly scheme: 'http' | 'https';
  readonly startTime: number;
  readonly exchange: PrimaryExchange;
}

function pickDestination(route: Route, random: () => number): WeightedCluster {
  const clusters = route.clusters;
  if (clusters.length === 1) return clusters[0]!;
  let target = random() * route.totalWeight;
  for (const destination of clusters) {
    target -= destination.weight;
    if (target < 0 && destination.weight > 0) return destination;
  }
  // Rounding can leave `target` at 0 after the last positive weight: give it to the last one.
  for (let i = clusters.length - 1; i >= 0; i--) if (clusters[i]!.weight > 0) return clusters[i]!;
  return clusters[0]!;
}

function requestIdOf(headers: HeaderMap): string {
  const id = headers['x-request-id'];
  return typeof id === 'string' ? id : '';
}

export class Proxy {
  readonly #options: ProxyOptions;
  readonly #downstream = new WeakMap<Listener, Map<string, DownstreamCounters>>();

  constructor(options: ProxyOptions) {
    this.#options = options;
  }

  /**
   * Handles one downstream request arriving on `listener`. `ownBody` is told which exchange ends the
   * request should its body fail (stall or broken framing); it is not called for a request without a
   * body or one answered here.
   */
  handle(listener: Listener, req: IncomingMessage, res: ServerResponse, ownBody?: BodyOwnerSink): void {
    this.#guard(res, () => this.#route(listener, req, res, ownBody));
  }

  #guard(res: ServerResponse, step: () => void): void {
    try {
      step();
    } catch (error) {
      // A bug must cost one request, not the process; the request gets the closest honest answer.
      if (!res.headersSent) sendLocalReply(res, 'UPSTREAM_RESET', null);
      else res.destroy(error as Error);
    }
  }

  #route(listener: Listener, req: IncomingMessage, res: ServerResponse, ownBody: BodyOwnerSink | undefined): void {
    const options = this.#options;
    const startMark = performance.now();
    if (!isHttp1(req)) {
      // Node's parser accepts any `HTTP/d.d`; HTTP/2.0 in an HTTP/1 request line is not HTTP/2.
      this.#localReply(listener, req, res, 'HTTP_VERSION_NOT_SUPPORTED', startMark);
      return;
    }
    const target = readRequestTarget(req);
    if (target === null || !hasForwardableFraming(req)) {
      this.#localReply(listener, req, res, 'BAD_REQUEST', startMark);
      return;
    }
    const authority = target.authority;
    const virtualHost = virtualHostFor(listener, authority);
    // Envoy's require_tls ALL: checked before any route, so every request on a plain connection is redirected.
    if (virtualHost?.requireTls === true && listener.protocol !== 'HTTPS') {
      this.#httpsRedirect(listener, req, res, authority, target, startMark);
      return;
    }
    const method = req.method ?? 'GET';
    const selection =
      virtualHost === null
        ? null
        : selectRoute(virtualHost, { method, path: target.path, query: target.query, authority, headers: req.headers });
    if (selection === null) {
      this.#localReply(listener, req, res, 'NO_ROUTE', startMark);
      return;
    }
    const { route, match } = selection;
    const startTime = Date.now();
    if (route.cors !== null || route.fault !== null || route.redirect !== null || route.directResponse !== null) {
      runRouteFilters(
        {
          req,
          res,
          route,
          match,
          listener: listener.name,
          routeId: route.id,
          scheme: listener.protocol === 'HTTPS' ? 'https' : 'http',
          // A listener on port 0 (tests, the demo) learns its port from the socket; on the mesh
          // listener the request's port is the service port its Host names, as a sidecar's would be.
          listenerPort:
            listener.matchPortInHost === true ? authorityPort(authority) : listener.port === 0 ? (req.socket.localPort ?? 0) : listener.port,
          method,
          authority,
          path: target.path,
          query: target.query,
          downstream: this.#countersFor(listener, route),
          random: options.random,
          startMark,
          startTime,
        },
        // After a fault delay this runs from a timer, outside `handle`'s guard.
        (flags) =>
          this.#guard(res, () => this.#forward(listener, req, res, route, match, target, authority, method, startMark, startTime, flags, ownBody)),
      );
      return;
    }
    this.#forward(listener, req, res, route, match, target, authority, method, startMark, startTime, '', ownBody);
  }

  /** The router's forwarding path: the primary exchange, then the copies for the route's mirrors. */
  #forward(
    listener: Listener,
    req: IncomingMessage,
    res: ServerResponse,
    route: Route,
    match: RequestMatch | null,
    target: { path: string; query: string },
    authority: string,
    method: string,
    startMark: number,
    startTime: number,
    filterFlags: string,
    ownBody: BodyOwnerSink | undefined,
  ): void {
    const options = this.#options;
    const snapshot = options.snapshot();
    const destination = pickDestination(route, options.random);
    const path = rewritePath(route, match, target.path, target.query);
    const headers: HeaderMap = forwardedRequestHeaders(req.headers, {
      clientAddress: req.socket.remoteAddress ?? '',
      scheme: listener.protocol === 'HTTPS' ? 'https' : 'http',
    });
    const upstreamAuthority = route.rewrite?.authority ?? authority;
    headers.host = upstreamAuthority;
    applyRequestPolicies(headers, route.headers, destination);

    const body = hasRequestBody(req) ? new RequestBodyFanout(req, snapshot.proxy.retryBufferBytes) : null;
    const downstream = this.#countersFor(listener, route);
    downstream.requests++;
    const hashing = this.#requestHash(destination, req, target.query);
    // Only where a mirror compares: the #mirror draw below decides whether anything is kept.
    const tap = route.mirrors !== null && options.comparator !== undefined && anyCompares(route.mirrors) ? new ResponseTap() : null;
    const exchange = new PrimaryExchange({
      res,
      route,
      destination,
      method,
      path,
      headers,
      body,
      clusters: options.clusters,
      counters: options.counters,
      random: options.random,
      listener: listener.name,
      authority: upstreamAuthority,
      downstream,
      startMark,
      startTime,
      hash: hashing.hash,
      setCookie: hashing.setCookie,
      filterFlags,
      tap,
    });
    if (body !== null) ownBody?.(req, exchange);
    exchange.start();

    if (route.mirrors !== null) {
      try {
        const context: MirrorContext = { req, query: target.query, scheme: listener.protocol === 'HTTPS' ? 'https' : 'http', startTime, exchange };
        this.#mirror(listener, route, route.mirrors, method, path, headers, upstreamAuthority, body, snapshot, context, tap);
      } catch {
        // The primary is already on its way; whatever went wrong with the copies stays with them.
      }
    }
  }

  /** The consistent-hash key of a request to a RING_HASH or MAGLEV cluster, from the request as it arrived. */
  #requestHash(destination: WeightedCluster, req: IncomingMessage, query: string): RequestHash {
    const key = this.#options.clusters.get(destination.cluster)?.definition.consistentHash?.key;
    if (key === undefined) return NO_REQUEST_HASH;
    const socket = req.socket;
    return requestHash(key, {
      headers: req.headers,
      query,
      remoteAddress: socket.remoteAddress ?? '',
      remotePort: socket.remotePort ?? 0,
      localAddress: socket.localAddress ?? '',
      localPort: socket.localPort ?? 0,
    });
  }

  /** Hands a copy to the shadow writer for every mirror this request's single draw selects. */
  #mirror(
    listener: Listener,
    route: Route,
    mirrors: readonly MirrorPolicy[],
    method: string,
    path: string,
    headers: HeaderMap,
    authority: string,
    body: RequestBodyFanout | null,
    snapshot: Snapshot,
    context: MirrorContext,
    tap: ResponseTap | null,
  ): void {
    const options = this.#options;
    const draw = drawPerMillion(options.random);
    const timeoutMs = route.timeoutMs ?? snapshot.mirror.defaultTimeoutMs;
    for (const policy of mirrors) {
      const extensions = policy.extensions;
      let sampledBy: 'key' | 'random' | undefined;
      if (extensions?.sampling != null) {
        // The key's hash stands in for the draw against the same threshold, so 5% of keys stay within 10%.
        const key = stickyKey(extensions.sampling.key, { headers: context.req.headers, query: context.query });
        sampledBy = key === null ? 'random' : 'key';
        if (!shouldMirror(policy.perMillion, key === null ? draw : stickyDraw(key))) continue;
      } else if (!shouldMirror(policy.perMillion, draw)) continue;
      if (extensions?.capture != null && options.captures !== undefined) {
        this.#capture(options.captures, extensions.capture, route, policy, method, path, headers, authority, body, context);
      }
      const compare = tap === null ? null : (extensions?.compare ?? null);
      const comparison =
        compare === null ? null : options.comparator!.begin(route.id, policy.cluster, compare, { method, path, authority, requestId: requestIdOf(headers) });
      const copy = (to: MirrorPolicy, sink: ShadowRequest['comparison']): void =>
        options.shadows.shadow({
          sampledBy,
          routeId: route.id,
          policy: to,
          method,
          path,
          headers,
          authority,
          body: body === null ? null : body.copy(snapshot.mirror.maxBodyBytes),
          timeoutMs,
          listener: listener.name,
          requestId: requestIdOf(headers),
          comparison: sink,
        });
      if (comparison === null) {
        copy(policy, null);
        continue;
      }
      tap!.add(comparison.primary);
      copy(policy, comparison.shadow);
      if (comparison.baseline !== null) copy(baselinePolicy(policy)!, comparison.baseline);
    }
  }

  /**
   * Records one copy as a HAR entry: the request line and headers the shadow gets, and the body as a
   * bounded tap beside the copies (never a reader the client waits for); queued when the body has
   * ended and, with `includePrimaryResponse`, the primary has answered. An aborted body is not recorded.
   */
  #capture(
    captures: Captures,
    settings: CaptureSettings,
    route: Route,
    policy: MirrorPolicy,
    method: string,
    path: string,
    headers: HeaderMap,
    authority: string,
    body: RequestBodyFanout | null,
    context: MirrorContext,
  ): void {
    const copyAuth = copyAuthority(policy, authority);
    const copy = copyHeaders(policy, headers, copyAuth);
    const owner = this.#options.counters.mirror(route.id, policy.cluster);
    const tap = body === null ? null : body.tap(settings.maxBodyBytes);
    let waiting = (tap === null ? 0 : 1) + (settings.includePrimaryResponse ? 1 : 0);
    let primary: { status: number; durationMs: number } | undefined;
    let aborted = false;
    const ready = () => {
      if (--waiting > 0 || aborted) return;
      captures.record(
        settings,
        {
          startTime: context.startTime,
          method,
          url: `${context.scheme}://${copyAuth}${path}`,
          headers: copy,
          body: tap === null ? null : tap.body(),
          bodyTruncated: tap?.truncated ?? false,
          bodySize: tap?.total ?? 0,
          route: route.id,
          mirrorCluster: policy.cluster,
          requestId: requestIdOf(headers),
          ...(primary !== undefined && { primary }),
        },
        owner,
      );
    };
    if (tap !== null) {
      tap.done = (t) => {
        aborted = t.aborted;
        ready();
      };
    }
    if (settings.includePrimaryResponse) {
      context.exchange.onFinished((status, durationMs) => {
        primary = { status, durationMs: Math.round(durationMs * 1000) / 1000 };
        ready();
      });
    }
    if (waiting === 0) {
      waiting = 1;
      ready();
    }
  }

  /**
   * Envoy's SSL redirect for a virtual host with `require_tls: ALL` (Istio's `httpsRedirect`): 301 to
   * `https://` + the Host header as sent + the path and query, with no body; nothing is forwarded or mirrored.
   */
  #httpsRedirect(listener: Listener, req: IncomingMessage, res: ServerResponse, authority: string, target: { path: string; query: string }, startMark: number): void {
    const location = `https://${authority}${target.path}${target.query === '' ? '' : `?${target.query}`}`;
    res.writeHead(301, { location, 'content-length': '0' });
    res.end();
    this.#reportUnrouted(listener, req, 301, '', startMark);
  }

  /** Answers a request that never reached a route (400 or 404), counting and reporting it. */
  #localReply(listener: Listener, req: IncomingMessage, res: ServerResponse, code: LocalReplyCode, startMark: number): void {
    sendLocalReply(res, code, null);
    this.#reportUnrouted(listener, req, LocalReplies[code].status, LocalReplies[code].flag, startMark);
  }

  #reportUnrouted(listener: Listener, req: IncomingMessage, status: number, flags: string, startMark: number): void {
    const counters = this.#options.counters.downstream(listener.name, '');
    counters.requests++;
    counters.completed[statusClass(status)]++;
    const requestId = req.headers['x-request-id'];
    // Drain the body so the connection stays usable; it is never forwarded.
    req.resume();
    const durationMs = performance.now() - startMark;
    counters.latency.observe(durationMs);
    if (accessEvents.hasSubscribers) {
      accessEvents.publish({
        kind: 'primary',
        startTime: Date.now() - durationMs,
        durationMs,
        requestId: typeof requestId === 'string' ? requestId : '',
        listener: listener.name,
        method: req.method ?? '',
        path: req.url ?? '',
        authority: req.headers.host ?? '',
        routeId: '',
        cluster: '',
        endpoint: '',
        status,
        bytesIn: 0,
        bytesOut: 0,
        flags,
        attempts: 0,
      });
    }
  }

  #countersFor(listener: Listener, route: Route): DownstreamCounters {
    let byRoute = this.#downstream.get(listener);
    if (byRoute === undefined) {
      byRoute = new Map();
      this.#downstream.set(listener, byRoute);
    }
    let counters = byRoute.get(route.id);
    if (counters === undefined) {
      counters = this.#options.counters.downstream(listener.name, route.id);
      byRoute.set(route.id, counters);
    }
    return counters;
  }
}
