/**
 * MirrorPolicy end to end on loopback: header rules and authority on the copy only (asserted at both
 * backends), sticky sampling by a user id across a reload to a higher percentage, random sampling of
 * requests without the key (counted apart), capture under load replayed with `shadowgate replay`, and
 * an unwritable capture path that drops records with a counter while every primary answers.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createMetricsRegistry } from '../../src/metrics/gateway-metrics.ts';
import { stickyDraw } from '../../src/mirror/sticky-sampling.ts';
import { percentToPerMillion } from '../../src/snapshot/fraction.ts';
import { makeTempDir, requestVia, runCli, startEchoService, testAgent, waitFor } from '../support/index.ts';
import { listenOnLoopback } from '../support/listen.ts';
import { compileYaml, mirrorConfig, startGateway } from './harness.ts';

const ROUTE = 'default/httpbin/main';
const SHADOW = 'outbound|80||httpbin-next.default.svc.cluster.local';

/** The usual topology, mirroring `percent`% to httpbin-next, with a MirrorPolicy whose `mirrors[0]` is `rule`. */
function withPolicy(primaryPort: number, shadowPort: number, percent: number, rule: string): string {
  return `${mirrorConfig(primaryPort, shadowPort, `mirror: { host: httpbin-next, port: { number: 80 } }\nmirrorPercentage: { value: ${percent} }`)}
---
apiVersion: shadowgate.io/v1alpha1
kind: MirrorPolicy
metadata:
  name: httpbin-shadow
spec:
  targetRef: { kind: VirtualService, name: httpbin }
  routes: [main]
  mirrors:
  - host: httpbin-next
${rule
  .split('\n')
  .map((l) => (l.trim() === '' ? '' : `    ${l}`))
  .join('\n')}
`;
}

describe('MirrorPolicy', () => {
  test('header rules and authority change the copy and never the primary', async (t) => {
    const primary = await startEchoService({ name: 'primary' });
    const shadow = await startEchoService({ name: 'shadow' });
    t.after(() => Promise.all([primary.close(), shadow.close()]));
    const rule = `requestHeaders:
  set: { x-shadow-request: "true", x-env: test }
  add: { x-added: copy }
  remove: [authorization, cookie]
authority: shadow.internal`;
    const { url } = await startGateway(t, withPolicy(primary.port, shadow.port, 100, rule));
    const agent = testAgent(t);
    for (let i = 0; i < 20; i++) {
      const response = await requestVia(`${url}/anything/${i}`, {
        agent,
        host: 'httpbin:8000',
        headers: { authorization: 'Bearer secret', cookie: 'session=abc', 'x-env': 'prod' },
      });
      assert.equal(response.status, 200);
    }
    await waitFor(() => shadow.count === 20, { description: 'every copy arrived' });
    assert.equal(primary.count, 20);
    for (const got of primary.received) {
      assert.equal(got.headers.authorization, 'Bearer secret', 'the primary keeps its credentials');
      assert.equal(got.headers.cookie, 'session=abc');
      assert.equal(got.headers['x-env'], 'prod');
      assert.equal(got.headers['x-shadow-request'], undefined);
      assert.equal(got.headers['x-added'], undefined);
      assert.equal(got.headers.host, 'httpbin:8000');
    }
    for (const got of shadow.received) {
      assert.equal(got.headers.authorization, undefined, 'credentials never reach the other trust domain');
      assert.equal(got.headers.cookie, undefined);
      assert.equal(got.headers['x-shadow-request'], 'true');
      assert.equal(got.headers['x-env'], 'test', 'set overwrites');
      assert.equal(got.headers['x-added'], 'copy');
      assert.equal(got.headers.host, 'shadow.internal', 'host_rewrite_literal: no -shadow suffix');
    }
  });

  test('sticky sampling: the same user ids on every request, a superset at a higher percentage, random without the key', async (t) => {
    const primary = await startEchoService({ name: 'primary' });
    const shadow = await startEchoService({ name: 'shadow' });
    t.after(() => Promise.all([primary.close(), shadow.close()]));
    const rule = 'sampling: { key: { header: x-user-id } }';
    const { url, gateway } = await startGateway(t, withPolicy(primary.port, shadow.port, 10, rule));
    const agent = testAgent(t, { connections: 8 });
    const users = Array.from({ length: 300 }, (_, i) => `user-${i}`);

    /** Sends each user's request `rounds` times; returns the ids whose copies arrived, with how many. */
    async function phase(rounds: number): Promise<Map<string, number>> {
      shadow.reset();
      const before = gateway.counters.mirror(ROUTE, SHADOW).sampled;
      const sends: Promise<unknown>[] = [];
      for (let r = 0; r < rounds; r++) {
        for (const u of users) sends.push(requestVia(`${url}/anything/${u}?r=${r}`, { agent, host: 'httpbin', headers: { 'x-user-id': u } }));
      }
      const responses = (await Promise.all(sends)) as { status: number }[];
      assert.ok(responses.every((x) => x.status === 200));
      const sampled = gateway.counters.mirror(ROUTE, SHADOW).sampled - before;
      await waitFor(() => shadow.count === sampled && gateway.shadowsInFlight === 0, { description: 'copies settled' });
      const seen = new Map<string, number>();
      for (const got of shadow.received) {
        const id = String(got.headers['x-user-id']);
        seen.set(id, (seen.get(id) ?? 0) + 1);
      }
      return seen;
    }

    const at10 = await phase(3);
    for (const [id, n] of at10) assert.equal(n, 3, `${id} mirrored on every request, not by chance`);
    const expected10 = users.filter((u) => stickyDraw(u) < percentToPerMillion(10));
    assert.deepEqual([...at10.keys()].sort(), expected10.sort(), 'exactly the ids whose hash is under 10%');
    assert.ok(at10.size > 10 && at10.size < 60, `about 10% of 300 ids (got ${at10.size})`);

    // Reload with 30%: every id mirrored at 10% is still mirrored.
    await gateway.apply(await compileYaml(withPolicy(primary.port, shadow.port, 30, rule)));
    const at30 = await phase(2);
    for (const id of at10.keys()) assert.equal(at30.get(id), 2, `${id} (mirrored at 10%) still mirrored at 30%`);
    assert.ok(at30.size > at10.size * 2, `30% mirrors more ids (${at30.size} vs ${at10.size})`);

    // Without the key: the random draw, counted apart.
    const counters = gateway.counters.mirror(ROUTE, SHADOW);
    const byKey = counters.sampledByKey;
    assert.equal(counters.sampledRandom, 0);
    shadow.reset();
    for (let i = 0; i < 300; i++) assert.equal((await requestVia(`${url}/anything/nokey/${i}`, { agent, host: 'httpbin' })).status, 200);
    await waitFor(() => gateway.shadowsInFlight === 0 && shadow.count === counters.sampledRandom, { description: 'random copies settled' });
    assert.equal(counters.sampledByKey, byKey, 'requests without the key are not counted as keyed');
    assert.ok(counters.sampledRandom > 30 && counters.sampledRandom < 160, `about 30% of 300 drawn at random (got ${counters.sampledRandom})`);
    assert.equal(counters.sampledByKey, 3 * at10.size + 2 * at30.size);
  });

  test('a capture under load replays with shadowgate replay: identical request lines and bodies, redacted headers stay redacted', async (t) => {
    const primary = await startEchoService({ name: 'primary' });
    const shadow = await startEchoService({ name: 'shadow' });
    t.after(() => Promise.all([primary.close(), shadow.close()]));
    const dir = makeTempDir('shadowgate-capture-');
    const file = join(dir, 'captures', 'httpbin.jsonl');
    const rule = `capture:
  path: ${file}
  maxBodyBytes: 100000
  includePrimaryResponse: true`;
    const { url, gateway } = await startGateway(t, withPolicy(primary.port, shadow.port, 100, rule));
    const agent = testAgent(t, { connections: 8 });
    const n = 200;
    const bodies = new Map<string, Buffer>();
    let next = 0;
    async function worker(): Promise<void> {
      while (next < n) {
        const i = next++;
        const path = `/anything/${i}?q=a%20b&i=${i}`;
        const body = i % 3 === 0 ? null : i % 3 === 1 ? Buffer.from(JSON.stringify({ i, note: 'ünïcode' })) : randomBytes(2000 + i);
        if (body !== null) bodies.set(path, body);
        const response = await requestVia(`${url}${path}`, {
          agent,
          host: 'httpbin',
          method: body === null ? 'GET' : 'POST',
          body,
          headers: {
            authorization: `Bearer secret-${i}`,
            cookie: 'session=s3cr3t',
            'x-user': `u${i}`,
            ...(body !== null && { 'content-type': i % 3 === 1 ? 'application/json' : 'application/octet-stream' }),
          },
        });
        assert.equal(response.status, 200);
      }
    }
    await Promise.all(Array.from({ length: 8 }, worker));
    const counters = gateway.counters.mirror(ROUTE, SHADOW);
    await waitFor(() => counters.captureWritten === n, { description: `${n} records written` });
    assert.equal(counters.captureDroppedQueueFull + counters.captureDroppedWriteError, 0);

    const lines = readFileSync(file, 'utf8').trim().split('\n');
    assert.equal(lines.length, n);
    const text = lines.join('\n');
    assert.ok(!text.includes('secret-'), 'no credential is written');
    assert.ok(!text.includes('s3cr3t'));
    for (const line of lines) {
      const entry = JSON.parse(line) as { response: { status: number }; request: { headers: { name: string; value: string }[] } };
      assert.equal(entry.response.status, 200, 'the primary status is recorded');
      assert.equal(entry.request.headers.find((h) => h.name === 'host')?.value, 'httpbin-shadow', 'the copy as sent');
    }

    const received: { method: string; url: string; headers: Record<string, string | string[] | undefined>; body: Buffer }[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(200).end('ok');
      });
    });
    const target = await listenOnLoopback(server);
    t.after(target.close);
    const result = await runCli(['replay', file, '--target', `http://127.0.0.1:${target.port}`, '--concurrency', '4', '--compare-status']);
    assert.equal(result.code, 0, result.stderr + result.stdout);
    assert.equal(received.length, n);
    const shadowLines = new Map(shadow.received.map((r) => [r.url, r] as const));
    for (const got of received) {
      const copy = shadowLines.get(got.url);
      assert.ok(copy, `${got.url} is a request line the shadow got`);
      assert.equal(got.method, copy.method);
      assert.equal(got.headers.authorization, 'REDACTED', 'redacted headers stay redacted');
      assert.equal(got.headers.cookie, 'REDACTED');
      assert.equal(got.headers['x-user'], copy.headers['x-user']);
      assert.equal(createHash('sha256').update(got.body).digest('hex'), copy.bodySha256, `body of ${got.url} identical`);
      assert.deepEqual(got.body, bodies.get(got.url) ?? Buffer.alloc(0));
    }
    assert.equal(new Set(received.map((r) => r.url)).size, n, 'every captured request replayed once');
  });

  test('an unwritable capture path drops records with a counter and no primary error', async (t) => {
    const primary = await startEchoService({ name: 'primary' });
    const shadow = await startEchoService({ name: 'shadow' });
    t.after(() => Promise.all([primary.close(), shadow.close()]));
    // A directory cannot be made under a regular file (ENOTDIR), whoever runs the test.
    const blocker = join(makeTempDir('shadowgate-capture-'), 'not-a-directory');
    writeFileSync(blocker, 'x');
    const { url, gateway } = await startGateway(t, withPolicy(primary.port, shadow.port, 100, `capture: { path: ${blocker}/sub/c.jsonl }`));
    const agent = testAgent(t);
    for (let i = 0; i < 30; i++) {
      const response = await requestVia(`${url}/anything/${i}`, { agent, host: 'httpbin', method: 'POST', body: `body ${i}` });
      assert.equal(response.status, 200);
    }
    const counters = gateway.counters.mirror(ROUTE, SHADOW);
    await waitFor(() => counters.captureDroppedWriteError === 30, { description: 'every record dropped and counted' });
    assert.equal(counters.captureWritten, 0);
    await waitFor(() => shadow.count === 30, { description: 'mirroring itself goes on' });
    assert.equal(primary.count, 30);
    const registry = createMetricsRegistry(
      { counters: gateway.counters, connections: () => [], config: () => ({ version: 'v', loadedAt: new Date(0).toISOString(), reloads: { success: 1, failure: 0 }, overrides: 0 }) },
      { processMetrics: false },
    );
    const text = await registry.metrics();
    const series = `shadowgate_capture_records_total{route="${ROUTE}",mirror_cluster="${SHADOW}",result="dropped_write_error"} 30`;
    assert.ok(text.includes(series), text.split('\n').filter((l) => l.includes('capture')).join('\n'));
  });
});
