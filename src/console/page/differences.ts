/**
 * The "Differences" view of the selected route: what response comparison found (GET /api/diffs),
 * polled every few seconds. Counts over time (a row per poll, newest first, as deltas), the most
 * frequent differing fields split into real and noise, and the newest sample side by side
 * (GET /api/diffs/{id}). A route whose mirrors do not compare shows a hint instead.
 */
import { ApiError, getJson } from './api.ts';
import { byId, h } from './dom.ts';
import { clusterLabel, count } from './format.ts';

interface DiffSummary {
  readonly routeId: string;
  readonly mirrorCluster: string;
  readonly counts: Readonly<Record<'match' | 'differ' | 'noise' | 'skipped', number>>;
  readonly skipped: Readonly<Record<string, number>>;
  readonly topPaths: readonly { path: string; class: 'real' | 'noise'; count: number }[];
  readonly samples: readonly { id: number; time: number; result: string; signature: string }[];
}

interface DiffSampleBody {
  readonly id: number;
  readonly result: string;
  readonly differences: readonly { where: string; path: string; primary?: unknown; shadow?: unknown }[];
  readonly noise: readonly { where: string; path: string }[];
  readonly request: { method: string; path: string };
  readonly primary: { status: number; body?: string; bodyBase64?: string };
  readonly shadow: { status: number; body?: string; bodyBase64?: string };
}

const POLL_MS = 5000;
const HISTORY_ROWS = 12;
const RESULTS = ['match', 'differ', 'noise', 'skipped'] as const;

export class DifferencesView {
  readonly #root = byId('differences');
  #route: string | null = null;
  #timer: ReturnType<typeof setInterval> | null = null;
  /** Totals at each poll, newest first, to show counts over time. */
  #history: { time: Date; totals: Record<string, number> }[] = [];

  show(route: string | null): void {
    if (route === this.#route) return;
    this.#route = route;
    this.#history = [];
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = route === null ? null : setInterval(() => void this.#poll(), POLL_MS);
    void this.#poll();
  }

  async #poll(): Promise<void> {
    const route = this.#route;
    if (route === null) return;
    let summaries: DiffSummary[];
    try {
      summaries = (await getJson<{ routes: DiffSummary[] }>(`/api/diffs?route=${encodeURIComponent(route)}`)).routes;
    } catch (error) {
      const text = error instanceof ApiError ? error.message : 'could not load the differences';
      this.#root.replaceChildren(h('p', { class: 'hint' }, text));
      return;
    }
    if (route !== this.#route) return;
    if (summaries.length === 0) {
      this.#root.replaceChildren(
        h('p', { class: 'hint' }, 'No comparisons on this route. A MirrorPolicy with a ', h('code', {}, 'compare'), ' section turns them on for its mirrors.'),
      );
      return;
    }
    const totals: Record<string, number> = { match: 0, differ: 0, noise: 0, skipped: 0 };
    for (const s of summaries) for (const k of RESULTS) totals[k]! += s.counts[k];
    this.#history.unshift({ time: new Date(), totals });
    this.#history.length = Math.min(this.#history.length, HISTORY_ROWS + 1);
    const newest = summaries.flatMap((s) => s.samples).sort((a, b) => b.id - a.id)[0];
    const sample = newest === undefined ? null : await getJson<DiffSampleBody>(`/api/diffs/${newest.id}`).catch(() => null);
    if (route !== this.#route) return;
    this.#root.replaceChildren(...summaries.map((s) => this.#mirror(s)), this.#overTime(), sampleView(sample));
  }

  #mirror(s: DiffSummary): HTMLElement {
    const skipped = Object.entries(s.skipped).map(([reason, n]) => `${reason} ${count(n)}`).join(', ');
    return h(
      'div',
      { class: 'diff-mirror' },
      h('h3', {}, clusterLabel(s.mirrorCluster)),
      h('p', { class: 'diff-counts' }, ...RESULTS.map((k) => h('span', { class: `diff-${k}` }, `${k} ${count(s.counts[k])} `)), skipped === '' ? null : `(skipped: ${skipped})`),
      h(
        'table',
        { class: 'diff-paths' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Field'), h('th', {}, 'Kind'), h('th', { class: 'num' }, 'Count'))),
        h('tbody', {}, ...s.topPaths.map((p) => h('tr', { class: `diff-${p.class}` }, h('td', {}, h('code', {}, p.path)), h('td', {}, p.class), h('td', { class: 'num' }, count(p.count))))),
      ),
    );
  }

  /** Per poll interval: how many comparisons ended with each result. */
  #overTime(): HTMLElement {
    const rows: HTMLElement[] = [];
    for (let i = 0; i + 1 < this.#history.length; i++) {
      const now = this.#history[i]!;
      const before = this.#history[i + 1]!;
      rows.push(h('tr', {}, h('td', {}, now.time.toLocaleTimeString()), ...RESULTS.map((k) => h('td', { class: 'num' }, count(now.totals[k]! - before.totals[k]!)))));
    }
    return h(
      'table',
      { class: 'diff-history', 'aria-label': 'Comparisons per poll' },
      h('thead', {}, h('tr', {}, h('th', {}, `Every ${POLL_MS / 1000} s`), ...RESULTS.map((k) => h('th', { class: 'num' }, k)))),
      h('tbody', {}, ...rows),
    );
  }
}

function bodyText(r: { body?: string; bodyBase64?: string }): string {
  if (r.body !== undefined) {
    try {
      return JSON.stringify(JSON.parse(r.body), null, 2);
    } catch {
      return r.body;
    }
  }
  return r.bodyBase64 === undefined ? '' : `(binary, base64) ${r.bodyBase64.slice(0, 400)}`;
}

/** The newest sample: the request line, the differing paths, and both responses side by side. */
function sampleView(sample: DiffSampleBody | null): HTMLElement {
  if (sample === null) return h('p', { class: 'hint' }, 'No sample yet: samples are kept for differences and noise.');
  return h(
    'div',
    { class: 'diff-sample' },
    h('h3', {}, `Sample #${sample.id}: `, h('code', {}, `${sample.request.method} ${sample.request.path}`), ` (${sample.result})`),
    h('p', {}, 'Differs at ', ...sample.differences.map((d) => h('code', { class: 'diff-real' }, `${d.where === 'body' ? '' : `${d.where} `}${d.path} `)), ...sample.noise.map((d) => h('code', { class: 'diff-noise' }, `${d.path} `))),
    h(
      'div',
      { class: 'diff-side-by-side' },
      h('figure', {}, h('figcaption', {}, `Primary ${sample.primary.status}`), h('pre', {}, bodyText(sample.primary))),
      h('figure', {}, h('figcaption', {}, `Shadow ${sample.shadow.status}`), h('pre', {}, bodyText(sample.shadow))),
    ),
  );
}
