/**
 * A route's filters, in the order of an Istio gateway's HTTP filter chain: CORS, then fault, then the
 * router (which either answers itself, for a redirect or a direct response, or forwards and mirrors).
 * The proxy calls `runRouteFilters` only for routes that have one of these; `forward` is its own
 * router path, called once unless the request was answered or went away.
 */
import type { RequestMatch, Route } from '../../snapshot/types.ts';
import { type AnsweredRequest, reportAnswered, sendLocalAnswer } from './answer.ts';
import { corsDecision } from './cors.ts';
import { drawAbortStatus, drawDelayMs, FAULT_ABORT_BODY, FAULT_ABORT_FLAG, FAULT_DELAY_FLAG } from './fault.ts';
import { redirectLocation } from './redirect.ts';

export interface RouteFilterRequest extends AnsweredRequest {
  readonly route: Route;
  readonly match: RequestMatch | null;
  readonly scheme: 'http' | 'https';
  /** The port the request arrived on. */
  readonly listenerPort: number;
  readonly method: string;
  readonly authority: string;
  readonly path: string;
  readonly query: string;
  readonly random: () => number;
}

/** Forwards the request upstream; `flags` are the filters' response flags so far ('' or `DI`). */
export type Forward = (flags: string) => void;

/** Runs the route's CORS and fault filters and its redirect / direct response, else forwards. */
export function runRouteFilters(request: RouteFilterRequest, forward: Forward): void {
  const { route, res } = request;
  if (route.cors !== null) {
    const cors = corsDecision(route.cors, request.method, request.req.headers);
    if (cors.kind === 'preflight') {
      sendLocalAnswer(request, { status: 200, headers: Object.fromEntries(cors.headers), body: null, responseOperations: null, flags: '' });
      return;
    }
    // Headers set on the response before it starts take precedence over the upstream's (see
    // PrimaryExchange), as Envoy's CORS filter overwrites them on the way out.
    if (cors.kind === 'actual') for (const [name, value] of cors.headers) res.setHeader(name, value);
  }
  const fault = route.fault;
  if (fault === null) {
    routerStage(request, '', forward);
    return;
  }
  const delayMs = drawDelayMs(fault, request.random);
  if (delayMs === 0) {
    afterDelay(request, '', forward);
    return;
  }
  const timer = setTimeout(() => {
    res.off('close', onClose);
    try {
      afterDelay(request, FAULT_DELAY_FLAG, forward);
    } catch (error) {
      // Outside the proxy's guard now: a bug costs this request, not the process.
      res.destroy(error as Error);
    }
  }, delayMs);
  const onClose = () => {
    // The client gave up during the delay: nothing was sent upstream, nothing is mirrored.
    clearTimeout(timer);
    request.req.resume();
    reportAnswered(request, 0, 0, `${FAULT_DELAY_FLAG},DC`);
  };
  res.once('close', onClose);
}

function afterDelay(request: RouteFilterRequest, flags: string, forward: Forward): void {
  const status = drawAbortStatus(request.route.fault!, request.random);
  if (status !== 0) {
    sendLocalAnswer(request, {
      status,
      headers: { 'content-type': 'text/plain' },
      body: FAULT_ABORT_BODY,
      responseOperations: null,
      flags: flags === '' ? FAULT_ABORT_FLAG : `${flags},${FAULT_ABORT_FLAG}`,
    });
    return;
  }
  routerStage(request, flags, forward);
}

/** The router: a redirect or direct response is answered here; anything else is forwarded. */
function routerStage(request: RouteFilterRequest, flags: string, forward: Forward): void {
  const { route } = request;
  const responseOperations = route.headers?.response ?? null;
  if (route.redirect !== null) {
    const location = redirectLocation(route.redirect, request);
    sendLocalAnswer(request, { status: route.redirect.responseCode, headers: { location }, body: null, responseOperations, flags });
    return;
  }
  if (route.directResponse !== null) {
    const { status, body } = route.directResponse;
    // Envoy's local reply labels a body it has no type for as text/plain.
    const headers = body === null ? {} : { 'content-type': 'text/plain' };
    sendLocalAnswer(request, { status, headers, body, responseOperations, flags });
    return;
  }
  forward(flags);
}
