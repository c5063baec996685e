/** The failure-injecting upstreams, polling and config files behave as the data-plane tests rely on. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deadPort, requestVia, resettingServer, slowServer, waitFor, writeConfig } from './index.ts';
import { readFileSync } from 'node:fs';

test('deadPort refuses connections', async () => {
  const port = await deadPort();
  await assert.rejects(requestVia(`http://127.0.0.1:${port}/`), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'ECONNREFUSED');
    return true;
  });
});

test('resettingServer resets each request', async (t) => {
  const server = await resettingServer();
  t.after(() => server.close());
  await assert.rejects(requestVia(`${server.url}/`));
  await assert.rejects(requestVia(`${server.url}/`));
  assert.equal(server.count, 2);
});

test('slowServer answers after its delay, and counts requests it never answered', async (t) => {
  const server = await slowServer(100);
  t.after(() => server.close());
  const started = performance.now();
  const res = await requestVia(`${server.url}/`);
  assert.equal(res.text(), 'slow');
  assert.ok(performance.now() - started >= 90);
  // Give up once the server has the request (a fixed 20 ms could pass before it arrives on a busy machine).
  const giveUp = new AbortController();
  const abandoned = assert.rejects(requestVia(`${server.url}/`, { signal: giveUp.signal }));
  await waitFor(() => server.count === 2);
  giveUp.abort();
  await abandoned;
});

test('waitFor returns the first truthy value and times out with a description', async () => {
  let n = 0;
  assert.equal(await waitFor(() => (++n >= 3 ? n : 0)), 3);
  await assert.rejects(waitFor(() => false, { timeoutMs: 30, description: 'never' }), /never/);
});

test('writeConfig writes into a fresh directory each time', () => {
  const a = writeConfig('a: 1\n');
  const b = writeConfig('b: 2\n');
  assert.notEqual(a.dir, b.dir);
  assert.equal(readFileSync(a.file, 'utf8'), 'a: 1\n');
});
