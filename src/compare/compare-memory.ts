/**
 * The global cap on bytes held for comparison (`--compare-max-memory-bytes`): every kept chunk is
 * reserved here first, and released when its comparison ends or is abandoned. Past the cap a
 * comparison is abandoned (`memory`), never allowed to grow the process without bound.
 */
export class CompareMemory {
  readonly limit: number;
  #held = 0;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Bytes held right now, across all comparisons. */
  get held(): number {
    return this.#held;
  }

  /** Whether a new comparison may start at all (some headroom is left). */
  get full(): boolean {
    return this.#held >= this.limit;
  }

  /** Takes `bytes`, or returns false (taking nothing) when that would pass the cap. */
  reserve(bytes: number): boolean {
    if (this.#held + bytes > this.limit) return false;
    this.#held += bytes;
    return true;
  }

  release(bytes: number): void {
    this.#held -= bytes;
  }
}
