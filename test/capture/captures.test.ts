/** Captures: per-record outcome counts on the owner's counters, one writer per path, closed on reload; BodyTap bounds. */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { describe, test } from 'node:test';
import { CaptureWriter } from '../../src/capture/capture-writer.ts';
import { Captures } from '../../src/capture/captures.ts';
import type { CapturedRequest } from '../../src/capture/har-entry.ts';
import { RequestBodyFanout } from '../../src/dataplane/request-body.ts';
import type { CaptureSettings } from '../../src/snapshot/mirror-extensions.ts';
import type { Snapshot } from '../../src/snapshot/types.ts';
import { makeTempDir } from '../support/temp-dir.ts';

const owner = () => ({ captureWritten: 0, captureDroppedQueueFull: 0, captureDroppedWriteError: 0 });

function settings(path: string, extra: Partial<CaptureSettings> = {}): CaptureSettings {
  return { path, maxFileBytes: 1 << 20, maxFiles: 2, maxBodyBytes: 100, redactHeaders: ['authorization'], includePrimaryResponse: false, ...extra };
}

const request: CapturedRequest = {
  startTime: 0,
  method: 'GET',
  url: 'http://a/x',
  headers: { authorization: 'secret', 'x-a': 'b' },
  body: null,
  bodyTruncated: false,
  bodySize: 0,
  route: 'r',
  mirrorCluster: 'c',
  requestId: '',
};

/** A snapshot holding one mirror with `capture` (only what `retain` walks). */
function snapshotWith(capture: CaptureSettings | null): Snapshot {
  const mirrors = capture === null ? null : [{ extensions: { capture } }];
  return { listeners: [{ virtualHosts: { all: [{ routes: [{ mirrors }] }] } }] } as unknown as Snapshot;
}

describe('capture', () => {
  test('the writer counts each record on its owner: written, dropped for a full queue, dropped for a write error', async () => {
    const dir = makeTempDir();
    const ok = owner();
    const writer = new CaptureWriter({ path: join(dir, 'c.jsonl'), maxFileBytes: 1 << 20, maxFiles: 1, maxQueueBytes: 300 });
    for (let i = 0; i < 20; i++) writer.write({ i, pad: 'x'.repeat(40) }, ok);
    await writer.close();
    assert.ok(ok.captureDroppedQueueFull > 0, 'some did not fit the queue');
    assert.equal(ok.captureWritten + ok.captureDroppedQueueFull, 20);
    assert.equal(ok.captureWritten, writer.counters.written);

    const blocker = join(dir, 'file');
    writeFileSync(blocker, '');
    const bad = owner();
    const failing = new CaptureWriter({ path: join(blocker, 'c.jsonl'), maxFileBytes: 1 << 20, maxFiles: 1, maxQueueBytes: 1 << 20 });
    for (let i = 0; i < 5; i++) failing.write({ i }, bad);
    await failing.drain();
    assert.deepEqual(bad, { captureWritten: 0, captureDroppedQueueFull: 0, captureDroppedWriteError: 5 });
  });

  test('one writer per path, redacted; a reload that drops the path closes it', async () => {
    const dir = makeTempDir();
    const file = join(dir, 'c.jsonl');
    const captures = new Captures({ workerId: null });
    const s = settings(file);
    const counts = owner();
    captures.record(s, request, counts);
    captures.record(settings(file), request, counts);
    await captures.drain();
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    assert.equal(lines.length, 2);
    assert.ok(!lines[0]!.includes('secret'));
    assert.equal(counts.captureWritten, 2);
    await captures.retain(snapshotWith(s));
    captures.record(s, request, counts);
    await captures.retain(snapshotWith(null));
    assert.equal(readFileSync(file, 'utf8').trim().split('\n').length, 3, 'queued records are written before the file closes');
    await captures.close();
  });

  test('a worker writes its own file', async () => {
    const dir = makeTempDir();
    const captures = new Captures({ workerId: 3 });
    captures.record(settings(join(dir, 'c.jsonl')), request, owner());
    await captures.close();
    assert.equal(readFileSync(join(dir, 'c.w3.jsonl'), 'utf8').trim().split('\n').length, 1);
  });

  test('a body tap keeps the first bytes, marks truncation and never holds the copies back', async () => {
    const source = new PassThrough() as unknown as IncomingMessage;
    const fanout = new RequestBodyFanout(source, 1024);
    const tap = fanout.tap(5);
    const copy = fanout.copy(1 << 20);
    fanout.openAttempt()!.resume(); // the primary reads the body
    const done = new Promise<void>((resolve) => (tap.done = () => resolve()));
    const chunks: Buffer[] = [];
    copy.on('data', (c: Buffer) => chunks.push(c));
    const ended = new Promise((resolve) => copy.on('end', resolve));
    (source as unknown as PassThrough).write(Buffer.from('abc'));
    (source as unknown as PassThrough).end(Buffer.from('defgh'));
    await done;
    assert.equal(tap.body().toString(), 'abcde');
    assert.equal(tap.truncated, true);
    assert.equal(tap.total, 8);
    assert.equal(tap.aborted, false);
    await ended;
    assert.equal(Buffer.concat(chunks).toString(), 'abcdefgh', 'the copy gets every byte');
  });
});
