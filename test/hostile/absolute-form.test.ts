/**
 * RFC 9112 §3.2.2: a request in absolute-form is routed by the target's authority, and the Host header
 * sent upstream is replaced with it, so what the gateway routes on is what the backend sees.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startEchoService } from '../support/index.ts';
import { firstStatus, openRaw } from '../support/raw-socket.ts';
import { loopbackGateway, serviceEntry, startGateway } from '../integration/harness.ts';

test('absolute-form is routed by its authority and Host is replaced with it', async (t) => {
  const app = await startEchoService({ name: 'app' });
  const other = await startEchoService({ name: 'other' });
  t.after(() => Promise.all([app.close(), other.close()]));
  const vs = (name: string, host: string, cluster: string) => `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ${name} }
spec:
  hosts: ["${host}"]
  gateways: [edge]
  http:
    - route:
        - destination: { host: ${cluster}, port: { number: 8000 } }
---`;
  const { port } = await startGateway(
    t,
    `${loopbackGateway}
${serviceEntry('app-svc', 8000, [[app.port]])}
${serviceEntry('other-svc', 8000, [[other.port]])}
${vs('app', 'app.test', 'app-svc')}
${vs('other', 'other.example', 'other-svc')}`,
  );
  for (const [target, expectedHost] of [
    ['http://other.example/anything/a?q=1', 'other.example'],
    ['HTTP://other.example:8080/anything/b', 'other.example:8080'],
    
  ] as const) {
    const conn = await openRaw(port);
    conn.socket.write(`GET ${target} HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n`);
    await conn.whenClosed;
    assert.equal(firstStatus(conn.received()), 200, conn.received());
    assert.equal(other.last?.headers.host, expectedHost);
  }
  assert.equal(other.received[0]?.url, '/anything/a?q=1');
  assert.equal(app.count, 0, 'the Host header did not route the request');
});
