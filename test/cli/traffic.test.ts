/** The demo's traffic generator against an echo service: rate, mix, counts, and a clean stop. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { plannedRequest, startTraffic } from '../../src/demo/traffic.ts';
import { deadPort, startEchoService, waitFor } from '../support/index.ts';

test('the mix is a third each of GET /headers, GET /anything/..., POST /anything with JSON', () => {
  const kinds = [0, 1, 2].map((n) => `${plannedRequest(n).method} ${plannedRequest(n).path.split('/')[1]}`);
  assert.deepEqual(kinds, ['GET headers', 'GET anything', 'POST anything']);
  assert.doesNotThrow(() => JSON.parse(plannedRequest(2).body!));
});

test('sends with the Host header, counts statuses, and stops on abort', async (t) => {
  const echo = await startEchoService({ name: 'target' });
  t.after(() => echo.close());
  const stop = new AbortController();
  const traffic = startTraffic({ url: echo.url, host: 'httpbin.example.com', ratePerSecond: 100, signal: stop.signal });
  await waitFor(() => traffic.counts.byStatus.get(200)! >= 6, { description: 'six 200s' });
  stop.abort();
  await traffic.done;
  const sentAtStop = traffic.counts.sent;
  assert.ok(echo.received.every((r) => r.headers.host === 'httpbin.example.com'));
  assert.ok(echo.received.some((r) => r.method === 'POST' && r.headers['content-type'] === 'application/json'));
  assert.equal(traffic.counts.errors.size, 0);
  assert.equal(traffic.counts.sent, sentAtStop, 'nothing is sent after done');
});

test('counts connection failures by error code', async () => {
  const port = await deadPort();
  const stop = new AbortController();
  const traffic = startTraffic({ url: `http://127.0.0.1:${port}`, host: 'x', ratePerSecond: 100, signal: stop.signal });
  await waitFor(() => (traffic.counts.errors.get('ECONNREFUSED') ?? 0) >= 2);
  stop.abort();
  await traffic.done;
});
