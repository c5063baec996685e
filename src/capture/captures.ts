/**
 * The capture files of the serving config: one `CaptureWriter` per capture path, created when a copy
 * is first recorded there and closed when a reload leaves the path (or changes its rotation). Each
 * record is queued and returns at once; nothing here can delay, fail or change a primary request.
 *
 * With `--workers N`, each worker writes its own file (`httpbin.jsonl` → `httpbin.w3.jsonl`), since
 * processes sharing one file would each rotate it under the others.
 */
import cluster from 'node:cluster';
import path from 'node:path';
import type { CaptureSettings } from '../snapshot/mirror-extensions.ts';
import type { Snapshot } from '../snapshot/types.ts';
import { CaptureWriter, type CaptureRecordCounters } from './capture-writer.ts';
import { harEntry, type CapturedRequest } from './har-entry.ts';

/** Bytes of records waiting per file before new ones are dropped. */
export const DEFAULT_CAPTURE_QUEUE_BYTES = 8 * 1024 * 1024;

export class Captures {
  readonly #writers = new Map<string, { writer: CaptureWriter; settings: CaptureSettings }>();
  readonly #redact = new WeakMap<CaptureSettings, ReadonlySet<string>>();
  readonly #maxQueueBytes: number;
  readonly #suffix: string;
  #closed = false;

  constructor(options: { maxQueueBytes?: number; workerId?: number | null } = {}) {
    this.#maxQueueBytes = options.maxQueueBytes ?? DEFAULT_CAPTURE_QUEUE_BYTES;
    const worker = options.workerId !== undefined ? options.workerId : cluster.isWorker ? (cluster.worker?.id ?? null) : null;
    this.#suffix = worker === null ? '' : `.w${worker}`;
  }

  /** Queues one record for `settings.path`; `owner` (the mirror's counters) counts its outcome. */
  record(settings: CaptureSettings, request: CapturedRequest, owner: CaptureRecordCounters): void {
    if (this.#closed) return;
    let redact = this.#redact.get(settings);
    if (redact === undefined) this.#redact.set(settings, (redact = new Set(settings.redactHeaders)));
    this.#writer(settings).write(harEntry(request, redact), owner);
  }

  /** After a reload: closes the writers of paths the new snapshot no longer captures to. */
  retain(snapshot: Snapshot): Promise<void> {
    const wanted = new Map<string, CaptureSettings>();
    for (const listener of snapshot.listeners) {
      for (const vh of listener.virtualHosts.all) {
        for (const route of vh.routes) {
          for (const m of route.mirrors ?? []) {
            const capture = m.extensions?.capture;
            if (capture != null) wanted.set(capture.path, capture);
          }
        }
      }
    }
    const closing: Promise<void>[] = [];
    for (const [file, entry] of this.#writers) {
      const next = wanted.get(file);
      if (next !== undefined && next.maxFileBytes === entry.settings.maxFileBytes && next.maxFiles === entry.settings.maxFiles) continue;
      this.#writers.delete(file);
      closing.push(entry.writer.close());
    }
    return Promise.all(closing).then(() => {});
  }

  /** Writes what is queued and closes every file. */
  async close(): Promise<void> {
    this.#closed = true;
    const writers = [...this.#writers.values()];
    this.#writers.clear();
    await Promise.all(writers.map((w) => w.writer.close()));
  }

  /** Resolves once every record queued so far is written or dropped (tests, shutdown). */
  async drain(): Promise<void> {
    await Promise.all([...this.#writers.values()].map((w) => w.writer.drain()));
  }

  #writer(settings: CaptureSettings): CaptureWriter {
    const entry = this.#writers.get(settings.path);
    if (entry !== undefined) return entry.writer;
    const writer = new CaptureWriter({
      path: this.#suffix === '' ? settings.path : withSuffix(settings.path, this.#suffix),
      maxFileBytes: settings.maxFileBytes,
      maxFiles: settings.maxFiles,
      maxQueueBytes: this.#maxQueueBytes,
    });
    this.#writers.set(settings.path, { writer, settings });
    return writer;
  }
}

/** `dir/name.jsonl` + `.w3` → `dir/name.w3.jsonl`. */
function withSuffix(file: string, suffix: string): string {
  const ext = path.extname(file);
  return ext === '' ? file + suffix : file.slice(0, -ext.length) + suffix + ext;
}
