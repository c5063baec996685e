/**
 * The console's memory: per series, a fixed ring of one-second buckets covering the last 15 minutes.
 * Each bucket is one row of numbers (see series.ts) for one epoch second. Memory is bounded twice: by
 * the ring's length, and by a cap on the number of series (a series is created on its first non-empty
 * second, so idle routes cost nothing).
 */
import { parseSeriesKey, rowWidth, seriesKey, type SeriesId } from './series.ts';

/** 15 minutes of 1-second buckets. */
export const HISTORY_SECONDS = 900;
/**
 * Past this many series new ones are not recorded (and `History.overflowed` says so). A series costs
 * at most 900 × (31 + 1) × 4 bytes ≈ 115 KB, so the cap bounds the history near 60 MB.
 */
export const MAX_SERIES = 512;

class Ring {
  readonly id: SeriesId;
  readonly width: number;
  /** The epoch second each slot holds; a slot with another second is empty for the one asked about. */
  readonly seconds: Float64Array;
  /** Per-second counts: float32 holds every integer below 2^24 exactly, far above any count per second. */
  readonly rows: Float32Array;

  constructor(id: SeriesId, length: number) {
    this.id = id;
    this.width = rowWidth(id.kind);
    this.seconds = new Float64Array(length).fill(-1);
    this.rows = new Float32Array(length * this.width);
  }
}

export class History {
  readonly length: number;
  readonly #maxSeries: number;
  readonly #rings = new Map<string, Ring>();
  /** The newest second whose buckets are complete; -1 before the first. */
  #through = -1;
  #first = -1;
  #overflowed = false;

  constructor(length = HISTORY_SECONDS, maxSeries = MAX_SERIES) {
    this.length = length;
    this.#maxSeries = maxSeries;
  }

  /** The newest complete second (epoch seconds), or -1. */
  get through(): number {
    return this.#through;
  }

  /** The oldest second still in the ring (the first ever completed, until the ring wraps), or -1. */
  get first(): number {
    if (this.#through < 0) return -1;
    return Math.max(this.#first, this.#through - this.length + 1);
  }

  /** True once a series was not recorded because of the cap. */
  get overflowed(): boolean {
    return this.#overflowed;
  }

  /** Adds `values` (a row of `id`'s kind) into the bucket of `second`. All-zero rows are skipped. */
  add(id: SeriesId, second: number, values: ArrayLike<number>): void {
    let any = false;
    for (let i = 0; i < values.length; i++) if (values[i] !== 0) any = true;
    if (!any) return;
    const key = seriesKey(id);
    let ring = this.#rings.get(key);
    if (ring === undefined) {
      if (this.#rings.size >= this.#maxSeries) {
        this.#overflowed = true;
        return;
      }
      ring = new Ring(id, this.length);
      this.#rings.set(key, ring);
    }
    const slot = second % this.length;
    const base = slot * ring.width;
    if (ring.seconds[slot] !== second) {
      ring.seconds[slot] = second;
      ring.rows.fill(0, base, base + ring.width);
    }
    for (let i = 0; i < ring.width; i++) ring.rows[base + i]! += values[i] ?? 0;
  }

  /** Marks every bucket up to `second` complete (never moves back). */
  complete(second: number): void {
    if (second > this.#through) this.#through = second;
    if (this.#first < 0) this.#first = second;
  }

  /** Every recorded series. */
  ids(): SeriesId[] {
    return [...this.#rings.keys()].map(parseSeriesKey);
  }

  has(id: SeriesId): boolean {
    return this.#rings.has(seriesKey(id));
  }

  /** The row of `second`, or `null` when the series had nothing then (or it is out of the ring). */
  row(id: SeriesId, second: number): Float32Array | null {
    const ring = this.#rings.get(seriesKey(id));
    if (ring === undefined || second < 0) return null;
    const slot = second % this.length;
    if (ring.seconds[slot] !== second) return null;
    return ring.rows.subarray(slot * ring.width, (slot + 1) * ring.width);
  }

  /** The sum of the rows from `from` to `to` (inclusive); zeros when nothing was recorded. */
  sum(id: SeriesId, from: number, to: number): Float64Array {
    const out = new Float64Array(rowWidth(id.kind));
    for (let s = Math.max(from, to - this.length + 1); s <= to; s++) {
      const row = this.row(id, s);
      if (row !== null) for (let i = 0; i < out.length; i++) out[i]! += row[i]!;
    }
    return out;
  }

  /** Rows of complete seconds after `after`, for passing to another process. */
  dumpAfter(after: number): { readonly id: SeriesId; readonly second: number; readonly values: number[] }[] {
    const out: { id: SeriesId; second: number; values: number[] }[] = [];
    const from = Math.max(after + 1, this.#through - this.length + 1);
    for (const ring of this.#rings.values()) {
      for (let s = from; s <= this.#through; s++) {
        const row = this.row(ring.id, s);
        if (row !== null) out.push({ id: ring.id, second: s, values: [...row] });
      }
    }
    return out;
  }
}
