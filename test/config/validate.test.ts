/** Every reference rule of the compile step rejects a bad config with file, line and field. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatDiagnostic } from '../../src/config/index.ts';
import { compileYaml, config, expectDiagnostic, GATEWAY, route, SERVICES, SIMPLE_ROUTE, virtualService } from './helpers.ts';

const routeTo = (destination: string) => `  - name: r
    route:
    - destination:
${destination}`;

const mirrorTo = (mirror: string) => `${SIMPLE_ROUTE}    mirror:
${mirror}`;

describe('destinations', () => {
  test('a route host with no ServiceEntry', async () => {
    const result = await compileYaml(config(routeTo('        host: ghost\n')));
    const d = expectDiagnostic(result, 'UNKNOWN_HOST', 'spec.http[0].route[0].destination.host', 'host: ghost');
    assert.equal(d.message, 'host ghost (ghost.default.svc.cluster.local) does not match any ServiceEntry host');
  });

  test('a mirror host with no ServiceEntry', async () => {
    const result = await compileYaml(config(mirrorTo('      host: ghost.example.com\n')));
    expectDiagnostic(result, 'UNKNOWN_HOST', 'spec.http[0].mirror.host', 'host: ghost.example.com');
  });

  test('a short host resolves in the VirtualService namespace, not another', async () => {
    const yaml = `${GATEWAY}---\n${SERVICES}---\n${virtualService(SIMPLE_ROUTE).replace('  name: vs\n', '  name: vs\n  namespace: other\n').replace('  - gw', '  - default/gw')}`;
    const result = await compileYaml(yaml);
    const d = expectDiagnostic(result, 'UNKNOWN_HOST', 'spec.http[0].route[0].destination.host', 'host: backend');
    assert.match(d.message, /backend\.other\.svc\.cluster\.local/);
  });

  test('no port on a multi-port service', async () => {
    const result = await compileYaml(config(routeTo('        host: multi.example.com\n')));
    const d = expectDiagnostic(result, 'MULTI_PORT_NEEDS_PORT', 'spec.http[0].route[0].destination.port', 'destination:');
    assert.match(d.message, /dynamic port is not available for multi-port services/);
    assert.match(d.message, /80, 443, 9000/);
  });

  test('a port the service does not have', async () => {
    const result = await compileYaml(config(mirrorTo('      host: backend\n      port:\n        number: 9999\n')));
    const d = expectDiagnostic(result, 'UNKNOWN_PORT', 'spec.http[0].mirror.port', 'port:');
    assert.equal(d.message, 'port 9999 is not a port of backend.default.svc.cluster.local (ports: 8000)');
  });

  test('a mirror to a TCP port', async () => {
    const yaml = config(mirrorTo('      host: tcp-echo\n      port:\n        number: 9000\n'));
    const result = await compileYaml(yaml);
    const d = expectDiagnostic(result, 'MIRROR_PROTOCOL', 'spec.http[0].mirror.port', 'port:');
    assert.equal(
      formatDiagnostic(d),
      `${result.file}:${d.line}:${d.column} error VirtualService default/vs spec.http[0].mirror.port: only HTTP and HTTPS services can be mirror destinations (port 9000 of tcp-echo.default.svc.cluster.local is TCP) [MIRROR_PROTOCOL]`,
    );
  });

  test('a mirror to the TCP port of a multi-port service, and a mirrors[] entry to one', async () => {
    const result = await compileYaml(
      config(`${SIMPLE_ROUTE}    mirrors:
    - destination:
        host: multi.example.com
        port:
          number: 443
    - destination:
        host: multi.example.com
        port:
          number: 9000
`),
    );
    const d = expectDiagnostic(result, 'MIRROR_PROTOCOL', 'spec.http[0].mirrors[1].destination.port', 'port:');
    assert.match(d.message, /only HTTP and HTTPS services can be mirror destinations/);
  });

  test('a route (not a mirror) may target a TCP port', async () => {
    const result = await compileYaml(config(routeTo('        host: tcp-echo\n')));
    assert.equal(result.diagnostics.filter((d) => d.severity === 'error').length, 0, result.diagnostics.map(formatDiagnostic).join('\n'));
  });

  test('an undefined subset', async () => {
    const result = await compileYaml(config(routeTo('        host: backend\n        subset: v3\n')));
    const d = expectDiagnostic(result, 'UNKNOWN_SUBSET', 'spec.http[0].route[0].destination.subset', 'subset: v3');
    assert.match(d.message, /subset v3 of backend\.default\.svc\.cluster\.local is not defined \(DestinationRule default\/backend defines v1, v2\)/);
  });

  test('a subset with no DestinationRule for the host', async () => {
    const result = await compileYaml(config(mirrorTo('      host: multi.example.com\n      port:\n        number: 80\n      subset: canary\n')));
    const d = expectDiagnostic(result, 'UNKNOWN_SUBSET', 'spec.http[0].mirror.subset', 'subset: canary');
    assert.match(d.message, /no DestinationRule applies to multi\.example\.com/);
  });
});

describe('mirror fields', () => {
  test('mirror and mirrors together', async () => {
    const result = await compileYaml(
      config(`${SIMPLE_ROUTE}    mirror:
      host: backend
    mirrors:
    - destination:
        host: backend
`),
    );
    expectDiagnostic(result, 'MIRROR_CONFLICT', 'spec.http[0].mirrors', 'mirrors:');
  });

  test('mirrorPercentage with mirrors', async () => {
    const result = await compileYaml(
      config(`${SIMPLE_ROUTE}    mirrorPercentage:
      value: 10
    mirrors:
    - destination:
        host: backend
`),
    );
    const d = expectDiagnostic(result, 'MIRROR_CONFLICT', 'spec.http[0].mirrorPercentage', 'mirrorPercentage:');
    assert.match(d.message, /mirrors\[\]\.percentage/);
  });

  test('mirrorPercentage without mirror is a warning', async () => {
    const result = await compileYaml(config(`${SIMPLE_ROUTE}    mirrorPercentage:\n      value: 10\n`));
    expectDiagnostic(result, 'MIRROR_PERCENTAGE_UNUSED', 'spec.http[0].mirrorPercentage', 'mirrorPercentage:', 'warning');
    assert.ok(result.snapshot);
  });

  test('a bad shadow-host-suffix annotation is a warning', async () => {
    const annotations = '  annotations:\n    shadowgate.io/shadow-host-suffix: "no"\n';
    const result = await compileYaml(config(SIMPLE_ROUTE, { annotations }));
    expectDiagnostic(result, 'INVALID_ANNOTATION', 'metadata.annotations["shadowgate.io/shadow-host-suffix"]', 'shadowgate.io/shadow-host-suffix', 'warning');
  });
});

describe('routes', () => {
  test('weights of several destinations must sum to 100', async () => {
    const result = await compileYaml(
      config(`  - name: r
    route:
    - destination:
        host: backend
        subset: v1
      weight: 60
    - destination:
        host: backend
        subset: v2
      weight: 30
`),
    );
    const d = expectDiagnostic(result, 'WEIGHT_SUM', 'spec.http[0].route', '    route:');
    assert.match(d.message, /60 \+ 30 = 90/);
  });

  test('a route without destinations', async () => {
    const result = await compileYaml(config(`  - name: r\n    timeout: 1s\n`));
    expectDiagnostic(result, 'NO_ROUTE_DESTINATION', 'spec.http[0].route', '  - name: r');
  });

  test('two routes with one name', async () => {
    const result = await compileYaml(config(`${SIMPLE_ROUTE}${SIMPLE_ROUTE}`));
    const d = result.diagnostics.find((x) => x.code === 'DUPLICATE_ROUTE_NAME');
    assert.ok(d);
    assert.equal(d.field, 'spec.http[1].name');
    assert.equal(result.snapshot, null);
  });

  test('a regex that does not compile', async () => {
    const result = await compileYaml(
      config(`  - name: r
    match:
    - uri:
        regex: "/api/(v1"
    route:
    - destination:
        host: backend
`),
    );
    const d = expectDiagnostic(result, 'INVALID_REGEX', 'spec.http[0].match[0].uri.regex', 'regex:');
    assert.match(d.message, /^invalid regex "\/api\/\(v1": /);
  });

  test('a header regex and a rewrite regex that do not compile, both reported', async () => {
    const result = await compileYaml(
      config(`  - name: r
    match:
    - headers:
        x-id:
          regex: "[a-"
    rewrite:
      uriRegexRewrite:
        match: "*oops"
        rewrite: /x
    route:
    - destination:
        host: backend
`),
    );
    expectDiagnostic(result, 'INVALID_REGEX', 'spec.http[0].match[0].headers.x-id.regex', 'regex: "[a-"');
    expectDiagnostic(result, 'INVALID_REGEX', 'spec.http[0].rewrite.uriRegexRewrite.match', 'match: "*oops"');
  });

  for (const [construct, pattern] of [
    ['a backreference', '(a)\\\\1'],
    ['a lookahead', '/api(?=/v1)'],
    ['a negative lookahead', '/api(?!/v1)'],
    ['a lookbehind', '(?<=/api)/v1'],
    ['a negative lookbehind', '(?<!/api)/v1'],
    ['a possessive quantifier', '/a++'],
  ] as const) {
    test(`${construct} is not RE2 syntax: an error naming the field`, async () => {
      const result = await compileYaml(
        config(`  - name: r
    match:
    - uri:
        regex: "${pattern}"
    route:
    - destination:
        host: backend
`),
      );
      const d = expectDiagnostic(result, 'INVALID_REGEX', 'spec.http[0].match[0].uri.regex', 'regex:');
      assert.match(d.message, /RE2 syntax has no backreferences, lookahead, lookbehind or possessive quantifiers/);
      assert.match(formatDiagnostic(d), /\.yaml:\d+:9 error VirtualService default\/vs spec\.http\[0\]\.match\[0\]\.uri\.regex: invalid regex/);
    });
  }

  test('RE2 syntax JavaScript lacks compiles: (?i), \\pL, [[:alpha:]], \\z, (?P<name>)', async () => {
    const result = await compileYaml(
      config(`  - name: r
    match:
    - uri:
        regex: '(?i)/(?P<word>[[:alpha:]]+)/\\pL+\\z'
    route:
    - destination:
        host: backend
`),
    );
    assert.deepEqual(result.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic), []);
    const uri = route(result.snapshot!, 'default/vs/r').matches![0]!.uri!;
    assert.ok(uri.kind === 'regex');
    assert.equal(uri.regex.fullMatch('/ABC/é'), true);
    assert.equal(uri.regex.fullMatch('/ABC/é/'), false);
  });

  test('a regex over 1024 bytes, and one whose RE2 program is over 1000 instructions: REGEX_TOO_LARGE', async () => {
    const long = `/${'x'.repeat(1024)}`;
    const result = await compileYaml(
      config(`  - name: r
    match:
    - uri:
        regex: "${long}"
    - headers:
        x-id:
          regex: "[a-z]{1,600}"
    - queryParams:
        id:
          regex: "[a-z]{1,400}"
    rewrite:
      uriRegexRewrite:
        match: "[0-9]{1000}"
        rewrite: /x
    route:
    - destination:
        host: backend
`),
    );
    const tooLong = expectDiagnostic(result, 'REGEX_TOO_LARGE', 'spec.http[0].match[0].uri.regex', 'regex: "/xxx');
    assert.match(tooLong.message, /is 1025 bytes long; at most 1024 are accepted/);
    const big = expectDiagnostic(result, 'REGEX_TOO_LARGE', 'spec.http[0].match[1].headers.x-id.regex', 'regex: "[a-z]{1,600}"');
    assert.match(big.message, /compiles to an RE2 program of \d+ instructions; at most 1000 are accepted/);
    expectDiagnostic(result, 'REGEX_TOO_LARGE', 'spec.http[0].rewrite.uriRegexRewrite.match', 'match: "[0-9]{1000}"');
    // Under the bound is fine.
    assert.equal(result.diagnostics.filter((d) => d.field.includes('queryParams')).length, 0);
  });

  test('rewrite.uri with uriRegexRewrite', async () => {
    const result = await compileYaml(
      config(`${SIMPLE_ROUTE}    rewrite:
      uri: /v2
      uriRegexRewrite:
        match: ^/v1
        rewrite: /v2
`),
    );
    expectDiagnostic(result, 'REWRITE_CONFLICT', 'spec.http[0].rewrite.uriRegexRewrite', 'uriRegexRewrite:');
  });
});

describe('gateways and listeners', () => {
  test('a gateway that does not exist', async () => {
    const yaml = config(SIMPLE_ROUTE).replace('  - gw\n', '  - gw\n  - edge/missing\n');
    const result = await compileYaml(yaml);
    const d = expectDiagnostic(result, 'UNKNOWN_GATEWAY', 'spec.gateways[1]', '- edge/missing');
    assert.equal(d.message, 'Gateway edge/missing does not exist');
  });

  test('a gateway name resolves in the VirtualService namespace', async () => {
    const yaml = `${GATEWAY}---\n${SERVICES}---\n${virtualService(routeTo('        host: backend.default.svc.cluster.local\n')).replace('  name: vs\n', '  name: vs\n  namespace: team\n')}`;
    const result = await compileYaml(yaml);
    expectDiagnostic(result, 'UNKNOWN_GATEWAY', 'spec.gateways[0]', '  - gw');
  });

  test('mesh-only VirtualServices are skipped with a warning, not compiled', async () => {
    // A named host: Istio rejects `*` on a VirtualService bound to the mesh (MESH_WILDCARD_HOST).
    const yaml = config(routeTo('        host: some-k8s-service\n'), { hosts: 'shop.example.com' }).replace('  gateways:\n  - gw\n', '  gateways:\n  - mesh\n');
    const result = await compileYaml(yaml);
    expectDiagnostic(result, 'MESH_GATEWAY_IGNORED', 'spec.gateways[0]', '  - mesh', 'warning');
    assert.ok(result.snapshot);
    assert.equal(result.snapshot.listeners[0]!.virtualHosts.all.length, 0);
  });

  test('a VirtualService without gateways is mesh-only', async () => {
    const yaml = config(SIMPLE_ROUTE, { hosts: 'shop.example.com' }).replace('  gateways:\n  - gw\n', '');
    const result = await compileYaml(yaml);
    expectDiagnostic(result, 'MESH_GATEWAY_IGNORED', 'spec.gateways', null, 'warning');
  });

  test('a VirtualService whose hosts match no server host', async () => {
    const yaml = config(SIMPLE_ROUTE, { hosts: 'shop.example.com' }).replace('    - "*"\n', '    - "*.internal"\n');
    const result = await compileYaml(yaml);
    expectDiagnostic(result, 'VIRTUAL_SERVICE_NOT_BOUND', 'spec.hosts', '  hosts:', 'warning');
  });

  test('an unsupported server protocol', async () => {
    const yaml = config(SIMPLE_ROUTE).replace('protocol: HTTP\n    hosts', 'protocol: TCP\n    hosts');
    const result = await compileYaml(yaml);
    const d = expectDiagnostic(result, 'UNSUPPORTED_PROTOCOL', 'spec.servers[0].port.protocol', { first: 'protocol: TCP' });
    assert.match(d.message, /^unsupported protocol TCP/);
  });

  test('HTTP and HTTPS servers on one address and port', async () => {
    const second = `---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: gw2
spec:
  servers:
  - port:
      number: 0
      name: https
      protocol: HTTPS
    hosts:
    - "*"
    tls:
      mode: SIMPLE
      serverCertificate: cert.pem
      privateKey: key.pem
`;
    const result = await compileYaml(`${config(SIMPLE_ROUTE)}${second}`, {}, { 'cert.pem': 'CERT', 'key.pem': 'KEY' });
    const d = expectDiagnostic(result, 'LISTENER_PROTOCOL_CONFLICT', 'spec.servers[0].port.protocol', 'protocol: HTTPS');
    assert.match(d.message, /0\.0\.0\.0:0 is already HTTP \(Gateway default\/gw at .*config\.yaml:\d+:\d+\)/);
  });

  test('HTTPS without tls, and with a key file that is missing', async () => {
    const gateway = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: gw
spec:
  servers:
  - port:
      number: 8443
      protocol: HTTPS
    hosts:
    - a.example.com
  - port:
      number: 9443
      protocol: HTTPS
    hosts:
    - b.example.com
    tls:
      mode: SIMPLE
      serverCertificate: cert.pem
      privateKey: missing-key.pem
---
`;
    const result = await compileYaml(`${gateway}${SERVICES}---\n${virtualService(SIMPLE_ROUTE)}`, {}, { 'cert.pem': 'CERT' });
    expectDiagnostic(result, 'TLS_REQUIRED', 'spec.servers[0].tls', { first: '  - port:' }); // no tls key: the server
    const d = expectDiagnostic(result, 'FILE_READ', 'spec.servers[1].tls.privateKey', 'privateKey: missing-key.pem');
    assert.match(d.message, /missing-key\.pem \(no such file\)/);
  });

  test('an HTTPS server with a non-SIMPLE tls mode', async () => {
    const yaml = config(SIMPLE_ROUTE).replace('protocol: HTTP\n    hosts:\n    - "*"\n', 'protocol: HTTPS\n    hosts:\n    - "*"\n    tls:\n      mode: PASSTHROUGH\n');
    const result = await compileYaml(yaml);
    const d = expectDiagnostic(result, 'UNSUPPORTED_VALUE', 'spec.servers[0].tls.mode', 'mode: PASSTHROUGH');
    assert.match(d.message, /tls mode PASSTHROUGH .*no TCP or TLS passthrough/);
  });
});

describe('services and destination rules', () => {
  const serviceEntry = (body: string) => `---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: extra
spec:
${body}`;
  const destinationRule = (body: string, name = 'extra') => `---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: ${name}
spec:
${body}`;

  test('STATIC endpoints must be IP addresses', async () => {
    const result = await compileYaml(
      config(SIMPLE_ROUTE) +
        serviceEntry(`  hosts: [api.example.com]
  resolution: STATIC
  ports:
  - number: 80
    name: http
  endpoints:
  - address: api.internal
`),
    );
    const d = expectDiagnostic(result, 'STATIC_ENDPOINTS', 'spec.endpoints[0].address', 'address: api.internal');
    assert.match(d.message, /use resolution DNS/);
  });

  test('STATIC needs endpoints', async () => {
    const result = await compileYaml(config(SIMPLE_ROUTE) + serviceEntry('  hosts: [api.example.com]\n  resolution: STATIC\n  ports:\n  - number: 80\n'));
    expectDiagnostic(result, 'STATIC_ENDPOINTS', 'spec.endpoints', null);
  });

  test('resolution NONE (the default) is not supported', async () => {
    const result = await compileYaml(config(SIMPLE_ROUTE) + serviceEntry('  hosts: [api.example.com]\n  ports:\n  - number: 80\n'));
    const d = expectDiagnostic(result, 'UNSUPPORTED_VALUE', 'spec.resolution', null);
    assert.match(d.message, /NONE \(the default\) is not supported/);
  });

  test('duplicate ports and a duplicate host', async () => {
    const result = await compileYaml(
      config(SIMPLE_ROUTE) +
        serviceEntry(`  hosts: [multi.example.com]
  resolution: DNS
  ports:
  - number: 80
    name: http
  - number: 80
    name: http-again
`),
    );
    expectDiagnostic(result, 'DUPLICATE_PORT', 'spec.ports[1].number', '  - number: 80');
    assert.equal(result.diagnostics.filter((d) => d.code === 'DUPLICATE_SERVICE_HOST').length, 0, 'an invalid entry does not claim hosts');
    const dup = await compileYaml(config(SIMPLE_ROUTE) + serviceEntry('  hosts: [multi.example.com]\n  resolution: DNS\n  ports:\n  - number: 80\n'));
    const d = expectDiagnostic(dup, 'DUPLICATE_SERVICE_HOST', 'spec.hosts[0]', 'hosts: [multi.example.com]', 'warning');
    assert.match(d.message, /already defined by ServiceEntry default\/multi/);
  });

  test('PASSTHROUGH load balancing, ISTIO_MUTUAL, MUTUAL without a certificate and a missing CA file are errors; LEAST_CONN is a warning', async () => {
    const result = await compileYaml(
      config(SIMPLE_ROUTE) +
        destinationRule(`  host: multi.example.com
  trafficPolicy:
    loadBalancer:
      simple: LEAST_CONN
    tls:
      mode: SIMPLE
      caCertificates: /nonexistent/ca.pem
  subsets:
  - name: a
    trafficPolicy:
      loadBalancer:
        simple: PASSTHROUGH
  - name: b
    trafficPolicy:
      tls:
        mode: MUTUAL
  - name: c
    trafficPolicy:
      tls:
        mode: ISTIO_MUTUAL
`),
    );
    expectDiagnostic(result, 'DEPRECATED_VALUE', 'spec.trafficPolicy.loadBalancer.simple', 'simple: LEAST_CONN', 'warning');
    expectDiagnostic(result, 'UNSUPPORTED_VALUE', 'spec.subsets[0].trafficPolicy.loadBalancer.simple', 'simple: PASSTHROUGH');
    assert.equal(
      result.diagnostics.filter((d) => d.code === 'TLS_CLIENT_CERTIFICATE' && d.field === 'spec.subsets[1].trafficPolicy.tls.mode').length,
      2,
      'MUTUAL without clientCertificate and privateKey',
    );
    expectDiagnostic(result, 'UNSUPPORTED_VALUE', 'spec.subsets[2].trafficPolicy.tls.mode', 'mode: ISTIO_MUTUAL');
    expectDiagnostic(result, 'FILE_READ', 'spec.trafficPolicy.tls.caCertificates', 'caCertificates:');
  });

  test('duplicate subsets, and a second rule for one host', async () => {
    const result = await compileYaml(
      config(SIMPLE_ROUTE) +
        destinationRule('  host: multi.example.com\n  subsets:\n  - name: a\n  - name: a\n') +
        destinationRule('  host: multi.example.com\n', 'again'),
    );
    expectDiagnostic(result, 'DUPLICATE_SUBSET', 'spec.subsets[1].name', '  - name: a');
    expectDiagnostic(result, 'DUPLICATE_DESTINATION_RULE', 'spec.host', 'host: multi.example.com', 'warning');
  });

  test('a subset that selects no endpoints is a warning', async () => {
    const result = await compileYaml(
      config(routeTo('        host: backend\n        subset: v9\n')).replace(
        '  - name: v2\n    labels:\n      version: v2\n',
        '  - name: v2\n    labels:\n      version: v2\n  - name: v9\n    labels:\n      version: v9\n',
      ),
    );
    expectDiagnostic(result, 'EMPTY_SUBSET', 'spec.subsets[2].labels', '    labels:', 'warning');
    assert.ok(result.snapshot);
  });
});

describe('collecting', () => {
  test('all errors are reported at once, across resources', async () => {
    const result = await compileYaml(
      config(`  - name: a
    route:
    - destination:
        host: ghost
  - name: b
    route:
    - destination:
        host: backend
        subset: nope
    mirror:
      host: tcp-echo
`).replace('protocol: HTTP\n    hosts', 'protocol: GRPC\n    hosts'),
    );
    const codes = result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code).sort();
    assert.deepEqual(codes, ['MIRROR_PROTOCOL', 'UNKNOWN_HOST', 'UNKNOWN_SUBSET', 'UNSUPPORTED_PROTOCOL']);
    assert.equal(result.snapshot, null);
  });
});

describe('ordering and load errors', () => {
  test('diagnostics come sorted by file and line, whichever pass found them', async () => {
    const result = await compileYaml(
      config(`  - name: r
    route:
    - destination:
        host: ghost
`).replace('protocol: HTTP\n    hosts', 'protocol: UDP\n    hosts'),
    );
    const lines = result.diagnostics.map((d) => d.line);
    assert.deepEqual(lines, [...lines].sort((a, b) => a - b));
    assert.deepEqual(result.diagnostics.map((d) => d.code), ['UNSUPPORTED_PROTOCOL', 'UNKNOWN_HOST']);
  });

  test('a bind address that is not an IP', async () => {
    const result = await compileYaml(config(SIMPLE_ROUTE).replace('    hosts:\n    - "*"\n', '    bind: unix:///tmp/gw.sock\n    hosts:\n    - "*"\n'));
    expectDiagnostic(result, 'UNSUPPORTED_VALUE', 'spec.servers[0].bind', 'bind: unix');
  });

  test('a load error withholds the snapshot even when everything else compiles', async () => {
    const result = await compileYaml(`${config(SIMPLE_ROUTE)}---\nkind: [broken\n`);
    assert.equal(result.snapshot, null);
    assert.equal(result.diagnostics.filter((d) => d.severity === 'error')[0]?.code, 'YAML_SYNTAX');
  });
});
