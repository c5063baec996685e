/**
 * Comparison configured by a MirrorPolicy resource, served by a runtime with its admin server:
 * GET /api/diffs (summary, ?route=), GET /api/diffs/{id} (a sample, 404 for unknown), the metrics,
 * and --compare-store writing a SQLite file.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { GatewayRuntime, type CompareRuntimeOptions } from '../../src/control/runtime.ts';
import { loopbackGateway, serviceEntry } from '../integration/harness.ts';
import { makeTempDir, requestVia, testAgent, waitFor } from '../support/index.ts';
import { scriptedService, sendJson } from './compare-support.ts';

function config(primary: number, shadow: number, baseline: number): string {
  return `${loopbackGateway}
${serviceEntry('httpbin', 8000, [[primary]])}
${serviceEntry('httpbin-next', 80, [[shadow]])}
${serviceEntry('httpbin-base', 80, [[baseline]])}
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: httpbin }
spec:
  hosts: ["*"]
  gateways: [edge]
  http:
    - name: main
      route: [{ destination: { host: httpbin, port: { number: 8000 } } }]
      mirror: { host: httpbin-next, port: { number: 80 } }
---
apiVersion: shadowgate.io/v1alpha1
kind: MirrorPolicy
metadata: { name: httpbin-compare }
spec:
  targetRef: { kind: VirtualService, name: httpbin }
  mirrors:
    - host: httpbin-next
      compare:
        ignorePaths: ["$.meta.time"]
        ignoreHeaders: [x-served-by]
        baseline: { host: httpbin-base, port: { number: 80 } }
`;
}

async function start(t: { after(fn: () => unknown): void }, compare?: CompareRuntimeOptions) {
  // price: the shadow's is one more (a real difference); nonce: random everywhere (noise); meta.time: ignored.
  const doc = (price: number) => ({ price, nonce: Math.random(), meta: { time: Date.now() + Math.random() } });
  const primary = await scriptedService((_req, res) => sendJson(res, doc(20)));
  const shadow = await scriptedService((_req, res) => sendJson(res, doc(21)));
  const baseline = await scriptedService((_req, res) => sendJson(res, doc(20)));
  t.after(() => Promise.all([primary.close(), shadow.close(), baseline.close()]));
  const file = join(makeTempDir('shadowgate-compare-'), 'config.yaml');
  writeFileSync(file, config(primary.port, shadow.port, baseline.port));
  const started = await GatewayRuntime.start({
    paths: [file],
    admin: { host: '127.0.0.1', port: 0, token: null },
    accessLog: 'off',
    drainTimeoutMs: 2000,
    watch: false,
    ...(compare !== undefined && { compare }),
  });
  assert.ok(started.ok, JSON.stringify(started.diagnostics));
  const { runtime } = started;
  t.after(() => runtime.shutdown());
  return {
    runtime,
    url: `http://127.0.0.1:${runtime.gateway!.addresses()[0]!.port}`,
    admin: `http://127.0.0.1:${runtime.adminAddress!.port}`,
  };
}

interface Summary {
  routes: {
    routeId: string;
    mirrorCluster: string;
    counts: Record<string, number>;
    topPaths: { path: string; class: string; count: number }[];
    samples: { id: number; result: string }[];
  }[];
}

describe('GET /api/diffs', () => {
  test('summarises per route and mirror, shows a sample, 404 for an unknown one, and counts in metrics', async (t) => {
    const { url, admin } = await start(t);
    const agent = testAgent(t);
    for (let i = 0; i < 4; i++) assert.equal((await requestVia(`${url}/item/${i}`, { agent, host: 'httpbin' })).status, 200);
    let summary: Summary = { routes: [] };
    await waitFor(
      async () => {
        summary = (await requestVia(`${admin}/api/diffs`, { agent })).json<Summary>();
        return summary.routes[0]?.counts.differ === 4;
      },
      { description: 'four comparisons found the price difference' },
    );
    const [entry] = summary.routes;
    assert.equal(summary.routes.length, 1, 'the baseline is no comparison of its own');
    assert.equal(entry!.mirrorCluster, 'outbound|80||httpbin-next.default.svc.cluster.local');
    const classes = Object.fromEntries(entry!.topPaths.map((p) => [p.path, p.class]));
    assert.deepEqual(classes, { '$.price': 'real', '$.nonce': 'noise' }, 'meta.time ignored, nonce is noise, price is real');

    const id = entry!.samples[0]!.id;
    const sample = await requestVia(`${admin}/api/diffs/${id}`, { agent });
    assert.equal(sample.status, 200);
    const body = sample.json<{ differences: { path: string }[]; noise: { path: string }[]; request: { path: string }; primary: { body: string }; shadow: { body: string } }>();
    assert.deepEqual(body.differences.map((d) => d.path), ['$.price']);
    assert.deepEqual(body.noise.map((d) => d.path), ['$.nonce']);
    assert.match(body.request.path, /^\/item\/\d$/);
    assert.equal(JSON.parse(body.primary.body).price, 20);
    assert.equal(JSON.parse(body.shadow.body).price, 21);

    assert.equal((await requestVia(`${admin}/api/diffs/999999`, { agent })).status, 404);
    assert.equal((await requestVia(`${admin}/api/diffs/nope`, { agent })).status, 404);
    const filtered = (await requestVia(`${admin}/api/diffs?route=${encodeURIComponent('no-such-route')}`, { agent })).json<Summary>();
    assert.deepEqual(filtered.routes, []);
    const byRoute = (await requestVia(`${admin}/api/diffs?route=${encodeURIComponent(entry!.routeId)}`, { agent })).json<Summary>();
    assert.equal(byRoute.routes.length, 1);

    const metrics = (await requestVia(`${admin}/stats/prometheus`, { agent })).text();
    const labels = `route="${entry!.routeId}",mirror_cluster="outbound|80||httpbin-next.default.svc.cluster.local"`;
    assert.ok(metrics.includes(`shadowgate_compare_total{${labels},result="differ"} 4`), metrics.split('\n').filter((l) => l.includes('compare')).join('\n'));
    assert.ok(metrics.includes(`shadowgate_compare_total{${labels},result="match"} 0`));
  });

  test('--compare-store writes the results to a SQLite file; skipped comparisons show their reason', async (t) => {
    const path = join(makeTempDir('shadowgate-diffs-'), 'diffs.db');
    const { runtime, url, admin } = await start(t, { storePath: path, maxSamples: 10, maxMemoryBytes: 64 * 1024 * 1024 });
    const agent = testAgent(t);
    await requestVia(`${url}/one`, { agent, host: 'httpbin' });
    await waitFor(async () => (await requestVia(`${admin}/api/diffs`, { agent })).json<Summary>().routes[0]?.counts.differ === 1, {
      description: 'one difference',
    });
    assert.ok(existsSync(path), 'the store file exists');
    // Comparison off by memory: a cap of 0 skips every new comparison.
    await runtime.shutdown();
    const again = await start(t, { storePath: path, maxSamples: 10, maxMemoryBytes: 0 });
    await requestVia(`${again.url}/two`, { agent, host: 'httpbin' });
    let summary: Summary = { routes: [] };
    await waitFor(
      async () => {
        summary = (await requestVia(`${again.admin}/api/diffs`, { agent })).json<Summary>();
        return summary.routes[0]?.counts.skipped === 1;
      },
      { description: 'the second run skipped by memory, the first run kept in the file' },
    );
    assert.equal(summary.routes[0]!.counts.differ, 1, 'the first run is still in the file');
    assert.deepEqual((summary.routes[0] as unknown as { skipped: Record<string, number> }).skipped, { memory: 1 });
  });
});
