/**
 * A reload that removes a listener stops it accepting at once, but does not wait for its slow
 * requests: the reload is answered (and the next can run) while they finish on the retired listener.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { GatewayRuntime } from '../../src/control/runtime.ts';
import { makeTempDir, requestVia, slowServer, startEchoService, waitFor } from '../support/index.ts';
import { loopbackGateway, serviceEntry } from '../integration/harness.ts';

const SECOND_LISTENER = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: second }
spec:
  servers:
    - port: { number: 0, name: http, protocol: HTTP }
      bind: 127.0.0.2
      hosts: ["*"]
---`;

function config(slowPort: number, fastPort: number, withSecond: boolean): string {
  return `${loopbackGateway}
${withSecond ? SECOND_LISTENER : ''}
${serviceEntry('slow', 80, [[slowPort]])}
${serviceEntry('fast', 80, [[fastPort]])}
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: routes }
spec:
  hosts: ["*"]
  gateways: [${withSecond ? 'edge, second' : 'edge'}]
  http:
    - match: [{ uri: { prefix: /slow } }]
      route: [{ destination: { host: slow } }]
    - route: [{ destination: { host: fast } }]
`;
}

test('a reload that retires a listener is answered while that listener still finishes a slow request', async (t) => {
  const slow = await slowServer(3000);
  const fast = await startEchoService({ name: 'fast' });
  t.after(() => Promise.all([slow.close(), fast.close()]));
  const file = join(makeTempDir('shadowgate-retire-'), 'config.yaml');
  writeFileSync(file, config(slow.port, fast.port, true));
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
  const admin = `http://127.0.0.1:${runtime.adminAddress!.port}`;
  const second = runtime.gateway!.addresses().find((a) => a.address === '127.0.0.2')!;

  let slowDone = false;
  const inFlight = requestVia(`http://127.0.0.2:${second.port}/slow`, { host: 'x' }).finally(() => {
    slowDone = true;
  });
  await waitFor(() => slow.count === 1, { description: 'the slow request reached its backend' });

  writeFileSync(file, config(slow.port, fast.port, false));
  const reload = await requestVia(`${admin}/reload`, { method: 'POST' });
  assert.equal(reload.status, 200, reload.text());
  assert.equal(slowDone, false, 'the reload was answered before the retired listener drained');
  await assert.rejects(requestVia(`http://127.0.0.2:${second.port}/anything`, { host: 'x' }), 'the retired listener no longer accepts');
  // The control loop is free: the next reload runs while the old listener is still draining.
  writeFileSync(file, config(fast.port, fast.port, false));
  assert.equal((await requestVia(`${admin}/reload`, { method: 'POST' })).status, 200);
  assert.equal(slowDone, false);

  const answer = await inFlight;
  assert.equal(answer.status, 200);
  assert.equal(answer.text(), 'slow');
});
