/**
 * Envoy's fault filter for a route's `fault`: it runs before the router, so an aborted request never
 * reaches the primary nor a mirror, and a delayed one is routed (and mirrored) when its delay ends.
 * The delay and the abort draw separately, as Envoy's `featureEnabled` calls do.
 */
import type { FaultPolicy } from '../../snapshot/types.ts';
import { drawPerMillion } from '../../mirror/sampling.ts';

/** Envoy's response flags for an injected delay and an injected abort. */
export const FAULT_DELAY_FLAG = 'DI';
export const FAULT_ABORT_FLAG = 'FI';

/** Envoy's local reply body for an injected abort. */
export const FAULT_ABORT_BODY = Buffer.from('fault filter abort');

/** Whether this request is delayed: the delay in ms, or 0. */
export function drawDelayMs(policy: FaultPolicy, random: () => number): number {
  const delay = policy.delay;
  if (delay === null || drawPerMillion(random) >= delay.perMillion) return 0;
  return delay.delayMs;
}

/** Whether this request is aborted: the status to answer with, or 0. */
export function drawAbortStatus(policy: FaultPolicy, random: () => number): number {
  const abort = policy.abort;
  if (abort === null || drawPerMillion(random) >= abort.perMillion) return 0;
  return abort.httpStatus;
}
