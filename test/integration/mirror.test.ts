/**
 * Mirroring end to end: real gateway, real echo services on loopback, assertions on what each backend
 * received and on what the primary client saw.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import type { Dispatcher } from 'undici';
import { createServer, type AddressInfo, type Server } from 'node:net';
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
import { createServer as createHttpServer } from 'node:http';
import { listenOnLoopback } from '../support/listen.ts';
import { loopbackGateway, mirrorConfig, serviceEntry, startGateway } from './harness.ts';

const SHADOW = 'outbound|80||httpbin-next.default.svc.cluster.local';

async function sendMany(
  url: string,
  agent: Dispatcher,
  count: number,
  concurrency: number,
  path = '/anything',
): Promise<number[]> {
  const statuses: number[] = [];
  let next = 0;
  async function worker(): Promise<void> {
    while (next < count) {
      const i = next++;
      const response = await requestVia(`${url}${path}?i=${i}`, { agent, host: 'httpbin' });
      statuses.push(response.status);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return statuses;
}

describe('mirroring', () => {
  test('100% (mirror without mirrorPercentage) copies every request to the shadow with a -shadow host', async (t) => {
    const primary = await startEchoService({ name: 'primary' });
    const shadow = await startEchoService({ name: 'shadow' });
    t.after(() => Promise.all([primary.close(), shadow.close()]));
    const { url } = await startGateway(t, mirrorConfig(primary.port, shadow.port, 'mirror: { host: httpbin-next, port: { number: 80 } }'));
    const agent = testAgent(t);

    for (let i = 0; i < 50; i++) {
      const response = await requestVia(`${url}/anything/item/${i}?q=${i}`, {
        agent,
        host: 'httpbin:8000',
        headers: { 'x-trace': `t${i}` },
      });
      assert.equal(response.status, 200);
      assert.equal(response.json<{ service: string }>().service, 'primary', 'the client gets the primary answer');
    }
    await waitFor(() => shadow.count === 50, { description: 'shadow received 50 copies' });
    assert.equal(primary.count, 50);
    for (let i = 0; i < 50; i++) {
      const copy = shadow.received.find((r) => r.url === `/anything/item/${i}?q=${i}`);
      assert.ok(copy, `copy ${i} arrived`);
      assert.equal(copy.headers.host, 'httpbin-shadow:8000', 'host part gets -shadow, port kept');
      assert.equal(copy.headers['x-trace'], `t${i}`);
      assert.equal(copy.method, 'GET');
      const original = primary.received.find((r) => r.url === copy.url)!;
      assert.equal(original.headers.host, 'httpbin:8000', 'the primary keeps the original host');
      assert.equal(copy.headers['x-request-id'], original.headers['x-request-id'], 'same request id on both');
    }
  });

  test('the copy\'s trace context says not sampled (trace_sampled: false); the primary\'s is untouched', async (t) => {
    const primary = await startEchoService({ name: 'primary' });
    const shadow = await startEchoService({ name: 'shadow' });
    t.after(() => Promise.all([primary.close(), shadow.close()]));
    const { url } = await startGateway(t, mirrorConfig(primary.port, shadow.port, 'mirror: { host: httpbin-next, port: { number: 80 } }'));
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const response = await requestVia(`${url}/anything/traced`, {
      agent: testAgent(t),
      host: 'httpbin',
      headers: { traceparent, 'x-b3-sampled': '1', 'x-b3-traceid': '463ac35c9f6413ad' },
    });
    assert.equal(response.status, 200);
    await waitFor(() => shadow.count === 1, { description: 'the copy arrived' });
    assert.equal(primary.received[0]!.headers.traceparent, traceparent);
    assert.equal(primary.received[0]!.headers['x-b3-sampled'], '1');
    assert.equal(shadow.received[0]!.headers.traceparent, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00');
    assert.equal(shadow.received[0]!.headers['x-b3-sampled'], '0');
    assert.equal(shadow.received[0]!.headers['x-b3-traceid'], '463ac35c9f6413ad', 'the copy stays in the same trace');
  });

  test('50% over 4000 requests lands within 4 standard deviations', async (t) => {
    const primary = await startEchoService({ name: 'primary' });
    const shadow = await startEchoService({ name: 'shadow' });
    t.after(() => Promise.all([primary.close(), shadow.close()]));
    const { url, gateway } = await startGateway(
      t,
      mirrorConfig(primary.port, shadow.port, 'mirror: { host: httpbin-next, port: { number: 80 } }\nmirrorPercentage: { value: 50 }'),
    );
    const n = 4000;
    const statuses = await sendMany(url, testAgent(t, { connections: 16 }), n, 16);
    assert.ok(statuses.every((s) => s === 200));
    await waitFor(() => gateway.shadowsInFlight === 0);
    const sigma = Math.sqrt(n * 0.5 * 0.5);
    assert.ok(Math.abs(shadow.count - n / 2) <= 4 * sigma, `shadow got ${shadow.count} of ${n} (expected 2000 ± ${4 * sigma})`);
    const counters = [...gateway.counters.mirrors()].find((c) => c.cluster === SHADOW)!;
    assert.equal(counters.sampled, shadow.count, 'every sampled copy was delivered');
    assert.equal(counters.completed['2xx'], shadow.count);
  });

  test('mirrorPercentage 0 mirrors nothing', async (t) => {
    const primary = await startEchoService({ name: 'primary' });
    const shadow = await startEchoService({ name: 'shadow' });
    t.after(() => Promise.all([primary.close(), shadow.close()]));
    const { url } = await startGateway(
      t,
      mirrorConfig(primary.port, shadow.port, 'mirror: { host: httpbin-next, port: { number: 80 } }\nmirrorPercentage: { value: 0 }'),
    );
    await sendMany(url, testAgent(t), 100, 4);
    assert.equal(primary.count, 100);
    assert.equal(shadow.count, 0);
  });

  test('mirrors[] send to several shadows; one draw per request makes the 5% set a subset of the 10% set', async (t) => {
    const primary = await startEchoService({ name: 'primary' });
    const ten = await startEchoService({ name: 'ten' });
    const five = await startEchoService({ name: 'five' });
    t.after(() => Promise.all([primary.close(), ten.close(), five.close()]));
    const yaml = `${loopbackGateway}
${serviceEntry('httpbin', 8000, [[primary.port]])}
${serviceEntry('ten.shadow.local', 80, [[ten.port]])}
${serviceEntry('five.shadow.local', 80, [[five.port]])}
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: httpbin }
spec:
  hosts: ["*"]
  gateways: [edge]
  http:
    - route: [{ destination: { host: httpbin, port: { number: 8000 } } }]
      mirrors:
        - destination: { host: ten.shadow.local }
          percentage: { value: 10 }
        - destination: { host: five.shadow.local }
          percentage: { value: 5 }
`;
    const { url, gateway } = await startGateway(t, yaml);
    await sendMany(url, testAgent(t, { connections: 8 }), 2000, 8);
    await waitFor(() => gateway.shadowsInFlight === 0);
    assert.ok(ten.count > 100 && ten.count < 320, `10% got ${ten.count}`);
    assert.ok(five.count > 40 && five.count < 180, `5% got ${five.count}`);
    const tenUrls = new Set(ten.received.map((r) => r.url));
    for (const r of five.received) assert.ok(tenUrls.has(r.url), `${r.url} went to the 5% mirror but not the 10% one`);
  });

  test('a 1 MiB POST body arrives byte-identical at primary and shadow', async (t) => {
    const primary = await startEchoService({ name: 'primary' });
    const shadow = await startEchoService({ name: 'shadow' });
    t.after(() => Promise.all([primary.close(), shadow.close()]));
    const { url } = await startGateway(t, mirrorConfig(primary.port, shadow.port, 'mirror: { host: httpbin-next, port: { number: 80 } }'));
    const body = randomBytes(1024 * 1024);
    const sha = createHash('sha256').update(body).digest('hex');
    const response = await requestVia(`${url}/anything/upload`, {
      method: 'POST',
      host: 'httpbin',
      body,
      headers: { 'content-type': 'application/octet-stream' },
    });
    assert.equal(response.status, 200);
    await waitFor(() => shadow.count === 1);
    for (const backend of [primary, shadow]) {
      const got = backend.received[0]!;
      assert.equal(got.method, 'POST');
      assert.equal(got.bodyBytes, body.length);
      assert.equal(got.bodySha256, sha);
    }
  });

  test('a chunked upload (no content-length) is mirrored whole', async (t) => {
    const primary = await startEchoService({ name: 'primary' });
    const shadow = await startEchoService({ name: 'shadow' });
    t.after(() => Promise.all([primary.close(), shadow.close()]));
    const { url } = await startGateway(t, mirrorConfig(primary.port, shadow.port, 'mirror: { host: httpbin-next, port: { number: 80 } }'));
    const parts = [randomBytes(70_000), randomBytes(5), randomBytes(200_000)];
    const { Readable } = await import('node:stream');
    const response = await requestVia(`${url}/anything/stream`, { method: 'PUT', host: 'httpbin', body: Readable.from(parts) });
    assert.equal(response.status, 200);
    await waitFor(() => shadow.count === 1);
    const sha = createHash('sha256').update(Buffer.concat(parts)).digest('hex');
    assert.equal(primary.received[0]!.bodySha256, sha);
    assert.equal(shadow.received[0]!.bodySha256, sha);
  });

  test('a body larger than the copy buffer reaches the primary whole; the copy is abandoned and counted', async (t) => {
    const primary = await startEchoService({ name: 'primary' });
    // A shadow that accepts and never reads: once the kernel's socket buffers are full, its copy can
    // only pile up in the gateway's buffer.
    const stuck = createServer((socket) => socket.pause()) as Server & { port: number };
    await new Promise<void>((resolve) => stuck.listen(0, '127.0.0.1', resolve));
    stuck.port = (stuck.address() as AddressInfo).port;
    t.after(() => Promise.all([primary.close(), new Promise((r) => stuck.close(r))]));
    const { url, gateway } = await startGateway(t, mirrorConfig(primary.port, stuck.port, 'mirror: { host: httpbin-next, port: { number: 80 } }'), {
      compile: { mirror: { maxBodyBytes: 64 * 1024 } },
    });
    const body = randomBytes(32 * 1024 * 1024);
    const response = await requestVia(`${url}/anything/big`, { method: 'POST', host: 'httpbin', body });
    assert.equal(response.status, 200);
    assert.equal(primary.received[0]!.bodyBytes, body.length);
    const counters = await waitFor(() => [...gateway.counters.mirrors()].find((c) => c.droppedBodyTooLarge === 1));
    assert.equal(counters.sampled, 1);
  });

  test('a shadow that answers after 3 s leaves sequential keep-alive primary requests fast', async (t) => {
    const primary = await startEchoService({ name: 'primary' });
    const slow = await slowServer(3000);
    t.after(() => Promise.all([primary.close(), slow.close()]));
    const { url } = await startGateway(t, mirrorConfig(primary.port, slow.port, 'mirror: { host: httpbin-next, port: { number: 80 } }'));
    const agent = testAgent(t, { connections: 1 });
    const started = performance.now();
    for (let i = 0; i < 20; i++) {
      const response = await requestVia(`${url}/anything/${i}`, { agent, host: 'httpbin' });
      assert.equal(response.status, 200);
    }
    const elapsed = performance.now() - started;
    // Were the primary waiting on the shadow, 20 requests would take 60 s; the margin here is huge.
    assert.ok(elapsed < 2500, `20 sequential requests took ${Math.round(elapsed)} ms`);
  });

  test('a dead shadow (closed port) and a resetting shadow leave every primary request successful', async (t) => {
    const primary = await startEchoService({ name: 'primary' });
    const resetting = await resettingServer();
    const dead = await deadPort();
    t.after(() => Promise.all([primary.close(), resetting.close()]));
    const yaml = `${loopbackGateway}
${serviceEntry('httpbin', 8000, [[primary.port]])}
${serviceEntry('dead.shadow.local', 80, [[dead]])}
${serviceEntry('reset.shadow.local', 80, [[resetting.port]])}
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: httpbin }
spec:
  hosts: ["*"]
  gateways: [edge]
  http:
    - route: [{ destination: { host: httpbin, port: { number: 8000 } } }]
      mirrors:
        - destination: { host: dead.shadow.local }
        - destination: { host: reset.shadow.local }
`;
    const { url, gateway } = await startGateway(t, yaml);
    const agent = testAgent(t, { connections: 4 });
    const statuses = await sendMany(url, agent, 200, 4);
    const post = await requestVia(`${url}/anything/post`, { agent, host: 'httpbin', method: 'POST', body: randomBytes(100_000) });
    statuses.push(post.status);
    assert.deepEqual(new Set(statuses), new Set([200]));
    assert.equal(primary.count, 201);
    await waitFor(() => gateway.shadowsInFlight === 0);
    const dead_ = [...gateway.counters.mirrors()].find((c) => c.cluster.includes('dead'))!;
    const reset_ = [...gateway.counters.mirrors()].find((c) => c.cluster.includes('reset'))!;
    assert.equal(dead_.failedConnect + dead_.droppedEjected, 201, 'every copy to the dead shadow is counted');
    assert.ok(dead_.failedConnect >= 5 && dead_.failedConnect < 20, `outlier detection stopped the connect attempts (${dead_.failedConnect})`);
    assert.equal(reset_.failedReset + reset_.failedConnect + reset_.droppedEjected, 201, 'every copy to the resetting shadow is counted');
    assert.ok(reset_.droppedEjected > 150, 'the resetting shadow was ejected too');
  });

  test('an ejected shadow is probed after the back-off and gets copies again once it is back', async (t) => {
    const primary = await startEchoService({ name: 'primary' });
    const port = await deadPort();
    t.after(() => primary.close());
    const { url, gateway } = await startGateway(t, mirrorConfig(primary.port, port, 'mirror: { host: httpbin-next, port: { number: 80 } }'), {
      mirrorOutlier: { threshold: 3, baseEjectionMs: 200, maxEjectionMs: 400 },
    });
    const agent = testAgent(t);
    for (let i = 0; i < 20; i++) assert.equal((await requestVia(`${url}/anything`, { agent, host: 'httpbin' })).status, 200);
    const counters = [...gateway.counters.mirrors()][0]!;
    await waitFor(() => counters.inFlight === 0);
    // Three failures eject it; on a slow machine a back-off may end (and a probe fail) within the loop.
    assert.ok(counters.failedConnect >= 3 && counters.failedConnect <= 6, `${counters.failedConnect} connect attempts`);
    assert.equal(counters.failedConnect + counters.droppedEjected, 20);
    // The shadow comes up on the same port; after the back-off a probe finds it.
    const revived = await startEchoService({ name: 'revived', port });
    t.after(() => revived.close());
    await waitFor(
      async () => {
        await requestVia(`${url}/anything/again`, { agent, host: 'httpbin' });
        return revived.count >= 3;
      },
      { timeoutMs: 5000, description: 'copies flow again after the probe' },
    );
  });

  test('the in-flight cap drops copies instead of queueing them', async (t) => {
    const primary = await startEchoService({ name: 'primary' });
    const slow = await slowServer(2000);
    t.after(() => Promise.all([primary.close(), slow.close()]));
    const { url, gateway } = await startGateway(t, mirrorConfig(primary.port, slow.port, 'mirror: { host: httpbin-next, port: { number: 80 } }'), {
      compile: { mirror: { maxInFlight: 5 } },
    });
    await sendMany(url, testAgent(t, { connections: 4 }), 40, 4);
    const counters = [...gateway.counters.mirrors()][0]!;
    assert.equal(counters.sampled, 40);
    assert.equal(counters.sent, 5);
    assert.equal(counters.droppedOverflow, 35);
  });

  test('a shadow past its timeout is cut off and counted, the primary untouched', async (t) => {
    const primary = await startEchoService({ name: 'primary' });
    const slow = await slowServer(5000);
    t.after(() => Promise.all([primary.close(), slow.close()]));
    const { url, gateway } = await startGateway(t, mirrorConfig(primary.port, slow.port, 'mirror: { host: httpbin-next, port: { number: 80 } }'), {
      compile: { mirror: { defaultTimeoutMs: 200 } },
    });
    const response = await requestVia(`${url}/anything`, { host: 'httpbin' });
    assert.equal(response.status, 200);
    const counters = await waitFor(() => [...gateway.counters.mirrors()].find((c) => c.failedTimeout === 1));
    assert.equal(counters.inFlight, 0);
  });

  test('the timeout covers the whole shadow exchange: a body still trickling at the deadline is cut off', async (t) => {
    const primary = await startEchoService({ name: 'primary' });
    // Answers at once, then sends a chunk every 50 ms for 3 s: never idle long, never done in time.
    const trickle = createHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const timer = setInterval(() => res.write('.'), 50);
      const stop = setTimeout(() => res.end(), 3000);
      res.on('close', () => {
        clearInterval(timer);
        clearTimeout(stop);
      });
    });
    const shadow = await listenOnLoopback(trickle);
    t.after(() => Promise.all([primary.close(), shadow.close()]));
    const { url, gateway } = await startGateway(t, mirrorConfig(primary.port, shadow.port, 'mirror: { host: httpbin-next, port: { number: 80 } }'), {
      compile: { mirror: { defaultTimeoutMs: 300 } },
    });
    const started = performance.now();
    assert.equal((await requestVia(`${url}/anything`, { host: 'httpbin' })).status, 200);
    const counters = await waitFor(() => [...gateway.counters.mirrors()].find((c) => c.failedTimeout === 1));
    assert.ok(performance.now() - started < 2500, 'cut off at its deadline, not when the shadow finished');
    assert.equal(counters.inFlight, 0);
    assert.equal(counters.completed['2xx'], 0);
  });

  test('the shadow-host-suffix annotation "false" keeps the original host', async (t) => {
    const primary = await startEchoService({ name: 'primary' });
    const shadow = await startEchoService({ name: 'shadow' });
    t.after(() => Promise.all([primary.close(), shadow.close()]));
    const { url } = await startGateway(
      t,
      mirrorConfig(primary.port, shadow.port, 'mirror: { host: httpbin-next, port: { number: 80 } }', '  annotations: { "shadowgate.io/shadow-host-suffix": "false" }'),
    );
    await requestVia(`${url}/headers`, { host: 'httpbin' });
    await waitFor(() => shadow.count === 1);
    assert.equal(shadow.received[0]!.headers.host, 'httpbin');
  });

  test('copies follow rewrite: same rewritten path, rewritten authority plus -shadow', async (t) => {
    const primary = await startEchoService({ name: 'primary' });
    const shadow = await startEchoService({ name: 'shadow' });
    t.after(() => Promise.all([primary.close(), shadow.close()]));
    const yaml = mirrorConfig(primary.port, shadow.port, 'mirror: { host: httpbin-next, port: { number: 80 } }\nrewrite: { uri: /anything/v2/, authority: internal.api }')
      .replace('    - name: main\n', '    - name: main\n      match: [{ uri: { prefix: /api/ } }]\n');
    const { url } = await startGateway(t, yaml);
    const response = await requestVia(`${url}/api/users?id=7`, { host: 'public.example' });
    assert.equal(response.status, 200);
    await waitFor(() => shadow.count === 1);
    assert.equal(primary.received[0]!.url, '/anything/v2/users?id=7');
    assert.equal(primary.received[0]!.headers.host, 'internal.api');
    assert.equal(shadow.received[0]!.url, '/anything/v2/users?id=7');
    assert.equal(shadow.received[0]!.headers.host, 'internal.api-shadow');
  });

  test('an HTTPS mirror destination (self-signed, CA from a DestinationRule) receives its copies', async (t) => {
    const cert = await selfSignedCert(['secure-shadow.test']);
    const primary = await startEchoService({ name: 'primary' });
    const shadow = await startEchoService({ name: 'tls-shadow', tls: { cert: cert.cert, key: cert.key } });
    t.after(() => Promise.all([primary.close(), shadow.close()]));
    const yaml = `${loopbackGateway}
${serviceEntry('httpbin', 8000, [[primary.port]])}
${serviceEntry('secure-shadow.test', 443, [[shadow.port]], { protocol: 'HTTPS' })}
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: secure-shadow }
spec:
  host: secure-shadow.test
  trafficPolicy:
    tls: { mode: SIMPLE, caCertificates: ${cert.certFile} }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: httpbin }
spec:
  hosts: ["*"]
  gateways: [edge]
  http:
    - route: [{ destination: { host: httpbin, port: { number: 8000 } } }]
      mirror: { host: secure-shadow.test }
`;
    const { url, gateway } = await startGateway(t, yaml);
    for (let i = 0; i < 5; i++) assert.equal((await requestVia(`${url}/anything/${i}`, { host: 'httpbin' })).status, 200);
    await waitFor(() => shadow.count === 5, { description: 'the TLS shadow got 5 copies' });
    assert.equal(shadow.received[0]!.headers.host, 'httpbin-shadow');
    const counters = [...gateway.counters.mirrors()][0]!;
    assert.equal(counters.failedConnect, 0);
  });
});
