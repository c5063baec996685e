/**
 * Writes capture records to a JSON Lines file without ever making a request wait: `write()` only
 * queues a line. One background loop appends queued lines in batches; when the queue would pass its
 * byte bound (the disk or the loop fell behind) a record is dropped and counted, and when a write
 * fails (a full disk, a path that cannot be written) the batch is dropped, counted, and the file is
 * reopened on the next batch. Files rotate by size, `capture.jsonl` → `capture.jsonl.1` → ..., keeping
 * `maxFiles` in all, as logrotate's `rotate N` would.
 */
import { type FileHandle, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface CaptureWriterOptions {
  readonly path: string;
  /** Rotate before a file would pass this size. */
  readonly maxFileBytes: number;
  /** Files kept, the current one included (>= 1). */
  readonly maxFiles: number;
  /** Bytes of lines waiting to be written; past it, records are dropped. */
  readonly maxQueueBytes: number;
}

/** What the writer did, for metrics (`shadowgate_capture_records_total{result}`). */
export interface CaptureWriterCounters {
  written: number;
  droppedQueueFull: number;
  droppedWriteError: number;
  rotations: number;
}

/**
 * Per-record outcome counts a caller passes with each record (the mirror's counters, which are summed
 * across workers); the writer's own `counters` total them for the file.
 */
export interface CaptureRecordCounters {
  captureWritten: number;
  captureDroppedQueueFull: number;
  captureDroppedWriteError: number;
}

export class CaptureWriter {
  readonly counters: CaptureWriterCounters = { written: 0, droppedQueueFull: 0, droppedWriteError: 0, rotations: 0 };
  /** The last write error's message, for the admin API; null once a write succeeds again. */
  lastError: string | null = null;
  readonly #options: CaptureWriterOptions;
  #queue: string[] = [];
  /** The record counters of each queued line, in the same order (`null`: none given). */
  #owners: (CaptureRecordCounters | null)[] = [];
  #queuedBytes = 0;
  #file: FileHandle | null = null;
  #fileBytes = 0;
  #flushing: Promise<void> | null = null;
  #closed = false;

  constructor(options: CaptureWriterOptions) {
    this.#options = { ...options, maxFiles: Math.max(1, options.maxFiles) };
  }

  /** Queues one record; returns at once. A record that does not fit is dropped and counted. */
  write(record: unknown, owner: CaptureRecordCounters | null = null): void {
    if (this.#closed) return;
    const line = `${JSON.stringify(record)}\n`;
    const bytes = Buffer.byteLength(line);
    if (this.#queuedBytes + bytes > this.#options.maxQueueBytes) {
      this.counters.droppedQueueFull++;
      if (owner !== null) owner.captureDroppedQueueFull++;
      return;
    }
    this.#queue.push(line);
    this.#owners.push(owner);
    this.#queuedBytes += bytes;
    this.#flushing ??= this.#flush();
  }

  /** Resolves once everything queued so far has been written (or dropped). */
  async drain(): Promise<void> {
    while (this.#flushing !== null) await this.#flushing;
  }

  async close(): Promise<void> {
    await this.drain();
    this.#closed = true;
    await this.#file?.close().catch(() => {});
    this.#file = null;
  }

  async #flush(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue;
        const owners = this.#owners;
        this.#queue = [];
        this.#owners = [];
        this.#queuedBytes = 0;
        const ok = await this.#writeBatch(batch);
        for (const owner of owners) {
          if (owner === null) continue;
          if (ok) owner.captureWritten++;
          else owner.captureDroppedWriteError++;
        }
      }
    } finally {
      this.#flushing = null;
    }
  }

  /** Whether the batch was written. */
  async #writeBatch(lines: string[]): Promise<boolean> {
    try {
      let chunk = '';
      let chunkBytes = 0;
      for (const line of lines) {
        const bytes = Buffer.byteLength(line);
        const file = await this.#openFile();
        if (this.#fileBytes + chunkBytes + bytes > this.#options.maxFileBytes && this.#fileBytes + chunkBytes > 0) {
          if (chunk !== '') await this.#append(file, chunk, chunkBytes);
          chunk = '';
          chunkBytes = 0;
          await this.#rotate();
        }
        chunk += line;
        chunkBytes += bytes;
      }
      if (chunk !== '') await this.#append(await this.#openFile(), chunk, chunkBytes);
      this.counters.written += lines.length;
      this.lastError = null;
      return true;
    } catch (error) {
      this.counters.droppedWriteError += lines.length;
      this.lastError = (error as Error).message;
      await this.#file?.close().catch(() => {});
      this.#file = null;
      return false;
    }
  }

  async #append(file: FileHandle, chunk: string, bytes: number): Promise<void> {
    await file.appendFile(chunk);
    this.#fileBytes += bytes;
  }

  async #openFile(): Promise<FileHandle> {
    if (this.#file !== null) return this.#file;
    await mkdir(dirname(this.#options.path), { recursive: true });
    const file = await open(this.#options.path, 'a');
    this.#fileBytes = (await stat(this.#options.path)).size;
    this.#file = file;
    return file;
  }

  async #rotate(): Promise<void> {
    await this.#file?.close();
    this.#file = null;
    const { path, maxFiles } = this.#options;
    if (maxFiles === 1) {
      await rm(path, { force: true });
    } else {
      await rm(`${path}.${maxFiles - 1}`, { force: true });
      for (let i = maxFiles - 2; i >= 1; i--) await rename(`${path}.${i}`, `${path}.${i + 1}`).catch(ignoreMissing);
      await rename(path, `${path}.1`);
    }
    this.counters.rotations++;
  }
}

function ignoreMissing(error: NodeJS.ErrnoException): void {
  if (error.code !== 'ENOENT') throw error;
}
