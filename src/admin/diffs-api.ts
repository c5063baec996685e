/**
 * `GET /api/diffs` and `GET /api/diffs/{id}`: what the response comparisons found, read from the
 * diff store (per route and mirror: counts, skip reasons, the most frequent differing fields, the
 * samples held; one sample in full). Read-only; the store is written by the comparator.
 */
import type { DiffSample, DiffStore, RouteDiffSummary } from '../compare/diff-store.ts';

export type DiffsAnswer = { readonly status: number; readonly body: unknown };

/** Why there is no store to read: with workers and no `--compare-store` file, results stay in each worker. */
export const NO_SHARED_STORE =
  'with --workers, each worker compares its own traffic in memory; start with --compare-store FILE so workers write one database the admin server reads';

export function diffsSummary(store: DiffStore | null, route: string | null): DiffsAnswer {
  if (store === null) return { status: 503, body: { error: NO_SHARED_STORE } };
  const routes: RouteDiffSummary[] = store.summary(route === null ? {} : { routeId: route });
  return { status: 200, body: { routes } };
}

export function diffSample(store: DiffStore | null, idText: string): DiffsAnswer {
  if (store === null) return { status: 503, body: { error: NO_SHARED_STORE } };
  const id = /^\d{1,15}$/.test(idText) ? Number(idText) : NaN;
  const sample: DiffSample | null = Number.isSafeInteger(id) ? store.sample(id) : null;
  if (sample === null) return { status: 404, body: { error: `no diff sample ${JSON.stringify(idText)} (evicted, or never taken); GET /api/diffs lists them` } };
  return { status: 200, body: sample };
}
