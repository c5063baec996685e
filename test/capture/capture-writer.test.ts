import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CaptureWriter } from '../../src/capture/capture-writer.ts';
import { makeTempDir } from '../support/temp-dir.ts';

const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

describe('CaptureWriter', () => {
  test('appends one JSON line per record, in order', async () => {
    const dir = makeTempDir();
    const writer = new CaptureWriter({ path: join(dir, 'c.jsonl'), maxFileBytes: 1 << 20, maxFiles: 3, maxQueueBytes: 1 << 20 });
    for (let i = 0; i < 100; i++) writer.write({ i });
    await writer.close();
    assert.deepEqual(lines(join(dir, 'c.jsonl')).map((r) => r.i), Array.from({ length: 100 }, (_, i) => i));
    assert.equal(writer.counters.written, 100);
  });

  test('rotates by size and keeps maxFiles files', async () => {
    const dir = makeTempDir();
    const path = join(dir, 'c.jsonl');
    const writer = new CaptureWriter({ path, maxFileBytes: 1000, maxFiles: 3, maxQueueBytes: 1 << 20 });
    for (let i = 0; i < 200; i++) {
      writer.write({ i, pad: 'x'.repeat(80) });
      if (i % 10 === 0) await writer.drain();
    }
    await writer.close();
    assert.ok(existsSync(`${path}.1`) && existsSync(`${path}.2`), 'two rotated files');
    assert.ok(!existsSync(`${path}.3`), 'no more than maxFiles');
    for (const file of [path, `${path}.1`, `${path}.2`]) assert.ok(readFileSync(file).length <= 1000, `${file} within the size`);
    const kept = [...lines(`${path}.2`), ...lines(`${path}.1`), ...lines(path)].map((r) => r.i);
    assert.deepEqual(kept, kept.slice().sort((a, b) => a - b), 'rotation keeps order');
    assert.equal(kept.at(-1), 199);
    assert.ok(writer.counters.rotations > 2);
  });

  test('past the queue bound records are dropped and counted, never blocking', async () => {
    const dir = makeTempDir();
    const writer = new CaptureWriter({ path: join(dir, 'c.jsonl'), maxFileBytes: 1 << 20, maxFiles: 1, maxQueueBytes: 500 });
    for (let i = 0; i < 100; i++) writer.write({ i, pad: 'y'.repeat(40) });
    assert.ok(writer.counters.droppedQueueFull > 80, `dropped ${writer.counters.droppedQueueFull}`);
    await writer.close();
    assert.equal(writer.counters.written + writer.counters.droppedQueueFull, 100);
  });

  test('an unwritable path drops records with a counter and the error, and recovers', async () => {
    const dir = makeTempDir();
    const blocked = join(dir, 'blocked');
    writeFileSync(blocked, 'a file where a directory should be');
    const writer = new CaptureWriter({ path: join(blocked, 'c.jsonl'), maxFileBytes: 1 << 20, maxFiles: 1, maxQueueBytes: 1 << 20 });
    writer.write({ lost: true });
    await writer.drain();
    assert.equal(writer.counters.droppedWriteError, 1);
    assert.match(writer.lastError ?? '', /ENOTDIR|EEXIST/);
    // The next batch reopens the file: once the path is writable again, records are written.
    rmSync(blocked);
    mkdirSync(blocked);
    writer.write({ kept: true });
    await writer.close();
    assert.equal(writer.counters.written, 1);
    assert.equal(writer.lastError, null);
    assert.deepEqual(lines(join(blocked, 'c.jsonl')), [{ kept: true }]);
  });
});
