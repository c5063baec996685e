/**
 * 100 reloads (a new valid config and an invalid one, alternating, each by rewriting the file and
 * POST /reload) while 20 keep-alive clients keep the gateway busy: no request fails or is reset, and
 * every answer comes from the last good config at the time (never a rejected one, never an older one
 * once the newer was acknowledged).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { GatewayRuntime } from '../../src/control/runtime.ts';
import { makeTempDir, requestVia, startEchoService, testAgent, waitFor } from '../support/index.ts';
import { loopbackGateway, serviceEntry } from '../integration/harness.ts';
import { startSteadyLoad } from './steady-load.ts';

const RELOADS = 100;
const CLIENTS = 20;
/** Answers to wait for between two reloads, so every config serves under load. */
const ANSWERS_PER_RELOAD = 20;

/**
 * Generation `g`: the primary alternates between two backends (so each reload swaps a cluster and
 * retires its pool under load), the mirror is on for even generations, and the answer says `g`.
 */
function goodConfig(g: number, a: number, b: number, shadow: number): string {
  return `${loopbackGateway}
${serviceEntry('httpbin', 8000, [[g % 2 === 0 ? a : b]])}
${serviceEntry('httpbin-next', 80, [[shadow]])}
${serviceEntry('tcp-echo', 9000, [[shadow]], { protocol: 'TCP' })}
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: httpbin }
spec:
  hosts: ["*"]
  gateways: [edge]
  http:
    - name: main
      headers: { response: { set: { x-generation: "${g}" } } }
      route: [{ destination: { host: httpbin, port: { number: 8000 } } }]
${g % 2 === 0 ? '      mirror: { host: httpbin-next, port: { number: 80 } }' : ''}
`;
}

/** Two ways to be wrong: a file that does not parse, and one whose mirror may not be mirrored to. */
function badConfig(i: number, a: number, b: number, shadow: number): string {
  return i % 4 === 1
    ? 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: { name: broken\nspec: [\n'
    : goodConfig(998, a, b, shadow).replace('mirror: { host: httpbin-next, port: { number: 80 } }', 'mirror: { host: tcp-echo, port: { number: 9000 } }');
}

test(`${RELOADS} reloads, valid and invalid alternating, under ${CLIENTS} keep-alive clients: nothing fails, the last good config serves`, async (t) => {
  const a = await startEchoService({ name: 'a', maxRecorded: 10 });
  const b = await startEchoService({ name: 'b', maxRecorded: 10 });
  const shadow = await startEchoService({ name: 'shadow', maxRecorded: 10 });
  t.after(() => Promise.all([a.close(), b.close(), shadow.close()]));
  const file = join(makeTempDir('shadowgate-reload-load-'), 'config.yaml');
  writeFileSync(file, goodConfig(0, a.port, b.port, shadow.port));
  const started = await GatewayRuntime.start({
    paths: [file],
    admin: { host: '127.0.0.1', port: 0, token: null },
    accessLog: 'off',
    drainTimeoutMs: 5000,
    watch: false,
  });
  assert.ok(started.ok, JSON.stringify(started.diagnostics));
  const { runtime } = started;
  t.after(() => runtime.shutdown());
  const origin = `http://127.0.0.1:${runtime.gateway!.addresses()[0]!.port}`;
  const admin = `http://127.0.0.1:${runtime.adminAddress!.port}`;
  const adminAgent = testAgent(t);

  let generation = 0; // the last good config the admin API acknowledged
  const load = startSteadyLoad({
    origin,
    clients: CLIENTS,
    host: 'httpbin',
    path: (id) => `/anything/${id}`,
    marker: () => generation,
    maxRequests: 200_000,
    maxMs: 60_000,
    stopOnRefused: false,
  });
  t.after(() => load.stop());

  const reloadMs: number[] = [];
  for (let i = 0; i < RELOADS; i++) {
    const answeredBefore = load.answered();
    const good = i % 2 === 0;
    const next = generation + 1;
    writeFileSync(file, good ? goodConfig(next, a.port, b.port, shadow.port) : badConfig(i, a.port, b.port, shadow.port));
    const versionBefore = runtime.controller.snapshot!.version;
    const sent = performance.now();
    const response = await requestVia(`${admin}/reload`, { method: 'POST', agent: adminAgent });
    reloadMs.push(performance.now() - sent);
    if (good) {
      assert.equal(response.status, 200, response.text());
      assert.equal(response.json<{ changed: boolean }>().changed, true);
      generation = next;
    } else {
      assert.equal(response.status, 400, response.text());
      assert.equal(runtime.controller.snapshot!.version, versionBefore, `reload ${i}: the last good config keeps serving`);
    }
    await waitFor(() => load.answered() >= answeredBefore + ANSWERS_PER_RELOAD, {
      timeoutMs: 10_000,
      description: `answers after reload ${i}`,
    });
  }
  const outcomes = await load.stop();

  const failed = outcomes.filter((o) => o.error !== null || o.status !== 200);
  assert.deepEqual(failed.slice(0, 5), [], `${failed.length} of ${outcomes.length} requests failed`);
  const misserved = outcomes.filter((o) => {
    const g = Number(o.headers['x-generation']);
    const backend = o.headers['x-echo-service'];
    return !(g >= o.before && g <= o.after) || backend !== (g % 2 === 0 ? 'a' : 'b');
  });
  assert.deepEqual(
    misserved.slice(0, 5).map((o) => ({ id: o.id, before: o.before, after: o.after, generation: o.headers['x-generation'], backend: o.headers['x-echo-service'] })),
    [],
    'every answer came from the config acknowledged when it was sent, or a newer one',
  );
  const served = new Set(outcomes.map((o) => Number(o.headers['x-generation'])));
  assert.equal(served.size, RELOADS / 2 + 1, 'every good config served requests');
  assert.deepEqual(runtime.controller.reloads, { success: RELOADS / 2 + 1, failure: RELOADS / 2 });
  assert.ok(shadow.count > 0, 'the even generations mirrored');
  reloadMs.sort((x, y) => x - y);
  t.diagnostic(
    `${outcomes.length} requests over ${RELOADS} reloads; POST /reload under load: median ${reloadMs[RELOADS / 2]!.toFixed(1)} ms, ` +
      `max ${reloadMs.at(-1)!.toFixed(1)} ms`,
  );
});

test('a burst of reloads coalesces: those asked while one waits its turn share its compile and its answer', async (t) => {
  const a = await startEchoService({ name: 'a', maxRecorded: 10 });
  t.after(() => a.close());
  const file = join(makeTempDir('shadowgate-reload-burst-'), 'config.yaml');
  writeFileSync(file, goodConfig(0, a.port, a.port, a.port));
  const started = await GatewayRuntime.start({
    paths: [file],
    admin: { host: '127.0.0.1', port: 0, token: null },
    accessLog: 'off',
    drainTimeoutMs: 2000,
    watch: false,
  });
  assert.ok(started.ok, JSON.stringify(started.diagnostics));
  const { runtime } = started;
  t.after(() => runtime.shutdown());
  const { controller } = runtime;

  writeFileSync(file, goodConfig(1, a.port, a.port, a.port));
  const burst = Array.from({ length: 20 }, () => controller.reload('admin'));
  const results = await Promise.all(burst);
  assert.ok(results.every((r) => r === results[0]), 'one result for the whole burst');
  assert.equal(results[0]!.ok && results[0]!.changed, true);
  assert.deepEqual(controller.reloads, { success: 2, failure: 0 }, 'the start-up load and one reload');

  // Over HTTP, a burst is answered in full, every answer naming the config now serving.
  writeFileSync(file, goodConfig(2, a.port, a.port, a.port));
  const admin = `http://127.0.0.1:${runtime.adminAddress!.port}`;
  const answers = await Promise.all(Array.from({ length: 20 }, () => requestVia(`${admin}/reload`, { method: 'POST' })));
  assert.deepEqual([...new Set(answers.map((r) => r.status))], [200]);
  const versions = new Set(answers.map((r) => r.json<{ version: string }>().version));
  assert.deepEqual([...versions], [controller.snapshot!.version]);
  t.diagnostic(`20 concurrent POST /reload: ${controller.reloads.success - 2} compiles`);
});
