/** `shadowgate replay` end to end: a capture written by the capture modules, replayed to a loopback service. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DEFAULT_REDACTED_HEADERS, harEntry, type CapturedRequest } from '../../src/capture/har-entry.ts';
import { runCli } from '../support/cli.ts';
import { listenOnLoopback } from '../support/listen.ts';
import { makeTempDir } from '../support/temp-dir.ts';

interface Received {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

async function recordingService(t: { after(fn: () => unknown): void }, statusFor: (url: string) => number = () => 200) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(statusFor(req.url!), { 'content-type': 'text/plain' }).end('ok');
    });
  });
  const { port, close } = await listenOnLoopback(server);
  t.after(close);
  return { received, url: `http://127.0.0.1:${port}` };
}

const redact = new Set(DEFAULT_REDACTED_HEADERS);
const binary = randomBytes(4096);

function captured(i: number, extra: Partial<CapturedRequest> = {}): CapturedRequest {
  return {
    startTime: Date.parse('2026-12-01T10:00:00Z') + i * 10,
    method: i % 2 === 0 ? 'GET' : 'POST',
    url: `http://shop.example/items/${i}?page=${i}&q=a%20b`,
    headers: {
      host: 'shop.example',
      authorization: 'Bearer secret-token',
      cookie: 'session=s3cr3t',
      'x-user': `u${i}`,
      ...(i % 2 === 1 && { 'content-type': i % 4 === 1 ? 'application/json' : 'application/octet-stream' }),
    },
    body: i % 2 === 0 ? null : i % 4 === 1 ? Buffer.from(JSON.stringify({ item: i, note: 'ünïcode' })) : binary,
    bodyTruncated: false,
    bodySize: i % 2 === 0 ? 0 : i % 4 === 1 ? Buffer.byteLength(JSON.stringify({ item: i, note: 'ünïcode' })) : binary.length,
    route: 'default/shop/items',
    mirrorCluster: 'outbound|80||shop-next.default.svc.cluster.local',
    requestId: `r${i}`,
    primary: { status: 200, durationMs: 3 },
    ...extra,
  };
}

function writeCapture(lines: unknown[]): string {
  const file = join(makeTempDir(), 'capture.jsonl');
  writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return file;
}

describe('shadowgate replay', () => {
  test('replays request lines, headers and bodies as captured; redacted headers stay redacted', async (t) => {
    const service = await recordingService(t);
    const file = writeCapture(Array.from({ length: 12 }, (_, i) => harEntry(captured(i), redact)));
    const result = await runCli(['replay', file, '--target', service.url, '--concurrency', '1']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(service.received.length, 12);
    for (let i = 0; i < 12; i++) {
      const got = service.received[i]!;
      const want = captured(i);
      assert.equal(got.method, want.method);
      assert.equal(got.url, `/items/${i}?page=${i}&q=a%20b`);
      assert.equal(got.headers['x-user'], `u${i}`);
      assert.equal(got.headers.authorization, 'REDACTED', 'the secret never left the capture');
      assert.equal(got.headers.cookie, 'REDACTED');
      assert.equal(got.headers.host, new URL(service.url).host, 'the target\'s authority by default');
      assert.deepEqual(got.body, want.body ?? Buffer.alloc(0), `body ${i} identical (binary via base64)`);
    }
    assert.match(result.stdout, /replayed 12 requests/);
    assert.match(result.stdout, /statuses: 200 × 12/);
    assert.match(result.stdout, /latency ms: p50 [\d.]+, p90 [\d.]+, p99 [\d.]+, max [\d.]+/);
    assert.match(result.stderr, /replayed 12\/12/, 'plain progress lines when not on a terminal');
  });

  test('--compare-status counts statuses that differ from the recorded primary, and exits 1', async (t) => {
    const service = await recordingService(t, (url) => (url.startsWith('/items/3') ? 500 : 200));
    const file = writeCapture(Array.from({ length: 6 }, (_, i) => harEntry(captured(i), redact)));
    const result = await runCli(['replay', file, '--target', service.url, '--compare-status']);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /status differs from the recorded primary: 1 of 6 compared/);
    assert.match(result.stdout, /200 → 500 {2}http:\/\/shop\.example\/items\/3/);
    const same = await runCli(['replay', file, '--target', service.url]);
    assert.equal(same.code, 0, 'without --compare-status a differing status is not a failure');
  });

  test('--preserve-host, --drop-redacted, --rate, and a whole HAR file as input', async (t) => {
    const service = await recordingService(t);
    const dir = makeTempDir();
    const har = join(dir, 'export.har');
    writeFileSync(har, JSON.stringify({ log: { version: '1.2', entries: [0, 2, 4, 6].map((i) => harEntry(captured(i), redact)) } }));
    const began = performance.now();
    const result = await runCli(['replay', har, '--target', `${service.url}/prefix`, '--preserve-host', '--drop-redacted', '--rate', '20']);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(performance.now() - began >= 100, '4 requests at 20/s take at least 150 ms');
    assert.equal(service.received.length, 4);
    for (const got of service.received) {
      assert.equal(got.headers.host, 'shop.example');
      assert.equal(got.headers.authorization, undefined);
      assert.match(got.url, /^\/prefix\/items\/\d/);
    }
  });

  test('a line that is not a HAR entry is an error naming the file and line; nothing is sent', async (t) => {
    const service = await recordingService(t);
    const file = writeCapture([harEntry(captured(0), redact), { request: { method: 'GET' } }]);
    const result = await runCli(['replay', file, '--target', service.url]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /capture\.jsonl:2: not a HAR entry/);
    assert.equal(service.received.length, 0);
    const both = await runCli(['replay', file, '--target', service.url, '--rate', '1', '--speed', '2x']);
    assert.equal(both.code, 2);
  });
});

describe('harEntry', () => {
  test('a HAR 1.2 entry: query string parsed, text bodies as text, cookies left out when redacted', () => {
    const entry = harEntry(captured(1), redact);
    assert.deepEqual(entry.request.queryString, [{ name: 'page', value: '1' }, { name: 'q', value: 'a b' }]);
    assert.equal(entry.request.postData?._encoding, undefined);
    assert.match(entry.request.postData!.text, /ünïcode/);
    assert.deepEqual(entry.request.cookies, []);
    assert.equal(entry.response.status, 200);
    assert.equal(harEntry(captured(3), redact).request.postData?._encoding, 'base64');
    const open = harEntry(captured(1), new Set());
    assert.deepEqual(open.request.cookies, [{ name: 'session', value: 's3cr3t' }]);
  });
});
