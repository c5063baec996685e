/**
 * Response comparison end to end: a real gateway, primary, shadow and baseline services on loopback;
 * the results as the comparator records them (counters, the diff store).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { Gateway, type GatewayOptions } from '../../src/gateway.ts';
import { compileYaml, loopbackGateway, serviceEntry } from '../integration/harness.ts';
import { requestVia, testAgent, waitFor } from '../support/index.ts';
import type { CompareSettings } from '../../src/snapshot/mirror-extensions.ts';
import { scriptedService, sendJson, withCompare, type ScriptedService } from './compare-support.ts';

const SHADOW = 'outbound|80||httpbin-next.default.svc.cluster.local';
const BASELINE = 'outbound|80||httpbin-base.default.svc.cluster.local';

/** Primary `httpbin`, shadow `httpbin-next` mirrored at 100% on route `main`; `httpbin-base` routed on /base so it has a cluster. */
function config(primary: number, shadow: number, baseline: number): string {
  return `${loopbackGateway}
${serviceEntry('httpbin', 8000, [[primary]])}
${serviceEntry('httpbin-next', 80, [[shadow]])}
${serviceEntry('httpbin-base', 80, [[baseline]])}
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: httpbin
spec:
  hosts: ["*"]
  gateways: [edge]
  http:
    - name: base
      match: [{ uri: { prefix: /base-only } }]
      route:
        - destination: { host: httpbin-base, port: { number: 80 } }
    - name: main
      route:
        - destination: { host: httpbin, port: { number: 8000 } }
      mirror: { host: httpbin-next, port: { number: 80 } }
`;
}

interface Services {
  primary: ScriptedService;
  shadow: ScriptedService;
  baseline: ScriptedService;
}

async function start(
  t: { after(fn: () => unknown): void },
  services: Services,
  compare: Partial<CompareSettings>,
  options: GatewayOptions = {},
): Promise<{ gateway: Gateway; url: string }> {
  t.after(() => Promise.all([services.primary.close(), services.shadow.close(), services.baseline.close()]));
  const snapshot = withCompare(await compileYaml(config(services.primary.port, services.shadow.port, services.baseline.port)), compare);
  const gateway = await Gateway.start(snapshot, options);
  t.after(() => gateway.close(1000));
  return { gateway, url: `http://127.0.0.1:${gateway.addresses()[0]!.port}` };
}

function routeId(gateway: Gateway): string {
  return gateway.snapshot.listeners[0]!.virtualHosts.all[0]!.routes.find((r) => r.mirrors !== null)!.id;
}

describe('response comparison', () => {
  test('a shadow whose JSON differs in one field is a difference at that path; an ignored path is not', async (t) => {
    const doc = (price: number, n: number) => ({ items: [{ id: 1, price: 10 }, { id: 2, price }], meta: { time: `t${n}` } });
    const services = {
      primary: await scriptedService((_req, res, n) => sendJson(res, doc(20, n))),
      shadow: await scriptedService((_req, res, n) => sendJson(res, doc(21, n + 1000))),
      baseline: await scriptedService((_req, res) => sendJson(res, {})),
    };
    const { gateway, url } = await start(t, services, { ignorePaths: ['$.meta.time'] });
    const agent = testAgent(t);
    for (let i = 0; i < 3; i++) {
      const response = await requestVia(`${url}/anything`, { agent, host: 'httpbin' });
      assert.equal(response.status, 200);
      assert.equal(response.json<{ items: { price: number }[] }>().items[1]!.price, 20, 'the client gets the primary answer');
    }
    const counters = gateway.counters.mirror(routeId(gateway), SHADOW);
    await waitFor(() => counters.compare.differ === 3, { description: 'three comparisons recorded as differ' });
    assert.equal(counters.compare.match + counters.compare.skipped, 0);
    const [summary] = gateway.comparator.store.summary();
    assert.ok(summary);
    assert.equal(summary.counts.differ, 3);
    assert.deepEqual(summary.topPaths.map((p) => p.path), ['$.items[*].price'], 'only the changed field; $.meta.time is ignored');
    const sample = gateway.comparator.store.sample(summary.samples[0]!.id)!;
    assert.deepEqual(sample.differences.map((d) => [d.path, d.primary, d.shadow]), [['$.items[1].price', 20, 21]]);
    assert.equal((sample.request as { path: string }).path, '/anything');
    assert.equal(gateway.comparator.memory.held, 0, 'the bytes held are released');
  });

  test('the noise baseline separates a random field from a real change', async (t) => {
    // `nonce` differs on every response (noise, the baseline shows it); `total` changes only in the shadow.
    const doc = (total: number) => ({ nonce: Math.random(), total, items: [{ id: Math.random() }, { id: Math.random() }] });
    let shadowTotal = 5;
    const services = {
      primary: await scriptedService((_req, res) => sendJson(res, doc(5))),
      shadow: await scriptedService((_req, res) => sendJson(res, doc(shadowTotal))),
      baseline: await scriptedService((_req, res) => sendJson(res, doc(5))),
    };
    const { gateway, url } = await start(t, services, { baselineCluster: BASELINE });
    const agent = testAgent(t);
    const counters = gateway.counters.mirror(routeId(gateway), SHADOW);
    await requestVia(`${url}/a`, { agent, host: 'httpbin' });
    await waitFor(() => counters.compare.noise === 1, { description: 'only noise while the shadow agrees' });
    shadowTotal = 6;
    await requestVia(`${url}/b`, { agent, host: 'httpbin' });
    await waitFor(() => counters.compare.differ === 1, { description: 'a real difference once the shadow changes' });
    assert.equal(services.baseline.count, 2, 'the baseline got a copy of each request');
    assert.equal(gateway.counters.mirror(routeId(gateway), BASELINE).sent, 2, 'the baseline counts as a mirror cluster of its own');
    const [summary] = gateway.comparator.store.summary();
    const byClass = Object.fromEntries(summary!.topPaths.map((p) => [`${p.class} ${p.path}`, p.count]));
    assert.deepEqual(byClass, { 'noise $.nonce': 2, 'noise $.items[*].id': 2, 'real $.total': 1 });
    const differ = summary!.samples.find((s) => s.result === 'differ')!;
    const sample = gateway.comparator.store.sample(differ.id)!;
    assert.deepEqual(sample.differences.map((d) => d.path), ['$.total']);
    assert.ok(sample.baseline, 'the sample shows the baseline response');
  });

  test('a 10 MiB streaming primary response reaches the client unchanged, and its comparison is skipped and counted', async (t) => {
    const chunk = Buffer.alloc(64 * 1024, 7);
    for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31) & 0xff;
    const total = 160; // 160 × 64 KiB = 10 MiB
    const expected = createHash('sha256');
    for (let i = 0; i < total; i++) expected.update(chunk);
    const services = {
      primary: await scriptedService((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream' }); // chunked: no length
        let sent = 0;
        const more = (): void => {
          while (sent < total) {
            sent++;
            if (!res.write(chunk)) return void res.once('drain', more);
          }
          res.end();
        };
        more();
      }),
      shadow: await scriptedService((_req, res) => sendJson(res, { ok: true })),
      baseline: await scriptedService((_req, res) => sendJson(res, {})),
    };
    const { gateway, url } = await start(t, services, {});
    const agent = testAgent(t);
    const timed = async (): Promise<{ ms: number; hash: string }> => {
      const t0 = performance.now();
      const response = await requestVia(`${url}/stream`, { agent, host: 'httpbin' });
      return { ms: performance.now() - t0, hash: createHash('sha256').update(response.body).digest('hex') };
    };
    const first = await timed();
    assert.equal(first.hash, expected.digest('hex'), 'the client got every byte unchanged');
    const counters = gateway.counters.mirror(routeId(gateway), SHADOW);
    await waitFor(() => counters.compare.skipped === 1, { description: 'the comparison was skipped' });
    assert.equal(counters.compareSkipped.streaming, 1);
    assert.equal(gateway.comparator.memory.held, 0);
    // Timing: the same stream over a route without comparison is the reference; the margin is generous.
    const plain = withCompare(gateway.snapshot, null);
    await gateway.apply(plain);
    const reference = await timed();
    await gateway.apply(withCompare(plain, {}));
    const again = await timed();
    assert.ok(again.ms < reference.ms * 5 + 500, `with comparison ${again.ms.toFixed(0)} ms, without ${reference.ms.toFixed(0)} ms`);
  });

  test('past the memory cap new comparisons are skipped (memory) and counted; the bytes are released', async (t) => {
    const big = { data: 'x'.repeat(40_000) };
    const services = {
      primary: await scriptedService((_req, res) => sendJson(res, big)),
      // The shadow answers late and small, so the first primary's 40 kB stay held meanwhile.
      shadow: await scriptedService((_req, res) => setTimeout(() => sendJson(res, { data: 'y' }), 300)),
      baseline: await scriptedService((_req, res) => sendJson(res, {})),
    };
    const { gateway, url } = await start(t, services, {}, { compare: { maxMemoryBytes: 50_000 } });
    const agent = testAgent(t);
    await requestVia(`${url}/one`, { agent, host: 'httpbin' });
    await waitFor(() => gateway.comparator.memory.held > 0, { description: 'the first primary response is held' });
    const second = await requestVia(`${url}/two`, { agent, host: 'httpbin' });
    assert.equal(second.status, 200, 'the primary is served all the same');
    const counters = gateway.counters.mirror(routeId(gateway), SHADOW);
    await waitFor(() => counters.compare.differ + counters.compare.skipped === 2, { description: 'both comparisons ended' });
    assert.equal(counters.compare.differ, 1, 'the first, under the cap, was compared');
    assert.equal(counters.compareSkipped.memory, 1);
    assert.equal(gateway.comparator.memory.held, 0);
  });

  test('a shadow that times out skips its comparison (shadow_timeout) and releases the primary bytes', async (t) => {
    const services = {
      primary: await scriptedService((_req, res) => sendJson(res, { a: 1 })),
      shadow: await scriptedService(() => {}), // never answers
      baseline: await scriptedService((_req, res) => sendJson(res, {})),
    };
    const { gateway, url } = await start(t, services, {});
    await gateway.apply({ ...gateway.snapshot, mirror: { ...gateway.snapshot.mirror, defaultTimeoutMs: 200 } });
    const agent = testAgent(t);
    await requestVia(`${url}/x`, { agent, host: 'httpbin' });
    const counters = gateway.counters.mirror(routeId(gateway), SHADOW);
    await waitFor(() => counters.compare.skipped === 1, { description: 'the comparison was skipped' });
    assert.deepEqual(counters.compareSkipped, { shadow_timeout: 1 });
    assert.equal(gateway.comparator.memory.held, 0);
  });
  test('a body over the bound (declared by its content-length) is skipped (body_too_large) before a byte is kept', async (t) => {
    const body = JSON.stringify({ data: 'z'.repeat(2000) });
    const services = {
      primary: await scriptedService((_req, res) => sendJson(res, JSON.parse(body))),
      shadow: await scriptedService((_req, res) => sendJson(res, JSON.parse(body))),
      baseline: await scriptedService((_req, res) => sendJson(res, {})),
    };
    const { gateway, url } = await start(t, services, { maxBodyBytes: 1000 });
    const agent = testAgent(t);
    const declared = await requestVia(`${url}/declared`, { agent, host: 'httpbin' });
    assert.equal(declared.text(), body, 'the client gets the whole body');
    const counters = gateway.counters.mirror(routeId(gateway), SHADOW);
    await waitFor(() => counters.compare.skipped === 1, { description: 'the comparison was skipped' });
    assert.deepEqual(counters.compareSkipped, { body_too_large: 1 });
    assert.equal(gateway.comparator.memory.held, 0);
  });
});

