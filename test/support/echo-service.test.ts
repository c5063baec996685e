/**
 * The echo service is every integration test's backend, so its answers and its record of what it
 * received are checked here against httpbin's behaviour.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { Agent } from 'undici';
import { requestVia, selfSignedCert, startEchoService, testAgent, waitFor, type AnythingReply } from './index.ts';

test('/headers answers the headers it received', async (t) => {
  const echo = await startEchoService({ name: 'primary' });
  t.after(() => echo.close());
  const agent = testAgent(t);
  const res = await requestVia(`${echo.url}/headers`, { agent, host: 'httpbin.example.com', headers: { 'x-test': 'a' } });
  assert.equal(res.status, 200);
  assert.equal(res.headers['x-echo-service'], 'primary');
  const { headers } = res.json<{ headers: Record<string, string> }>();
  assert.equal(headers.host, 'httpbin.example.com');
  assert.equal(headers['x-test'], 'a');
  assert.equal(echo.count, 1);
  assert.equal(echo.last?.headers.host, 'httpbin.example.com');
});

test('/anything echoes method, url and a utf8 body with its hash', async (t) => {
  const echo = await startEchoService({ name: 'primary' });
  t.after(() => echo.close());
  const body = JSON.stringify({ order: 7, note: 'héllo' });
  const res = await requestVia(`${echo.url}/anything/orders/7?page=2`, {
    agent: testAgent(t),
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  const reply = res.json<AnythingReply>();
  assert.equal(reply.method, 'POST');
  assert.equal(reply.url, '/anything/orders/7?page=2');
  assert.equal(reply.body, body);
  assert.equal(reply.bodyEncoding, 'utf8');
  assert.equal(reply.bodyBytes, Buffer.byteLength(body));
  assert.equal(reply.bodySha256, createHash('sha256').update(body).digest('hex'));
  assert.equal(reply.service, 'primary');
  assert.deepEqual(
    { method: echo.last?.method, url: echo.last?.url, bytes: echo.last?.bodyBytes, sha: echo.last?.bodySha256 },
    { method: 'POST', url: '/anything/orders/7?page=2', bytes: reply.bodyBytes, sha: reply.bodySha256 },
  );
});

test('/anything returns a binary body as base64', async (t) => {
  const echo = await startEchoService({ name: 'primary' });
  t.after(() => echo.close());
  const body = Buffer.from([0xff, 0xfe, 0x00, 0x80]);
  const res = await requestVia(`${echo.url}/anything`, { agent: testAgent(t), method: 'PUT', body });
  const reply = res.json<AnythingReply>();
  assert.equal(reply.bodyEncoding, 'base64');
  assert.deepEqual(Buffer.from(reply.body, 'base64'), body);
});

test('/status/:code answers that status; unknown paths answer 404 JSON', async (t) => {
  const echo = await startEchoService({ name: 'primary' });
  t.after(() => echo.close());
  const agent = testAgent(t);
  assert.equal((await requestVia(`${echo.url}/status/503`, { agent })).status, 503);
  assert.equal((await requestVia(`${echo.url}/status/204`, { agent })).status, 204);
  assert.equal((await requestVia(`${echo.url}/status/100`, { agent })).status, 400);
  const missing = await requestVia(`${echo.url}/nope`, { agent });
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.json(), { error: 'not found', path: '/nope' });
  assert.equal(echo.count, 4);
});

test('/delay/:ms answers no sooner than asked, and close() cancels a pending delay', async (t) => {
  const echo = await startEchoService({ name: 'slow' });
  const agent = testAgent(t);
  const started = performance.now();
  const res = await requestVia(`${echo.url}/delay/150`, { agent });
  assert.equal(res.status, 200);
  assert.ok(performance.now() - started >= 140);

  const pending = requestVia(`${echo.url}/delay/60000`, { agent }).then(
    () => 'answered',
    () => 'failed',
  );
  await waitFor(() => echo.count === 2);
  await echo.close();
  assert.equal(await pending, 'failed');
});

test('records thousands of requests exactly and drops the oldest past maxRecorded', async (t) => {
  const echo = await startEchoService({ name: 'bulk', maxRecorded: 1000 });
  t.after(() => echo.close());
  const agent = new Agent({ connections: 8 });
  t.after(() => agent.close());
  const total = 2000;
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < total) {
        const i = next++;
        await requestVia(`${echo.url}/anything/${i}`, { agent, method: 'POST', body: `n=${i}` });
      }
    }),
  );
  assert.equal(echo.count, total);
  assert.ok(echo.received.length <= 1000 && echo.received.length >= 900);
  // The newest requests are the ones kept, each exactly once.
  assert.equal(echo.received.at(-1), echo.last);
  assert.equal(new Set(echo.received.map((r) => r.url)).size, echo.received.length);
  echo.reset();
  assert.equal(echo.count, 0);
  assert.equal(echo.received.length, 0);
});

test('serves HTTPS with the given certificate', async (t) => {
  const tls = await selfSignedCert(['localhost', '127.0.0.1']);
  const echo = await startEchoService({ name: 'secure', tls });
  t.after(() => echo.close());
  assert.equal(echo.protocol, 'https');
  const agent = testAgent(t, { connect: { ca: tls.cert } });
  const res = await requestVia(`${echo.url}/headers`, { agent });
  assert.equal(res.status, 200);
});
