/**
 * One request's comparison: the primary's response, the shadow's, and the baseline's when there is
 * one, each kept up to the bound by its own sink as it arrives. When every party has settled, the
 * comparison is handed to `onSettled` (the comparator, which runs it off the request path). A party
 * that cannot deliver a whole response (aborted, failed, over the bound, streaming, over the memory
 * cap) abandons the comparison at once: the bytes kept so far are released then, not at the end.
 */
import type { CapturedResponse } from './response-compare.ts';
import { isStreaming } from './response-compare.ts';
import type { CompareMemory } from './compare-memory.ts';
import type { ResponseSink } from './response-tap.ts';
import type { CompareSettings } from '../snapshot/mirror-extensions.ts';

/** What a sample shows of the request (no body, and no credentials). */
export interface ComparedRequest {
  readonly method: string;
  readonly path: string;
  readonly authority: string;
  readonly requestId: string;
}

export type Party = 'primary' | 'shadow' | 'baseline';

/** A response some party kept in full. */
export interface KeptResponses {
  readonly primary: CapturedResponse;
  readonly shadow: CapturedResponse;
  readonly baseline: CapturedResponse | null;
}

export interface ComparisonInit {
  readonly routeId: string;
  readonly mirrorCluster: string;
  readonly settings: CompareSettings;
  readonly request: ComparedRequest;
  readonly memory: CompareMemory;
  readonly onSettled: (comparison: Comparison) => void;
}

export class Comparison {
  readonly routeId: string;
  readonly mirrorCluster: string;
  readonly settings: CompareSettings;
  readonly request: ComparedRequest;
  readonly startTime = Date.now();
  readonly primary: PartySink;
  readonly shadow: PartySink;
  readonly baseline: PartySink | null;
  readonly #memory: CompareMemory;
  readonly #onSettled: (comparison: Comparison) => void;
  #pending: number;
  #held = 0;
  /** Why the comparison was abandoned, or null while it can still run. */
  #skipped: string | null = null;
  #handedOver = false;

  constructor(init: ComparisonInit) {
    this.routeId = init.routeId;
    this.mirrorCluster = init.mirrorCluster;
    this.settings = init.settings;
    this.request = init.request;
    this.#memory = init.memory;
    this.#onSettled = init.onSettled;
    this.primary = new PartySink(this, 'primary');
    this.shadow = new PartySink(this, 'shadow');
    this.baseline = init.settings.baselineCluster === null ? null : new PartySink(this, 'baseline');
    this.#pending = this.baseline === null ? 2 : 3;
  }

  /** Why it was abandoned (`memory`, `streaming`, `primary_aborted`, ...), or null. */
  get skipped(): string | null {
    return this.#skipped;
  }

  /** The kept responses; only meaningful once settled without a skip. */
  responses(): KeptResponses {
    return { primary: this.primary.response(), shadow: this.shadow.response(), baseline: this.baseline?.response() ?? null };
  }

  /** Frees the bytes held; the comparator calls it once it has what it needs from them. */
  release(): void {
    if (this.#held > 0) this.#memory.release(this.#held);
    this.#held = 0;
    this.primary.drop();
    this.shadow.drop();
    this.baseline?.drop();
  }

  /** @internal a sink asks for room for `bytes` more. */
  reserve(bytes: number): boolean {
    if (this.#skipped !== null) return false;
    if (!this.#memory.reserve(bytes)) {
      this.abandon('memory');
      return false;
    }
    this.#held += bytes;
    return true;
  }

  /** @internal a party cannot deliver a comparable response: release now, report once all settle. */
  abandon(reason: string): void {
    if (this.#skipped !== null) return;
    this.#skipped = reason;
    this.release();
  }

  /** @internal a party has settled (ended, or abandoned). */
  settled(): void {
    if (--this.#pending > 0 || this.#handedOver) return;
    this.#handedOver = true;
    this.#onSettled(this);
  }
}

/** Reasons about a body, the same whichever party's it is; others are prefixed with the party (`shadow_timeout`). */
const BODY_REASONS: ReadonlySet<string> = new Set(['body_too_large', 'streaming', 'memory']);

/** Keeps one party's response up to the comparison's bound. */
export class PartySink implements ResponseSink {
  readonly #comparison: Comparison;
  readonly party: Party;
  #status = 0;
  #headers: Readonly<Record<string, string | string[] | undefined>> = {};
  #chunks: Buffer[] = [];
  #bytes = 0;
  #truncated = false;
  #started = false;
  #settled = false;

  constructor(comparison: Comparison, party: Party) {
    this.#comparison = comparison;
    this.party = party;
  }

  start(status: number, headers: Readonly<Record<string, string | string[] | undefined>>): void {
    if (this.#settled) return;
    this.#started = true;
    this.#status = status;
    this.#headers = headers;
    const comparison = this.#comparison;
    // Decided on the headers, before a byte is kept: streams and declared oversize bodies are skipped.
    if (isStreaming({ headers })) comparison.abandon('streaming');
    else {
      const length = headers['content-length'];
      if (typeof length === 'string' && Number(length) > comparison.settings.maxBodyBytes) comparison.abandon('body_too_large');
    }
  }

  data(chunk: Buffer): void {
    if (this.#settled || this.#truncated || this.#comparison.skipped !== null) return;
    const room = this.#comparison.settings.maxBodyBytes - this.#bytes;
    if (chunk.length > room) {
      // Past the bound: the comparison will be skipped (body_too_large); keep nothing more.
      this.#truncated = true;
      this.#comparison.abandon('body_too_large');
      return;
    }
    if (!this.#comparison.reserve(chunk.length)) return;
    // A copy: the chunk belongs to the connection's parser, and the count must be what is really held.
    this.#chunks.push(Buffer.from(chunk));
    this.#bytes += chunk.length;
  }

  end(): void {
    if (this.#settled) return;
    this.#settled = true;
    if (!this.#started) this.#comparison.abandon(`${this.party}_failed`);
    this.#comparison.settled();
  }

  /** `reason` is the party's own (`aborted`, `failed`, `timeout`, `dropped`) or a body's (`body_too_large`). */
  abort(reason: string): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#comparison.abandon(BODY_REASONS.has(reason) ? reason : `${this.party}_${reason}`);
    this.#comparison.settled();
  }

  /** @internal */
  response(): CapturedResponse {
    return { status: this.#status, headers: this.#headers, body: Buffer.concat(this.#chunks, this.#bytes), truncated: this.#truncated };
  }

  /** @internal */
  drop(): void {
    this.#chunks = [];
  }
}
