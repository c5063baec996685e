/**
 * DestinationRule traffic policies on primary clusters, end to end over loopback: outlier ejection,
 * consistent hashing (header, cookie, source IP), connection pool limits (requests per connection,
 * requests in flight, retries in flight), port-level settings, and MUTUAL TLS to an upstream that
 * requires a client certificate (files and a Secret).
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { describe, test } from 'node:test';
import { Agent } from 'undici';
import { renderCluster } from '../../src/admin/config-dump/clusters.ts';
import { accessEvents, type AccessEvent } from '../../src/dataplane/events.ts';
import type { Snapshot } from '../../src/snapshot/types.ts';
import { requestVia, selfSignedCert, testAgent, waitFor } from '../support/index.ts';
import { listenOnLoopback } from '../support/listen.ts';
import { loopbackGateway, serviceEntry, startGateway } from './harness.ts';

interface AfterHook {
  after(fn: () => unknown): void;
}

/** The snapshot's clusters as /config_dump shows them, as one JSON text. */
function dumpedClusters(snapshot: Snapshot): string {
  return JSON.stringify([...snapshot.clusters.values()].map(renderCluster));
}

/** A loopback backend that records requests and connections; its status can be changed, and it can hold answers. */
async function backend(t: AfterHook, name: string) {
  const requests: IncomingHttpHeaders[] = [];
  let connections = 0;
  let status = 200;
  let hold: Promise<void> | null = null;
  const server = createServer((req, res) => {
    requests.push(req.headers);
    req.resume();
    req.on('end', () => {
      const answer = () => {
        res.writeHead(status, { 'content-type': 'text/plain', 'x-backend': name });
        res.end(name);
      };
      if (hold === null) answer();
      else void hold.then(answer);
    });
  });
  server.on('connection', () => connections++);
  const { port, close } = await listenOnLoopback(server);
  t.after(close);
  return {
    name,
    port,
    requests,
    get count() {
      return requests.length;
    },
    get connections() {
      return connections;
    },
    setStatus(s: number) {
      status = s;
    },
    /** Holds every answer until the returned function is called. */
    holdAnswers(): () => void {
      let release!: () => void;
      hold = new Promise((resolve) => (release = resolve));
      return () => {
        hold = null;
        release();
      };
    },
  };
}

function destinationRule(host: string, policy: string, extra = ''): string {
  return `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: ${host.replace(/[^a-z0-9-]/g, '-')} }
spec:
  host: ${host}
  trafficPolicy:
${policy
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => `    ${l}`)
  .join('\n')}
${extra}---`;
}

function routeTo(host: string, extra = ''): string {
  return `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: routes }
spec:
  hosts: ["*"]
  gateways: [edge]
  http:
    - route: [{ destination: { host: ${host} } }]
${extra}`;
}

describe('DestinationRule on primary clusters', () => {
  test('outlier detection ejects an endpoint after consecutive 5xx for baseEjectionTime, then takes it back', async (t) => {
    const good = await backend(t, 'good');
    const bad = await backend(t, 'bad');
    bad.setStatus(503);
    const yaml = `${loopbackGateway}
${serviceEntry('svc.local', 80, [[good.port], [bad.port]])}
${destinationRule(
  'svc.local',
  `loadBalancer: { simple: ROUND_ROBIN }
outlierDetection: { consecutive5xxErrors: 3, interval: 50ms, baseEjectionTime: 1s, maxEjectionPercent: 50 }`,
)}
${routeTo('svc.local')}`;
    const { url, gateway } = await startGateway(t, yaml);
    const agent = testAgent(t);
    for (let i = 0; bad.count < 3 && i < 20; i++) await requestVia(`${url}/`, { agent, host: 'svc.local' });
    assert.equal(bad.count, 3);
    const ejectedAt = performance.now();
    const stats = gateway.counters.upstream('outbound|80||svc.local');
    assert.equal(stats.ejections, 1);
    for (let i = 0; i < 20; i++) {
      const response = await requestVia(`${url}/`, { agent, host: 'svc.local' });
      assert.equal(response.headers['x-backend'], 'good');
    }
    assert.equal(bad.count, 3, 'the ejected endpoint gets no traffic');
    // Back after 1 s × 1 ejection (at the next 50 ms sweep); the first request it gets is a 503 again.
    bad.setStatus(200);
    await waitFor(
      async () => {
        await requestVia(`${url}/`, { agent, host: 'svc.local' });
        return bad.count > 3;
      },
      { timeoutMs: 5000, intervalMs: 20, description: 'the ejected endpoint returns' },
    );
    const returnedAfter = performance.now() - ejectedAt;
    assert.ok(returnedAfter >= 900, `returned after ${Math.round(returnedAfter)} ms, not before the ejection time`);
  });

  test('consistent hash on a header sticks each value to one endpoint and spreads values (ring hash and Maglev)', async (t) => {
    const backends = await Promise.all(['a', 'b', 'c'].map((n) => backend(t, n)));
    for (const [name, algorithm] of [
      ['ring', 'ringHash: { minimumRingSize: 2048 }'],
      ['maglev', 'maglev: { tableSize: 65537 }'],
    ] as const) {
      const host = `${name}.svc.local`;
      const yaml = `${loopbackGateway}
${serviceEntry(host, 80, backends.map((b) => [b.port] as const))}
${destinationRule(host, `loadBalancer: { consistentHash: { httpHeaderName: x-user, ${algorithm} } }`)}
${routeTo(host)}`;
      const { url, gateway } = await startGateway(t, yaml);
      const agent = testAgent(t);
      const owner = new Map<string, string>();
      for (let user = 0; user < 24; user++) {
        for (let i = 0; i < 3; i++) {
          const response = await requestVia(`${url}/`, { agent, host, headers: { 'x-user': `user-${user}` } });
          const served = String(response.headers['x-backend']);
          assert.equal(owner.get(`user-${user}`) ?? served, served, `${name}: user-${user} stays on one endpoint`);
          owner.set(`user-${user}`, served);
        }
      }
      assert.equal(new Set(owner.values()).size, 3, `${name}: 24 users spread over all 3 endpoints`);
      const dump = dumpedClusters(gateway.snapshot);
      assert.ok(dump.includes(name === 'ring' ? '"lb_policy":"RING_HASH","ring_hash_lb_config":{"minimum_ring_size":"2048"}' : '"lb_policy":"MAGLEV","maglev_lb_config":{"table_size":"65537"}'), dump);
      await gateway.close(0);
    }
  });

  test('consistent hash on a cookie: one is generated when absent (ttl set) and keeps the client on its endpoint', async (t) => {
    const backends = await Promise.all(['a', 'b', 'c'].map((n) => backend(t, n)));
    const yaml = `${loopbackGateway}
${serviceEntry('svc.local', 80, backends.map((b) => [b.port] as const))}
${destinationRule('svc.local', 'loadBalancer: { consistentHash: { httpCookie: { name: sticky, path: /, ttl: 60s } } }')}
${routeTo('svc.local')}`;
    const { url } = await startGateway(t, yaml);
    const first = await requestVia(`${url}/`, { agent: testAgent(t), host: 'svc.local' });
    const setCookie = String(first.headers['set-cookie']);
    assert.match(setCookie, /^sticky="[0-9a-f]{16}"; Max-Age=60; Path=\/; HttpOnly$/);
    const cookie = setCookie.split(';')[0]!;
    for (let i = 0; i < 10; i++) {
      // A new connection each time: only the cookie can keep the client where it was.
      const again = await requestVia(`${url}/`, { host: 'svc.local', headers: { cookie } });
      assert.equal(again.headers['x-backend'], first.headers['x-backend']);
      assert.equal(again.headers['set-cookie'], undefined, 'no new cookie when the request has one');
    }
  });

  test('consistent hash on the source IP: each client address sticks to one endpoint', async (t) => {
    const backends = await Promise.all(['a', 'b', 'c'].map((n) => backend(t, n)));
    const yaml = `${loopbackGateway}
${serviceEntry('svc.local', 80, backends.map((b) => [b.port] as const))}
${destinationRule('svc.local', 'loadBalancer: { consistentHash: { useSourceIp: true } }')}
${routeTo('svc.local')}`;
    const { url } = await startGateway(t, yaml);
    const served = new Map<string, Set<string>>();
    // All of 127.0.0.0/8 is loopback on Linux: distinct client addresses without leaving the machine.
    for (let client = 1; client <= 12; client++) {
      const localAddress = `127.0.0.${client + 1}`;
      const agent = new Agent({ localAddress });
      t.after(() => agent.close());
      for (let i = 0; i < 3; i++) {
        const response = await requestVia(`${url}/`, { agent, host: 'svc.local' });
        const set = served.get(localAddress) ?? new Set();
        set.add(String(response.headers['x-backend']));
        const servedBy = backends.find((b) => b.name === response.headers['x-backend'])!;
        assert.equal(servedBy.requests.at(-1)?.['x-forwarded-for'], localAddress, 'the request came from that address');
        served.set(localAddress, set);
      }
    }
    for (const [address, endpoints] of served) assert.equal(endpoints.size, 1, `${address} went to ${[...endpoints].join(', ')}`);
    assert.ok(new Set([...served.values()].map((s) => [...s][0])).size >= 2, 'clients spread over endpoints');
  });

  test('maxRequestsPerConnection closes each upstream connection after N requests', async (t) => {
    const limited = await backend(t, 'limited');
    const open = await backend(t, 'open');
    const yaml = `${loopbackGateway}
${serviceEntry('limited.local', 80, [[limited.port]])}
${serviceEntry('open.local', 80, [[open.port]])}
${destinationRule('limited.local', 'connectionPool: { http: { maxRequestsPerConnection: 2 } }')}
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: routes }
spec:
  hosts: ["*"]
  gateways: [edge]
  http:
    - match: [{ authority: { exact: limited.local } }]
      route: [{ destination: { host: limited.local } }]
    - route: [{ destination: { host: open.local } }]
`;
    const { url, gateway } = await startGateway(t, yaml);
    const agent = testAgent(t);
    for (let i = 0; i < 6; i++) {
      assert.equal((await requestVia(`${url}/`, { agent, host: 'limited.local' })).status, 200);
      assert.equal((await requestVia(`${url}/`, { agent, host: 'open.local' })).status, 200);
    }
    assert.equal(limited.count, 6);
    assert.equal(limited.connections, 3, '6 requests, 2 per connection');
    assert.equal(open.connections, 1, 'without the limit one keep-alive connection serves all');
    const dump = dumpedClusters(gateway.snapshot);
    assert.ok(dump.includes('"max_requests_per_connection":2'));
  });

  test('http2MaxRequests caps requests in flight per cluster: past it 503 UO', async (t) => {
    const slow = await backend(t, 'slow');
    const yaml = `${loopbackGateway}
${serviceEntry('svc.local', 80, [[slow.port]])}
${destinationRule('svc.local', 'connectionPool: { http: { http2MaxRequests: 2 } }')}
${routeTo('svc.local')}`;
    const { url, gateway } = await startGateway(t, yaml);
    const release = slow.holdAnswers();
    const held = [requestVia(`${url}/`, { host: 'svc.local' }), requestVia(`${url}/`, { host: 'svc.local' })];
    await waitFor(() => slow.count === 2, { description: 'two requests in flight' });
    const over = await requestVia(`${url}/`, { host: 'svc.local' });
    assert.equal(over.status, 503);
    assert.equal(over.json<{ code: string }>().code, 'UPSTREAM_OVERFLOW');
    assert.equal(slow.count, 2, 'the overflow never reached the backend');
    release();
    assert.deepEqual((await Promise.all(held)).map((r) => r.status), [200, 200]);
    assert.equal((await requestVia(`${url}/`, { host: 'svc.local' })).status, 200, 'room again');
    assert.equal(gateway.counters.upstream('outbound|80||svc.local').overflows, 1);
  });

  test('maxRetries caps retries in flight per cluster: a retry past it is not attempted and counted', async (t) => {
    const failing = await backend(t, 'failing');
    failing.setStatus(503);
    const yaml = `${loopbackGateway}
${serviceEntry('svc.local', 80, [[failing.port]])}
${destinationRule('svc.local', 'connectionPool: { http: { maxRetries: 1 } }')}
${routeTo('svc.local', '      retries: { attempts: 2, retryOn: 5xx }')}`;
    const { url, gateway } = await startGateway(t, yaml);
    const events: AccessEvent[] = [];
    const onEvent = (event: unknown) => events.push(event as AccessEvent);
    accessEvents.subscribe(onEvent);
    t.after(() => accessEvents.unsubscribe(onEvent));
    // Two requests fail at the same moment; only one of them may retry while the other's retry is in flight.
    const release = failing.holdAnswers();
    const responses = [requestVia(`${url}/`, { host: 'svc.local' }), requestVia(`${url}/`, { host: 'svc.local' })];
    await waitFor(() => failing.count === 2, { description: 'both first attempts arrived' });
    release();
    const statuses = (await Promise.all(responses)).map((r) => r.status);
    assert.deepEqual(statuses, [503, 503]);
    const stats = gateway.counters.upstream('outbound|80||svc.local');
    // One request held the only retry slot; the other's retry overflowed, so it ended after one attempt.
    assert.equal(stats.retryOverflows, 1);
    assert.equal(stats.retries, 2);
    assert.equal(failing.count, 4, 'two first attempts and the two retries of one request');
    const primaries = events.filter((e) => e.kind === 'primary' && e.cluster === 'outbound|80||svc.local');
    assert.deepEqual(primaries.map((e) => [e.attempts, e.flags]).sort(), [[1, 'UO'], [3, '']], 'the overflowed request is flagged UO');
  });

  test('portLevelSettings replace the top-level sections for their port, with defaults for what they leave out', async (t) => {
    const slow = await backend(t, 'slow');
    const yaml = `${loopbackGateway}
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: two-ports }
spec:
  hosts: [svc.local]
  resolution: STATIC
  ports:
    - { number: 80, name: http, protocol: HTTP }
    - { number: 81, name: http-alt, protocol: HTTP }
  endpoints:
    - address: 127.0.0.1
      ports: { http: ${slow.port}, http-alt: ${slow.port} }
---
${destinationRule(
  'svc.local',
  `connectionPool: { http: { http2MaxRequests: 1 } }
portLevelSettings:
  - port: { number: 81 }
    loadBalancer: { simple: RANDOM }`,
)}
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: routes }
spec:
  hosts: ["*"]
  gateways: [edge]
  http:
    - match: [{ uri: { prefix: /alt } }]
      route: [{ destination: { host: svc.local, port: { number: 81 } } }]
    - route: [{ destination: { host: svc.local, port: { number: 80 } } }]
`;
    const { url, gateway } = await startGateway(t, yaml);
    const port80 = gateway.snapshot.clusters.get('outbound|80||svc.local')!;
    const port81 = gateway.snapshot.clusters.get('outbound|81||svc.local')!;
    assert.equal(port80.connectionPool.maxRequests, 1);
    assert.equal(port80.loadBalancer, 'ROUND_ROBIN');
    assert.equal(port81.loadBalancer, 'RANDOM');
    assert.equal(port81.connectionPool.maxRequests, 4_294_967_295, 'the port-level policy does not inherit connectionPool');
    const release = slow.holdAnswers();
    const held = [requestVia(`${url}/`, { host: 'svc.local' }), requestVia(`${url}/alt`, { host: 'svc.local' })];
    await waitFor(() => slow.count === 2, { description: 'one request in flight on each port' });
    assert.equal((await requestVia(`${url}/`, { host: 'svc.local' })).status, 503, 'port 80 is at its cap of 1');
    const alt = requestVia(`${url}/alt`, { host: 'svc.local' });
    await waitFor(() => slow.count === 3, { description: 'port 81 takes a second request' });
    release();
    assert.deepEqual((await Promise.all([...held, alt])).map((r) => r.status), [200, 200, 200]);
  });
});

describe('DestinationRule tls.mode MUTUAL', () => {
  /** An HTTPS upstream that requires a client certificate signed by `clientCa`. */
  async function mutualUpstream(t: AfterHook, clientCa: string) {
    const cert = await selfSignedCert(['upstream.test']);
    const seen: string[] = [];
    const server = createHttpsServer({ cert: cert.cert, key: cert.key, ca: clientCa, requestCert: true, rejectUnauthorized: true }, (req, res) => {
      seen.push(String((req.socket as TLSSocket).getPeerCertificate().subject?.CN ?? ''));
      req.resume();
      res.end('secret ok');
    });
    const { port, close } = await listenOnLoopback(server);
    t.after(close);
    return { port, cert, seen };
  }

  function mutualConfig(port: number, tls: string, extra = ''): string {
    return `${loopbackGateway}
${serviceEntry('upstream.test', 443, [[port]], { protocol: 'HTTPS' })}
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: upstream }
spec:
  host: upstream.test
  trafficPolicy:
    tls:
${tls
  .split('\n')
  .map((l) => `      ${l}`)
  .join('\n')}
---
${extra}
${routeTo('upstream.test')}`;
  }

  test('presents the client certificate from files, or from a credentialName Secret; without one the upstream refuses', async (t) => {
    const client = await selfSignedCert(['gateway-client']);
    const upstream = await mutualUpstream(t, client.cert);

    const files = await startGateway(
      t,
      mutualConfig(upstream.port, `mode: MUTUAL\nclientCertificate: ${client.certFile}\nprivateKey: ${client.keyFile}\ncaCertificates: ${upstream.cert.certFile}`),
    );
    const viaFiles = await requestVia(`${files.url}/`, { host: 'upstream.test' });
    assert.equal(viaFiles.status, 200);
    assert.equal(viaFiles.text(), 'secret ok');
    assert.deepEqual(upstream.seen, ['gateway-client']);
    const filesDump = dumpedClusters(files.gateway.snapshot);
    assert.ok(filesDump.includes(`"certificate_chain":{"filename":"${client.certFile}"}`));
    assert.ok(!filesDump.includes('BEGIN'), 'no PEM in the dump');

    const b64 = (text: string) => Buffer.from(text).toString('base64');
    const secret = `
apiVersion: v1
kind: Secret
metadata: { name: upstream-client }
type: kubernetes.io/tls
data:
  tls.crt: ${b64(client.cert)}
  tls.key: ${b64(client.key)}
stringData:
  ca.crt: |
${upstream.cert.cert
  .trim()
  .split('\n')
  .map((l) => `    ${l}`)
  .join('\n')}
---`;
    const viaSecret = await startGateway(t, mutualConfig(upstream.port, 'mode: MUTUAL\ncredentialName: upstream-client', secret));
    assert.equal((await requestVia(`${viaSecret.url}/`, { host: 'upstream.test' })).status, 200);
    assert.deepEqual(upstream.seen, ['gateway-client', 'gateway-client']);
    const secretDump = dumpedClusters(viaSecret.gateway.snapshot);
    assert.ok(secretDump.includes('"tls_certificate_sds_secret_configs":[{"name":"kubernetes://upstream-client"}]'));
    assert.ok(!secretDump.includes('BEGIN') && !secretDump.includes(b64(client.key).slice(0, 40)), 'no Secret contents in the dump');

    const without = await startGateway(t, mutualConfig(upstream.port, `mode: SIMPLE\ncaCertificates: ${upstream.cert.certFile}`));
    const refused = await requestVia(`${without.url}/`, { host: 'upstream.test' });
    assert.equal(refused.status, 503);
    assert.equal(upstream.seen.length, 2, 'the upstream never served a request without a client certificate');
  });
});
