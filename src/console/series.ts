/**
 * What the console records each second, per series: the data plane's own counters, laid out as flat
 * numeric rows so a second of history is one slice of a typed array. Three kinds of series, one per
 * counter family the data plane keeps (src/stats/counters.ts):
 *
 * - `route`: a route's downstream requests (all listeners summed): what its primary destinations served;
 * - `upstream`: a primary cluster's attempts and failures (shared by every route that sends to it);
 * - `mirror`: one route's copies to one mirror cluster.
 */
import { LATENCY_BUCKETS_MS, type DownstreamCounters, type MirrorCounters, type UpstreamCounters } from '../stats/counters.ts';

export type SeriesKind = 'route' | 'upstream' | 'mirror';

export interface SeriesId {
  readonly kind: SeriesKind;
  /** '' for `upstream` series. */
  readonly route: string;
  /** '' for `route` series. */
  readonly cluster: string;
}

const STATUS = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;
/** Slots of one latency histogram: the bucket bounds plus +Inf. */
export const HISTOGRAM_SLOTS = LATENCY_BUCKETS_MS.length + 1;

/** Field names of each kind, in row order; every row ends with the latency histogram's slots. */
export const FIELDS = {
  route: ['requests', ...STATUS],
  upstream: ['requests', 'retries', ...STATUS, 'connectFailures', 'timeouts', 'resets', 'overflows'],
  mirror: [
    'sampled', 'sent', ...STATUS,
    'failedConnect', 'failedReset', 'failedTimeout',
    'droppedOverflow', 'droppedBodyTooLarge', 'droppedNoEndpoint', 'droppedAborted', 'droppedEjected',
  ],
} as const satisfies Record<SeriesKind, readonly string[]>;

export type FieldName<K extends SeriesKind> = (typeof FIELDS)[K][number];

/** Row width of a kind: its fields plus the histogram. */
export function rowWidth(kind: SeriesKind): number {
  return FIELDS[kind].length + HISTOGRAM_SLOTS;
}

/** Index of `field` in a row of `kind`. */
export function fieldIndex<K extends SeriesKind>(kind: K, field: FieldName<K>): number {
  return (FIELDS[kind] as readonly string[]).indexOf(field);
}

/** Index of the first histogram slot in a row of `kind`. */
export function histogramOffset(kind: SeriesKind): number {
  return FIELDS[kind].length;
}

/** A stable string key; the separator cannot occur in route ids or cluster names. */
export function seriesKey(id: SeriesId): string {
  return `${id.kind}\u0000${id.route}\u0000${id.cluster}`;
}

export function parseSeriesKey(key: string): SeriesId {
  const [kind, route = '', cluster = ''] = key.split('\u0000');
  return { kind: kind as SeriesKind, route, cluster };
}

function writeHistogram(row: Float64Array, offset: number, counts: Float64Array): void {
  for (let i = 0; i < HISTOGRAM_SLOTS; i++) row[offset + i] = counts[i] ?? 0;
}

/** The running totals of a route's downstream counters (one listener's), as a row. */
export function routeTotals(c: Readonly<DownstreamCounters>, row: Float64Array): Float64Array {
  row[0] = c.requests;
  for (let i = 0; i < STATUS.length; i++) row[1 + i] = c.completed[STATUS[i]!];
  writeHistogram(row, FIELDS.route.length, c.latency.counts);
  return row;
}

export function upstreamTotals(c: Readonly<UpstreamCounters>, row: Float64Array): Float64Array {
  row[0] = c.requests;
  row[1] = c.retries;
  for (let i = 0; i < STATUS.length; i++) row[2 + i] = c.completed[STATUS[i]!];
  row[7] = c.connectFailures;
  row[8] = c.timeouts;
  row[9] = c.resets;
  row[10] = c.overflows;
  writeHistogram(row, FIELDS.upstream.length, c.latency.counts);
  return row;
}

export function mirrorTotals(c: Readonly<MirrorCounters>, row: Float64Array): Float64Array {
  row[0] = c.sampled;
  row[1] = c.sent;
  for (let i = 0; i < STATUS.length; i++) row[2 + i] = c.completed[STATUS[i]!];
  row[7] = c.failedConnect;
  row[8] = c.failedReset;
  row[9] = c.failedTimeout;
  row[10] = c.droppedOverflow;
  row[11] = c.droppedBodyTooLarge;
  row[12] = c.droppedNoEndpoint;
  row[13] = c.droppedAborted;
  row[14] = c.droppedEjected;
  writeHistogram(row, FIELDS.mirror.length, c.latency.counts);
  return row;
}
