/** The IPC vocabulary between the supervisor (primary) and its gateway workers. */
import type { MirrorOverride } from '../../config/index.ts';
import type { ListenerAddress } from '../../gateway.ts';
import type { SeriesId } from '../../console/series.ts';
import type { CountersDump } from '../../stats/aggregate.ts';

/** One completed second of one series, as a worker's console history holds it. */
export interface BucketRow {
  readonly id: SeriesId;
  readonly second: number;
  readonly values: number[];
}

/** Env var carrying the mirror overrides a (re)started worker begins with, as JSON entries. */
export const OVERRIDES_ENV = 'SHADOWGATE_WORKER_OVERRIDES';

export type ToWorker =
  | { readonly type: 'sg:reload'; readonly overrides: [string, MirrorOverride][] }
  | { readonly type: 'sg:stats'; readonly id: number }
  | { readonly type: 'sg:history'; readonly id: number; readonly after: number }
  | { readonly type: 'sg:reopen-logs' }
  | { readonly type: 'sg:shutdown' };

export type FromWorker =
  | { readonly type: 'sg:ready'; readonly version: string; readonly addresses: ListenerAddress[] }
  | { readonly type: 'sg:applied'; readonly version: string }
  | { readonly type: 'sg:rejected'; readonly messages: string[] }
  /** A listener could not bind at start-up; `message` names it. */
  | { readonly type: 'sg:bind-failed'; readonly message: string }
  | {
      readonly type: 'sg:stats';
      readonly id: number;
      readonly counters: CountersDump;
      readonly connections: { listener: string; count: number }[];
    }
  | { readonly type: 'sg:history'; readonly id: number; readonly through: number; readonly rows: BucketRow[] };

export function isMessage<T extends { type: string }>(value: unknown): value is T {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string' &&
    (value as { type: string }).type.startsWith('sg:');
}
