/**
 * A route answered by the gateway itself (redirect, direct response, CORS preflight, injected abort):
 * the response is written, the request body drained, and the request counted and reported like any
 * other, under its route, with Envoy's response flags.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { HeaderOperations } from '../../snapshot/types.ts';
import type { DownstreamCounters } from '../../stats/counters.ts';
import { statusClass } from '../../stats/counters.ts';
import { accessEvents } from '../events.ts';
import { applyHeaderOperations } from '../headers.ts';

export interface LocalAnswer {
  readonly status: number;
  readonly headers: OutgoingHttpHeaders;
  readonly body: Buffer | null;
  /** The route's `headers.response`, applied as Envoy's `finalizeResponseHeaders` does, or `null`. */
  readonly responseOperations: HeaderOperations | null;
  readonly flags: string;
}

/** The request a local answer is about, for counters and the access log. */
export interface AnsweredRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly listener: string;
  readonly routeId: string;
  readonly downstream: DownstreamCounters;
  /** `performance.now()` and `Date.now()` when the request arrived. */
  readonly startMark: number;
  readonly startTime: number;
}

/** Writes `answer` and accounts for it; the request body is drained, never forwarded. */
export function sendLocalAnswer(request: AnsweredRequest, answer: LocalAnswer): void {
  const { req, res } = request;
  const headers: OutgoingHttpHeaders = { ...answer.headers, 'content-length': answer.body?.length ?? 0 };
  if (answer.responseOperations !== null) applyHeaderOperations(headers, answer.responseOperations);
  res.writeHead(answer.status, headers);
  res.end(answer.body ?? undefined);
  req.resume();
  reportAnswered(request, answer.status, answer.body?.length ?? 0, answer.flags);
}

/** Counts and publishes a request that ended without an upstream exchange; `status` 0 for none sent. */
export function reportAnswered(request: AnsweredRequest, status: number, bytesOut: number, flags: string): void {
  const { req, downstream } = request;
  const durationMs = performance.now() - request.startMark;
  downstream.requests++;
  downstream.completed[statusClass(status === 0 ? 503 : status)]++;
  downstream.latency.observe(durationMs);
  if (accessEvents.hasSubscribers) {
    const requestId = req.headers['x-request-id'];
    accessEvents.publish({
      kind: 'primary',
      startTime: request.startTime,
      durationMs,
      requestId: typeof requestId === 'string' ? requestId : '',
      listener: request.listener,
      method: req.method ?? '',
      path: req.url ?? '',
      authority: req.headers.host ?? '',
      routeId: request.routeId,
      cluster: '',
      endpoint: '',
      status,
      bytesIn: 0,
      bytesOut,
      flags,
      attempts: 0,
    });
  }
}
