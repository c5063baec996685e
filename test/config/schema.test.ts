import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatDiagnostic, UNSUPPORTED_FIELDS } from '../../src/config/index.ts';
import { compileYaml, config, expectDiagnostic, route, SIMPLE_ROUTE } from './helpers.ts';

describe('schema: unknown and unsupported fields', () => {
  test('an unknown field is an error naming field, resource and the closest known field', async () => {
    const result = await compileYaml(config(`${SIMPLE_ROUTE}    mirrorPercnt: 5\n`));
    const d = expectDiagnostic(result, 'UNKNOWN_FIELD', 'spec.http[0].mirrorPercnt', 'mirrorPercnt: 5');
    assert.equal(d.kind, 'VirtualService');
    assert.equal(d.name, 'vs');
    assert.match(
      formatDiagnostic(d),
      /error VirtualService default\/vs spec\.http\[0\]\.mirrorPercnt: unknown field "mirrorPercnt": Istio's HTTPRoute has no such field \(did you mean "mirrorPercent"\?\) \[UNKNOWN_FIELD\]$/,
    );
  });

  test('a typo inside a nested message is found at its path', async () => {
    const result = await compileYaml(config(`${SIMPLE_ROUTE}    mirror:\n      host: backend\n    mirrorPercentage:\n      vaule: 5\n`));
    const d = expectDiagnostic(result, 'UNKNOWN_FIELD', 'spec.http[0].mirrorPercentage.vaule', 'vaule: 5');
    assert.match(d.message, /Istio's Percent has no such field \(did you mean "value"\?\)/);
  });

  test('a name nothing is close to lists the known fields', async () => {
    const result = await compileYaml(config(`  - name: r\n    colour: blue\n    route:\n    - destination:\n        host: backend\n`));
    const d = expectDiagnostic(result, 'UNKNOWN_FIELD', 'spec.http[0].colour', 'colour: blue');
    assert.match(d.message, /known fields here: name, match, route, /);
  });

  test('an Istio field that would change what is served is an error; one that tunes is a warning', async () => {
    const result = await compileYaml(
      config(`  - name: r
    retries:
      attempts: 2
      retryRemoteLocalities: true
    match:
    - scheme:
        exact: https
    route:
    - destination:
        host: backend
`),
    );
    const scheme = expectDiagnostic(result, 'UNSUPPORTED_FIELD', 'spec.http[0].match[0].scheme', 'scheme:');
    assert.equal(scheme.message, '"scheme" is not supported by shadowgate, and ignoring it would change which requests are served, routed or mirrored');
    const tune = expectDiagnostic(result, 'UNSUPPORTED_FIELD', 'spec.http[0].retries.retryRemoteLocalities', 'retryRemoteLocalities', 'warning');
    assert.match(tune.message, /ignored; shadowgate has no localities/);
    assert.equal(result.diagnostics.filter((d) => d.code === 'UNKNOWN_FIELD').length, 0);
  });

  test('a typo inside an unsupported field is still an unknown field', async () => {
    const result = await compileYaml(config(`  - match:\n    - scheme:\n        exactt: https\n${SIMPLE_ROUTE.split('\n').slice(1).join('\n')}`));
    expectDiagnostic(result, 'UNSUPPORTED_FIELD', 'spec.http[0].match[0].scheme', 'scheme:');
    const d = expectDiagnostic(result, 'UNKNOWN_FIELD', 'spec.http[0].match[0].scheme.exactt', 'exactt');
    assert.match(d.message, /did you mean "exact"/);
  });

  test('a typo inside a route action is an unknown field with a suggestion', async () => {
    const result = await compileYaml(config(`${SIMPLE_ROUTE}    fault:\n      abort:\n        httpStatuss: 500\n`));
    const d = expectDiagnostic(result, 'UNKNOWN_FIELD', 'spec.http[0].fault.abort.httpStatuss', 'httpStatuss');
    assert.match(d.message, /did you mean "httpStatus"/);
  });

  test('unknown and unsupported fields in several kinds, including nested DestinationRule ones', async () => {
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
      splitExternalLocalOriginErrors: true
    connectionPool:
      tcp:
        maxConections: 10
`;
    const result = await compileYaml(yaml);
    const byField = new Map(result.diagnostics.map((d) => [d.field, d] as const));
    assert.equal(byField.get('spec.exportTo'), undefined, 'exported to "." in its own namespace, the default proxy namespace');
    // outlierDetection is supported; a field of it shadowgate does not implement is a warning.
    assert.equal(byField.get('spec.trafficPolicy.outlierDetection'), undefined);
    assert.equal(byField.get('spec.trafficPolicy.outlierDetection.splitExternalLocalOriginErrors')?.severity, 'warning');
    const typo = byField.get('spec.trafficPolicy.connectionPool.tcp.maxConections');
    assert.equal(typo?.code, 'UNKNOWN_FIELD');
    assert.equal(typo?.severity, 'error');
    assert.match(typo!.message, /did you mean "maxConnections"/);
    assert.equal(result.snapshot, null);
  });

  test('warnings alone keep the snapshot, and the rest of the resource is used', async () => {
    const result = await compileYaml(config(`${SIMPLE_ROUTE}    retries:\n      attempts: 1\n      backoff: 1s\n`));
    expectDiagnostic(result, 'UNSUPPORTED_FIELD', 'spec.http[0].retries.backoff', 'backoff: 1s', 'warning');
    assert.ok(result.snapshot);
    assert.equal(route(result.snapshot, 'default/vs/r').retry?.numRetries, 1);
  });

  test('the unsupported table is derived from the field tables', () => {
    const vs = UNSUPPORTED_FIELDS.VirtualService;
    for (const f of ['http[].match[].scheme']) {
      assert.equal(vs.get(f)?.status, 'refused', f);
    }
    for (const f of ['http[].fault', 'http[].corsPolicy', 'http[].redirect', 'http[].directResponse', 'http[].delegate']) {
      assert.equal(vs.has(f), false, `${f} is supported`);
    }
    for (const f of ['tcp', 'tls', 'http[].match[].statPrefix', 'http[].retries.backoff']) assert.equal(vs.get(f)?.status, 'ignored', f);
    for (const f of ['http[].mirrorPercent', 'http[].mirror_percent', 'http[].match[].sourceLabels', 'http[].match[].port', 'http[].match[].gateways', 'http[].match[].sourceNamespace']) {
      assert.equal(vs.has(f), false, f);
    }
    for (const f of ['trafficPolicy.outlierDetection', 'trafficPolicy.portLevelSettings', 'trafficPolicy.loadBalancer.consistentHash', 'trafficPolicy.tls.credentialName']) {
      assert.equal(UNSUPPORTED_FIELDS.DestinationRule.has(f), false, f);
    }
    assert.equal(UNSUPPORTED_FIELDS.DestinationRule.get('trafficPolicy.outlierDetection.splitExternalLocalOriginErrors')?.status, 'ignored');
    assert.equal(UNSUPPORTED_FIELDS.DestinationRule.get('trafficPolicy.portLevelSettings[].tls.caCrl')?.status, 'refused');
    assert.equal(UNSUPPORTED_FIELDS.DestinationRule.get('subsets[].trafficPolicy.tunnel')?.status, 'refused');
    for (const f of ['subjectAltNames', 'addresses']) assert.equal(UNSUPPORTED_FIELDS.ServiceEntry.get(f)?.status, 'ignored', f);
    assert.equal(UNSUPPORTED_FIELDS.ServiceEntry.get('workloadSelector')?.status, 'refused');
    for (const f of ['httpsRedirect', 'credentialName', 'caCertificates', 'subjectAltNames', 'minProtocolVersion', 'maxProtocolVersion', 'cipherSuites']) {
      assert.equal(UNSUPPORTED_FIELDS.Gateway.has(`servers[].tls.${f}`), false, f);
    }
    for (const f of ['caCrl', 'verifyCertificateSpki', 'verifyCertificateHash']) assert.equal(UNSUPPORTED_FIELDS.Gateway.get(`servers[].tls.${f}`)?.status, 'refused', f);
    assert.equal(UNSUPPORTED_FIELDS.Gateway.get('servers[].defaultEndpoint')?.status, 'ignored');
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

  test('a StringMatch whose only key is unknown: one error, not two', async () => {
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
    const d = expectDiagnostic(result, 'UNKNOWN_FIELD', 'spec.http[0].match[0].headers.x-user.contains', 'contains: bob');
    assert.match(d.message, /Istio's StringMatch has no such field; known fields here: exact, prefix, regex$/);
    // The StringMatch left empty by removing the typo would only echo it.
    assert.equal(result.diagnostics.filter((x) => x.code === 'STRING_MATCH_ONE_OF').length, 0);
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
