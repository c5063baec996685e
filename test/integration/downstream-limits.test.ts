/**
 * Downstream timeouts and the connection limit, with real sockets and short limits: each kind of
 * hostile or stuck connection is closed and counted, and a slow client that is still making progress
 * (or a request the gateway itself holds back) is not cut.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { describe, test } from 'node:test';
import type { DownstreamLimits } from '../../src/dataplane/downstream-limits.ts';
import { createMetricsRegistry } from '../../src/metrics/gateway-metrics.ts';
import { absorbCounters, dumpCounters } from '../../src/stats/aggregate.ts';
import { GatewayCounters } from '../../src/stats/counters.ts';
import { connect as tlsConnect } from 'node:tls';
import { requestVia, selfSignedCert, slowServer, startEchoService, testAgent, waitFor } from '../support/index.ts';
import { listenOnLoopback } from '../support/listen.ts';
import { firstStatus, openRaw } from '../support/raw-socket.ts';
import { loopbackGateway, serviceEntry, startGateway } from './harness.ts';

const OFF: DownstreamLimits = { requestHeadersTimeoutMs: 0, idleTimeoutMs: 0, requestBodyTimeoutMs: 0, maxConnections: 0 };

function config(upstreamPort: number, routeExtra = ''): string {
  return `${loopbackGateway}
${serviceEntry('backend', 8000, [[upstreamPort]])}
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: backend }
spec:
  hosts: ["*"]
  gateways: [edge]
  http:
    - name: main
      route:
        - destination: { host: backend, port: { number: 8000 } }
${routeExtra}
`;
}

type Hook = Parameters<typeof startGateway>[0];

async function gatewayWith(t: Hook, limits: Partial<DownstreamLimits>, upstreamPort?: number) {
  let port = upstreamPort;
  if (port === undefined) {
    const echo = await startEchoService({ name: 'backend' });
    t.after(() => echo.close());
    port = echo.port;
  }
  const running = await startGateway(t, config(port), { downstream: { ...OFF, ...limits } });
  const counters = () => running.gateway.counters.listener(running.gateway.addresses()[0]!.name);
  return { ...running, counters };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('request headers timeout', () => {
  test('a slowloris client (one header byte every 50 ms) gets 408 and is closed after the timeout, counted once', async (t) => {
    const gw = await gatewayWith(t, { requestHeadersTimeoutMs: 400 });
    const conn = await openRaw(gw.port);
    const started = performance.now();
    conn.socket.write('GET /anything HTTP/1.1\r\nHost: app.test\r\nX-Slow: ');
    // Bounded: 200 bytes at most (10 s), far past the timeout; the gateway should close long before.
    for (let i = 0; i < 200 && !conn.closed(); i++) {
      conn.socket.write('a');
      await sleep(50);
    }
    await conn.whenClosed;
    assert.ok(performance.now() - started >= 350, 'not closed before the timeout');
    assert.equal(firstStatus(conn.received()), 408);
    assert.match(conn.received(), /"code":"REQUEST_HEADERS_TIMEOUT"/);
    assert.equal(gw.counters().timeoutRequestHeaders, 1);
    assert.equal(gw.counters().timeoutIdle, 0);
  });

  test('complete headers in time are not cut; many stalled header blocks are all closed', async (t) => {
    const gw = await gatewayWith(t, { requestHeadersTimeoutMs: 400 });
    const ok = await requestVia(`${gw.url}/anything`, { agent: testAgent(t) });
    assert.equal(ok.status, 200);
    const stalled = await Promise.all(Array.from({ length: 30 }, () => openRaw(gw.port)));
    for (const conn of stalled) conn.socket.write('GET / HTTP/1.1\r\nHost: a');
    await Promise.all(stalled.map((c) => c.whenClosed));
    assert.ok(stalled.every((c) => firstStatus(c.received()) === 408));
    assert.equal(gw.counters().timeoutRequestHeaders, 30);
  });

  test('a new connection that sends nothing is held to the headers timeout, not the longer idle one', async (t) => {
    // Node's parser times a connection's first request from the accept, as nginx's client_header_timeout.
    const gw = await gatewayWith(t, { requestHeadersTimeoutMs: 300, idleTimeoutMs: 60_000 });
    const conn = await openRaw(gw.port);
    await conn.whenClosed;
    assert.equal(firstStatus(conn.received()), 408);
    assert.equal(gw.counters().timeoutRequestHeaders, 1);
    assert.equal(gw.counters().timeoutIdle, 0);
  });
});

describe('idle timeout', () => {
  test('connections that never send a byte are closed after the idle timeout and counted', async (t) => {
    const gw = await gatewayWith(t, { idleTimeoutMs: 300 });
    const started = performance.now();
    const idle = await Promise.all(Array.from({ length: 50 }, () => openRaw(gw.port)));
    await Promise.all(idle.map((c) => c.whenClosed));
    assert.ok(performance.now() - started >= 250, 'not closed before the timeout');
    assert.ok(idle.every((c) => c.received() === ''), 'nothing is written to an idle connection');
    assert.equal(gw.counters().timeoutIdle, 50);
    await waitFor(() => gw.gateway.connections()[0]!.count === 0, { description: 'no connection left open' });
  });

  test('a keep-alive connection is closed once idle after its response, not while a slow response is pending', async (t) => {
    const slow = await slowServer(900);
    t.after(() => slow.close());
    const gw = await gatewayWith(t, { idleTimeoutMs: 300 }, slow.port);
    const conn = await openRaw(gw.port);
    conn.socket.write('GET /slow HTTP/1.1\r\nHost: app.test\r\n\r\n');
    await waitFor(() => conn.received().endsWith('slow') || conn.closed(), { description: 'the slow response arrived' });
    assert.equal(firstStatus(conn.received()), 200, 'a request in progress is not idle');
    assert.equal(conn.closed(), false);
    await conn.whenClosed;
    assert.equal(gw.counters().timeoutIdle, 1);
  });
});

describe('request body timeout', () => {
  test('a body that stops arriving gets 408 and the connection closes; the upstream attempt is abandoned', async (t) => {
    const gw = await gatewayWith(t, { requestBodyTimeoutMs: 400 });
    const conn = await openRaw(gw.port);
    conn.socket.write('POST /anything HTTP/1.1\r\nHost: app.test\r\nContent-Length: 100\r\n\r\n0123456789');
    await conn.whenClosed;
    assert.equal(firstStatus(conn.received()), 408);
    assert.match(conn.received(), /"code":"REQUEST_BODY_TIMEOUT"/);
    assert.match(conn.received(), /connection: close/i);
    assert.equal(gw.counters().timeoutRequestBody, 1);
    const downstream = [...gw.gateway.counters.downstreams()].find((c) => c.routeId !== '');
    assert.equal(downstream?.completed['4xx'], 1);
  });

  test('fifty bodies that never finish are all ended and counted', async (t) => {
    const gw = await gatewayWith(t, { requestBodyTimeoutMs: 300 });
    const conns = await Promise.all(Array.from({ length: 50 }, () => openRaw(gw.port)));
    for (const c of conns) c.socket.write('POST /anything HTTP/1.1\r\nHost: app.test\r\nContent-Length: 1000\r\n\r\npartial');
    await Promise.all(conns.map((c) => c.whenClosed));
    assert.ok(conns.every((c) => firstStatus(c.received()) === 408));
    assert.equal(gw.counters().timeoutRequestBody, 50);
  });

  test('a slow but progressing upload (one byte every 100 ms, 2 s in all) is not cut by a 400 ms timeout', async (t) => {
    const echo = await startEchoService({ name: 'backend' });
    t.after(() => echo.close());
    const gw = await gatewayWith(t, { requestBodyTimeoutMs: 400, idleTimeoutMs: 400, requestHeadersTimeoutMs: 400 }, echo.port);
    const conn = await openRaw(gw.port);
    const body = 'abcdefghijklmnopqrst';
    conn.socket.write(`POST /anything HTTP/1.1\r\nHost: app.test\r\nContent-Length: ${body.length}\r\n\r\n`);
    for (const byte of body) {
      await sleep(100);
      assert.equal(conn.closed(), false, 'the upload was cut while progressing');
      conn.socket.write(byte);
    }
    await waitFor(() => firstStatus(conn.received()) !== 0, { description: 'the response' });
    assert.equal(firstStatus(conn.received()), 200);
    assert.equal(echo.last?.bodyBytes, body.length);
    assert.equal(gw.counters().timeoutRequestBody, 0);
    conn.socket.destroy();
  });

  test('a body the gateway holds back (the upstream reads nothing for 1.2 s) is not counted as stalled', async (t) => {
    let received = 0;
    const lazy = createServer((req, res) => {
      setTimeout(() => {
        req.on('data', (chunk: Buffer) => (received += chunk.length));
        req.on('end', () => res.end(String(received)));
      }, 1200);
    });
    const { port, close } = await listenOnLoopback(lazy);
    t.after(close);
    const gw = await gatewayWith(t, { requestBodyTimeoutMs: 300 }, port);
    const size = 32 * 1024 * 1024;
    const res = await requestVia(`${gw.url}/upload`, { agent: testAgent(t), method: 'POST', body: Buffer.alloc(size, 1) });
    assert.equal(res.status, 200);
    assert.equal(received, size);
    assert.equal(gw.counters().timeoutRequestBody, 0);
  });
});

describe('max connections', () => {
  test('past the limit a new connection is closed at once and counted; below it again, one is served', async (t) => {
    const gw = await gatewayWith(t, { maxConnections: 3 });
    const held = await Promise.all([openRaw(gw.port), openRaw(gw.port), openRaw(gw.port)]);
    await waitFor(() => gw.gateway.connections()[0]!.count === 3, { description: 'three connections accepted' });
    const refused = await openRaw(gw.port);
    await refused.whenClosed;
    assert.equal(refused.received(), '');
    assert.equal(gw.counters().refusedMaxConnections, 1);
    held[0]!.socket.destroy();
    await waitFor(() => gw.gateway.connections()[0]!.count === 2, { description: 'one connection gone' });
    const conn = await openRaw(gw.port);
    conn.socket.write('GET /anything HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n');
    await conn.whenClosed;
    assert.equal(firstStatus(conn.received()), 200);
    for (const c of held) c.socket.destroy();
  });
});

test('listener counters are summed across workers and exported as metrics', async () => {
  const a = new GatewayCounters();
  const b = new GatewayCounters();
  a.listener('edge').timeoutIdle = 2;
  b.listener('edge').timeoutIdle = 3;
  b.listener('edge').refusedMaxConnections = 1;
  const total = new GatewayCounters();
  absorbCounters(total, [dumpCounters(a), dumpCounters(b)]);
  absorbCounters(total, [dumpCounters(a), dumpCounters(b)]);
  assert.equal(total.listener('edge').timeoutIdle, 5);
  const registry = createMetricsRegistry(
    {
      counters: total,
      connections: () => [],
      config: () => ({ version: 'v', loadedAt: new Date().toISOString(), reloads: { success: 1, failure: 0 }, overrides: 0 }),
    },
    { processMetrics: false },
  );
  const text = await registry.metrics();
  assert.match(text, /shadowgate_downstream_timeouts_total\{listener="edge",reason="idle"\} 5/);
  assert.match(text, /shadowgate_downstream_timeouts_total\{listener="edge",reason="request_headers"\} 0/);
  assert.match(text, /shadowgate_downstream_connections_refused_total\{listener="edge",reason="max_connections"\} 1/);
});

describe('HTTPS listeners', () => {
  async function httpsGateway(t: Hook, limits: Partial<DownstreamLimits>) {
    const cert = await selfSignedCert(['secure.example.com']);
    const echo = await startEchoService({ name: 'backend' });
    t.after(() => echo.close());
    const yaml = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: edge }
spec:
  servers:
    - port: { number: 0, name: https, protocol: HTTPS }
      bind: 127.0.0.1
      hosts: ["*"]
      tls: { mode: SIMPLE, serverCertificate: ${cert.certFile}, privateKey: ${cert.keyFile} }
---
${serviceEntry('backend', 8000, [[echo.port]])}
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: backend }
spec:
  hosts: ["*"]
  gateways: [edge]
  http:
    - route:
        - destination: { host: backend, port: { number: 8000 } }
`;
    const running = await startGateway(t, yaml, { downstream: { ...OFF, ...limits } });
    return { ...running, cert, counters: () => running.gateway.counters.listener(running.gateway.addresses()[0]!.name) };
  }

  test('a TCP connection that never starts the TLS handshake is closed after the headers timeout and counted', async (t) => {
    const gw = await httpsGateway(t, { requestHeadersTimeoutMs: 300 });
    const conn = await openRaw(gw.port);
    await conn.whenClosed;
    await waitFor(() => gw.counters().timeoutRequestHeaders === 1, { description: 'the handshake timeout is counted' });
  });

  test('an idle TLS connection is closed after the idle timeout; a slow TLS upload is not cut', async (t) => {
    const gw = await httpsGateway(t, { idleTimeoutMs: 300, requestBodyTimeoutMs: 300 });
    const socket = tlsConnect({ port: gw.port, host: '127.0.0.1', ca: gw.cert.cert, servername: 'secure.example.com' });
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (received += chunk));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    await new Promise((resolve) => socket.once('secureConnect', resolve));
    const body = 'abcdefghij';
    socket.write(`POST /anything HTTP/1.1\r\nHost: secure.example.com\r\nContent-Length: ${body.length}\r\n\r\n`);
    for (const byte of body) {
      await sleep(100);
      socket.write(byte);
    }
    await waitFor(() => firstStatus(received) !== 0, { description: 'the response' });
    assert.equal(firstStatus(received), 200);
    await closed;
    assert.equal(gw.counters().timeoutRequestBody, 0);
    assert.equal(gw.counters().timeoutIdle, 1);
  });
});
