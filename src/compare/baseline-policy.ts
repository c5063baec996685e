/**
 * The baseline copy's mirror policy (Diffy's second instance of the old version): the shadow's policy
 * aimed at `baselineCluster`, so the copy is the same request (same header rules and authority) and is
 * counted as a mirror cluster of its own. It neither compares nor captures by itself.
 */
import type { MirrorPolicy } from '../snapshot/types.ts';

const baselines = new WeakMap<MirrorPolicy, MirrorPolicy>();

/** Derived once per compiled policy; null when the policy has no baseline. */
export function baselinePolicy(policy: MirrorPolicy): MirrorPolicy | null {
  const cluster = policy.extensions?.compare?.baselineCluster ?? null;
  if (cluster === null) return null;
  let baseline = baselines.get(policy);
  if (baseline === undefined) {
    baseline = Object.freeze({ ...policy, cluster, extensions: { ...policy.extensions!, compare: null, capture: null } });
    baselines.set(policy, baseline);
  }
  return baseline;
}

const withCompare = new WeakMap<readonly MirrorPolicy[], boolean>();

/** Whether any of a route's mirrors compares responses (so the primary's response may be kept). */
export function anyCompares(mirrors: readonly MirrorPolicy[]): boolean {
  let found = withCompare.get(mirrors);
  if (found === undefined) {
    found = mirrors.some((m) => (m.extensions?.compare ?? null) !== null);
    withCompare.set(mirrors, found);
  }
  return found;
}
