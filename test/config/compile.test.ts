import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import {
  buildSnapshotFromPaths,
  compileSnapshot,
  formatDiagnostic,
  loadResources,
  type MirrorOverride,
} from '../../src/config/index.ts';
import type { Snapshot } from '../../src/snapshot/types.ts';
import { compileOk, compileYaml, config, GATEWAY, route, SERVICES, SIMPLE_ROUTE, virtualService, writeFiles } from './helpers.ts';

const EXAMPLE = path.join(import.meta.dirname, '../../examples/cross-cluster-mirror');

describe('the cross-cluster mirror example', () => {
  test('compiles to the route, clusters and mirror Istio would produce', async () => {
    const { snapshot, diagnostics } = await buildSnapshotFromPaths([EXAMPLE]);
    assert.deepEqual(diagnostics.map(formatDiagnostic), []);
    assert.ok(snapshot);
    assert.equal(snapshot.listeners.length, 1);
    const listener = snapshot.listeners[0]!;
    assert.equal(listener.name, '0.0.0.0_8080');
    assert.equal(listener.port, 8080);
    const headers = [...listener.virtualHosts.all.flatMap((v) => v.routes)].find((r) => r.id.includes('headers'));
    assert.ok(headers);
    assert.equal(headers.id, 'default/httpbin/headers');
    assert.deepEqual(headers.clusters.map((c) => [c.cluster, c.weight]), [['outbound|8000|v1|httpbin.default.svc.cluster.local', 100]]);
    assert.deepEqual(headers.mirrors, [
      { cluster: 'outbound|80||httpbin.mirror.cluster-b', perMillion: 500000, hostSuffix: true, origin: 'config' },
    ]);
    assert.deepEqual(headers.matches?.[0]?.uri, { kind: 'prefix', value: '/headers' });
    assert.equal(headers.timeoutMs, null);
    assert.equal(headers.retry?.numRetries, 2);
    assert.deepEqual([...headers.retry!.retryOn], ['connect-failure', 'refused-stream', 'unavailable', 'cancelled', 'retriable-status-codes']);
    assert.deepEqual([...headers.retry!.retriableStatusCodes], [503]);

    const primary = snapshot.clusters.get('outbound|8000|v1|httpbin.default.svc.cluster.local');
    assert.ok(primary);
    assert.deepEqual(primary.endpoints.map((e) => `${e.address}:${e.port}`), ['127.0.0.1:18000']);
    const shadow = snapshot.clusters.get('outbound|80||httpbin.mirror.cluster-b');
    assert.ok(shadow);
    assert.equal(shadow.protocol, 'HTTP');
    assert.deepEqual(shadow.endpoints.map((e) => `${e.address}:${e.port}`), ['127.0.0.1:18080']);
    assert.equal(snapshot.clusters.size, 2);
  });
});

describe('matchers', () => {
  const matching = (match: string) => `  - name: r
    match:
${match}    route:
    - destination:
        host: backend
`;

  test('regexes full-match the whole value (Envoy safe_regex)', async () => {
    const s = await compileOk(config(matching('    - uri:\n        regex: /api/v[0-9]+\n')));
    const uri = route(s, 'default/vs/r').matches![0]!.uri!;
    assert.equal(uri.kind, 'regex');
    assert.ok(uri.kind === 'regex');
    assert.equal(uri.value, '/api/v[0-9]+');
    assert.equal(uri.regex.fullMatch('/api/v12'), true);
    assert.equal(uri.regex.fullMatch('/x/api/v12'), false);
    assert.equal(uri.regex.fullMatch('/api/v12/more'), false);
    assert.equal(uri.regex.fullMatch('/API/v12'), false);
  });

  test('alternations are anchored as a whole', async () => {
    const s = await compileOk(config(matching('    - uri:\n        regex: /a|/b\n')));
    const uri = route(s, 'default/vs/r').matches![0]!.uri!;
    assert.ok(uri.kind === 'regex');
    assert.equal(uri.regex.fullMatch('/a'), true);
    assert.equal(uri.regex.fullMatch('/b'), true);
    assert.equal(uri.regex.fullMatch('/ab'), false);
    assert.equal(uri.regex.fullMatch('x/b'), false);
  });

  test('ignoreUriCase lower-cases exact and prefix values and compiles regexes case-insensitive', async () => {
    const s = await compileOk(
      config(
        matching(`    - uri:
        prefix: /Api
      ignoreUriCase: true
    - uri:
        exact: /Health
      ignoreUriCase: true
    - uri:
        regex: /Users/[a-z]+
      ignoreUriCase: true
    - uri:
        prefix: /Keep
`),
      ),
    );
    const [prefix, exact, regex, kept] = route(s, 'default/vs/r').matches!;
    assert.deepEqual(prefix!.uri, { kind: 'prefix', value: '/api' });
    assert.equal(prefix!.ignoreUriCase, true);
    assert.deepEqual(exact!.uri, { kind: 'exact', value: '/health' });
    assert.ok(regex!.uri?.kind === 'regex');
    assert.equal(regex!.uri.regex.caseInsensitive, true);
    assert.equal(regex!.uri.regex.fullMatch('/USERS/BOB'), true);
    assert.deepEqual(kept!.uri, { kind: 'prefix', value: '/Keep' });
    assert.equal(kept!.ignoreUriCase, false);
  });

  test('RE2 (?i) is case-insensitive', async () => {
    const s = await compileOk(config(matching('    - authority:\n        regex: (?i)shop\\.example\\.com\n')));
    const authority = route(s, 'default/vs/r').matches![0]!.authority!;
    assert.ok(authority.kind === 'regex');
    assert.equal(authority.regex.fullMatch('SHOP.example.com'), true);
  });

  test('headers, withoutHeaders, queryParams and method', async () => {
    const s = await compileOk(
      config(
        matching(`    - method:
        exact: POST
      headers:
        X-User:
          prefix: bob
        X-Trace:
          regex: "[0-9a-f]+"
      withoutHeaders:
        X-Debug:
          exact: "1"
      queryParams:
        Mode:
          exact: fast
`),
      ),
    );
    const m = route(s, 'default/vs/r').matches![0]!;
    assert.deepEqual(m.method, { kind: 'exact', value: 'POST' });
    assert.deepEqual(m.headers!.map((h) => [h.name, h.match.kind, h.match.value]), [
      ['x-user', 'prefix', 'bob'],
      ['x-trace', 'regex', '[0-9a-f]+'],
    ]);
    assert.deepEqual(m.withoutHeaders, [{ name: 'x-debug', match: { kind: 'exact', value: '1' } }]);
    // Query parameter names are case-sensitive, so they keep their case.
    assert.deepEqual(m.queryParams, [{ name: 'Mode', match: { kind: 'exact', value: 'fast' } }]);
    assert.equal(m.uri, null);
    assert.equal(m.authority, null);
  });

  test('no match means every request; routes keep their order', async () => {
    const s = await compileOk(config(`${matching('    - uri:\n        prefix: /a\n').replace('name: r', 'name: first')}${SIMPLE_ROUTE}`));
    const routes = s.listeners[0]!.virtualHosts.all[0]!.routes;
    assert.deepEqual(routes.map((r) => r.id), ['default/vs/first', 'default/vs/r']);
    assert.equal(routes[1]!.matches, null);
  });
});

describe('weights and destinations', () => {
  test('a single destination gets weight 100', async () => {
    const s = await compileOk(config(`  - name: r\n    route:\n    - destination:\n        host: backend\n      weight: 30\n`));
    const r = route(s, 'default/vs/r');
    assert.deepEqual(r.clusters.map((c) => c.weight), [100]);
    assert.equal(r.totalWeight, 100);
  });

  test('several destinations keep their weights, including 0', async () => {
    const s = await compileOk(
      config(`  - name: split
    route:
    - destination:
        host: backend
        subset: v1
      weight: 100
    - destination:
        host: backend
        subset: v2
      weight: 0
      headers:
        request:
          set:
            X-Canary: "yes"
`),
    );
    const r = route(s, 'default/vs/split');
    assert.deepEqual(r.clusters.map((c) => [c.cluster, c.weight]), [
      ['outbound|8000|v1|backend.default.svc.cluster.local', 100],
      ['outbound|8000|v2|backend.default.svc.cluster.local', 0],
    ]);
    assert.equal(r.totalWeight, 100);
    assert.deepEqual(r.clusters[1]!.headers, { request: { set: [['x-canary', 'yes']], add: [], remove: [] }, response: null });
    assert.ok(s.clusters.has('outbound|8000|v2|backend.default.svc.cluster.local'));
  });
});

describe('route settings', () => {
  test('timeouts, retries, rewrite and headers', async () => {
    const s = await compileOk(
      config(`  - name: a
    timeout: 1.5s
    retries:
      attempts: 3
      perTryTimeout: 100ms
      retryOn: 5xx,reset,502,504
    rewrite:
      uri: /v2/
      authority: internal.example.com
    headers:
      request:
        add:
          X-Via: shadowgate
        remove:
        - X-Secret
      response:
        set:
          Cache-Control: no-store
    route:
    - destination:
        host: backend
  - name: b
    timeout: 0s
    retries:
      attempts: 0
    rewrite:
      uriRegexRewrite:
        match: ^/old/(.*)$
        rewrite: /new/\\1
    route:
    - destination:
        host: backend
  - name: c
    timeout: 1m
    retries:
      attempts: 1
    route:
    - destination:
        host: backend
`),
    );
    const a = route(s, 'default/vs/a');
    assert.equal(a.timeoutMs, 1500);
    assert.equal(a.retry?.numRetries, 3);
    assert.equal(a.retry?.perTryTimeoutMs, 100);
    assert.deepEqual([...a.retry!.retryOn].sort(), ['5xx', 'reset', 'retriable-status-codes']);
    assert.deepEqual([...a.retry!.retriableStatusCodes].sort(), [502, 504]);
    assert.deepEqual(a.rewrite, { uri: '/v2/', uriRegex: null, authority: 'internal.example.com' });
    assert.deepEqual(a.headers, {
      request: { set: [], add: [['x-via', 'shadowgate']], remove: ['x-secret'] },
      response: { set: [['cache-control', 'no-store']], add: [], remove: [] },
    });

    const b = route(s, 'default/vs/b');
    assert.equal(b.timeoutMs, null);
    assert.equal(b.retry, null);
    assert.ok(b.rewrite?.uriRegex);
    assert.equal(b.rewrite.uriRegex.regex.replaceAll('/old/x/y', b.rewrite.uriRegex.rewrite), '/new/x/y');

    const c = route(s, 'default/vs/c');
    assert.equal(c.timeoutMs, 60_000);
    // attempts alone keeps Istio's default conditions.
    assert.equal(c.retry?.numRetries, 1);
    assert.deepEqual([...c.retry!.retriableStatusCodes], [503]);
    assert.equal(c.retry?.retryOn.has('connect-failure'), true);
  });

  test('an unnamed route is named by its index', async () => {
    const s = await compileOk(config(`  - route:\n    - destination:\n        host: backend\n`));
    assert.equal(route(s, 'default/vs/0').name, '0');
  });
});

describe('mirrors', () => {
  test('mirrorPercentage absent means 100%, fractional percentages round to per-million', async () => {
    const s = await compileOk(
      config(`${SIMPLE_ROUTE}    mirror:
      host: multi.example.com
      port:
        number: 80
  - name: fraction
    route:
    - destination:
        host: backend
    mirror:
      host: multi.example.com
      port:
        number: 443
    mirrorPercentage:
      value: 0.01234
`),
    );
    assert.deepEqual(route(s, 'default/vs/r').mirrors, [
      // Istio fills in 100% as {numerator: 100} over HUNDRED, and so does the dump.
      { cluster: 'outbound|80||multi.example.com', perMillion: 1_000_000, hostSuffix: true, origin: 'config', denominator: 'HUNDRED' },
    ]);
    assert.equal(route(s, 'default/vs/fraction').mirrors![0]!.perMillion, 123);
  });

  test('an explicit 0% switches the mirror off; no mirror is null', async () => {
    const s = await compileOk(config(`${SIMPLE_ROUTE}    mirror:\n      host: backend\n    mirrorPercentage:\n      value: 0\n`));
    assert.equal(route(s, 'default/vs/r').mirrors, null);
    const plain = await compileOk(config(SIMPLE_ROUTE));
    assert.equal(route(plain, 'default/vs/r').mirrors, null);
  });

  test('mirrors[] with per-entry percentages; the annotation turns off the -shadow suffix', async () => {
    const annotations = '  annotations:\n    shadowgate.io/shadow-host-suffix: "false"\n';
    const s = await compileOk(
      config(
        `${SIMPLE_ROUTE}    mirrors:
    - destination:
        host: backend
        subset: v2
      percentage:
        value: 25
    - destination:
        host: multi.example.com
        port:
          number: 443
    - destination:
        host: multi.example.com
        port:
          number: 80
      percentage:
        value: 0
`,
        { annotations },
      ),
    );
    assert.deepEqual(route(s, 'default/vs/r').mirrors, [
      { cluster: 'outbound|8000|v2|backend.default.svc.cluster.local', perMillion: 250_000, hostSuffix: false, origin: 'config' },
      { cluster: 'outbound|443||multi.example.com', perMillion: 1_000_000, hostSuffix: false, origin: 'config', denominator: 'HUNDRED' },
    ]);
  });
});

describe('clusters', () => {
  test('endpoints by subset labels, ports by name, target port or service port; DNS without endpoints uses the host', async () => {
    const s = await compileOk(
      config(`  - name: r
    route:
    - destination:
        host: backend
        subset: v1
      weight: 50
    - destination:
        host: backend
      weight: 50
    mirror:
      host: multi.example.com
      port:
        number: 80
`),
    );
    const v1 = s.clusters.get('outbound|8000|v1|backend.default.svc.cluster.local')!;
    assert.deepEqual(v1.endpoints, [{ address: '127.0.0.1', port: 18000, weight: 1, labels: { version: 'v1' } }]);
    assert.equal(v1.subset, 'v1');
    assert.equal(v1.serviceHost, 'backend.default.svc.cluster.local');
    assert.equal(v1.servicePort, 8000);
    assert.equal(v1.resolution, 'STATIC');
    assert.equal(v1.loadBalancer, 'ROUND_ROBIN');
    assert.deepEqual(v1.connectionPool, { maxConnections: 1024, connectTimeoutMs: 10000, maxPendingRequests: 1024, idleTimeoutMs: 3600000, maxRequestsPerConnection: 0, maxRequests: 4294967295, maxRetries: 4294967295 });
    assert.equal(v1.tls, null);
    assert.equal(v1.source.kind, 'ServiceEntry');
    assert.equal(v1.source.name, 'backend');
    const all = s.clusters.get('outbound|8000||backend.default.svc.cluster.local')!;
    // The second endpoint has no port for `http`, so it uses the service port.
    assert.deepEqual(all.endpoints.map((e) => `${e.address}:${e.port}`), ['127.0.0.1:18000', '127.0.0.2:8000']);
    const dns = s.clusters.get('outbound|80||multi.example.com')!;
    assert.equal(dns.resolution, 'DNS');
    assert.deepEqual(dns.endpoints, [{ address: 'multi.example.com', port: 80, weight: 1, labels: {} }]);
  });

  test('traffic policy: a subset replaces whole sections, as Istio merges; HTTPS ports originate TLS unless DISABLE', async () => {
    const yaml = `${config(`  - name: r
    route:
    - destination:
        host: multi.example.com
        port:
          number: 443
    mirrors:
    - destination:
        host: multi.example.com
        port:
          number: 80
        subset: fast
    - destination:
        host: secure.example.com
        subset: plain
`)}---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: multi
spec:
  host: "*.example.com"
  trafficPolicy:
    loadBalancer:
      simple: RANDOM
    connectionPool:
      tcp:
        maxConnections: 10
        connectTimeout: 250ms
      http:
        http1MaxPendingRequests: 5
        idleTimeout: 30s
  subsets:
  - name: fast
    trafficPolicy:
      connectionPool:
        tcp:
          maxConnections: 99
      tls:
        mode: SIMPLE
        sni: fast.example.com
        caCertificates: ca.pem
        insecureSkipVerify: true
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: secure
spec:
  host: secure.example.com
  subsets:
  - name: plain
    trafficPolicy:
      tls:
        mode: DISABLE
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: secure
spec:
  hosts: [secure.example.com]
  resolution: DNS
  ports:
  - number: 443
    name: https
`;
    const s = await compileOk(yaml, {}, { 'ca.pem': '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n' });
    const https = s.clusters.get('outbound|443||multi.example.com')!;
    assert.equal(https.loadBalancer, 'RANDOM');
    assert.deepEqual(https.connectionPool, { maxConnections: 10, connectTimeoutMs: 250, maxPendingRequests: 5, idleTimeoutMs: 30000, maxRequestsPerConnection: 0, maxRequests: 4294967295, maxRetries: 4294967295 });
    assert.deepEqual(https.tls, {
      mode: 'SIMPLE',
      sni: 'multi.example.com',
      ca: null,
      caFile: null,
      insecureSkipVerify: false,
      clientCertificate: null,
      credentialName: null,
    });
    const fast = s.clusters.get('outbound|80|fast|multi.example.com')!;
    assert.equal(fast.loadBalancer, 'RANDOM');
    // The subset's connectionPool replaces the rule's whole section: what it leaves out gets the defaults.
    assert.deepEqual(fast.connectionPool, { maxConnections: 99, connectTimeoutMs: 10000, maxPendingRequests: 1024, idleTimeoutMs: 3600000, maxRequestsPerConnection: 0, maxRequests: 4294967295, maxRetries: 4294967295 });
    assert.equal(fast.tls?.sni, 'fast.example.com');
    assert.match(fast.tls?.ca ?? '', /BEGIN CERTIFICATE/);
    assert.ok(path.isAbsolute(fast.tls?.caFile ?? ''));
    assert.equal(fast.tls?.insecureSkipVerify, true);
    // The exact-host rule wins over the wildcard one, and its DISABLE stops origination on an HTTPS port.
    const plain = s.clusters.get('outbound|443|plain|secure.example.com')!;
    assert.equal(plain.protocol, 'HTTPS');
    assert.equal(plain.tls, null);
    assert.equal(plain.loadBalancer, 'ROUND_ROBIN');
  });
});

describe('listeners and virtual hosts', () => {
  const gatewayWith = (servers: string) => `apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: gw
spec:
  servers:
${servers}`;

  test('domains: exact, suffix longest first, catch-all; short hosts also serve their FQDN', async () => {
    const yaml = `${gatewayWith(`  - port:
      number: 8080
      protocol: HTTP
    hosts:
    - "*"
`)}---
${SERVICES}---
${virtualService(SIMPLE_ROUTE, { name: 'short', hosts: 'Backend' })}---
${virtualService(SIMPLE_ROUTE, { name: 'wide', hosts: '*.example.com' })}---
${virtualService(SIMPLE_ROUTE, { name: 'narrow', hosts: '*.api.example.com' })}---
${virtualService(SIMPLE_ROUTE, { name: 'any', hosts: '*' })}`;
    const s = await compileOk(yaml);
    const table = s.listeners[0]!.virtualHosts;
    assert.deepEqual(table.all.map((v) => [v.name, v.domains]), [
      ['backend:8080', ['backend', 'backend.default.svc.cluster.local']],
      ['*.example.com:8080', ['*.example.com']],
      ['*.api.example.com:8080', ['*.api.example.com']],
      ['*:8080', ['*']],
    ]);
    assert.deepEqual([...table.exact.keys()], ['backend', 'backend.default.svc.cluster.local']);
    assert.deepEqual(table.suffixes.map((x) => x.suffix), ['.api.example.com', '.example.com']);
    assert.equal(table.catchAll?.routes[0]?.id, 'default/any/r');
  });

  test('the narrower of VirtualService and server host is the domain; ns/ prefixes filter namespaces', async () => {
    const yaml = `${gatewayWith(`  - port:
      number: 0
      protocol: HTTP
    hosts:
    - "*/*.example.com"
    - "other/other.example.com"
`)}---
${SERVICES}---
${virtualService(SIMPLE_ROUTE, { name: 'a', hosts: '*' })}---
${virtualService(SIMPLE_ROUTE, { name: 'b', hosts: 'shop.example.com' })}`;
    const s = await compileOk(yaml);
    const table = s.listeners[0]!.virtualHosts;
    assert.deepEqual(table.all.map((v) => v.name), ['*.example.com:0', 'shop.example.com:0']);
    assert.equal(table.catchAll, null);
  });

  test('VirtualServices sharing a domain concatenate their routes in load order', async () => {
    const yaml = `${GATEWAY}---\n${SERVICES}---\n${virtualService(SIMPLE_ROUTE, { name: 'first' })}---\n${virtualService(SIMPLE_ROUTE, { name: 'second' })}`;
    const s = await compileOk(yaml);
    const vhosts = s.listeners[0]!.virtualHosts.all;
    assert.equal(vhosts.length, 1);
    assert.deepEqual(vhosts[0]!.routes.map((r) => r.id), ['default/first/r', 'default/second/r']);
  });

  test('one listener per bind address and port; HTTPS servers get one TLS context each', async () => {
    const yaml = `${gatewayWith(`  - port:
      number: 0
      protocol: HTTP
    bind: 127.0.0.1
    hosts: ["*"]
  - port:
      number: 8443
      protocol: HTTPS
    hosts: ["a.example.com"]
    tls:
      mode: SIMPLE
      serverCertificate: a.crt
      privateKey: a.key
  - port:
      number: 8443
      protocol: HTTPS
    hosts: ["b.example.com"]
    tls:
      mode: SIMPLE
      serverCertificate: ${path.join('certs', 'b.crt')}
      privateKey: a.key
`)}---
${SERVICES}---
${virtualService(SIMPLE_ROUTE)}`;
    const dir = writeFiles({ 'config.yaml': yaml, 'a.crt': 'A-CERT', 'a.key': 'A-KEY' });
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(path.join(dir, 'certs'));
    writeFileSync(path.join(dir, 'certs', 'b.crt'), 'B-CERT');
    const { snapshot, diagnostics } = await buildSnapshotFromPaths([dir]);
    assert.deepEqual(diagnostics.map(formatDiagnostic), []);
    assert.ok(snapshot);
    assert.deepEqual(snapshot.listeners.map((l) => [l.name, l.protocol, l.address, l.port]), [
      ['127.0.0.1_0', 'HTTP', '127.0.0.1', 0],
      ['0.0.0.0_8443', 'HTTPS', '0.0.0.0', 8443],
    ]);
    assert.equal(snapshot.listeners[0]!.tls, null);
    const tls = snapshot.listeners[1]!.tls!;
    assert.deepEqual(tls.map((t) => [t.hosts, t.cert, t.key, path.basename(t.certFile!)]), [
      [['a.example.com'], 'A-CERT', 'A-KEY', 'a.crt'],
      [['b.example.com'], 'B-CERT', 'A-KEY', 'b.crt'],
    ]);
    assert.equal(tls[1]!.certFile, path.join(dir, 'certs', 'b.crt'));
    assert.deepEqual(snapshot.listeners[1]!.virtualHosts.all.map((v) => v.name), ['a.example.com:8443', 'b.example.com:8443']);
    assert.equal(snapshot.listeners[1]!.sources.length, 2);
  });
});

describe('overrides', () => {
  const base = config(`${SIMPLE_ROUTE}    mirror:\n      host: backend\n      subset: v2\n    mirrorPercentage:\n      value: 10\n`);
  const compileWith = async (overrides: Record<string, MirrorOverride>) => {
    const dir = writeFiles({ 'config.yaml': base });
    const { resources } = await loadResources([dir]);
    return compileSnapshot(resources, { overrides: new Map(Object.entries(overrides)) });
  };

  test('an override replaces the configured mirrors with one policy', async () => {
    const { snapshot, diagnostics } = await compileWith({
      'default/vs/r': { destination: { host: 'multi.example.com', port: 80 }, percentage: 12.5, enabled: true },
    });
    assert.deepEqual(diagnostics, []);
    assert.ok(snapshot);
    assert.deepEqual(route(snapshot, 'default/vs/r').mirrors, [
      { cluster: 'outbound|80||multi.example.com', perMillion: 125_000, hostSuffix: true, origin: 'override' },
    ]);
    assert.ok(snapshot.clusters.has('outbound|80||multi.example.com'));
  });

  test('enabled: false removes mirroring', async () => {
    const { snapshot } = await compileWith({ 'default/vs/r': { destination: { host: 'x' }, percentage: 50, enabled: false } });
    assert.equal(route(snapshot!, 'default/vs/r').mirrors, null);
  });

  test('overrides are checked like config mirrors', async () => {
    const { snapshot, diagnostics } = await compileWith({
      'default/vs/r': { destination: { host: 'tcp-echo', port: 9000 }, percentage: 101, enabled: true },
    });
    assert.equal(snapshot, null);
    assert.deepEqual(diagnostics.map((d) => [d.code, d.field]), [
      ['PERCENTAGE_RANGE', 'mirrorOverrides["default/vs/r"].percentage'],
      ['MIRROR_PROTOCOL', 'mirrorOverrides["default/vs/r"].destination.port'],
    ]);
    assert.match(diagnostics[1]!.message, /only HTTP and HTTPS services can be mirror destinations/);
  });

  test('an override for a route that does not exist is a warning', async () => {
    const { snapshot, diagnostics } = await compileWith({ 'default/vs/gone': { destination: { host: 'backend' }, percentage: 5, enabled: true } });
    assert.ok(snapshot);
    assert.deepEqual(diagnostics.map((d) => [d.severity, d.code]), [['warning', 'UNKNOWN_ROUTE']]);
  });
});

describe('the snapshot', () => {
  const compile = async (yaml: string): Promise<Snapshot> => compileOk(yaml);

  test('is deep-frozen, maps and sets included', async () => {
    const s = await compile(config(SIMPLE_ROUTE));
    assert.ok(Object.isFrozen(s));
    assert.ok(Object.isFrozen(s.listeners[0]!.virtualHosts.all[0]!.routes[0]));
    assert.throws(() => (s.clusters as Map<string, unknown>).set('x', {}), TypeError);
    assert.throws(() => (s.clusters as Map<string, unknown>).clear(), TypeError);
    const retry = route(s, 'default/vs/r').retry!;
    assert.throws(() => (retry.retryOn as Set<string>).add('x'), TypeError);
    assert.throws(() => {
      (s.mirror as { maxInFlight: number }).maxInFlight = 1;
    }, TypeError);
  });

  test('settings have defaults and take overrides', async () => {
    const defaults = await compile(config(SIMPLE_ROUTE));
    assert.deepEqual(defaults.mirror, {
      maxBodyBytes: 8 * 1024 * 1024,
      defaultTimeoutMs: 10000,
      maxInFlight: 1000,
      maxResponseBytes: 1024 * 1024,
    });
    assert.deepEqual(defaults.proxy, { retryBufferBytes: 1024 * 1024 });
    const tuned = await compileOk(config(SIMPLE_ROUTE), { mirror: { maxInFlight: 5 }, proxy: { retryBufferBytes: 0 } });
    assert.equal(tuned.mirror.maxInFlight, 5);
    assert.equal(tuned.mirror.maxBodyBytes, 8 * 1024 * 1024);
    assert.equal((await compileOk(config(SIMPLE_ROUTE), { mirror: { maxResponseBytes: 10 } })).mirror.maxResponseBytes, 10);
    assert.equal(tuned.proxy.retryBufferBytes, 0);
    const bad = await compileYaml(config(SIMPLE_ROUTE), { mirror: { maxInFlight: -1 } });
    assert.equal(bad.snapshot, null);
    assert.deepEqual(bad.diagnostics.map((d) => [d.code, d.field]), [['INVALID_OPTION', 'mirror.maxInFlight']]);
  });

  test('version: 12 hex characters, stable for equal content, different for different content', async () => {
    const a = await compile(config(SIMPLE_ROUTE));
    const b = await compile(`# a comment changes nothing\n${config(SIMPLE_ROUTE)}`);
    const c = await compile(config(`${SIMPLE_ROUTE}    timeout: 2s\n`));
    assert.match(a.version, /^[0-9a-f]{12}$/);
    assert.equal(a.version, b.version);
    assert.notEqual(a.version, c.version);
    assert.ok(!Number.isNaN(Date.parse(a.loadedAt)));
  });

  test('no Gateway is an error: nothing would listen', async () => {
    const result = await compileYaml(SERVICES);
    assert.equal(result.snapshot, null);
    assert.deepEqual(result.diagnostics.map((d) => `${d.severity} ${d.code}`), ['error NO_LISTENERS']);
    assert.match(result.diagnostics[0]!.message, /no Gateway is defined/);
  });

  test('no resources at all is an error that names the paths', async () => {
    const dir = writeFiles({ 'README.md': 'not config', 'empty.yaml': '# nothing here\n' });
    const { snapshot, diagnostics } = await buildSnapshotFromPaths([dir]);
    assert.equal(snapshot, null);
    assert.deepEqual(diagnostics.map((d) => `${d.severity} ${d.code}`), ['error NO_RESOURCES']);
    assert.match(diagnostics[0]!.message, /no Istio resources found: 1 file\(s\) but no Gateway, VirtualService, DestinationRule or ServiceEntry under /);
  });
});
