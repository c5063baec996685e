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
  upstream: ['requests', 'retries', ...STATUS, 'connectFailures', 'timeouts', 'resets', 'overflows', 'protocolErrors'],
  mirror: [
    'sampled', 'sent', ...STATUS,
    'failedConnect', 'failedReset', 'failedTimeout', 'failedProtocol',
    'droppedOverflow', 'droppedBodyTooLarge', 'droppedNoEndpoint', 'droppedAborted', 'droppedEjected', 'droppedResponseTooLarge',
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

/** Writes the running totals of `counter` into a row of `kind`: each field of FIELDS by its name. */
function totals<K extends SeriesKind>(kind: K, counter: object, completed: Readonly<Record<string, number>>, counts: Float64Array, row: Float64Array): Float64Array {
  const fields = FIELDS[kind] as readonly string[];
  for (let i = 0; i < fields.length; i++) {
    const name = fields[i]!;
    row[i] = name in completed ? completed[name]! : ((counter as Record<string, unknown>)[name] as number);
  }
  writeHistogram(row, fields.length, counts);
  return row;
}

/** The running totals of a route's downstream counters (one listener's), as a row. */
export function routeTotals(c: Readonly<DownstreamCounters>, row: Float64Array): Float64Array {
  return totals('route', c, c.completed as unknown as Record<string, number>, c.latency.counts, row);
}

export function upstreamTotals(c: Readonly<UpstreamCounters>, row: Float64Array): Float64Array {
  return totals('upstream', c, c.completed as unknown as Record<string, number>, c.latency.counts, row);
}

export function mirrorTotals(c: Readonly<MirrorCounters>, row: Float64Array): Float64Array {
  return totals('mirror', c, c.completed as unknown as Record<string, number>, c.latency.counts, row);
}
