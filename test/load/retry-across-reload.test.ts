/**
 * A retry that comes after a reload goes to the cluster as it is now, as Envoy looks the cluster up
 * again for each retry: the endpoint the first attempt used may be gone, its pool closed.
 */
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { GatewayRuntime } from '../../src/control/runtime.ts';
import { listenOnLoopback } from '../support/listen.ts';
import { makeTempDir, requestVia, startEchoService, waitFor } from '../support/index.ts';
import { loopbackGateway, serviceEntry } from '../integration/harness.ts';

function config(endpointPort: number): string {
  return `${loopbackGateway}
${serviceEntry('httpbin', 8000, [[endpointPort]])}
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: httpbin }
spec:
  hosts: ["*"]
  gateways: [edge]
  http:
    - name: main
      route: [{ destination: { host: httpbin, port: { number: 8000 } } }]
      retries: { attempts: 2, retryOn: "5xx" }
`;
}

test('a retry after a reload that replaced the endpoint goes to the new endpoint', async (t) => {
  // The old endpoint holds its answer until told, then fails it with a 503 (retriable).
  const held: ServerResponse[] = [];
  const old = createServer((_req, res) => held.push(res));
  const { port: oldPort, close: closeOld } = await listenOnLoopback(old);
  const next = await startEchoService({ name: 'next' });
  t.after(() => Promise.all([closeOld(), next.close()]));
  const file = join(makeTempDir('shadowgate-retry-reload-'), 'config.yaml');
  writeFileSync(file, config(oldPort));
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
  const url = `http://127.0.0.1:${runtime.gateway!.addresses()[0]!.port}`;
  const admin = `http://127.0.0.1:${runtime.adminAddress!.port}`;

  const answer = requestVia(`${url}/anything/retried`, { host: 'httpbin' });
  await waitFor(() => held.length === 1, { description: 'the first attempt reached the old endpoint' });
  writeFileSync(file, config(next.port));
  assert.equal((await requestVia(`${admin}/reload`, { method: 'POST' })).status, 200);
  held[0]!.writeHead(503).end();

  const response = await answer;
  assert.equal(response.status, 200, response.text());
  assert.equal(response.headers['x-echo-service'], 'next');
  assert.equal(next.last?.url, '/anything/retried');
  assert.equal(next.last?.headers['x-envoy-attempt-count'], '2');
});
