/**
 * The one-way seam between a response on its way somewhere (the primary's to the client, a shadow's
 * to nowhere) and a comparison that wants a copy of it. The exchange *offers* each part as it has it
 * and never waits, never learns what the sink did with it; a sink that wants no more just ignores the
 * rest. `ResponseTap` fans one primary response out to every comparison of the request (one per
 * sampled mirror with comparison on), and is empty (and cheap) when none was sampled.
 */

/** Receives one response as it arrives; every method returns at once. */
export interface ResponseSink {
  /** Status line and headers (lower-case names, as undici gives them). */
  start(status: number, headers: Readonly<Record<string, string | string[] | undefined>>): void;
  /** A body chunk, already written or discarded by its owner; copy what is kept, it is not yours. */
  data(chunk: Buffer): void;
  /** The whole response arrived. */
  end(): void;
  /** The response will not arrive whole: `aborted` (the client left), `failed`, `timeout`, `dropped`, `body_too_large`. */
  abort(reason: string): void;
}

/**
 * The primary exchange's side: sinks are added by the proxy when it draws the mirrors, which is in
 * the same turn as the exchange starts, so no response part can have been offered yet. A sink added
 * after the exchange settled (a local reply answered synchronously) is told at once.
 */
export class ResponseTap implements ResponseSink {
  #sinks: ResponseSink[] | null = null;
  #settled: string | null = null;

  /** Whether any comparison wants the response (the exchange skips offering it when none does). */
  get wanted(): boolean {
    return this.#sinks !== null;
  }

  add(sink: ResponseSink): void {
    if (this.#settled !== null) {
      sink.abort(this.#settled);
      return;
    }
    (this.#sinks ??= []).push(sink);
  }

  start(status: number, headers: Readonly<Record<string, string | string[] | undefined>>): void {
    if (this.#sinks !== null) for (const sink of this.#sinks) sink.start(status, headers);
  }

  data(chunk: Buffer): void {
    if (this.#sinks !== null) for (const sink of this.#sinks) sink.data(chunk);
  }

  end(): void {
    if (this.#settled !== null) return;
    // A sink added now missed the response (cannot happen in the proxy's order; counted if it does).
    this.#settled = 'failed';
    if (this.#sinks !== null) for (const sink of this.#sinks) sink.end();
  }

  abort(reason: string): void {
    if (this.#settled !== null) return;
    this.#settled = reason;
    if (this.#sinks !== null) for (const sink of this.#sinks) sink.abort(reason);
  }
}
