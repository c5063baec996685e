/**
 * Mirror sampling, as Envoy's `shouldShadow`: a pure function of the policy's per-million threshold and
 * one random draw. A request draws once and every mirror of its route compares against that draw, so a
 * 5% mirror is always a subset of a 10% mirror on the same route.
 */

import { MILLION } from '../snapshot/fraction.ts';

export { MILLION, percentToPerMillion } from '../snapshot/fraction.ts';

/** Turns a draw in [0, 1) into an integer in [0, MILLION). */
export function drawPerMillion(random: () => number): number {
  return Math.floor(random() * MILLION);
}

/** Whether a request with `draw` (0..999,999) is mirrored by a policy of `perMillion` (0..1,000,000). */
export function shouldMirror(perMillion: number, draw: number): boolean {
  return draw < perMillion;
}
