/**
 * The overview table: one row group per route (id, hosts, match), one row per cluster it sends to,
 * primary first, then each mirror with its configured and observed share. Drop and failure counts
 * expand to their reasons.
 */
import type { SeriesView, StreamTick } from '../api-types.ts';
import { h } from './dom.ts';
import { clusterLabel, count, fixed, ms, percent } from './format.ts';
import type { RouteInfo } from './types.ts';

function matchText(match: unknown): string {
  if (!Array.isArray(match) || match.length === 0) return 'any request';
  return match
    .map((m: Record<string, unknown>) =>
      Object.entries(m)
        .filter(([, v]) => v !== null && v !== undefined)
        .map(([k, v]) => `${k} ${typeof v === 'object' ? Object.entries(v as object).map(([op, x]) => `${op} ${String(x)}`).join(' ') : String(v)}`)
        .join(', '),
    )
    .join(' | ');
}

function reasonsCell(total: number, reasons: Readonly<Record<string, number>>, what: string, key: string): HTMLTableCellElement {
  const entries = Object.entries(reasons);
  if (total === 0 || entries.length === 0) return h('td', { class: 'num zero' }, count(total));
  const list = entries.map(([reason, n]) => `${reason}: ${count(n)}`);
  return h(
    'td',
    { class: 'num warn', title: `${what}: ${list.join('; ')}` },
    h('details', { 'data-key': key }, h('summary', {}, count(total)), h('ul', { class: 'reasons' }, ...list.map((l) => h('li', {}, l)))),
  );
}

function shareLine(s: SeriesView): HTMLElement | null {
  const share = s.share;
  if (share === null) return null;
  const judged =
    share.consistent === null
      ? h('span', { class: 'verdict unknown' }, share.configuredPct === null ? 'no longer configured' : 'no traffic yet')
      : share.consistent
        ? h('span', { class: 'verdict ok', title: 'within 3 binomial standard deviations of the configured share' }, 'consistent')
        : h('span', { class: 'verdict bad', title: 'more than 3 binomial standard deviations from the configured share' }, 'inconsistent');
  return h(
    'div',
    { class: 'share' },
    `configured ${percent(share.configuredPct, 2)} · observed ${percent(share.observedPct, 1)} `,
    h('span', { class: 'muted' }, `(${count(share.sampled)} of ${count(share.primaryRequests)} in ${share.windowSeconds} s) `),
    judged,
  );
}

function seriesRow(route: string, s: SeriesView): HTMLTableRowElement {
  const key = `${route}|${s.role}|${s.cluster}`;
  const sum = s.summary;
  const cluster = h(
    'td',
    { class: 'cluster' },
    h('span', { class: `swatch ${s.role}`, 'aria-hidden': 'true' }),
    h('span', { title: s.cluster }, s.destinations.length > 1 ? s.destinations.map((d) => `${clusterLabel(d.cluster)} (${d.weight}%)`).join(', ') : clusterLabel(s.cluster)),
    s.origin === 'override' ? h('span', { class: 'badge override' }, 'override') : null,
    shareLine(s),
  );
  const failedWhat = s.role === 'primary' && s.sharedWith.length > 0 ? `failures of the cluster (it also serves ${s.sharedWith.join(', ')})` : 'failures';
  return h(
    'tr',
    { class: s.role, 'data-cluster': s.cluster },
    cluster,
    h('td', { class: 'role' }, s.role),
    h('td', { class: 'num qps' }, fixed(sum.qps, 1)),
    h('td', { class: 'num' }, percent(sum.successPct, 1).replace('%', '')),
    h('td', { class: 'num' }, ms(sum.p50Ms)),
    h('td', { class: 'num' }, ms(sum.p99Ms)),
    s.role === 'primary' ? h('td', { class: 'num zero', title: 'a primary request is never dropped' }, '–') : reasonsCell(sum.dropped, sum.droppedReasons, 'dropped', `${key}|dropped`),
    reasonsCell(sum.failed, sum.failedReasons, failedWhat, `${key}|failed`),
  );
}

export function renderOverview(
  table: HTMLTableElement,
  tick: StreamTick,
  routes: ReadonlyMap<string, RouteInfo>,
  selected: string | null,
  onSelect: (route: string) => void,
): void {
  const bodies = tick.routes.map((r) => {
    const info = routes.get(r.route);
    const isSelected = r.route === selected;
    const head = h(
      'tr',
      { class: 'route-head' },
      h(
        'th',
        { colspan: '8', scope: 'rowgroup' },
        h('button', { type: 'button', class: 'route-button', 'aria-pressed': isSelected ? 'true' : 'false' }, r.route),
        info?.override ? h('span', { class: 'badge override' }, 'runtime override') : null,
        h('span', { class: 'muted' }, ` hosts ${info?.hosts.join(', ') ?? '?'} · ${matchText(info?.match)}`),
      ),
    );
    head.querySelector('button')!.addEventListener('click', () => onSelect(r.route));
    return h('tbody', { class: isSelected ? 'selected' : undefined, 'data-route': r.route }, head, ...r.series.map((s) => seriesRow(r.route, s)));
  });
  // Rebuilt every second: keep whatever reasons the reader had opened.
  const open = new Set([...table.querySelectorAll('details[open]')].map((d) => d.getAttribute('data-key')));
  for (const old of [...table.tBodies]) old.remove();
  table.append(...bodies);
  // The second the numbers are as of, for whoever reads the table programmatically (tests do).
  table.dataset.through = String(tick.through);
  for (const d of table.querySelectorAll('details')) if (open.has(d.getAttribute('data-key'))) d.open = true;
}
