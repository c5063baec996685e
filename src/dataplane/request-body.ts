/**
 * Fans one downstream request body out to the primary attempt and to each shadow copy without letting
 * the copies touch the primary: only the primary's stream applies backpressure to the client; each copy
 * buffers on its own up to its bound and is abandoned past it (counted by the mirror), never waited on.
 * This is the seam http-proxy's `forward` option gets wrong by piping one stream into both.
 *
 * For retries the body is also retained up to a bound, so a new attempt can replay it from the start.
 */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

/** The reason a shadow copy was abandoned because the primary body outgrew its buffer. */
export class BodyCopyOverflowError extends Error {
  readonly code = 'SG_BODY_COPY_OVERFLOW';
  constructor(limit: number) {
    super(`request body copy exceeded its ${limit}-byte buffer`);
  }
}

/** The downstream body ended early (client went away); copies carry this reason. */
export class DownstreamAbortedError extends Error {
  readonly code = 'SG_DOWNSTREAM_ABORTED';
  constructor() {
    super('downstream request body was aborted');
  }
}

interface BodyCopy {
  readonly stream: Readable;
  readonly limit: number;
}

/** Whether a request carries a body at all (RFC 9112 §6.3: Transfer-Encoding or a non-zero Content-Length). */
export function hasRequestBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Whether the request's framing is one the gateway forwards: no Transfer-Encoding, or exactly
 * `chunked`. RFC 9112 §6.3: with chunked not the final coding the length cannot be known, so 400 and
 * close; other codings (`gzip, chunked`) the gateway does not carry upstream, so it refuses them too
 * rather than forward a body whose coding it dropped. Node's parser only notices some of these once
 * the body arrives, after the head could have gone upstream.
 */
export function hasForwardableFraming(req: IncomingMessage): boolean {
  const te = req.headers['transfer-encoding'];
  return te === undefined || te.trim().toLowerCase() === 'chunked';
}

/**
 * The first `limit` bytes of a body, kept as it flows past (for capture): not a stream, so it can
 * never hold the client, the primary or a shadow back. `done` is called once, at the end or abort.
 */
export class BodyTap {
  readonly limit: number;
  readonly chunks: Buffer[] = [];
  kept = 0;
  /** Every byte seen, kept or not. */
  total = 0;
  truncated = false;
  /** Set when the client went away before the body ended. */
  aborted = false;
  done: ((tap: BodyTap) => void) | null = null;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** @internal */
  push(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.kept >= this.limit) {
      this.truncated = this.truncated || chunk.length > 0;
      return;
    }
    const room = this.limit - this.kept;
    const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
    if (part.length < chunk.length) this.truncated = true;
    // A copy, so a kept slice never pins a larger buffer it came from.
    this.chunks.push(Buffer.from(part));
    this.kept += part.length;
  }

  /** @internal */
  finish(aborted: boolean): void {
    this.aborted = aborted;
    const done = this.done;
    this.done = null;
    done?.(this);
  }

  body(): Buffer {
    return this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.kept);
  }
}

export class RequestBodyFanout {
  readonly #source: IncomingMessage;
  #primary: Readable | null = null;
  #copies: BodyCopy[] = [];
  #taps: BodyTap[] | null = null;
  /** Chunks kept for a retry, or `null` once the body outgrew the retry buffer. */
  #retained: Buffer[] | null = [];
  #retainedBytes = 0;
  readonly #retainLimit: number;
  #ended = false;
  #aborted = false;
  #bytesReceived = 0;

  constructor(source: IncomingMessage, retainLimit: number) {
    this.#source = source;
    this.#retainLimit = retainLimit;
    source.on('data', (chunk: Buffer) => this.#onData(chunk));
    source.on('end', () => this.#onEnd());
    source.on('aborted', () => this.#onAbort());
    source.on('error', () => this.#onAbort());
    source.on('close', () => {
      if (!this.#ended) this.#onAbort();
    });
  }

  /** Body bytes received from the client so far. */
  get bytesReceived(): number {
    return this.#bytesReceived;
  }

  /** Whether a new attempt could send the whole body again. */
  get replayable(): boolean {
    return this.#retained !== null && !this.#aborted;
  }

  /**
   * A stream of the body for the next primary attempt: what arrived so far (for a retry), then the
   * rest as it arrives. Returns `null` when the body can no longer be replayed.
   */
  openAttempt(): Readable | null {
    if (this.#primary !== null) {
      if (this.#retained === null) return null;
      this.#primary.destroy();
    }
    const retained = this.#retained;
    if (retained === null || this.#aborted) return null;
    const stream = new Readable({ read: () => this.#source.resume() });
    for (const chunk of retained) stream.push(chunk);
    if (this.#ended) stream.push(null);
    this.#primary = stream;
    return stream;
  }

  /**
   * No further attempt will replay the body: the response in hand is the one relayed. The retained
   * chunks are let go at once instead of living as long as the client's connection keeps this request
   * (Node's parser holds the last request until the next one arrives); bodies held that long outlive
   * young-generation collections and make every retried-route POST pay for full ones.
   */
  commit(): void {
    this.#retained = null;
    this.#retainedBytes = 0;
  }

  /**
   * The exchange is over: no attempt will read the body again. The primary stream is dropped (an
   * upstream that answered early gets no more of it) and the client's remaining bytes are drained, so
   * a local reply sent mid-body leaves the connection usable; shadow copies still receive them.
   */
  release(): void {
    this.commit();
    const primary = this.#primary;
    this.#primary = null;
    primary?.destroy();
    if (!this.#ended && !this.#aborted) this.#source.resume();
  }

  /** A copy for one shadow, buffering at most `limit` unsent bytes. Must be taken before the body flows. */
  copy(limit: number): Readable {
    // Reading is driven by the source, never by the shadow, so a copy's read() has nothing to do.
    const stream = new Readable({ read() {} });
    const copy = { stream, limit };
    this.#copies.push(copy);
    if (this.#ended) stream.push(null);
    return stream;
  }

  /**
   * Keeps the first `limit` bytes of the body as it flows (capture records it); `tap.done` runs when
   * the body ends or is aborted. Must be taken before the body flows.
   */
  tap(limit: number): BodyTap {
    const tap = new BodyTap(limit);
    (this.#taps ??= []).push(tap);
    if (this.#ended) queueMicrotask(() => tap.finish(false));
    return tap;
  }

  #onData(chunk: Buffer): void {
    this.#bytesReceived += chunk.length;
    if (this.#taps !== null) for (const tap of this.#taps) tap.push(chunk);
    if (this.#retained !== null) {
      this.#retainedBytes += chunk.length;
      if (this.#retainedBytes <= this.#retainLimit) this.#retained.push(chunk);
      else this.#retained = null;
    }
    for (let i = 0; i < this.#copies.length; i++) {
      const copy = this.#copies[i]!;
      if (copy.stream.destroyed) continue;
      copy.stream.push(chunk);
      if (copy.stream.readableLength > copy.limit) copy.stream.destroy(new BodyCopyOverflowError(copy.limit));
    }
    const primary = this.#primary;
    if (primary === null || primary.destroyed) {
      // Between attempts nobody consumes the body yet; hold the client until the next attempt reads.
      if (this.#retained !== null) this.#source.pause();
      return;
    }
    if (!primary.push(chunk)) this.#source.pause();
  }

  #onEnd(): void {
    this.#ended = true;
    if (this.#taps !== null) for (const tap of this.#taps) tap.finish(false);
    for (const copy of this.#copies) if (!copy.stream.destroyed) copy.stream.push(null);
    if (this.#primary !== null && !this.#primary.destroyed) this.#primary.push(null);
  }

  #onAbort(): void {
    if (this.#ended || this.#aborted) return;
    this.#aborted = true;
    if (this.#taps !== null) for (const tap of this.#taps) tap.finish(true);
    const reason = new DownstreamAbortedError();
    for (const copy of this.#copies) copy.stream.destroy(reason);
    this.#primary?.destroy(reason);
  }
}
