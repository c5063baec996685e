/**
 * Route actions end to end: fault injection (with Envoy's order against mirroring), redirects, direct
 * responses and CORS, through a real gateway to real loopback backends.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { describe, test } from 'node:test';
import type { Dispatcher } from 'undici';
import { accessEvents, type AccessEvent } from '../../src/dataplane/events.ts';
import { requestVia, startEchoService, testAgent, waitFor } from '../support/index.ts';
import { listenOnLoopback } from '../support/listen.ts';
import { loopbackGateway, serviceEntry, startGateway } from './harness.ts';

interface AfterHook {
  after(fn: () => unknown): void;
}

/** Access events published while the test runs. */
function recordAccessEvents(t: AfterHook): AccessEvent[] {
  const events: AccessEvent[] = [];
  const onEvent = (message: unknown) => events.push(message as AccessEvent);
  accessEvents.subscribe(onEvent);
  t.after(() => accessEvents.unsubscribe(onEvent));
  return events;
}

/** Gateway + `httpbin` (primary) + `httpbin-next` (shadow) + a VirtualService with `http` as given. */
function routesConfig(primaryPort: number, shadowPort: number, http: string, extra = ''): string {
  return `${loopbackGateway}
${serviceEntry('httpbin', 8000, [[primaryPort]])}
${serviceEntry('httpbin-next', 80, [[shadowPort]])}
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: httpbin
spec:
  hosts: ["*"]
  gateways: [edge]
  http:
${http}
${extra}`;
}

const PRIMARY = '        - destination: { host: httpbin, port: { number: 8000 } }';
const MIRROR = '      mirror: { host: httpbin-next, port: { number: 80 } }';

async function sendMany(url: string, agent: Dispatcher, count: number, concurrency: number): Promise<{ status: number; body: string }[]> {
  const out: { status: number; body: string }[] = [];
  let next = 0;
  async function worker(): Promise<void> {
    while (next < count) {
      const i = next++;
      const response = await requestVia(`${url}/anything/${i}`, { agent, host: 'httpbin' });
      out.push({ status: response.status, body: response.text() });
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out;
}

/** Binomial bounds: within 4 standard deviations of n·p. */
function within4Sigma(observed: number, n: number, p: number): boolean {
  const sigma = Math.sqrt(n * p * (1 - p));
  return Math.abs(observed - n * p) <= 4 * sigma;
}

describe('fault injection', () => {
  test('abort at 25%: about a quarter answered by the gateway; aborted requests reach neither the primary nor the shadow', async (t) => {
    const primary = await startEchoService({ name: 'primary' });
    const shadow = await startEchoService({ name: 'shadow' });
    t.after(() => Promise.all([primary.close(), shadow.close()]));
    const http = `    - name: faulty
      fault:
        abort:
          httpStatus: 418
          percentage: { value: 25 }
      route:
${PRIMARY}
${MIRROR}`;
    const { url } = await startGateway(t, routesConfig(primary.port, shadow.port, http));
    const events = recordAccessEvents(t);
    const agent = testAgent(t);
    const results = await sendMany(url, agent, 400, 8);
    const aborted = results.filter((r) => r.status === 418);
    const passed = results.filter((r) => r.status === 200);
    assert.equal(aborted.length + passed.length, 400);
    assert.ok(within4Sigma(aborted.length, 400, 0.25), `aborted ${aborted.length} of 400 at 25%`);
    assert.ok(aborted.every((r) => r.body === 'fault filter abort'));
    assert.equal(primary.count, passed.length, 'only requests that were not aborted reached the primary');
    await waitFor(() => shadow.count === passed.length, { description: 'every forwarded request was mirrored' });
    const abortedEvents = events.filter((e) => e.routeId === 'default/httpbin/faulty' && e.status === 418);
    assert.equal(abortedEvents.length, aborted.length);
    assert.ok(abortedEvents.every((e) => e.flags === 'FI' && e.cluster === '' && e.attempts === 0));
    // Give a stray copy the chance to show up: none may exist beyond the forwarded ones.
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(shadow.count, passed.length);
  });

  test('delay at 25%: about a quarter flagged DI; every request, delayed or not, is forwarded and mirrored', async (t) => {
    const primary = await startEchoService({ name: 'primary' });
    const shadow = await startEchoService({ name: 'shadow' });
    t.after(() => Promise.all([primary.close(), shadow.close()]));
    const http = `    - name: slow
      fault:
        delay:
          fixedDelay: 20ms
          percentage: { value: 25 }
      route:
${PRIMARY}
${MIRROR}`;
    const { url } = await startGateway(t, routesConfig(primary.port, shadow.port, http));
    const events = recordAccessEvents(t);
    const agent = testAgent(t);
    const results = await sendMany(url, agent, 400, 16);
    assert.ok(results.every((r) => r.status === 200));
    assert.equal(primary.count, 400);
    await waitFor(() => shadow.count === 400, { description: 'all 400 mirrored' });
    const primaries = events.filter((e) => e.kind === 'primary' && e.routeId === 'default/httpbin/slow');
    assert.equal(primaries.length, 400);
    const delayed = primaries.filter((e) => e.flags === 'DI');
    assert.equal(primaries.filter((e) => e.flags !== 'DI' && e.flags !== '').length, 0);
    assert.ok(within4Sigma(delayed.length, 400, 0.25), `delayed ${delayed.length} of 400 at 25%`);
    assert.ok(delayed.every((e) => e.durationMs >= 15), 'a delayed request took at least its delay');
  });

  test('a delayed request is mirrored when it proceeds, after the delay', async (t) => {
    const primary = await startEchoService({ name: 'primary' });
    const shadow = await startEchoService({ name: 'shadow' });
    t.after(() => Promise.all([primary.close(), shadow.close()]));
    const http = `    - fault:
        delay:
          fixedDelay: 300ms
          percentage: { value: 100 }
      route:
${PRIMARY}
${MIRROR}`;
    const { url } = await startGateway(t, routesConfig(primary.port, shadow.port, http));
    const sent = Date.now();
    const response = await requestVia(`${url}/anything/delayed`, { host: 'httpbin' });
    assert.equal(response.status, 200);
    await waitFor(() => shadow.count === 1, { description: 'the copy arrived' });
    assert.ok(shadow.received[0]!.at - sent >= 250, 'the copy left after the delay');
    assert.ok(primary.received[0]!.at - sent >= 250, 'the primary request left after the delay');
  });

  test('delay then abort: both flags, nothing forwarded; deprecated integer percent honoured', async (t) => {
    const primary = await startEchoService({ name: 'primary' });
    const shadow = await startEchoService({ name: 'shadow' });
    t.after(() => Promise.all([primary.close(), shadow.close()]));
    const http = `    - fault:
        delay: { fixedDelay: 10ms, percent: 100 }
        abort: { httpStatus: 503, percentage: { value: 100 } }
      route:
${PRIMARY}
${MIRROR}`;
    const { url } = await startGateway(t, routesConfig(primary.port, shadow.port, http));
    const events = recordAccessEvents(t);
    const response = await requestVia(`${url}/anything`, { host: 'httpbin' });
    assert.equal(response.status, 503);
    assert.equal(response.text(), 'fault filter abort');
    assert.equal(response.headers['content-type'], 'text/plain');
    await waitFor(() => events.some((e) => e.kind === 'primary'), { description: 'access event' });
    assert.equal(events.find((e) => e.kind === 'primary')!.flags, 'DI,FI');
    assert.equal(primary.count, 0);
    assert.equal(shadow.count, 0);
  });

  test('an abort without a percentage never fires, as Istio translates it', async (t) => {
    const primary = await startEchoService({ name: 'primary' });
    t.after(() => primary.close());
    const http = `    - fault:
        abort: { httpStatus: 500 }
      route:
${PRIMARY}`;
    const { url } = await startGateway(t, routesConfig(primary.port, primary.port, http));
    const agent = testAgent(t);
    const results = await sendMany(url, agent, 20, 2);
    assert.ok(results.every((r) => r.status === 200));
  });
});

describe('redirect', () => {
  const http = `    - match: [{ uri: { prefix: /uri } }]
      redirect: { uri: /new/place }
    - match: [{ uri: { prefix: /authority } }]
      redirect: { authority: other.example.com }
    - match: [{ uri: { prefix: /port } }]
      redirect: { port: 8443 }
    - match: [{ uri: { prefix: /from-request } }]
      redirect: { scheme: https, derivePort: FROM_REQUEST_PORT }
    - match: [{ uri: { prefix: /scheme } }]
      redirect: { scheme: https }
    - match: [{ uri: { prefix: /protocol-default } }]
      redirect: { scheme: https, derivePort: FROM_PROTOCOL_DEFAULT }
    - match: [{ uri: { prefix: /found } }]
      redirect: { uri: /elsewhere, redirectCode: 302 }
    - match: [{ uri: { prefix: /permanent } }]
      redirect: { uri: /elsewhere, redirectCode: 308 }
    - match: [{ uri: { prefix: /prefix/old } }]
      redirect: { uri: "%PREFIX()%/prefix/new" }
    - match: [{ uri: { prefix: /strip/ } }]
      redirect: { authority: strip.example.com, prefixRewrite: / }
    - match: [{ uri: { prefix: /with-query } }]
      redirect: { uri: "/q?fixed=1" }
    - match: [{ uri: { prefix: /headers } }]
      redirect: { uri: /h }
      headers:
        response:
          set: { x-redirected-by: shadowgate }
    - route:
${PRIMARY}`;

  test('each field builds the Location as Envoy does; nothing is forwarded', async (t) => {
    const primary = await startEchoService({ name: 'primary' });
    t.after(() => primary.close());
    const { url, port } = await startGateway(t, routesConfig(primary.port, primary.port, http));
    const agent = testAgent(t);
    const location = async (path: string, host: string, expectedStatus = 301) => {
      const response = await requestVia(`${url}${path}`, { agent, host });
      assert.equal(response.status, expectedStatus, path);
      assert.equal(response.body.length, 0);
      return response.headers.location;
    };
    assert.equal(await location('/uri/x?a=1', 'httpbin:8000'), 'http://httpbin:8000/new/place?a=1', 'uri replaces the path, the query stays');
    assert.equal(await location('/authority/x', 'httpbin:8000'), 'http://other.example.com/authority/x', 'authority replaces the host and its port');
    assert.equal(await location('/port/x', 'httpbin:8000'), 'http://httpbin:8443/port/x', 'port replaces the port');
    assert.equal(await location('/port/x', 'httpbin'), 'http://httpbin:8443/port/x');
    assert.equal(await location('/from-request/x', 'httpbin'), `https://httpbin:${port}/from-request/x`, 'FROM_REQUEST_PORT: the listener port');
    assert.equal(await location('/scheme/x', 'httpbin:8000'), 'https://httpbin:8000/scheme/x', 'a non-default port is kept');
    assert.equal(await location('/scheme/x', 'httpbin:80'), 'https://httpbin/scheme/x', "the old scheme's default port is dropped");
    assert.equal(await location('/protocol-default/x', 'httpbin:80'), 'https://httpbin/protocol-default/x');
    assert.equal(await location('/found', 'httpbin', 302), 'http://httpbin/elsewhere');
    assert.equal(await location('/permanent', 'httpbin', 308), 'http://httpbin/elsewhere');
    assert.equal(await location('/prefix/old/a/b?x=1', 'httpbin'), 'http://httpbin/prefix/new/a/b?x=1', '%PREFIX()% replaces the matched prefix');
    assert.equal(await location('/strip/a/b', 'httpbin'), 'http://strip.example.com/a/b', 'prefixRewrite replaces the matched prefix');
    assert.equal(await location('/with-query?a=1', 'httpbin'), 'http://httpbin/q?fixed=1', "the redirect's own query wins");
    const withHeaders = await requestVia(`${url}/headers`, { agent, host: 'httpbin' });
    assert.equal(withHeaders.headers['x-redirected-by'], 'shadowgate', 'route response headers apply to the redirect');
    assert.equal(primary.count, 0, 'no redirect reached the backend');
    const forwarded = await requestVia(`${url}/anything`, { agent, host: 'httpbin' });
    assert.equal(forwarded.status, 200);
    assert.equal(primary.count, 1);
  });

  test('a redirect with a mirror sends no copy (and says so when compiling)', async (t) => {
    const primary = await startEchoService({ name: 'primary' });
    const shadow = await startEchoService({ name: 'shadow' });
    t.after(() => Promise.all([primary.close(), shadow.close()]));
    const yaml = routesConfig(primary.port, shadow.port, `    - redirect: { uri: /moved }
${MIRROR}`);
    const { url } = await startGateway(t, yaml);
    const response = await requestVia(`${url}/old`, { host: 'httpbin' });
    assert.equal(response.status, 301);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(shadow.count, 0);
    assert.equal(primary.count, 0);
  });
});

describe('direct response', () => {
  test('string and bytes bodies, status, content type; nothing forwarded', async (t) => {
    const primary = await startEchoService({ name: 'primary' });
    t.after(() => primary.close());
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    const http = `    - match: [{ uri: { exact: /text } }]
      directResponse:
        status: 503
        body: { string: "down for maintenance" }
    - match: [{ uri: { exact: /bytes } }]
      directResponse:
        status: 200
        body: { bytes: ${bytes.toString('base64')} }
      headers:
        response:
          set: { content-type: application/octet-stream }
    - match: [{ uri: { exact: /empty } }]
      directResponse: { status: 204 }
    - route:
${PRIMARY}`;
    const { url } = await startGateway(t, routesConfig(primary.port, primary.port, http));
    const agent = testAgent(t);
    const text = await requestVia(`${url}/text`, { agent, host: 'httpbin' });
    assert.equal(text.status, 503);
    assert.equal(text.text(), 'down for maintenance');
    assert.equal(text.headers['content-type'], 'text/plain');
    const binary = await requestVia(`${url}/bytes`, { agent, host: 'httpbin' });
    assert.equal(binary.status, 200);
    assert.deepEqual(binary.body, bytes);
    assert.equal(binary.headers['content-type'], 'application/octet-stream', 'route response headers apply');
    const empty = await requestVia(`${url}/empty`, { agent, host: 'httpbin' });
    assert.equal(empty.status, 204);
    assert.equal(empty.body.length, 0);
    const posted = await requestVia(`${url}/text`, { agent, host: 'httpbin', body: 'x'.repeat(100_000) });
    assert.equal(posted.status, 503, 'a request body is drained, the connection stays usable');
    assert.equal((await requestVia(`${url}/text`, { agent, host: 'httpbin' })).status, 503);
    assert.equal(primary.count, 0);
  });
});

describe('CORS', () => {
  const http = `    - corsPolicy:
        allowOrigins:
          - exact: https://app.example.com
          - prefix: https://preview-
          - regex: "https://[a-z]+\\\\.trusted\\\\.org"
        allowMethods: [GET, POST]
        allowHeaders: [x-custom, content-type]
        exposeHeaders: [x-echo-service]
        maxAge: 24h
        allowCredentials: true
      route:
${PRIMARY}`;

  test('a preflight from an allowed origin is answered by the gateway, as Envoy answers it', async (t) => {
    const primary = await startEchoService({ name: 'primary' });
    t.after(() => primary.close());
    const { url } = await startGateway(t, routesConfig(primary.port, primary.port, http));
    const agent = testAgent(t);
    for (const origin of ['https://app.example.com', 'https://preview-42.example.com', 'https://api.trusted.org']) {
      const response = await requestVia(`${url}/anything`, {
        agent,
        method: 'OPTIONS',
        host: 'httpbin',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-custom' },
      });
      assert.equal(response.status, 200, origin);
      assert.equal(response.headers['access-control-allow-origin'], origin);
      assert.equal(response.headers['access-control-allow-methods'], 'GET,POST');
      assert.equal(response.headers['access-control-allow-headers'], 'x-custom,content-type');
      assert.equal(response.headers['access-control-max-age'], '86400');
      assert.equal(response.headers['access-control-allow-credentials'], 'true');
      assert.equal(response.headers['access-control-expose-headers'], undefined, 'expose headers are for actual requests');
    }
    assert.equal(primary.count, 0, 'no preflight reached the backend');
  });

  test('a preflight from another origin goes upstream and gets no CORS headers', async (t) => {
    const primary = await startEchoService({ name: 'primary' });
    t.after(() => primary.close());
    const { url } = await startGateway(t, routesConfig(primary.port, primary.port, http));
    for (const origin of ['https://evil.example.com', 'https://x.trusted.org.evil.com']) {
      const response = await requestVia(`${url}/anything`, {
        method: 'OPTIONS',
        host: 'httpbin',
        headers: { origin, 'access-control-request-method': 'POST' },
      });
      assert.equal(response.status, 200);
      assert.equal(response.headers['access-control-allow-origin'], undefined, origin);
      assert.equal(response.headers['x-echo-service'], 'primary', 'forwarded (unmatchedPreflights FORWARD, the default)');
    }
    assert.equal(primary.count, 2);
  });

  test('actual requests: an allowed origin gets the CORS headers over the upstream ones; another origin none', async (t) => {
    const backend = createServer((req, res) => {
      res.writeHead(200, { 'access-control-allow-origin': '*', 'x-echo-service': 'plain' });
      res.end('ok');
    });
    const server = await listenOnLoopback(backend);
    t.after(() => server.close());
    const { url } = await startGateway(t, routesConfig(server.port, server.port, http));
    const agent = testAgent(t);
    const allowed = await requestVia(`${url}/x`, { agent, host: 'httpbin', headers: { origin: 'https://app.example.com' } });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.headers['access-control-allow-origin'], 'https://app.example.com', "the gateway's value wins");
    assert.equal(allowed.headers['access-control-allow-credentials'], 'true');
    assert.equal(allowed.headers['access-control-expose-headers'], 'x-echo-service');
    const other = await requestVia(`${url}/x`, { agent, host: 'httpbin', headers: { origin: 'https://evil.example.com' } });
    assert.equal(other.headers['access-control-allow-origin'], '*', 'only what the upstream sent');
    assert.equal(other.headers['access-control-allow-credentials'], undefined);
    assert.equal(other.headers['access-control-expose-headers'], undefined);
    const none = await requestVia(`${url}/x`, { agent, host: 'httpbin' });
    assert.equal(none.headers['access-control-expose-headers'], undefined, 'no Origin, no CORS');
  });

  test('unmatchedPreflights IGNORE: a foreign preflight is answered without CORS headers, not forwarded', async (t) => {
    const primary = await startEchoService({ name: 'primary' });
    t.after(() => primary.close());
    const yaml = routesConfig(
      primary.port,
      primary.port,
      `    - corsPolicy:
        allowOrigins: [{ exact: https://app.example.com }]
        unmatchedPreflights: IGNORE
      route:
${PRIMARY}`,
    );
    const { url } = await startGateway(t, yaml);
    const response = await requestVia(`${url}/x`, {
      method: 'OPTIONS',
      host: 'httpbin',
      headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'GET' },
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers['access-control-allow-origin'], undefined);
    assert.equal(primary.count, 0);
  });
});
