import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatDiagnostic, UNSUPPORTED_FIELDS } from '../../src/config/index.ts';
import { compileYaml, config, expectDiagnostic, route, SIMPLE_ROUTE } from './helpers.ts';

describe('schema: unknown and unsupported fields', () => {
  test('an unknown field is a warning naming field and resource, and the rest is still used', async () => {
    const result = await compileYaml(
      config(`  - name: r
    colour: blue
    route:
    - destination:
        host: backend
`),
    );
    const d = expectDiagnostic(result, 'UNKNOWN_FIELD', 'spec.http[0].colour', 'colour: blue', 'warning');
    assert.equal(d.kind, 'VirtualService');
    assert.equal(d.name, 'vs');
    assert.match(formatDiagnostic(d), /warning VirtualService default\/vs spec\.http\[0\]\.colour: unknown field "colour" ignored \[UNKNOWN_FIELD\]$/);
    assert.ok(result.snapshot);
    assert.equal(route(result.snapshot, 'default/vs/r').clusters[0]!.cluster, 'outbound|8000||backend.default.svc.cluster.local');
  });

  test('a known Istio field shadowgate does not implement says so', async () => {
    const result = await compileYaml(
      config(`  - name: r
    fault:
      abort:
        httpStatus: 500
    match:
    - sourceLabels:
        app: x
      uri:
        prefix: /
    route:
    - destination:
        host: backend
`),
    );
    const fault = expectDiagnostic(result, 'UNSUPPORTED_FIELD', 'spec.http[0].fault', 'fault:', 'warning');
    assert.equal(fault.message, '"fault" is not supported by shadowgate; ignored');
    assert.ok(result.diagnostics.some((d) => d.code === 'UNKNOWN_FIELD') === false);
    const labels = result.diagnostics.filter((d) => d.field === 'spec.http[0].match[0].sourceLabels');
    assert.equal(labels.length, 1);
    assert.equal(labels[0]!.code, 'UNSUPPORTED_FIELD');
    assert.ok(result.snapshot);
  });

  test('unknown fields in several kinds, including nested DestinationRule and ServiceEntry ones', async () => {
    const yaml = `${config(SIMPLE_ROUTE)}---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: multi
spec:
  host: multi.example.com
  exportTo: ["."]
  trafficPolicy:
    outlierDetection:
      consecutive5xxErrors: 3
    connectionPool:
      tcp:
        maxConections: 10
`;
    const result = await compileYaml(yaml);
    const byField = new Map(result.diagnostics.map((d) => [d.field, d.code]));
    assert.equal(byField.get('spec.exportTo'), 'UNSUPPORTED_FIELD');
    assert.equal(byField.get('spec.trafficPolicy.outlierDetection'), 'UNSUPPORTED_FIELD');
    assert.equal(byField.get('spec.trafficPolicy.connectionPool.tcp.maxConections'), 'UNKNOWN_FIELD');
    assert.ok(result.snapshot);
  });

  test('the unsupported table lists the fields the docs promise', () => {
    const vs = UNSUPPORTED_FIELDS.VirtualService;
    for (const f of ['tcp', 'tls', 'exportTo', 'http[].fault', 'http[].corsPolicy', 'http[].redirect', 'http[].directResponse', 'http[].delegate', 'http[].mirror_percent', 'http[].match[].sourceLabels', 'http[].match[].port', 'http[].match[].gateways', 'http[].match[].scheme']) {
      assert.ok(vs.has(f), f);
    }
    for (const f of ['exportTo', 'workloadSelector', 'trafficPolicy.outlierDetection', 'trafficPolicy.portLevelSettings']) {
      assert.ok(UNSUPPORTED_FIELDS.DestinationRule.has(f), f);
    }
    for (const f of ['exportTo', 'subjectAltNames', 'workloadSelector', 'addresses']) assert.ok(UNSUPPORTED_FIELDS.ServiceEntry.has(f), f);
    for (const f of ['servers[].defaultEndpoint', 'servers[].tls.httpsRedirect', 'servers[].tls.credentialName']) {
      assert.ok(UNSUPPORTED_FIELDS.Gateway.has(f), f);
    }
  });
});

describe('schema: shape errors', () => {
  test('a percentage that is not a number', async () => {
    const result = await compileYaml(
      config(`${SIMPLE_ROUTE}    mirror:
      host: backend
    mirrorPercentage:
      value: half
`),
    );
    const d = expectDiagnostic(result, 'INVALID_FIELD', 'spec.http[0].mirrorPercentage.value', 'value: half');
    assert.equal(d.message, 'expected a number, got string "half"');
  });

  test('a percentage above 100', async () => {
    const result = await compileYaml(
      config(`${SIMPLE_ROUTE}    mirror:
      host: backend
    mirrorPercentage:
      value: 150
`),
    );
    const d = expectDiagnostic(result, 'PERCENTAGE_RANGE', 'spec.http[0].mirrorPercentage.value', 'value: 150');
    assert.equal(d.message, 'must be between 0 and 100 (got number 150)');
  });

  test('a mirrors[] percentage below 0', async () => {
    const result = await compileYaml(
      config(`${SIMPLE_ROUTE}    mirrors:
    - destination:
        host: backend
      percentage:
        value: -1
`),
    );
    expectDiagnostic(result, 'PERCENTAGE_RANGE', 'spec.http[0].mirrors[0].percentage.value', 'value: -1');
  });

  test('a StringMatch with two kinds set', async () => {
    const result = await compileYaml(
      config(`  - name: r
    match:
    - uri:
        exact: /a
        prefix: /b
    route:
    - destination:
        host: backend
`),
    );
    const d = expectDiagnostic(result, 'STRING_MATCH_ONE_OF', 'spec.http[0].match[0].uri', 'uri:');
    assert.equal(d.message, 'set exactly one of exact, prefix or regex (got exact and prefix)');
  });

  test('a StringMatch with none set, next to an unknown key', async () => {
    const result = await compileYaml(
      config(`  - name: r
    match:
    - headers:
        x-user:
          contains: bob
    route:
    - destination:
        host: backend
`),
    );
    expectDiagnostic(result, 'UNKNOWN_FIELD', 'spec.http[0].match[0].headers.x-user.contains', 'contains: bob', 'warning');
    expectDiagnostic(result, 'STRING_MATCH_ONE_OF', 'spec.http[0].match[0].headers.x-user', 'x-user:');
  });

  test('a bad duration', async () => {
    const result = await compileYaml(config(`${SIMPLE_ROUTE}    timeout: 5 seconds\n`));
    const d = expectDiagnostic(result, 'INVALID_DURATION', 'spec.http[0].timeout', 'timeout: 5 seconds');
    assert.match(d.message, /must be a duration such as 5s/);
  });

  test('a wrong type and a missing required field are errors with human messages', async () => {
    const yaml = config(`  - name: r
    route:
    - destination:
        port:
          number: "8000"
      weight: 100
`);
    const result = await compileYaml(yaml);
    const host = result.diagnostics.find((d) => d.field === 'spec.http[0].route[0].destination.host');
    assert.ok(host, result.diagnostics.map(formatDiagnostic).join('\n'));
    assert.equal(host.message, 'is required');
    assert.equal(host.code, 'INVALID_FIELD');
    const port = result.diagnostics.find((d) => d.field === 'spec.http[0].route[0].destination.port.number');
    assert.ok(port);
    assert.equal(port.message, 'expected a number, got string "8000"');
    assert.equal(result.snapshot, null);
  });

  test('a port number out of range', async () => {
    const yaml = config(SIMPLE_ROUTE).replace('number: 0', 'number: 70000');
    const result = await compileYaml(yaml);
    const d = expectDiagnostic(result, 'INVALID_FIELD', 'spec.servers[0].port.number', 'number: 70000');
    assert.equal(d.message, 'must be <= 65535 (got number 70000)');
  });

  test('an enum value that is not Istio\'s', async () => {
    const yaml = `${config(SIMPLE_ROUTE)}---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: multi
spec:
  host: multi.example.com
  trafficPolicy:
    loadBalancer:
      simple: FASTEST
`;
    const result = await compileYaml(yaml);
    const d = expectDiagnostic(result, 'INVALID_FIELD', 'spec.trafficPolicy.loadBalancer.simple', 'simple: FASTEST');
    assert.match(d.message, /^must be one of UNSPECIFIED, LEAST_CONN, .* \(got string "FASTEST"\)$/);
  });
});
