/**
 * `GET /api/timeseries` and `GET /api/stream` against a running gateway: the per-second counts add up
 * to what the backends received, a late subscriber gets the history at once, and with `--workers 2`
 * the primary sums the workers' buckets.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { describe, test } from 'node:test';
import { Agent } from 'undici';
import type { StreamTick, TimeseriesResponse } from '../../src/console/api-types.ts';
import { requestVia, runCli, startEchoService, waitFor, writeConfig } from '../support/index.ts';
import { mirrorConfig } from '../integration/harness.ts';
import { ROUTE, startConsoleGateway } from './fixture.ts';

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

async function timeseries(admin: string, query = `route=${encodeURIComponent(ROUTE)}`): Promise<TimeseriesResponse> {
  const answer = await requestVia(`${admin}/api/timeseries?${query}`);
  assert.equal(answer.status, 200, answer.text());
  return answer.json<TimeseriesResponse>();
}

/** Reads the first `tick` event of the stream. */
function firstTick(admin: string): Promise<StreamTick> {
  return new Promise((resolve, reject) => {
    const req = request(`${admin}/api/stream`, (res) => {
      assert.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
      let buffer = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        buffer += chunk;
        const match = /event: tick\ndata: (.*)\n\n/.exec(buffer);
        if (match) {
          resolve(JSON.parse(match[1]!) as StreamTick);
          req.destroy();
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('console API', () => {
  test('per-second columns add up to the requests sent and the copies the shadow received; a late subscriber gets them at once', async (t) => {
    const gw = await startConsoleGateway(t, { mirrorPct: 100 });
    const agent = new Agent();
    t.after(() => agent.close());
    for (let i = 0; i < 50; i++) assert.equal((await requestVia(`${gw.url}/anything/${i}`, { host: 'httpbin', agent })).status, 200);
    await waitFor(() => gw.shadow.count === 50, { description: 'the shadow got every copy' });

    const body = await waitFor(
      async () => {
        const b = await timeseries(gw.admin);
        const [primary, mirror] = b.routes[0]!.series;
        return sum(primary!.columns.qps) === 50 && sum(mirror!.columns.qps) === 50 ? b : null;
      },
      { timeoutMs: 5_000, description: 'the history counted 50 requests and 50 copies' },
    );
    assert.equal(body.resolutionSeconds, 1);
    assert.equal(body.historySeconds, 900);
    const route = body.routes[0]!;
    assert.equal(route.t.at(-1), body.through);
    const [primary, mirror] = route.series;
    assert.equal(primary!.role, 'primary');
    assert.equal(primary!.cluster, 'outbound|8000||httpbin.default.svc.cluster.local');
    assert.equal(sum(primary!.columns.status['2xx']), 50);
    assert.equal(primary!.summary.requests, 50);
    assert.equal(primary!.summary.successPct, 100);
    assert.ok(primary!.summary.p50Ms !== null && primary!.summary.p99Ms! >= primary!.summary.p50Ms!);
    assert.equal(mirror!.role, 'mirror');
    assert.equal(mirror!.cluster, 'outbound|80||httpbin-next.default.svc.cluster.local');
    assert.equal(mirror!.origin, 'config');
    assert.equal(sum(mirror!.columns.status['2xx']), 50);
    assert.ok(mirror!.summary.p50Ms !== null, 'mirror latency is recorded');
    assert.deepEqual(
      { configured: mirror!.share!.configuredPct, observed: mirror!.share!.observedPct, consistent: mirror!.share!.consistent },
      { configured: 100, observed: 100, consistent: true },
    );

    // `since` returns only the newer seconds.
    const later = await timeseries(gw.admin, `route=${encodeURIComponent(ROUTE)}&since=${body.through}`);
    assert.ok(later.routes[0]!.t.every((s) => s > body.through));
    // Every route without `route`; an unknown route is a 404.
    assert.deepEqual((await timeseries(gw.admin, '')).routes.map((r) => r.route), [ROUTE]);
    assert.equal((await requestVia(`${gw.admin}/api/timeseries?route=nope`)).status, 404);
    assert.equal((await requestVia(`${gw.admin}/api/timeseries?since=soon`)).status, 400);

    // A subscriber arriving now gets a tick at once, with the last minute's totals.
    const tick = await firstTick(gw.admin);
    const [p, m] = tick.routes[0]!.series;
    assert.equal(p!.summary.requests, 50);
    assert.equal(m!.summary.requests, 50);
    assert.equal(tick.gateway.workers, 0);
    assert.equal(tick.gateway.config.version, gw.runtime.controller.snapshot!.version);
  });

  test('a refused mirror copy is counted as dropped with its reason', async (t) => {
    const gw = await startConsoleGateway(t, { mirrorPct: 100 });
    await gw.shadow.close();
    const agent = new Agent();
    t.after(() => agent.close());
    for (let i = 0; i < 20; i++) await requestVia(`${gw.url}/anything/${i}`, { host: 'httpbin', agent });
    const mirror = await waitFor(
      async () => {
        const m = (await timeseries(gw.admin)).routes[0]!.series[1]!;
        return m.summary.failed + m.summary.dropped === 20 ? m : null;
      },
      { timeoutMs: 5_000, description: 'every copy failed or was dropped' },
    );
    assert.ok(mirror.summary.failedReasons['connect failure']! > 0, JSON.stringify(mirror.summary));
    if (mirror.summary.dropped > 0) assert.ok(mirror.summary.droppedReasons['every endpoint ejected']! > 0);
    assert.equal(mirror.summary.successPct, 0);
  });
});

test('with --workers 2 the primary sums both workers\' buckets', async (t) => {
  const primary = await startEchoService({ name: 'primary' });
  const shadow = await startEchoService({ name: 'shadow' });
  t.after(() => Promise.all([primary.close(), shadow.close()]));
  const { file } = writeConfig(mirrorConfig(primary.port, shadow.port, 'mirror: { host: httpbin-next, port: { number: 80 } }'));
  let output = '';
  let child: ChildProcess | null = null;
  const exited = runCli(['run', '-c', file, '--admin', '127.0.0.1:0', '--access-log', 'off', '--no-watch', '--workers', '2'], {
    timeoutMs: 60_000,
    onStdout(chunk, process) {
      child = process;
      output += chunk;
    },
  });
  t.after(async () => {
    (child as ChildProcess | null)?.kill('SIGTERM');
    await exited;
  });
  const url = await waitFor(() => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1], { timeoutMs: 20_000 });
  const admin = await waitFor(() => /admin on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1]);
  // Short connections, so the kernel spreads them over both workers.
  for (let i = 0; i < 60; i++) {
    const agent = new Agent({ pipelining: 0 });
    assert.equal((await requestVia(`${url}/anything/${i}`, { agent, host: 'httpbin' })).status, 200);
    await agent.close();
  }
  const body = await waitFor(
    async () => {
      const b = await timeseries(admin);
      const [p, m] = b.routes[0]!.series;
      return sum(p!.columns.qps) === 60 && sum(m!.columns.qps) === 60 ? b : null;
    },
    { timeoutMs: 10_000, description: '60 requests and 60 copies summed over the workers' },
  );
  assert.equal(body.gateway.workers, 2);
  assert.equal(shadow.count, 60);
});

test('the dashboard page needs no token but passes the Host check; its data needs the token', async (t) => {
  const token = 'page-token';
  const gw = await startConsoleGateway(t, { runtime: { admin: { host: '127.0.0.1', port: 0, token } } });
  for (const path of ['/dashboard', '/dashboard/app.js', '/dashboard/style.css']) {
    const answer = await requestVia(`${gw.admin}${path}`);
    assert.equal(answer.status, 200, path);
    assert.match(String(answer.headers['content-security-policy']), /frame-ancestors 'none'/);
  }
  assert.equal((await requestVia(`${gw.admin}/dashboard`, { host: 'rebound.example:80' })).status, 421, 'DNS rebinding is refused');
  assert.equal((await requestVia(`${gw.admin}/dashboard/nothing-here`)).status, 404);
  for (const path of ['/api/timeseries', '/api/stream', '/api/routes', '/api/services']) {
    assert.equal((await requestVia(`${gw.admin}${path}`)).status, 401, path);
  }
  assert.equal((await requestVia(`${gw.admin}/api/timeseries`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
});
