/**
 * DestinationRule traffic policies compiled into clusters: outlier detection defaults, connection pool
 * limits, consistent hashing and its checks, Istio's merge of port-level and subset policies, MUTUAL
 * TLS from files or a Secret, and Secrets that never show their contents.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatDiagnostic } from '../../src/config/index.ts';
import { compileOk, compileYaml, config, expectDiagnostic } from './helpers.ts';

/** Routes to multi.example.com ports 80 and 443, plain and subset `s`, with a DestinationRule whose spec is `rule`. */
function withRule(rule: string, extra = ''): string {
  return `${config(`  - name: r
    route:
    - destination: { host: multi.example.com, port: { number: 80 } }
      weight: 50
    - destination: { host: multi.example.com, port: { number: 443 }, subset: s }
      weight: 25
    - destination: { host: multi.example.com, port: { number: 443 } }
      weight: 25
`)}---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: multi
spec:
  host: multi.example.com
${rule}${rule.includes('subsets:') ? '' : '  subsets:\n  - name: s\n'}${extra}`;
}

const PEM_CERT = '-----BEGIN CERTIFICATE-----\nTUlJQ0NFUlQ=\n-----END CERTIFICATE-----\n';
const PEM_KEY = '-----BEGIN PRIVATE KEY-----\nU0VDUkVUS0VZ\n-----END PRIVATE KEY-----\n';
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('DestinationRule traffic policy', () => {
  test('outlierDetection: Envoy defaults where Istio leaves fields unset, and the deprecated consecutiveErrors', async () => {
    const result = await compileYaml(
      withRule(`  trafficPolicy:
    outlierDetection:
      consecutiveErrors: 7
      consecutiveGatewayErrors: 2
      maxEjectionPercent: 0
`),
    );
    assert.ok(result.snapshot, result.diagnostics.map(formatDiagnostic).join('\n'));
    const od = result.snapshot.clusters.get('outbound|80||multi.example.com')!.outlierDetection;
    assert.deepEqual(od, {
      consecutive5xx: 5,
      consecutiveGatewayFailure: 2,
      intervalMs: 10_000,
      baseEjectionMs: 30_000,
      maxEjectionMs: 300_000,
      maxEjectionPercent: 10,
      minHealthPercent: 0,
    });
    expectDiagnostic(result, 'DEPRECATED_VALUE', 'spec.trafficPolicy.outlierDetection.consecutiveErrors', 'consecutiveErrors: 7', 'warning');
    assert.equal(result.snapshot.clusters.get('outbound|80||backend')?.outlierDetection ?? null, null);
  });

  test('connection pool limits; 0 means unset, as in Istio', async () => {
    const s = await compileOk(
      withRule(`  trafficPolicy:
    connectionPool:
      http: { maxRequestsPerConnection: 1, http2MaxRequests: 0, maxRetries: 3 }
`),
    );
    const pool = s.clusters.get('outbound|80||multi.example.com')!.connectionPool;
    assert.equal(pool.maxRequestsPerConnection, 1);
    assert.equal(pool.maxRequests, 4_294_967_295);
    assert.equal(pool.maxRetries, 3);
  });

  test('consistentHash: ring hash by default, Maglev with its table; the hash key one-of and sizes are checked', async () => {
    const s = await compileOk(
      withRule(`  trafficPolicy:
    loadBalancer:
      consistentHash: { httpHeaderName: X-User }
  subsets:
  - name: s
    trafficPolicy:
      loadBalancer:
        consistentHash: { httpQueryParameterName: u, maglev: { tableSize: 251 } }
`),
    );
    const ring = s.clusters.get('outbound|80||multi.example.com')!;
    assert.equal(ring.loadBalancer, 'RING_HASH');
    assert.deepEqual(ring.consistentHash, { key: { kind: 'header', name: 'x-user' }, minimumRingSize: 1024, tableSize: null });
    const maglev = s.clusters.get('outbound|443|s|multi.example.com')!;
    assert.equal(maglev.loadBalancer, 'MAGLEV');
    assert.deepEqual(maglev.consistentHash, { key: { kind: 'queryParameter', name: 'u' }, minimumRingSize: null, tableSize: 251 });

    const bad = await compileYaml(
      withRule(`  trafficPolicy:
    loadBalancer:
      consistentHash: { httpHeaderName: a, useSourceIp: true, maglev: { tableSize: 100 } }
`),
    );
    expectDiagnostic(bad, 'CONSISTENT_HASH', 'spec.trafficPolicy.loadBalancer.consistentHash', 'consistentHash:');
    expectDiagnostic(bad, 'CONSISTENT_HASH', 'spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize', 'consistentHash:');
    const deprecated = await compileYaml(
      withRule(`  trafficPolicy:
    loadBalancer:
      consistentHash:
        useSourceIp: true
        minimumRingSize: 4096
`),
    );
    expectDiagnostic(deprecated, 'DEPRECATED_VALUE', 'spec.trafficPolicy.loadBalancer.consistentHash.minimumRingSize', 'minimumRingSize', 'warning');
    assert.equal(deprecated.snapshot?.clusters.get('outbound|80||multi.example.com')?.consistentHash?.minimumRingSize, 4096);
  });

  test("Istio's merge: port level replaces all four sections of its policy; a subset replaces the sections it sets", async () => {
    const s = await compileOk(
      withRule(`  trafficPolicy:
    loadBalancer: { simple: RANDOM }
    connectionPool: { tcp: { maxConnections: 7 } }
    outlierDetection: { consecutive5xxErrors: 2 }
    portLevelSettings:
    - port: { number: 443 }
      connectionPool: { tcp: { maxConnections: 9 } }
  subsets:
  - name: s
    trafficPolicy:
      outlierDetection: { consecutive5xxErrors: 4 }
`),
    );
    const p80 = s.clusters.get('outbound|80||multi.example.com')!;
    assert.equal(p80.loadBalancer, 'RANDOM');
    assert.equal(p80.connectionPool.maxConnections, 7);
    assert.equal(p80.outlierDetection?.consecutive5xx, 2);
    const p443 = s.clusters.get('outbound|443||multi.example.com')!;
    assert.equal(p443.connectionPool.maxConnections, 9);
    assert.equal(p443.loadBalancer, 'ROUND_ROBIN', 'port level does not inherit the top-level loadBalancer');
    assert.equal(p443.outlierDetection, null, 'nor its outlierDetection');
    const subset = s.clusters.get('outbound|443|s|multi.example.com')!;
    assert.equal(subset.connectionPool.maxConnections, 9, 'the rule at port 443, then the subset');
    assert.equal(subset.outlierDetection?.consecutive5xx, 4);
  });

  test('duplicate port-level entries: the first wins, with a warning', async () => {
    const result = await compileYaml(
      withRule(`  trafficPolicy:
    portLevelSettings:
    - port: { number: 80 }
      loadBalancer: { simple: RANDOM }
    - port: { number: 80 } # again
      loadBalancer: { simple: LEAST_REQUEST }
`),
    );
    assert.equal(result.snapshot?.clusters.get('outbound|80||multi.example.com')?.loadBalancer, 'RANDOM');
    expectDiagnostic(result, 'DUPLICATE_PORT', 'spec.trafficPolicy.portLevelSettings[1].port.number', '# again', 'warning');
  });
});

describe('MUTUAL TLS and Secrets', () => {
  test('client certificate from files, or from a kubernetes.io/tls Secret (data or stringData, CA from <name>-cacert)', async () => {
    const files = await compileOk(
      withRule(`  trafficPolicy:
    tls: { mode: MUTUAL, clientCertificate: cert.pem, privateKey: key.pem }
`),
      {},
      { 'cert.pem': PEM_CERT, 'key.pem': PEM_KEY },
    );
    const tls = files.clusters.get('outbound|80||multi.example.com')!.tls!;
    assert.equal(tls.mode, 'MUTUAL');
    assert.equal(tls.clientCertificate?.cert, PEM_CERT);
    assert.match(tls.clientCertificate?.certFile ?? '', /cert\.pem$/);

    const secrets = await compileOk(
      withRule(
        `  trafficPolicy:
    tls: { mode: MUTUAL, credentialName: client }
`,
        `---
apiVersion: v1
kind: Secret
metadata: { name: client }
type: kubernetes.io/tls
data:
  tls.crt: ${b64(PEM_CERT)}
stringData:
  tls.key: |
    -----BEGIN PRIVATE KEY-----
    U0VDUkVUS0VZ
    -----END PRIVATE KEY-----
---
apiVersion: v1
kind: Secret
metadata: { name: client-cacert }
data:
  cacert: ${b64(PEM_CERT)}
`,
      ),
    );
    const fromSecret = secrets.clusters.get('outbound|80||multi.example.com')!.tls!;
    assert.equal(fromSecret.credentialName, 'default/client');
    assert.equal(fromSecret.clientCertificate?.cert, PEM_CERT);
    assert.match(fromSecret.clientCertificate?.key ?? '', /U0VDUkVUS0VZ/);
    assert.equal(fromSecret.ca, PEM_CERT);
  });

  test('credential problems are errors that name the Secret and key, never its contents', async () => {
    const secret = (name: string, body: string) => `---
apiVersion: v1
kind: Secret
metadata: { name: ${name} }
${body}`;
    const result = await compileYaml(
      withRule(
        `  trafficPolicy:
    tls: { mode: MUTUAL, credentialName: missing }
  subsets:
  - name: s
    trafficPolicy:
      tls: { mode: MUTUAL, credentialName: broken }
  - name: t
    trafficPolicy:
      tls: { mode: MUTUAL, credentialName: nokey, clientCertificate: cert.pem }
  - name: u
    trafficPolicy:
      tls: { mode: MUTUAL, credentialName: nokey }
  - name: v
    trafficPolicy:
      tls: { mode: SIMPLE, credentialName: numeric }
`,
        `${secret('broken', `type: kubernetes.io/tls\ndata:\n  tls.crt: "not base64!"\n  tls.key: ${b64('SECRETKEYMATERIAL')}\n`)}
${secret('nokey', `type: kubernetes.io/tls\ndata:\n  tls.crt: ${b64(PEM_CERT)}\n`)}
${secret('docker', `type: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: e30=\n`)}
${secret('numeric', `stringData:\n  ca.crt: 987654321\n`)}`,
      ),
    );
    const text = result.diagnostics.map(formatDiagnostic).join('\n');
    expectDiagnostic(result, 'UNKNOWN_SECRET', 'spec.trafficPolicy.tls.credentialName', 'credentialName: missing');
    expectDiagnostic(result, 'INVALID_SECRET', 'spec.data["tls.crt"]', 'tls.crt: "not base64!"');
    expectDiagnostic(result, 'INVALID_SECRET', 'spec.data["tls.key"]', null);
    expectDiagnostic(result, 'INVALID_SECRET', 'spec.subsets[0].trafficPolicy.tls.credentialName', 'credentialName: broken');
    expectDiagnostic(result, 'TLS_CLIENT_CERTIFICATE', 'spec.subsets[1].trafficPolicy.tls.credentialName', 'credentialName: nokey, clientCertificate');
    const noKey = expectDiagnostic(result, 'INVALID_SECRET', 'spec.subsets[2].trafficPolicy.tls.credentialName', 'credentialName: nokey }');
    assert.match(noKey.message, /has no tls\.key/);
    expectDiagnostic(result, 'INVALID_SECRET', 'spec.stringData["ca.crt"]', 'ca.crt: 987654321');
    for (const content of ['not base64!', 'SECRETKEYMATERIAL', b64('SECRETKEYMATERIAL'), '987654321']) assert.ok(!text.includes(content), text);
  });
});
