/**
 * Routing and the primary path end to end: virtual hosts, weights, subsets, header operations, the
 * errors Envoy users expect, retries, timeouts, TLS on both sides, and DNS endpoints.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { describe, test } from 'node:test';
import { Agent } from 'undici';
import {
  deadPort,
  requestVia,
  resettingServer,
  selfSignedCert,
  slowServer,
  startEchoService,
  testAgent,
  waitFor,
} from '../support/index.ts';
import { listenOnLoopback } from '../support/listen.ts';
import { loopbackGateway, serviceEntry, startGateway } from './harness.ts';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** An upstream that reads each request body whole, answers the first request 503 and the rest 200. */
async function failsFirstServer(t: { after(fn: () => unknown): void }) {
  const bodies: Buffer[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks));
      res.writeHead(bodies.length === 1 ? 503 : 200, { 'content-type': 'text/plain' });
      res.end(`attempt ${bodies.length}`);
    });
  });
  const { port, close } = await listenOnLoopback(server);
  t.after(close);
  return { port, bodies };
}

function virtualService(http: string, hosts = '["*"]'): string {
  return `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: routes }
spec:
  hosts: ${hosts}
  gateways: [edge]
  http:
${http}
`;
}

/** Sends one raw HTTP/1.1 request and returns the raw response text. */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk) => (data += chunk));
    socket.on('end', () => resolve(data));
    socket.on('close', () => resolve(data));
    socket.on('error', reject);
    socket.setTimeout(5000, () => socket.destroy());
  });
}

describe('routing', () => {
  test('virtual hosts: exact, wildcard and catch-all hosts pick their own routes', async (t) => {
    const a = await startEchoService({ name: 'a' });
    const b = await startEchoService({ name: 'b' });
    const c = await startEchoService({ name: 'c' });
    t.after(() => Promise.all([a.close(), b.close(), c.close()]));
    const yaml = `${loopbackGateway}
${serviceEntry('a.svc.local', 80, [[a.port]])}
${serviceEntry('b.svc.local', 80, [[b.port]])}
${serviceEntry('c.svc.local', 80, [[c.port]])}
${virtualService('    - route: [{ destination: { host: a.svc.local } }]', '["api.example.com"]').replace('name: routes', 'name: exact')}
---
${virtualService('    - route: [{ destination: { host: b.svc.local } }]', '["*.example.com"]').replace('name: routes', 'name: wild')}
---
${virtualService('    - route: [{ destination: { host: c.svc.local } }]', '["*"]').replace('name: routes', 'name: any')}
`;
    const { url } = await startGateway(t, yaml);
    const who = async (host: string) => (await requestVia(`${url}/anything`, { host })).json<{ service: string }>().service;
    assert.equal(await who('api.example.com'), 'a');
    assert.equal(await who('API.example.com:8080'), 'a');
    assert.equal(await who('www.example.com'), 'b');
    assert.equal(await who('elsewhere.org'), 'c');
  });

  test('an unknown host and an unmatched path get 404 NO_ROUTE; nothing is forwarded', async (t) => {
    const a = await startEchoService({ name: 'a' });
    t.after(() => a.close());
    const yaml = `${loopbackGateway}
${serviceEntry('a.svc.local', 80, [[a.port]])}
${virtualService('    - match: [{ uri: { prefix: /api } }]\n      route: [{ destination: { host: a.svc.local } }]', '["api.example.com"]')}`;
    const { url } = await startGateway(t, yaml);
    const wrongHost = await requestVia(`${url}/api`, { host: 'other.example.com' });
    assert.equal(wrongHost.status, 404);
    assert.equal(wrongHost.json<{ code: string }>().code, 'NO_ROUTE');
    const wrongPath = await requestVia(`${url}/elsewhere`, { host: 'api.example.com' });
    assert.equal(wrongPath.status, 404);
    assert.equal(a.count, 0);
  });

  test('weighted destinations split as configured', async (t) => {
    const v1 = await startEchoService({ name: 'v1' });
    const v2 = await startEchoService({ name: 'v2' });
    t.after(() => Promise.all([v1.close(), v2.close()]));
    const yaml = `${loopbackGateway}
${serviceEntry('one.svc.local', 80, [[v1.port]])}
${serviceEntry('two.svc.local', 80, [[v2.port]])}
${virtualService(`    - route:
        - destination: { host: one.svc.local }
          weight: 80
        - destination: { host: two.svc.local }
          weight: 20`)}`;
    const { url } = await startGateway(t, yaml);
    const agent = testAgent(t);
    for (let i = 0; i < 1000; i++) await requestVia(`${url}/anything`, { agent, host: 'x' });
    // Binomial(1000, 0.2): sigma ≈ 12.6; 4 sigma either side.
    assert.ok(Math.abs(v2.count - 200) <= 51, `v2 got ${v2.count}`);
    assert.equal(v1.count + v2.count, 1000);
  });

  test('subsets select endpoints by label, and round robin spreads over them', async (t) => {
    const v1a = await startEchoService({ name: 'v1a' });
    const v1b = await startEchoService({ name: 'v1b' });
    const v2 = await startEchoService({ name: 'v2' });
    t.after(() => Promise.all([v1a.close(), v1b.close(), v2.close()]));
    const yaml = `${loopbackGateway}
${serviceEntry('httpbin', 8000, [[v1a.port, { version: 'v1' }], [v1b.port, { version: 'v1' }], [v2.port, { version: 'v2' }]])}
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: httpbin }
spec:
  host: httpbin
  subsets:
    - { name: v1, labels: { version: v1 } }
    - { name: v2, labels: { version: v2 } }
---
${virtualService(`    - match: [{ headers: { x-version: { exact: v2 } } }]
      route: [{ destination: { host: httpbin, subset: v2 } }]
    - route: [{ destination: { host: httpbin, subset: v1 } }]`)}`;
    const { url } = await startGateway(t, yaml);
    const agent = testAgent(t);
    for (let i = 0; i < 10; i++) await requestVia(`${url}/anything`, { agent, host: 'httpbin' });
    await requestVia(`${url}/anything`, { agent, host: 'httpbin', headers: { 'x-version': 'v2' } });
    assert.equal(v1a.count, 5);
    assert.equal(v1b.count, 5);
    assert.equal(v2.count, 1);
  });

  test('forwarding headers are set, hop-by-hop removed, route header operations applied', async (t) => {
    const a = await startEchoService({ name: 'a' });
    t.after(() => a.close());
    const yaml = `${loopbackGateway}
${serviceEntry('a.svc.local', 80, [[a.port]])}
${virtualService(`    - headers:
        request:
          set: { x-env: prod }
          remove: [x-secret]
        response:
          add: { x-served-by: shadowgate }
      route:
        - destination: { host: a.svc.local }
          headers:
            request: { add: { x-dest: a } }`)}`;
    const { url } = await startGateway(t, yaml);
    const response = await requestVia(`${url}/anything`, {
      host: 'shop.example',
      headers: { 'x-secret': 's', 'x-env': 'dev', 'x-request-id': 'req-1', connection: 'keep-alive, x-hop', 'x-hop': 'h' },
    });
    assert.equal(response.headers['x-served-by'], 'shadowgate');
    const got = a.received[0]!.headers;
    assert.equal(got['x-env'], 'prod');
    assert.equal(got['x-secret'], undefined);
    assert.equal(got['x-dest'], 'a');
    assert.equal(got['x-hop'], undefined, 'headers named in Connection are hop-by-hop');
    assert.equal(got['x-request-id'], 'req-1');
    assert.equal(got['x-forwarded-for'], '127.0.0.1');
    assert.equal(got['x-forwarded-proto'], 'http');
    assert.equal(got['x-forwarded-host'], undefined, 'not added, as by an Istio gateway');
    assert.equal(got.host, 'shop.example', 'the Host header is passed through');
  });

  test('malformed requests get 400 and are never forwarded', async (t) => {
    const a = await startEchoService({ name: 'a' });
    t.after(() => a.close());
    const { port } = await startGateway(t, `${loopbackGateway}
${serviceEntry('a.svc.local', 80, [[a.port]])}
${virtualService('    - route: [{ destination: { host: a.svc.local } }]')}`);
    const cases = [
      'GET /anything HTTP/1.1\r\n\r\n', // no Host
      'GET /anything HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', // smuggling shape
      'GET /any thing HTTP/1.1\r\nHost: x\r\n\r\n', // space in target
      'GET /anything HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n',
      'GET /anything HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n',
      'GET anything HTTP/1.1\r\nHost: x\r\n\r\n', // not origin-form
    ];
    for (const text of cases) {
      const response = await rawRequest(port, text);
      assert.match(response, /^HTTP\/1\.1 400 /, `${JSON.stringify(text)} → ${response.slice(0, 40)}`);
    }
    assert.equal(a.count, 0, 'no malformed request reached the backend');
  });

  test('a dead upstream gives 503 UPSTREAM_CONNECT_FAILURE after the default retries', async (t) => {
    const dead = await deadPort();
    const { url, gateway } = await startGateway(t, `${loopbackGateway}
${serviceEntry('dead.svc.local', 80, [[dead]])}
${virtualService('    - route: [{ destination: { host: dead.svc.local } }]')}`);
    const response = await requestVia(`${url}/anything`, { host: 'x' });
    assert.equal(response.status, 503);
    assert.equal(response.json<{ code: string }>().code, 'UPSTREAM_CONNECT_FAILURE');
    const upstream = [...gateway.counters.upstreams()][0]!;
    assert.equal(upstream.connectFailures, 3, "Istio's default policy: the first attempt and 2 retries");
    assert.equal(upstream.retries, 2);
  });

  test('after a local reply the rest of the body is drained and the connection serves the next request', async (t) => {
    const dead = await deadPort();
    const { port } = await startGateway(t, `${loopbackGateway}
${serviceEntry('dead.svc.local', 80, [[dead]])}
${virtualService('    - route: [{ destination: { host: dead.svc.local } }]')}`);
    // Under the retry buffer, so the gateway keeps the body for retries until the 503 is sent.
    const bodyLength = 256 * 1024;
    const socket = connect(port, '127.0.0.1');
    t.after(() => socket.destroy());
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (received += chunk));
    const responses = (count: number) => waitFor(() => (received.match(/HTTP\/1\.1 \d{3} /g) ?? []).length >= count, { description: `${count} responses` });
    socket.write(`POST /orders HTTP/1.1\r\nHost: x\r\nContent-Length: ${bodyLength}\r\n\r\n${'a'.repeat(1024)}`);
    await responses(1);
    assert.match(received, /^HTTP\/1\.1 503 /, 'the dead upstream is answered locally before the body is complete');
    // The client goes on sending the body it announced, then a second request on the same connection.
    socket.write('b'.repeat(bodyLength - 1024));
    socket.write('GET /next HTTP/1.1\r\nHost: x\r\n\r\n');
    await responses(2);
    assert.equal((received.match(/HTTP\/1\.1 503 /g) ?? []).length, 2, 'the second request was read and answered');
  });

  test('a reset before the response gives 503; a 503 answer is retried to a healthy endpoint', async (t) => {
    const resetting = await resettingServer();
    const ok = await startEchoService({ name: 'ok' });
    t.after(() => Promise.all([resetting.close(), ok.close()]));
    const { url } = await startGateway(t, `${loopbackGateway}
${serviceEntry('reset.svc.local', 80, [[resetting.port]])}
${serviceEntry('flaky.svc.local', 80, [[ok.port]])}
${virtualService(`    - match: [{ uri: { prefix: /reset } }]
      route: [{ destination: { host: reset.svc.local } }]
    - match: [{ uri: { prefix: /status } }]
      retries: { attempts: 3, retryOn: "5xx" }
      route: [{ destination: { host: flaky.svc.local } }]`)}`);
    const reset = await requestVia(`${url}/reset`, { host: 'x' });
    assert.equal(reset.status, 503);
    assert.equal(reset.json<{ code: string }>().code, 'UPSTREAM_RESET');
    const retried = await requestVia(`${url}/status/500`, { host: 'x' });
    assert.equal(retried.status, 500, 'after the retries are spent, the last answer is relayed');
    assert.equal(ok.count, 4, 'first attempt plus 3 retries');
    assert.deepEqual(
      ok.received.map((r) => r.headers['x-envoy-attempt-count']),
      ['1', '2', '3', '4'],
      'each attempt says which it is, as from an Istio gateway (include_request_attempt_count)',
    );
  });

  test('a retried POST sends the whole body again; a body over the retry buffer is not retried', async (t) => {
    const upstream = await failsFirstServer(t);
    const { url } = await startGateway(t, `${loopbackGateway}
${serviceEntry('orders.svc.local', 80, [[upstream.port]])}
${virtualService('    - route: [{ destination: { host: orders.svc.local } }]')}`);
    // Several socket reads' worth, so the replay has to stitch retained chunks back together.
    const body = Buffer.alloc(300 * 1024, 'order-line;');
    const retried = await requestVia(`${url}/orders`, { host: 'x', method: 'POST', body });
    assert.equal(retried.status, 200, "Istio's default policy retries a 503");
    assert.equal(retried.body.toString(), 'attempt 2');
    assert.deepEqual(upstream.bodies.map(sha256), [sha256(body), sha256(body)], 'both attempts got the whole body');

    // Over the 1 MiB retry buffer the body cannot be replayed, so the first answer is the one relayed.
    upstream.bodies.length = 0;
    const large = Buffer.alloc(1536 * 1024, 'x');
    const relayed = await requestVia(`${url}/orders`, { host: 'x', method: 'POST', body: large });
    assert.equal(relayed.status, 503);
    assert.equal(relayed.body.toString(), 'attempt 1');
    assert.deepEqual(upstream.bodies.map(sha256), [sha256(large)]);
  });

  test('a route timeout gives 504 UPSTREAM_TIMEOUT; a faster upstream is unaffected', async (t) => {
    const slow = await slowServer(3000);
    t.after(() => slow.close());
    const { url } = await startGateway(t, `${loopbackGateway}
${serviceEntry('slow.svc.local', 80, [[slow.port]])}
${virtualService(`    - timeout: 300ms
      route: [{ destination: { host: slow.svc.local } }]`)}`);
    const started = performance.now();
    const response = await requestVia(`${url}/anything`, { host: 'x' });
    assert.equal(response.status, 504);
    assert.equal(response.json<{ code: string }>().code, 'UPSTREAM_TIMEOUT');
    assert.ok(performance.now() - started < 2500);
  });

  test('HTTPS listener terminates TLS (SNI picks the certificate) and DNS endpoints resolve', async (t) => {
    const cert = await selfSignedCert(['secure.example.com']);
    const a = await startEchoService({ name: 'a' });
    t.after(() => a.close());
    const yaml = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: edge }
spec:
  servers:
    - port: { number: 0, name: https, protocol: HTTPS }
      bind: 127.0.0.1
      hosts: ["secure.example.com"]
      tls: { mode: SIMPLE, serverCertificate: ${cert.certFile}, privateKey: ${cert.keyFile} }
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: by-name }
spec:
  hosts: [by-name.svc.local]
  resolution: DNS
  ports: [{ number: 80, name: http, protocol: HTTP }]
  endpoints: [{ address: localhost, ports: { http: ${a.port} } }]
---
${virtualService('    - route: [{ destination: { host: by-name.svc.local } }]', '["secure.example.com"]')}`;
    const { url } = await startGateway(t, yaml);
    assert.match(url, /^https:/);
    const agent = new Agent({ connect: { ca: cert.cert, servername: 'secure.example.com' } });
    t.after(() => agent.close());
    const response = await requestVia(`${url}/anything`, { agent, host: 'secure.example.com' });
    assert.equal(response.status, 200);
    assert.equal(a.received[0]!.headers['x-forwarded-proto'], 'https');
  });
});
