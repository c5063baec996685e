/**
 * Deadlines for in-flight copies, checked by one coarse timer. A copy's timeout covers the whole
 * exchange, response body included, as Envoy's route timeout does for a shadow: undici's own header and
 * body timers restart with every chunk, so a shadow that trickles its answer would hold a copy (and a
 * slot of the in-flight cap) for as long as it keeps sending.
 *
 * Copies that share a timeout expire in the order they started, so each timeout value keeps a FIFO
 * list and a tick only looks at list heads. Entries are linked intrusively: a copy that finishes leaves
 * its list in O(1) and is not kept reachable by it. A deadline fires up to one tick late.
 */

/** How often expired deadlines are looked for: a copy is cut off at most this long after its deadline. */
export const DEADLINE_TICK_MS = 50;

/** Something with a deadline; the queue owns the link fields. */
export abstract class DeadlineEntry {
  /** @internal */ deadline = 0;
  /** @internal */ deadlineList: DeadlineList | null = null;
  /** @internal */ deadlineNext: DeadlineEntry | null = null;
  /** @internal */ deadlinePrev: DeadlineEntry | null = null;
  /** Called once, when the deadline has passed and the entry was still queued. */
  abstract onDeadline(): void;
}

class DeadlineList {
  head: DeadlineEntry | null = null;
  tail: DeadlineEntry | null = null;

  append(entry: DeadlineEntry): void {
    entry.deadlineList = this;
    entry.deadlinePrev = this.tail;
    if (this.tail === null) this.head = entry;
    else this.tail.deadlineNext = entry;
    this.tail = entry;
  }

  remove(entry: DeadlineEntry): void {
    if (entry.deadlinePrev === null) this.head = entry.deadlineNext;
    else entry.deadlinePrev.deadlineNext = entry.deadlineNext;
    if (entry.deadlineNext === null) this.tail = entry.deadlinePrev;
    else entry.deadlineNext.deadlinePrev = entry.deadlinePrev;
    entry.deadlineList = null;
    entry.deadlineNext = null;
    entry.deadlinePrev = null;
  }
}

export class DeadlineQueue {
  readonly #lists = new Map<number, DeadlineList>();
  readonly #now: () => number;
  #size = 0;
  #timer: NodeJS.Timeout | null = null;

  constructor(now: () => number = performance.now.bind(performance)) {
    this.#now = now;
  }

  /** Entries waiting for their deadline. */
  get size(): number {
    return this.#size;
  }

  /** Queues `entry` to expire `timeoutMs` after `startMark` (a `performance.now()` reading). */
  add(entry: DeadlineEntry, startMark: number, timeoutMs: number): void {
    let list = this.#lists.get(timeoutMs);
    if (list === undefined) {
      list = new DeadlineList();
      this.#lists.set(timeoutMs, list);
    }
    entry.deadline = startMark + timeoutMs;
    list.append(entry);
    if (this.#size++ === 0) {
      // Unref'd: a pending deadline never keeps the process alive by itself.
      this.#timer = setInterval(() => this.expire(), DEADLINE_TICK_MS).unref();
    }
  }

  /** Takes `entry` off its list; a no-op when it is not queued. */
  remove(entry: DeadlineEntry): void {
    const list = entry.deadlineList;
    if (list === null) return;
    list.remove(entry);
    if (--this.#size === 0 && this.#timer !== null) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
  }

  /** Calls `onDeadline` of every entry whose deadline has passed (the tick does this; tests call it). */
  expire(): void {
    const now = this.#now();
    for (const list of this.#lists.values()) {
      while (list.head !== null && list.head.deadline <= now) {
        const entry = list.head;
        this.remove(entry);
        entry.onDeadline();
      }
    }
  }
}
