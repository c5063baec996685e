/**
 * From the history to what the dashboard shows: per route, a primary series (the route's own
 * downstream counters, with its clusters' failures) and one series per mirror cluster, each with a
 * summary over the last minute and per-second columns. Pure functions of the history and the routes.
 */
import type { RouteView } from '../admin/routes-api.ts';
import { LATENCY_BUCKETS_MS } from '../stats/counters.ts';
import {
  STATUS_CLASSES,
  type ChartStatusClass,
  type MirrorShare,
  type RouteTimeseries,
  type SeriesColumns,
  type SeriesPoint,
  type SeriesSummary,
  type SeriesView,
} from './api-types.ts';
import type { History } from './history.ts';
import { fieldIndex, HISTOGRAM_SLOTS, histogramOffset, type SeriesId, type SeriesKind } from './series.ts';

/** The summary window, and the QPS window inside it. */
export const SUMMARY_SECONDS = 60;
export const QPS_SECONDS = 10;
/** How far the observed mirror share may stray: 3 binomial standard deviations. */
const SIGMAS = 3;

const PRIMARY_FAILURES = {
  connectFailures: 'connect failure',
  timeouts: 'timeout',
  resets: 'reset',
  protocolErrors: 'not HTTP (protocol error)',
  overflows: 'overflow (max in flight)',
} as const;
const MIRROR_FAILURES = { failedConnect: 'connect failure', failedReset: 'reset', failedTimeout: 'timeout', failedProtocol: 'not HTTP (protocol error)' } as const;
const MIRROR_DROPS = {
  droppedOverflow: 'over the in-flight cap',
  droppedBodyTooLarge: 'body larger than the copy buffer',
  droppedNoEndpoint: 'no endpoint',
  droppedAborted: 'client aborted the request',
  droppedEjected: 'every endpoint ejected',
  droppedResponseTooLarge: 'response larger than the bound',
} as const;

/** The value below which a fraction `q` of a histogram's observations fall, interpolated in its bucket. */
export function percentile(row: ArrayLike<number>, offset: number, q: number): number | null {
  let total = 0;
  for (let i = 0; i < HISTOGRAM_SLOTS; i++) total += row[offset + i]!;
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < HISTOGRAM_SLOTS; i++) {
    const n = row[offset + i]!;
    if (n > 0 && seen + n >= rank) {
      const lower = i === 0 ? 0 : LATENCY_BUCKETS_MS[i - 1]!;
      // +Inf has no upper bound: report its lower one, the largest value the buckets can say.
      if (i >= LATENCY_BUCKETS_MS.length) return lower;
      const upper = LATENCY_BUCKETS_MS[i]!;
      return round(lower + ((upper - lower) * (rank - seen)) / n);
    }
    seen += n;
  }
  return LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 1]!;
}

/** Is `sampled` of `n` consistent with probability `p`, within 3 standard deviations? */
export function shareConsistent(sampled: number, n: number, p: number): boolean | null {
  if (n === 0) return null;
  const sd = Math.sqrt(n * p * (1 - p));
  return Math.abs(sampled - n * p) <= SIGMAS * sd + 1e-9;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function get<K extends SeriesKind>(row: ArrayLike<number>, kind: K, field: Parameters<typeof fieldIndex<K>>[1]): number {
  return row[fieldIndex(kind, field)]!;
}

function statusOf(kind: 'route' | 'mirror', row: ArrayLike<number>): Record<ChartStatusClass, number> {
  const out = {} as Record<ChartStatusClass, number>;
  for (const s of STATUS_CLASSES) out[s] = get(row, kind, s);
  return out;
}

function reasons<F extends string>(kind: SeriesKind, rows: ArrayLike<number>[], names: Record<F, string>): { total: number; reasons: Record<string, number> } {
  const out: Record<string, number> = {};
  let total = 0;
  for (const [field, label] of Object.entries(names) as [F, string][]) {
    let n = 0;
    for (const row of rows) n += row[fieldIndex(kind, field as never)]!;
    if (n > 0) out[label] = (out[label] ?? 0) + n;
    total += n;
  }
  return { total, reasons: out };
}

/** One route's series ids: its own, its primary clusters', and each mirror cluster's. */
interface RouteSeriesIds {
  readonly route: SeriesId;
  readonly upstreams: SeriesId[];
  readonly mirrors: { readonly id: SeriesId; readonly configured: RouteView['mirrors'][number] | null }[];
}

function idsOf(route: RouteView, ctx: ViewContext): RouteSeriesIds {
  const mirrors: RouteSeriesIds['mirrors'] = route.mirrors.map((m) => ({ id: { kind: 'mirror', route: route.id, cluster: m.cluster }, configured: m }));
  // Mirrors the route no longer has keep their history on the chart until it ages out.
  for (const cluster of ctx.recordedMirrors.get(route.id) ?? []) {
    if (!route.mirrors.some((m) => m.cluster === cluster)) mirrors.push({ id: { kind: 'mirror', route: route.id, cluster }, configured: null });
  }
  return {
    route: { kind: 'route', route: route.id, cluster: '' },
    upstreams: route.destinations.map((d) => ({ kind: 'upstream', route: '', cluster: d.cluster })),
    mirrors,
  };
}

export interface ViewContext {
  readonly history: History;
  readonly routes: readonly RouteView[];
  /** Per route id, the first second under its current mirror policy. */
  readonly policySince: ReadonlyMap<string, number>;
  /** Per route id, the mirror clusters the history has series of. */
  readonly recordedMirrors: ReadonlyMap<string, readonly string[]>;
}

/** The view context's index of recorded mirror series, built once per request or tick. */
export function recordedMirrors(history: History): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const id of history.ids()) if (id.kind === 'mirror') out.set(id.route, [...(out.get(id.route) ?? []), id.cluster]);
  return out;
}

/** The series of one route as of the history's newest complete second, with columns from `since`. */
export function routeTimeseries(ctx: ViewContext, route: RouteView, since: number | null): RouteTimeseries {
  const { history } = ctx;
  const through = history.through;
  const from = Math.max(since === null ? -Infinity : since + 1, history.first);
  const t: number[] = [];
  if (through >= 0) for (let s = from; s <= through; s++) t.push(s);
  const views = seriesViews(ctx, route);
  const ids = idsOf(route, ctx);
  const series = views.map((view, i) => {
    const columns = emptyColumns();
    for (const s of t) {
      const point = i === 0 ? primaryPoint(history, ids, s) : mirrorPoint(history, ids.mirrors[i - 1]!.id, s);
      pushPoint(columns, point);
    }
    return { ...view, columns };
  });
  return { route: route.id, t, series };
}

/** The newest second of every series of a route, with its summary. */
export function routeTick(ctx: ViewContext, route: RouteView): { route: string; series: (SeriesView & { point: SeriesPoint })[] } {
  const { history } = ctx;
  const ids = idsOf(route, ctx);
  const views = seriesViews(ctx, route);
  return {
    route: route.id,
    series: views.map((view, i) => ({
      ...view,
      point: i === 0 ? primaryPoint(history, ids, history.through) : mirrorPoint(history, ids.mirrors[i - 1]!.id, history.through),
    })),
  };
}

function seriesViews(ctx: ViewContext, route: RouteView): SeriesView[] {
  const { history } = ctx;
  const ids = idsOf(route, ctx);
  const through = history.through;
  const windowFrom = through - SUMMARY_SECONDS + 1;
  // Right after start there are fewer than 10 seconds to average over.
  const qpsSeconds = Math.max(1, Math.min(QPS_SECONDS, through - history.first + 1));
  const sharedWith = ctx.routes
    .filter((r) => r.id !== route.id && r.destinations.some((d) => route.destinations.some((own) => own.cluster === d.cluster)))
    .map((r) => r.id);
  const primaryRequests = (from: number) => get(history.sum(ids.route, from, through), 'route', 'requests');

  const routeWindow = history.sum(ids.route, windowFrom, through);
  const upstreamWindows = ids.upstreams.map((id) => history.sum(id, windowFrom, through));
  const primaryFailures = reasons('upstream', upstreamWindows, PRIMARY_FAILURES);
  const primary: SeriesView = {
    role: 'primary',
    cluster: route.destinations.map((d) => d.cluster).join(', '),
    destinations: route.destinations.map((d) => ({ cluster: d.cluster, weight: d.weight })),
    origin: null,
    sharedWith,
    share: null,
    summary: summary('route', routeWindow, get(history.sum(ids.route, through - qpsSeconds + 1, through), 'route', 'requests') / qpsSeconds, primaryFailures, {
      total: 0,
      reasons: {},
    }),
  };

  const mirrors = ids.mirrors.map(({ id, configured }): SeriesView => {
    const window = history.sum(id, windowFrom, through);
    const failures = reasons('mirror', [window], MIRROR_FAILURES);
    const drops = reasons('mirror', [window], MIRROR_DROPS);
    const sentPerSecond = get(history.sum(id, through - qpsSeconds + 1, through), 'mirror', 'sent') / qpsSeconds;
    const shareFrom = Math.max(windowFrom, ctx.policySince.get(route.id) ?? windowFrom);
    const n = primaryRequests(shareFrom);
    const sampled = get(history.sum(id, shareFrom, through), 'mirror', 'sampled');
    const share: MirrorShare = {
      configuredPct: configured?.percentage ?? null,
      observedPct: n === 0 ? null : round((100 * sampled) / n),
      sampled,
      primaryRequests: n,
      consistent: configured === null ? null : shareConsistent(sampled, n, configured.perMillion / 1_000_000),
      fromSecond: shareFrom,
      windowSeconds: Math.max(0, through - shareFrom + 1),
    };
    return {
      role: 'mirror',
      cluster: id.cluster,
      destinations: [],
      origin: configured?.origin ?? null,
      sharedWith: [],
      share,
      summary: summary('mirror', window, sentPerSecond, failures, drops),
    };
  });
  return [primary, ...mirrors];
}

function summary(
  kind: 'route' | 'mirror',
  window: Float64Array,
  perSecond: number,
  failures: { total: number; reasons: Record<string, number> },
  drops: { total: number; reasons: Record<string, number> },
): SeriesSummary {
  const status = statusOf(kind, window);
  const answered = Object.values(status).reduce((a, b) => a + b, 0) + get(window, kind, '1xx' as never);
  // A mirror's failures are outcomes too; a primary's failures already reached the client as 5xx.
  const outcomes = answered + (kind === 'mirror' ? failures.total : 0);
  const offset = histogramOffset(kind);
  return {
    qps: round(perSecond),
    requests: kind === 'route' ? get(window, 'route', 'requests') : get(window, 'mirror', 'sent'),
    successPct: outcomes === 0 ? null : round((100 * (status['2xx'] + status['3xx'])) / outcomes),
    p50Ms: percentile(window, offset, 0.5),
    p99Ms: percentile(window, offset, 0.99),
    failed: failures.total,
    failedReasons: failures.reasons,
    dropped: drops.total,
    droppedReasons: drops.reasons,
    windowSeconds: SUMMARY_SECONDS,
  };
}

const ZERO_STATUS: Record<ChartStatusClass, number> = { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };

function primaryPoint(history: History, ids: RouteSeriesIds, second: number): SeriesPoint {
  const row = history.row(ids.route, second);
  let failed = 0;
  for (const id of ids.upstreams) {
    const u = history.row(id, second);
    if (u !== null) for (const field of Object.keys(PRIMARY_FAILURES)) failed += u[fieldIndex('upstream', field as never)]!;
  }
  if (row === null) return { qps: 0, p50Ms: null, p99Ms: null, status: ZERO_STATUS, failed, dropped: 0 };
  const offset = histogramOffset('route');
  return {
    qps: get(row, 'route', 'requests'),
    p50Ms: percentile(row, offset, 0.5),
    p99Ms: percentile(row, offset, 0.99),
    status: statusOf('route', row),
    failed,
    dropped: 0,
  };
}

function mirrorPoint(history: History, id: SeriesId, second: number): SeriesPoint {
  const row = history.row(id, second);
  if (row === null) return { qps: 0, p50Ms: null, p99Ms: null, status: ZERO_STATUS, failed: 0, dropped: 0 };
  const offset = histogramOffset('mirror');
  return {
    qps: get(row, 'mirror', 'sent'),
    p50Ms: percentile(row, offset, 0.5),
    p99Ms: percentile(row, offset, 0.99),
    status: statusOf('mirror', row),
    failed: reasons('mirror', [row], MIRROR_FAILURES).total,
    dropped: reasons('mirror', [row], MIRROR_DROPS).total,
  };
}

function emptyColumns(): SeriesColumns {
  return { qps: [], p50Ms: [], p99Ms: [], status: { '2xx': [], '3xx': [], '4xx': [], '5xx': [] }, failed: [], dropped: [] };
}

function pushPoint(columns: SeriesColumns, p: SeriesPoint): void {
  columns.qps.push(p.qps);
  columns.p50Ms.push(p.p50Ms);
  columns.p99Ms.push(p.p99Ms);
  for (const s of STATUS_CLASSES) columns.status[s].push(p.status[s]);
  columns.failed.push(p.failed);
  columns.dropped.push(p.dropped);
}
