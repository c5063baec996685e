/**
 * Istio fields that used to be ignored and so widened what a route caught or mirrored, end to end:
 * `mirrorPercent` (the deprecated integer), and the match conditions Istio evaluates per proxy
 * (`gateways`, `port`, `sourceLabels`, `sourceNamespace`). Real gateway, real services on loopback.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Dispatcher } from 'undici';
import { deadPort, requestVia, startEchoService, testAgent, waitFor, type EchoService } from '../support/index.ts';
import { mirrorConfig, serviceEntry, startGateway } from './harness.ts';

async function send(url: string, agent: Dispatcher, count: number, path = '/anything'): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const response = await requestVia(`${url}${path}?i=${i}`, { agent, host: 'httpbin' });
      assert.equal(response.status, 200);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

describe('mirrorPercent (deprecated integer, honoured as Istio does)', () => {
  test('mirrorPercent: 0 sends no copy', async (t) => {
    const primary = await startEchoService({ name: 'primary' });
    const shadow = await startEchoService({ name: 'shadow' });
    t.after(() => Promise.all([primary.close(), shadow.close()]));
    const { url, gateway } = await startGateway(t, mirrorConfig(primary.port, shadow.port, 'mirror: { host: httpbin-next, port: { number: 80 } }\nmirrorPercent: 0'));
    await send(url, testAgent(t), 100);
    await waitFor(() => gateway.shadowsInFlight === 0);
    assert.equal(primary.count, 100);
    assert.equal(shadow.count, 0);
  });

  test('mirrorPercent: 25 sends about a quarter (within 4 sigma over 400 requests)', async (t) => {
    const primary = await startEchoService({ name: 'primary' });
    const shadow = await startEchoService({ name: 'shadow' });
    t.after(() => Promise.all([primary.close(), shadow.close()]));
    const { url, gateway } = await startGateway(t, mirrorConfig(primary.port, shadow.port, 'mirror: { host: httpbin-next, port: { number: 80 } }\nmirrorPercent: 25'));
    const n = 400;
    await send(url, testAgent(t, { connections: 8 }), n);
    await waitFor(() => gateway.shadowsInFlight === 0);
    const sigma = Math.sqrt(n * 0.25 * 0.75);
    assert.equal(primary.count, n);
    assert.ok(Math.abs(shadow.count - n / 4) <= 4 * sigma, `shadow got ${shadow.count} of ${n} (expected 100 ± ${(4 * sigma).toFixed(1)})`);
  });

  test('mirrorPercentage wins over mirrorPercent', async (t) => {
    const primary = await startEchoService({ name: 'primary' });
    const shadow = await startEchoService({ name: 'shadow' });
    t.after(() => Promise.all([primary.close(), shadow.close()]));
    const { url, gateway } = await startGateway(
      t,
      mirrorConfig(primary.port, shadow.port, 'mirror: { host: httpbin-next, port: { number: 80 } }\nmirrorPercentage: { value: 100 }\nmirrorPercent: 0'),
    );
    await send(url, testAgent(t), 20);
    await waitFor(() => shadow.count === 20 && gateway.shadowsInFlight === 0);
  });
});

/** `main`, `trap` and `special` services, and a VirtualService on `gateways` whose routes come from `http`. */
function scopedConfig(services: { main: EchoService; trap: EchoService; special: EchoService }, gatewayYaml: string, http: string): string {
  return `${gatewayYaml}
${serviceEntry('main', 80, [[services.main.port]])}
${serviceEntry('trap', 80, [[services.trap.port]])}
${serviceEntry('special', 80, [[services.special.port]])}
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: routes
spec:
  hosts: ["*"]
  gateways: [edge]
  http:
${http}
  - name: rest
    route:
    - destination: { host: main }
`;
}

const edgeGateway = (port: number, labels = '') => `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: edge
spec:
${labels}  servers:
    - port: { number: ${port}, name: http, protocol: HTTP }
      bind: 127.0.0.1
      hosts: ["*"]
---`;

async function threeServices(t: { after(fn: () => unknown): void }) {
  const main = await startEchoService({ name: 'main' });
  const trap = await startEchoService({ name: 'trap' });
  const special = await startEchoService({ name: 'special' });
  t.after(() => Promise.all([main.close(), trap.close(), special.close()]));
  return { main, trap, special };
}

describe('match conditions Istio evaluates per proxy', () => {
  test('a match for another gateway never catches this gateway\'s traffic; one for this gateway does', async (t) => {
    const services = await threeServices(t);
    const http = `  - name: for-other
    match:
    - gateways: [other-gateway]
    route:
    - destination: { host: trap }
  - name: for-other-ns
    match:
    - gateways: [istio-system/edge]
      uri: { prefix: /anything/special }
    route:
    - destination: { host: trap }
  - name: for-edge
    match:
    - gateways: [default/edge]
      uri: { prefix: /anything/special }
    route:
    - destination: { host: special }`;
    const { url } = await startGateway(t, scopedConfig(services, edgeGateway(0), http));
    const agent = testAgent(t);
    await send(url, agent, 20, '/anything');
    await send(url, agent, 10, '/anything/special');
    assert.equal(services.trap.count, 0, 'the other gateway\'s routes caught nothing');
    assert.equal(services.main.count, 20);
    assert.equal(services.special.count, 10);
  });

  test('port: a match applies only on its listener port', async (t) => {
    const services = await threeServices(t);
    const port = await deadPort();
    const http = `  - name: wrong-port
    match:
    - port: ${port === 65535 ? port - 1 : port + 1}
    route:
    - destination: { host: trap }
  - name: this-port
    match:
    - port: ${port}
      uri: { prefix: /anything/special }
    route:
    - destination: { host: special }`;
    const { url } = await startGateway(t, scopedConfig(services, edgeGateway(port), http));
    const agent = testAgent(t);
    await send(url, agent, 10, '/anything');
    await send(url, agent, 10, '/anything/special');
    assert.equal(services.trap.count, 0);
    assert.equal(services.main.count, 10);
    assert.equal(services.special.count, 10);
  });

  test('sourceLabels and sourceNamespace are matched against the proxy identity', async (t) => {
    const services = await threeServices(t);
    const http = `  - name: other-workload
    match:
    - sourceLabels: { app: sleep }
    - sourceNamespace: other
    route:
    - destination: { host: trap }
  - name: this-gateway
    match:
    - sourceLabels: { istio: ingressgateway }
      sourceNamespace: istio-system
      uri: { prefix: /anything/special }
    route:
    - destination: { host: special }`;
    const identity = { labels: { istio: 'ingressgateway', app: 'istio-ingressgateway' }, namespace: 'istio-system' };
    const { url } = await startGateway(t, scopedConfig(services, edgeGateway(0), http), { compile: { identity } });
    const agent = testAgent(t);
    await send(url, agent, 10, '/anything');
    await send(url, agent, 10, '/anything/special');
    assert.equal(services.trap.count, 0);
    assert.equal(services.main.count, 10);
    assert.equal(services.special.count, 10);
  });

  test('without the labels, a sourceLabels match does not apply', async (t) => {
    const services = await threeServices(t);
    const http = `  - name: labelled
    match:
    - sourceLabels: { istio: ingressgateway }
    route:
    - destination: { host: trap }`;
    const { url } = await startGateway(t, scopedConfig(services, edgeGateway(0), http));
    await send(url, testAgent(t), 10, '/anything');
    assert.equal(services.trap.count, 0);
    assert.equal(services.main.count, 10);
  });
});
