/**
 * Mirror fractions as Envoy holds them: a numerator over `FractionalPercent.MILLION`. The config
 * compiles Istio's `percentage.value` (a double, 0..100) into one; the mirror samples against it.
 */

/** Denominator of mirror fractions. */
export const MILLION = 1_000_000;

/** Istio's `percentage.value` (0..100) as a per-million numerator: per-million precision, as Istio's. */
export function percentToPerMillion(percent: number): number {
  return Math.round(percent * (MILLION / 100));
}
