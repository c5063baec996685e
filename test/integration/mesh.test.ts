/**
 * The mesh listener (`--mesh-listener`), end to end: mesh-bound VirtualServices and ServiceEntries
 * served as an Istio sidecar's outbound routes, on a real gateway with real services on loopback. The
 * istio.io mirroring task runs with its YAML unchanged (examples/mesh-mirroring).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { buildSnapshotFromPaths, formatDiagnostic, type CompileOptions } from '../../src/config/index.ts';
import { Gateway } from '../../src/gateway.ts';
import { deadPort, requestVia, startEchoService, testAgent, waitFor, writeConfig } from '../support/index.ts';
import { serviceEntry } from './harness.ts';

const EXAMPLE = fileURLToPath(new URL('../../examples/mesh-mirroring/', import.meta.url));
const MESH = { address: '127.0.0.1', port: 0 } as const;

interface AfterHook {
  after(fn: () => unknown): void;
}

/** Compiles `paths` with a mesh listener on port 0, starts the gateway, returns the mesh listener's URL. */
async function startMesh(t: AfterHook, paths: string[], options: CompileOptions = {}): Promise<{ url: string; gateway: Gateway }> {
  const { snapshot, diagnostics } = await buildSnapshotFromPaths(paths, { meshListener: MESH, ...options });
  const errors = diagnostics.filter((d) => d.severity === 'error');
  assert.equal(errors.length, 0, errors.map(formatDiagnostic).join('\n'));
  const gateway = await Gateway.start(snapshot!);
  t.after(() => gateway.close(1000));
  const mesh = gateway.addresses().find((a) => a.name.startsWith('mesh_'));
  assert.ok(mesh, 'the mesh listener is bound');
  return { url: `http://127.0.0.1:${mesh.port}`, gateway };
}

/** The example's ServiceEntry with its placeholder endpoint ports pointed at the test's services. */
function exampleServiceEntry(v1: number, v2: number): string {
  const text = readFileSync(`${EXAMPLE}01-service-entry.yaml`, 'utf8');
  assert.ok(text.includes('18101') && text.includes('18102'));
  return writeConfig(text.replace('18101', String(v1)).replace('18102', String(v2)), '01-service-entry.yaml').file;
}

describe('the istio.io mirroring task on --mesh-listener', () => {
  test('v1 answers every request, v2 gets a copy of each with Host httpbin-shadow:8000', async (t) => {
    const v1 = await startEchoService({ name: 'httpbin-v1' });
    const v2 = await startEchoService({ name: 'httpbin-v2' });
    t.after(() => Promise.all([v1.close(), v2.close()]));
    const { url, gateway } = await startMesh(t, [
      exampleServiceEntry(v1.port, v2.port),
      `${EXAMPLE}02-destination-rule.yaml`,
      `${EXAMPLE}03-virtual-service.yaml`,
    ]);
    const agent = testAgent(t);
    // `curl http://httpbin:8000/headers` from the task's sleep pod.
    for (let i = 0; i < 5; i++) {
      const res = await requestVia(`${url}/headers`, { agent, host: 'httpbin:8000' });
      assert.equal(res.status, 200);
      assert.equal(res.headers['x-echo-service'], 'httpbin-v1');
    }
    await waitFor(() => v2.count === 5 && gateway.shadowsInFlight === 0, { description: 'v2 received the 5 copies' });
    assert.equal(v1.count, 5);
    assert.ok(v1.received.every((r) => r.headers.host === 'httpbin:8000' && r.url === '/headers'));
    assert.ok(v2.received.every((r) => r.headers.host === 'httpbin-shadow:8000' && r.url === '/headers'));
  });

  test('the service answers to every name a sidecar in its namespace gives it, on its port', async (t) => {
    const v1 = await startEchoService({ name: 'httpbin-v1' });
    const v2 = await startEchoService({ name: 'httpbin-v2' });
    t.after(() => Promise.all([v1.close(), v2.close()]));
    const { url } = await startMesh(t, [exampleServiceEntry(v1.port, v2.port), `${EXAMPLE}02-destination-rule.yaml`, `${EXAMPLE}03-virtual-service.yaml`]);
    const agent = testAgent(t);
    for (const host of [
      'httpbin:8000',
      'HTTPBIN:8000',
      'httpbin.default:8000',
      'httpbin.default.svc:8000',
      'httpbin.default.svc.cluster.local:8000',
      'httpbin.default.svc.cluster.local.:8000',
    ]) {
      assert.equal((await requestVia(`${url}/anything`, { agent, host })).status, 200, host);
    }
    // Another port, or none (port 80): the service has no such port, and nothing else is there.
    for (const host of ['httpbin', 'httpbin:80', 'httpbin:9000', 'other:8000']) {
      const res = await requestVia(`${url}/anything`, { agent, host });
      assert.equal(res.status, 404, host);
      assert.equal(res.json<{ code: string }>().code, 'NO_ROUTE');
    }
  });

  test('from another namespace (--proxy-namespace), the short name does not resolve but name.namespace does', async (t) => {
    const v1 = await startEchoService({ name: 'httpbin-v1' });
    const v2 = await startEchoService({ name: 'httpbin-v2' });
    t.after(() => Promise.all([v1.close(), v2.close()]));
    const { url } = await startMesh(t, [exampleServiceEntry(v1.port, v2.port), `${EXAMPLE}02-destination-rule.yaml`, `${EXAMPLE}03-virtual-service.yaml`], {
      identity: { labels: {}, namespace: 'sleep' },
    });
    const agent = testAgent(t);
    assert.equal((await requestVia(`${url}/anything`, { agent, host: 'httpbin:8000' })).status, 404);
    assert.equal((await requestVia(`${url}/anything`, { agent, host: 'httpbin.default:8000' })).status, 200);
    assert.equal((await requestVia(`${url}/anything`, { agent, host: 'httpbin.default.svc.cluster.local:8000' })).status, 200);
  });
});

describe('mesh routes', () => {
  test('a ServiceEntry without a VirtualService gets the default route, with the default retries', async (t) => {
    const api = await startEchoService({ name: 'api' });
    t.after(() => api.close());
    // Two endpoints, one refusing connections: Istio's default policy retries connect failures on another host.
    const dead = await deadPort();
    const { file } = writeConfig(`${serviceEntry('api.example.com', 80, [[api.port], [dead]])}`);
    const { url } = await startMesh(t, [file]);
    const agent = testAgent(t);
    for (let i = 0; i < 10; i++) {
      const res = await requestVia(`${url}/anything`, { agent, host: i % 2 === 0 ? 'api.example.com' : 'api.example.com:80' });
      assert.equal(res.status, 200, `request ${i}`);
    }
    assert.equal(api.count, 10);
  });

  test('match[].port and match[].gateways apply against the service port and the mesh', async (t) => {
    const a = await startEchoService({ name: 'a' });
    const b = await startEchoService({ name: 'b' });
    const c = await startEchoService({ name: 'c' });
    t.after(() => Promise.all([a.close(), b.close(), c.close()]));
    const { file } = writeConfig(`
${serviceEntry('a', 80, [[a.port]])}
${serviceEntry('b', 80, [[b.port]])}
${serviceEntry('c', 80, [[c.port]])}
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: two-ports, namespace: default }
spec:
  hosts: [reviews.default.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports:
    - { number: 9080, name: http, protocol: HTTP }
    - { number: 9090, name: http-admin, protocol: HTTP }
  endpoints:
    - address: 127.0.0.1
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews, namespace: default }
spec:
  hosts: [reviews]
  gateways: [mesh, edge]
  http:
    - name: for-edge
      match: [{ gateways: [edge] }]
      route: [{ destination: { host: c } }]
    - name: on-9090
      match: [{ port: 9090 }]
      route: [{ destination: { host: b } }]
    - name: rest
      route: [{ destination: { host: a } }]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: edge, namespace: default }
spec:
  servers:
    - port: { number: 0, name: http, protocol: HTTP }
      bind: 127.0.0.1
      hosts: ["*"]
`);
    const { url } = await startMesh(t, [file]);
    const agent = testAgent(t);
    assert.equal((await requestVia(`${url}/`, { agent, host: 'reviews:9080' })).headers['x-echo-service'], 'a');
    assert.equal((await requestVia(`${url}/`, { agent, host: 'reviews:9090' })).headers['x-echo-service'], 'b');
    assert.equal(c.count, 0, 'the edge-only match never applies on the mesh listener');
  });

  test('a redirect with derivePort FROM_REQUEST_PORT takes the service port the Host names', async (t) => {
    const { file } = writeConfig(`
${serviceEntry('web.example.com', 8080, [[await deadPort()]])}
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: web, namespace: default }
spec:
  hosts: [web.example.com]
  http:
    - redirect: { authority: new.example.com, derivePort: FROM_REQUEST_PORT }
`);
    const { url } = await startMesh(t, [file]);
    const res = await requestVia(`${url}/path?q=1`, { agent: testAgent(t), host: 'web.example.com:8080' });
    assert.equal(res.status, 301);
    assert.equal(res.headers.location, 'http://new.example.com:8080/path?q=1');
  });
});
