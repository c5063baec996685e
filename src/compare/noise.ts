/**
 * Noise cancellation, after Diffy: a second copy goes to a *baseline* (another instance of the version
 * the primary runs). Whatever differs between primary and baseline differs for reasons that are not
 * the new version's (timestamps, random ids, per-instance values), so the same field differing between
 * primary and shadow is noise. Fields are compared in their generalised form (`$.items[*].id`), so a
 * random id in every element is one noisy field, not one per index.
 */
import type { Difference } from './json-diff.ts';
import { generalisePath } from './json-path.ts';
import type { ResponseDifference } from './response-compare.ts';

export interface ClassifiedDifferences {
  /** Differences the baseline does not share: the shadow behaves differently. */
  readonly real: readonly Difference[];
  /** Differences at fields where the baseline differs from the primary too. */
  readonly noise: readonly Difference[];
}

/** Splits primary-vs-shadow differences by whether primary-vs-baseline differs at the same field. */
export function separateNoise(shadowDifferences: readonly Difference[], baselineDifferences: readonly Difference[]): ClassifiedDifferences {
  const noisy = new Set(baselineDifferences.map((d) => generalisePath(d.path)));
  const real: Difference[] = [];
  const noise: Difference[] = [];
  for (const difference of shadowDifferences) {
    (noisy.has(generalisePath(difference.path)) ? noise : real).push(difference);
  }
  return { real, noise };
}

/** A whole-response difference's field: status, a header, or a body path with indexes generalised. */
function responseField(d: ResponseDifference): string {
  return d.where === 'body' ? `body ${d.path.replace(/\[\d+\]/g, '[*]')}` : `${d.where} ${d.path}`;
}

/**
 * `separateNoise` for whole responses (`compareResponses`' differences, whose paths are already
 * printed): status, headers and body fields that also differ between primary and baseline are noise.
 */
export function separateResponseNoise(
  shadowDifferences: readonly ResponseDifference[],
  baselineDifferences: readonly ResponseDifference[],
): { readonly real: readonly ResponseDifference[]; readonly noise: readonly ResponseDifference[] } {
  const noisy = new Set(baselineDifferences.map(responseField));
  const real: ResponseDifference[] = [];
  const noise: ResponseDifference[] = [];
  for (const difference of shadowDifferences) (noisy.has(responseField(difference)) ? noise : real).push(difference);
  return { real, noise };
}
