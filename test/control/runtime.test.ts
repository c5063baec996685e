/**
 * Operating a running gateway: the admin API, metrics, access logs, hot reload with nothing lost, the
 * runtime mirror policy, and graceful shutdown. Everything on loopback with real sockets.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { AdminServer, AdminTokenRequiredError } from '../../src/admin/server.ts';
import { GatewayRuntime, type RuntimeOptions } from '../../src/control/runtime.ts';
import {
  deadPort,
  makeTempDir,
  requestVia,
  slowServer,
  startEchoService,
  testAgent,
  waitFor,
  type EchoService,
} from '../support/index.ts';
import { loopbackGateway, serviceEntry } from '../integration/harness.ts';

interface AfterHook {
  after(fn: () => unknown): void;
}

/** Primary `httpbin` (8000), shadow `httpbin-next` (80) and a TCP-only and a two-port service. */
function config(primary: number, shadow: number, routeExtra: string, destination = 'httpbin'): string {
  return `${loopbackGateway}
${serviceEntry('httpbin', 8000, [[primary]])}
${serviceEntry('httpbin-next', 80, [[shadow]])}
${serviceEntry('tcp-echo', 9000, [[shadow]], { protocol: 'TCP' })}
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: two-ports }
spec:
  hosts: [two-ports]
  resolution: STATIC
  ports:
    - { number: 80, name: http, protocol: HTTP }
    - { number: 8080, name: http-alt, protocol: HTTP }
  endpoints: [{ address: 127.0.0.1, ports: { http: ${shadow}, http-alt: ${shadow} } }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: httpbin }
spec:
  hosts: ["*"]
  gateways: [edge]
  http:
    - name: main
      route: [{ destination: { host: ${destination}, port: { number: 8000 } } }]
${routeExtra
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => `      ${l}`)
  .join('\n')}
`;
}

const MIRROR_50 = 'mirror: { host: httpbin-next, port: { number: 80 } }\nmirrorPercentage: { value: 50 }';

async function startRuntime(t: AfterHook, yaml: string, options: Partial<RuntimeOptions> = {}) {
  const dir = options.paths?.[0] ?? makeTempDir('shadowgate-runtime-');
  const file = join(dir, 'config.yaml');
  if (options.paths === undefined) writeFileSync(file, yaml);
  const started = await GatewayRuntime.start({
    paths: [dir],
    admin: { host: '127.0.0.1', port: 0, token: null },
    accessLog: 'off',
    drainTimeoutMs: 5000,
    watch: false,
    ...options,
  });
  assert.ok(started.ok, JSON.stringify(started.diagnostics));
  const { runtime } = started;
  t.after(() => runtime.shutdown());
  const port = runtime.gateway!.addresses()[0]!.port;
  return {
    runtime,
    dir,
    file,
    url: `http://127.0.0.1:${port}`,
    admin: `http://127.0.0.1:${runtime.adminAddress!.port}`,
  };
}

async function echoes(t: AfterHook): Promise<[EchoService, EchoService]> {
  const primary = await startEchoService({ name: 'primary' });
  const shadow = await startEchoService({ name: 'shadow' });
  t.after(() => Promise.all([primary.close(), shadow.close()]));
  return [primary, shadow];
}

describe('admin server', () => {
  test('healthz, ready, config_dump in Envoy shape, prometheus metrics and /stats rates', async (t) => {
    const [primary, shadow] = await echoes(t);
    const { url, admin, runtime } = await startRuntime(t, config(primary.port, shadow.port, MIRROR_50));
    const agent = testAgent(t);
    for (let i = 0; i < 200; i++) await requestVia(`${url}/anything/${i}`, { agent, host: 'httpbin' });
    await waitFor(() => runtime.gateway!.shadowsInFlight === 0);

    assert.equal((await requestVia(`${admin}/healthz`)).status, 200);
    assert.equal((await requestVia(`${admin}/ready`)).status, 200);

    const dump = (await requestVia(`${admin}/config_dump`)).json<{ configs: Record<string, unknown>[] }>();
    const text = JSON.stringify(dump);
    assert.ok(text.includes('"outbound|8000||httpbin.default.svc.cluster.local"'));
    const routes = dump.configs.find((c) => String(c['@type']).endsWith('RoutesConfigDump')) as {
      dynamic_route_configs: { route_config: { virtual_hosts: { routes: { route: Record<string, unknown> }[] }[] } }[];
    };
    const route = routes.dynamic_route_configs[0]!.route_config.virtual_hosts[0]!.routes[0]!.route;
    assert.deepEqual(route.request_mirror_policies, [
      {
        cluster: 'outbound|80||httpbin-next.default.svc.cluster.local',
        runtime_fraction: { default_value: { numerator: 500000, denominator: 'MILLION' } },
        trace_sampled: false,
      },
    ]);

    const prom = (await requestVia(`${admin}/stats/prometheus`)).text();
    assert.match(prom, /shadowgate_downstream_requests_total\{listener="127\.0\.0\.1_0",route="default\/httpbin\/main",status_class="2xx"\} 200/);
    assert.match(prom, /shadowgate_mirror_sent_total\{route="default\/httpbin\/main",mirror_cluster="outbound\|80\|\|httpbin-next\.default\.svc\.cluster\.local"\} \d+/);
    assert.match(prom, /shadowgate_upstream_request_duration_seconds_bucket\{cluster="outbound\|8000\|\|httpbin\.default\.svc\.cluster\.local",le="\+Inf"\} 200/);
    assert.match(prom, /shadowgate_config_info\{version="[0-9a-f]+"\} 1/);
    assert.match(prom, /shadowgate_config_reloads_total\{result="success"\} 1/);

    const stats = (await requestVia(`${admin}/stats`)).json<{
      rates: { primary: { cluster: string; total: number }[]; mirror: { cluster: string; total: number }[] };
      mirror: { sent: number }[];
    }>();
    assert.equal(stats.mirror[0]!.sent, shadow.count);
    assert.ok(stats.rates.primary.some((r) => r.cluster.includes('httpbin.default')), JSON.stringify(stats.rates));
  });

  test('a non-loopback admin address needs a token; with a token every request must carry it', async (t) => {
    const context = {} as ConstructorParameters<typeof AdminServer>[0];
    assert.throws(() => new AdminServer(context, { host: '0.0.0.0', port: 0, token: null }), AdminTokenRequiredError);
    const [primary, shadow] = await echoes(t);
    const { admin } = await startRuntime(t, config(primary.port, shadow.port, ''), {
      admin: { host: '127.0.0.1', port: 0, token: 's3cret' },
    });
    assert.equal((await requestVia(`${admin}/config_dump`)).status, 401);
    assert.equal((await requestVia(`${admin}/config_dump`, { headers: { authorization: 'Bearer nope' } })).status, 401);
    assert.equal((await requestVia(`${admin}/config_dump`, { headers: { authorization: 'Bearer s3cret' } })).status, 200);
  });
});

describe('access log', () => {
  test('one JSON line per request and per shadow, with the -shadow authority and Envoy flags; reopened after rotation', async (t) => {
    const [primary, shadow] = await echoes(t);
    const dead = await deadPort();
    const logDir = makeTempDir('shadowgate-log-');
    const logFile = join(logDir, 'access.log');
    const yaml = config(primary.port, shadow.port, 'mirror: { host: httpbin-next, port: { number: 80 } }') +
      `---
${serviceEntry('dead.svc.local', 80, [[dead]])}
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: dead }
spec:
  hosts: ["dead.example"]
  gateways: [edge]
  http: [{ route: [{ destination: { host: dead.svc.local } }] }]
`;
    const { url, runtime } = await startRuntime(t, yaml, { accessLog: logFile });
    await requestVia(`${url}/anything/log-me`, { host: 'httpbin:8000', headers: { 'x-request-id': 'log-1' } });
    await requestVia(`${url}/anything`, { host: 'dead.example' });
    await waitFor(() => runtime.gateway!.shadowsInFlight === 0);
    const lines = () =>
      existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) : [];
    await waitFor(() => lines().length >= 3, { description: 'three access log lines' });
    const [first, second, third] = [lines().find((l) => l.request_id === 'log-1' && !l.mirror)!, lines().find((l) => l.mirror)!, lines().find((l) => l.authority === 'dead.example')!];
    assert.equal(first.authority, 'httpbin:8000');
    assert.equal(first.response_code, 200);
    assert.equal(first.route_name, 'default/httpbin/main');
    assert.equal(first.upstream_cluster, 'outbound|8000||httpbin.default.svc.cluster.local');
    assert.match(String(first.upstream_host), /^127\.0\.0\.1:\d+$/);
    assert.equal(first.response_flags, '-');
    assert.equal(second.request_id, 'log-1');
    assert.equal(second.authority, 'httpbin-shadow:8000', 'the shadow line shows the authority actually sent');
    assert.equal(second.upstream_cluster, 'outbound|80||httpbin-next.default.svc.cluster.local');
    assert.equal(third.response_code, 503);
    assert.equal(third.response_flags, 'UF,URX');

    renameSync(logFile, `${logFile}.1`);
    runtime.reopenLogs();
    await requestVia(`${url}/anything/after-rotate`, { host: 'httpbin' });
    await waitFor(() => lines().some((l) => l.path === '/anything/after-rotate'), { description: 'a line in the reopened file' });
  });
});

describe('hot reload', () => {
  test('a steady request loop sees a percentage change, a destination swap and an invalid file, and no request fails', async (t) => {
    const [primary, shadow] = await echoes(t);
    const next = await startEchoService({ name: 'next' });
    t.after(() => next.close());
    const { url, admin, file, runtime } = await startRuntime(t, config(primary.port, shadow.port, ''));
    const agent = testAgent(t, { connections: 4 });
    const failures: string[] = [];
    let sent = 0;
    let stop = false;
    const loop = (async () => {
      while (!stop) {
        try {
          const response = await requestVia(`${url}/anything/${sent++}`, { agent, host: 'httpbin' });
          if (response.status !== 200) failures.push(`status ${response.status}`);
        } catch (error) {
          failures.push(String(error));
        }
      }
    })();
    const reload = async () => (await requestVia(`${admin}/reload`, { method: 'POST' })).json<{ ok: boolean; version?: string }>();

    await waitFor(() => primary.count > 50);
    assert.equal(shadow.count, 0);
    writeFileSync(file, config(primary.port, shadow.port, 'mirror: { host: httpbin-next, port: { number: 80 } }'));
    assert.equal((await reload()).ok, true);
    const mirroredFrom = shadow.count;
    await waitFor(() => shadow.count > mirroredFrom + 50, { description: 'mirroring at 100% after the reload' });

    writeFileSync(file, config(next.port, shadow.port, 'mirror: { host: httpbin-next, port: { number: 80 } }'));
    assert.equal((await reload()).ok, true);
    await waitFor(() => next.count > 50, { description: 'traffic moved to the new destination' });

    const versionBefore = runtime.controller.snapshot!.version;
    writeFileSync(file, config(next.port, shadow.port, 'mirror: { host: tcp-echo, port: { number: 9000 } }'));
    const rejected = await requestVia(`${admin}/reload`, { method: 'POST' });
    assert.equal(rejected.status, 400);
    assert.match(rejected.text(), /only HTTP and HTTPS services can be mirror destinations/);
    const countAfterReject = next.count;
    await waitFor(() => next.count > countAfterReject + 50, { description: 'still serving after the rejected reload' });
    assert.equal(runtime.controller.snapshot!.version, versionBefore, 'the last good config keeps serving');
    const dump = (await requestVia(`${admin}/config_dump`)).text();
    assert.match(dump, /only HTTP and HTTPS services can be mirror destinations/, 'the rejection shows in the config dump');
    assert.match((await requestVia(`${admin}/stats/prometheus`)).text(), /shadowgate_config_reloads_total\{result="failure"\} 1/);

    stop = true;
    await loop;
    assert.deepEqual(failures, []);
    assert.ok(sent > 200);
  });

  test('file changes are picked up by the watcher', async (t) => {
    const [primary, shadow] = await echoes(t);
    const { url, file } = await startRuntime(t, config(primary.port, shadow.port, ''), { watch: true });
    writeFileSync(file, config(primary.port, shadow.port, 'mirror: { host: httpbin-next, port: { number: 80 } }'));
    await waitFor(
      async () => {
        await requestVia(`${url}/anything`, { host: 'httpbin' });
        return shadow.count > 0;
      },
      { timeoutMs: 10_000, description: 'the watcher applied the new mirror' },
    );
  });

  test('a reload opens new listeners and closes removed ones without dropping the others', async (t) => {
    const [primary, shadow] = await echoes(t);
    const second = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: second }
spec:
  servers:
    - port: { number: 0, name: http, protocol: HTTP }
      bind: 127.0.0.2
      hosts: ["*"]
---`;
    const withSecond = (yaml: string) => `${second}\n${yaml}`.replace('gateways: [edge]', 'gateways: [edge, second]');
    const { admin, file, runtime } = await startRuntime(t, config(primary.port, shadow.port, ''));
    const firstPort = runtime.gateway!.addresses()[0]!.port;
    writeFileSync(file, withSecond(config(primary.port, shadow.port, '')));
    assert.equal((await requestVia(`${admin}/reload`, { method: 'POST' })).status, 200);
    const addresses = runtime.gateway!.addresses();
    assert.equal(addresses.length, 2);
    const added = addresses.find((a) => a.address === '127.0.0.2')!;
    assert.equal((await requestVia(`http://127.0.0.2:${added.port}/anything`, { host: 'httpbin' })).status, 200);
    assert.equal(runtime.gateway!.addresses().find((a) => a.address === '127.0.0.1')!.port, firstPort, 'the first listener kept its socket');
    writeFileSync(file, config(primary.port, shadow.port, ''));
    assert.equal((await requestVia(`${admin}/reload`, { method: 'POST' })).status, 200);
    assert.equal(runtime.gateway!.addresses().length, 1);
    await assert.rejects(requestVia(`http://127.0.0.2:${added.port}/anything`, { host: 'httpbin' }));
    assert.equal((await requestVia(`http://127.0.0.1:${firstPort}/anything`, { host: 'httpbin' })).status, 200);
  });
});

describe('runtime mirror policy', () => {
  test('routes and services are listed; PUT applies at once, invalid policies get the config messages, DELETE restores', async (t) => {
    const [primary, shadow] = await echoes(t);
    const { url, admin } = await startRuntime(t, config(primary.port, shadow.port, ''));
    const routes = (await requestVia(`${admin}/api/routes`)).json<{ routes: { id: string; mirrors: unknown[] }[] }>().routes;
    assert.deepEqual(routes.map((r) => r.id), ['default/httpbin/main']);
    assert.deepEqual(routes[0]!.mirrors, []);
    const services = (await requestVia(`${admin}/api/services`)).json<{ services: { host: string; dynamicPort: boolean; ports: { protocol: string; mirrorable: boolean }[] }[] }>().services;
    const tcp = services.find((s) => s.host === 'tcp-echo.default.svc.cluster.local')!;
    assert.equal(tcp.ports[0]!.mirrorable, false);
    assert.equal(services.find((s) => s.host === 'two-ports.default.svc.cluster.local')!.dynamicPort, false);

    const put = (body: unknown) =>
      requestVia(`${admin}/api/routes/default/httpbin/main/mirror`, {
        method: 'PUT',
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      });
    const tcpAnswer = await put({ destination: { host: 'tcp-echo' }, percentage: 50, enabled: true });
    assert.equal(tcpAnswer.status, 400);
    assert.match(tcpAnswer.text(), /only HTTP and HTTPS services can be mirror destinations/);
    const dynamic = await put({ destination: { host: 'two-ports' }, percentage: 50, enabled: true });
    assert.equal(dynamic.status, 400);
    assert.match(dynamic.text(), /dynamic port is not available for multi-port services/);
    const range = await put({ destination: { host: 'httpbin-next' }, percentage: 150, enabled: true });
    assert.equal(range.status, 400);
    assert.match(range.text(), /percentage/);
    assert.equal((await requestVia(`${admin}/api/routes/default/nope/x/mirror`, { method: 'PUT', body: '{}', headers: { 'content-type': 'application/json' } })).status, 404);

    const ok = await put({ destination: { host: 'httpbin-next' }, percentage: 100, enabled: true });
    assert.equal(ok.status, 200, ok.text());
    await requestVia(`${url}/anything/override`, { host: 'httpbin' });
    await waitFor(() => shadow.count === 1, { description: 'the override mirrors at once (dynamic port of a single-port service)' });
    const listed = (await requestVia(`${admin}/api/routes`)).json<{ routes: { mirrors: { origin: string; perMillion: number }[] }[] }>().routes[0]!;
    assert.deepEqual(listed.mirrors.map((m) => [m.origin, m.perMillion]), [['override', 1_000_000]]);
    assert.match((await requestVia(`${admin}/config_dump`)).text(), /"override"/);

    // Overrides survive a reload of the files.
    assert.equal((await requestVia(`${admin}/reload`, { method: 'POST' })).status, 200);
    await requestVia(`${url}/anything/after-reload`, { host: 'httpbin' });
    await waitFor(() => shadow.count === 2);

    const disabled = await put({ destination: { host: 'httpbin-next' }, percentage: 100, enabled: false });
    assert.equal(disabled.status, 200);
    await requestVia(`${url}/anything/disabled`, { host: 'httpbin' });
    assert.equal((await requestVia(`${admin}/api/routes/default%2Fhttpbin%2Fmain/mirror`, { method: 'DELETE' })).status, 200);
    await requestVia(`${url}/anything/deleted`, { host: 'httpbin' });
    assert.equal(shadow.count, 2, 'neither the disabled nor the deleted override mirrors');
  });

  test('with a state file, overrides survive a restart', async (t) => {
    const [primary, shadow] = await echoes(t);
    const statePath = join(makeTempDir('shadowgate-state-'), 'state.json');
    const first = await startRuntime(t, config(primary.port, shadow.port, ''), { statePath });
    const put = await requestVia(`${first.admin}/api/routes/default/httpbin/main/mirror`, {
      method: 'PUT',
      body: JSON.stringify({ destination: { host: 'httpbin-next', port: 80 }, percentage: 100, enabled: true }),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(put.status, 200, put.text());
    await first.runtime.shutdown();
    assert.ok(JSON.parse(readFileSync(statePath, 'utf8')).mirrorOverrides['default/httpbin/main']);

    const second = await startRuntime(t, '', { statePath, paths: [first.dir] });
    await requestVia(`${second.url}/anything/restarted`, { host: 'httpbin' });
    await waitFor(() => shadow.count === 1, { description: 'the restored override mirrors' });
  });
});

describe('graceful shutdown', () => {
  test('in-flight requests finish, /ready turns 503, then everything closes', async (t) => {
    const slow = await slowServer(800);
    const shadow = await startEchoService({ name: 'shadow' });
    t.after(() => Promise.all([slow.close(), shadow.close()]));
    const { url, admin, runtime } = await startRuntime(t, config(slow.port, shadow.port, 'mirror: { host: httpbin-next, port: { number: 80 } }'));
    const inFlight = requestVia(`${url}/slow`, { host: 'httpbin' });
    await waitFor(() => slow.count === 1);
    const stopping = runtime.shutdown();
    assert.equal(runtime.ready, false);
    assert.equal((await requestVia(`${admin}/ready`)).status, 503, '/ready is 503 while draining');
    const response = await inFlight;
    assert.equal(response.status, 200, 'the in-flight request completed');
    assert.equal(response.text(), 'slow');
    await stopping;
    await assert.rejects(requestVia(`${url}/anything`, { host: 'httpbin' }), 'the listener is closed');
    assert.equal(shadow.count, 1, 'its shadow was delivered too');
  });
});
