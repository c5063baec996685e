/**
 * Gateway server TLS as Istio users write it, over real sockets on loopback: a `credentialName` Secret
 * (data and stringData), MUTUAL and OPTIONAL_MUTUAL client certificates (also mixed with SIMPLE on one
 * port, chosen by SNI), subjectAltNames, httpsRedirect, protocol versions and cipher suites; and no
 * Secret contents in /config_dump or in error messages.
 */
import assert from 'node:assert/strict';
import { request as httpsRequest } from 'node:https';
import type { SecureVersion, TLSSocket } from 'node:tls';
import { describe, test } from 'node:test';
import { renderListener } from '../../src/admin/config-dump/listeners.ts';
import { renderRouteConfiguration } from '../../src/admin/config-dump/routes.ts';
import { buildSnapshotFromPaths, formatDiagnostic } from '../../src/config/index.ts';
import type { Snapshot } from '../../src/snapshot/types.ts';
import { certificateAuthority, type IssuedCert, requestVia, startEchoService, type TestCertificateAuthority, writeConfig } from '../support/index.ts';
import { compileYaml, serviceEntry, startGateway } from './harness.ts';

interface AfterHook {
  after(fn: () => unknown): void;
}

const b64 = (text: string) => Buffer.from(text).toString('base64');
const indent = (text: string, spaces: number) =>
  text
    .trim()
    .split('\n')
    .map((l) => `${' '.repeat(spaces)}${l}`)
    .join('\n');

/** A `kubernetes.io/tls` Secret, written as `data` (base64) or `stringData` (PEM text). */
function tlsSecret(name: string, cert: IssuedCert, options: { form: 'data' | 'stringData'; ca?: string; namespace?: string }): string {
  const entries: [string, string][] = [
    ['tls.crt', cert.cert],
    ['tls.key', cert.key],
    ...(options.ca !== undefined ? [['ca.crt', options.ca] as [string, string]] : []),
  ];
  const body =
    options.form === 'data'
      ? entries.map(([k, v]) => `  ${k}: ${b64(v)}`).join('\n')
      : entries.map(([k, v]) => `  ${k}: |\n${indent(v, 4)}`).join('\n');
  return `
apiVersion: v1
kind: Secret
metadata: { name: ${name}, namespace: ${options.namespace ?? 'default'} }
type: kubernetes.io/tls
${options.form}:
${body}
---`;
}

/** One HTTPS (or HTTP) Gateway server per entry, all on one loopback port 0. */
function gateway(servers: readonly { hosts: string[]; tls: string; protocol?: string }[]): string {
  return `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: edge, namespace: edge }
spec:
  servers:
${servers
  .map(
    (s, i) => `    - port: { number: 0, name: s${i}, protocol: ${s.protocol ?? 'HTTPS'} }
      bind: 127.0.0.1
      hosts: ${JSON.stringify(s.hosts)}
      tls:
${indent(s.tls, 8)}`,
  )
  .join('\n')}
---`;
}

function routeTo(host: string, hosts: string[]): string {
  return `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: to-${host.replace(/[^a-z0-9]/g, '-')}, namespace: edge }
spec:
  hosts: ${JSON.stringify(hosts)}
  gateways: [edge/edge]
  http:
    - route: [{ destination: { host: ${host} } }]
---`;
}

/** A backend that records what reached it, and the config lines that route to it. */
async function backend(t: AfterHook, hosts: string[] = ['*.example.com']) {
  const echo = await startEchoService({ name: 'app' });
  t.after(() => echo.close());
  return { echo, yaml: `${serviceEntry('app.svc.local', 80, [[echo.port]])}${routeTo('app.svc.local', hosts)}` };
}

type Outcome = { status: number; protocol: string | null; cipher: string } | { error: string };

/** One GET over a fresh TLS connection with exactly these client settings. */
function tlsGet(
  port: number,
  options: { servername: string; ca: string; cert?: IssuedCert; minVersion?: SecureVersion; maxVersion?: SecureVersion; ciphers?: string },
): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        path: '/anything/probe',
        servername: options.servername,
        headers: { host: options.servername },
        ca: options.ca,
        ...(options.cert !== undefined ? { cert: options.cert.cert, key: options.cert.key } : {}),
        ...(options.minVersion !== undefined ? { minVersion: options.minVersion } : {}),
        ...(options.maxVersion !== undefined ? { maxVersion: options.maxVersion } : {}),
        ...(options.ciphers !== undefined ? { ciphers: options.ciphers } : {}),
        agent: false,
        timeout: 5000,
      },
      (res) => {
        const socket = res.socket as TLSSocket;
        const outcome = { status: res.statusCode ?? 0, protocol: socket.getProtocol(), cipher: socket.getCipher().standardName };
        res.resume();
        res.on('end', () => resolve(outcome));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    req.end();
  });
}

function dump(snapshot: Snapshot): string {
  return JSON.stringify(snapshot.listeners.map((l) => [renderListener(l, l.port, l.name), renderRouteConfiguration(l, l.name, { overrides: new Set() })]));
}

async function diagnosticsOf(yaml: string, namespace = 'default') {
  const { file } = writeConfig(yaml);
  return (await buildSnapshotFromPaths([file], { identity: { labels: {}, namespace } })).diagnostics;
}

describe('Gateway tls', () => {
  let ca: TestCertificateAuthority;
  let server: IssuedCert;
  let client: IssuedCert;

  test('setup: a CA, a server certificate and a client certificate', async () => {
    ca = await certificateAuthority();
    server = await ca.issue('a.example.com', ['a.example.com', 'b.example.com']);
    client = await ca.issue('client', ['spiffe://cluster.local/ns/default/sa/client']);
  });

  test('credentialName serves HTTPS with the Secret certificate (data and stringData), read from the gateway namespace; the dump shows only its SDS name', async (t) => {
    for (const form of ['data', 'stringData'] as const) {
      const app = await backend(t);
      const yaml = `${gateway([{ hosts: ['a.example.com'], tls: 'mode: SIMPLE\ncredentialName: edge-cert' }])}${tlsSecret('edge-cert', server, { form })}${app.yaml}`;
      const { port, gateway: gw } = await startGateway(t, yaml);
      const ok = await tlsGet(port, { servername: 'a.example.com', ca: ca.cert });
      assert.deepEqual('status' in ok && ok.status, 200, JSON.stringify(ok));
      assert.equal(app.echo.received.length, 1);
      assert.equal(app.echo.received[0]!.headers['x-forwarded-proto'], 'https');
      const text = dump(gw.snapshot);
      assert.ok(text.includes('"tls_certificate_sds_secret_configs":[{"name":"kubernetes://edge-cert","sds_config":{"ads":{},"resource_api_version":"V3"}}]'), text);
      assert.ok(!text.includes('BEGIN') && !text.includes(b64(server.key).slice(10, 50)), 'no Secret contents in the dump');
    }
  });

  test('a Secret outside the gateway namespace is not found, and no error quotes a Secret', async () => {
    const app = `${serviceEntry('app.svc.local', 80, [[1]])}${routeTo('app.svc.local', ['a.example.com'])}`;
    const inIstioSystem = `${gateway([{ hosts: ['a.example.com'], tls: 'mode: SIMPLE\ncredentialName: edge-cert' }])}${tlsSecret('edge-cert', server, { form: 'data', namespace: 'istio-system' })}${app}`;
    const elsewhere = await diagnosticsOf(inIstioSystem);
    const unknown = elsewhere.find((d) => d.code === 'UNKNOWN_SECRET');
    assert.ok(unknown, elsewhere.map(formatDiagnostic).join('\n'));
    assert.equal(unknown.field, 'spec.servers[0].tls.credentialName');
    const asIstioSystem = await diagnosticsOf(inIstioSystem, 'istio-system');
    assert.ok(!asIstioSystem.some((d) => d.severity === 'error'), 'found with --proxy-namespace istio-system (the Gateway itself is in edge)');
    assert.match(unknown.message, /no Secret default\/edge-cert .*--proxy-namespace.*; a Secret edge-cert exists in namespace istio-system/);

    const broken = tlsSecret('edge-cert', server, { form: 'stringData' }).replace(/tls\.key: \|\n(    .*\n)+/, 'tls.key: not-a-key-but-secret-text\n');
    const bad = await diagnosticsOf(`${gateway([{ hosts: ['a.example.com'], tls: 'mode: MUTUAL\ncredentialName: edge-cert' }])}${broken}${app}`);
    assert.ok(bad.some((d) => d.code === 'INVALID_SECRET'), bad.map(formatDiagnostic).join('\n'));
    const noCa = await diagnosticsOf(`${gateway([{ hosts: ['a.example.com'], tls: 'mode: MUTUAL\ncredentialName: edge-cert' }])}${tlsSecret('edge-cert', server, { form: 'data' })}${app}`);
    assert.ok(noCa.some((d) => d.code === 'TLS_REQUIRED' && /needs a CA: ca\.crt/.test(d.message)), noCa.map(formatDiagnostic).join('\n'));
    const texts = [...bad, ...noCa].map(formatDiagnostic).join('\n');
    assert.ok(!texts.includes('not-a-key-but-secret-text') && !texts.includes('BEGIN') && !texts.includes(b64(server.cert).slice(10, 50)), texts);
  });

  test('MUTUAL: a client certificate from the CA is accepted; none, or one from another CA, is refused at the handshake', async (t) => {
    const other = await (await certificateAuthority('other CA')).issue('stranger');
    const app = await backend(t);
    const yaml = `${gateway([{ hosts: ['a.example.com'], tls: 'mode: MUTUAL\ncredentialName: edge-cert' }])}${tlsSecret('edge-cert', server, { form: 'data', ca: ca.cert })}${app.yaml}`;
    const { port, gateway: gw } = await startGateway(t, yaml);
    const accepted = await tlsGet(port, { servername: 'a.example.com', ca: ca.cert, cert: client });
    assert.equal('status' in accepted && accepted.status, 200, JSON.stringify(accepted));
    const without = await tlsGet(port, { servername: 'a.example.com', ca: ca.cert });
    assert.ok('error' in without, JSON.stringify(without));
    // Every server on the port is MUTUAL, so OpenSSL itself refuses: TLS 1.3's certificate_required alert.
    assert.match(without.error, /CERTIFICATE_REQUIRED/);
    const stranger = await tlsGet(port, { servername: 'a.example.com', ca: ca.cert, cert: other });
    assert.ok('error' in stranger, JSON.stringify(stranger));
    assert.equal(app.echo.received.length, 1, 'only the request with a good certificate reached the backend');
    const text = dump(gw.snapshot);
    assert.ok(text.includes('"require_client_certificate":true'));
    assert.ok(text.includes('"validation_context_sds_secret_config":{"name":"kubernetes://edge-cert-cacert"'), text);
    assert.ok(!text.includes('BEGIN'));
  });

  test('MUTUAL with caCertificates and subjectAltNames: only a certificate with a listed SAN is accepted', async (t) => {
    const wrongSan = await ca.issue('other-client', ['spiffe://cluster.local/ns/default/sa/other']);
    const app = await backend(t);
    const tls = `mode: MUTUAL\nserverCertificate: ${server.certFile}\nprivateKey: ${server.keyFile}\ncaCertificates: ${ca.certFile}\nsubjectAltNames: ["spiffe://cluster.local/ns/default/sa/client"]`;
    const { port, gateway: gw } = await startGateway(t, `${gateway([{ hosts: ['a.example.com'], tls }])}${app.yaml}`);
    const accepted = await tlsGet(port, { servername: 'a.example.com', ca: ca.cert, cert: client });
    assert.equal('status' in accepted && accepted.status, 200, JSON.stringify(accepted));
    const refused = await tlsGet(port, { servername: 'a.example.com', ca: ca.cert, cert: wrongSan });
    assert.ok('error' in refused, JSON.stringify(refused));
    assert.equal(app.echo.received.length, 1);
    const text = dump(gw.snapshot);
    assert.ok(text.includes(`"validation_context":{"trusted_ca":{"filename":"${ca.certFile}"},"match_subject_alt_names":[{"exact":"spiffe://cluster.local/ns/default/sa/client"}]}`), text);
  });

  test('OPTIONAL_MUTUAL accepts a client with a certificate and one without', async (t) => {
    const app = await backend(t);
    const yaml = `${gateway([{ hosts: ['a.example.com'], tls: 'mode: OPTIONAL_MUTUAL\ncredentialName: edge-cert' }])}${tlsSecret('edge-cert', server, { form: 'stringData', ca: ca.cert })}${app.yaml}`;
    const { port, gateway: gw } = await startGateway(t, yaml);
    for (const cert of [client, undefined]) {
      const outcome = await tlsGet(port, { servername: 'a.example.com', ca: ca.cert, ...(cert ? { cert } : {}) });
      assert.equal('status' in outcome && outcome.status, 200, JSON.stringify(outcome));
    }
    assert.equal(app.echo.received.length, 2);
    assert.ok(dump(gw.snapshot).includes('"require_client_certificate":false'));
  });

  test('one port, SIMPLE and MUTUAL servers: SNI picks the server, and each judges client certificates by its own mode', async (t) => {
    const app = await backend(t);
    const yaml = `${gateway([
      { hosts: ['a.example.com'], tls: `mode: SIMPLE\nserverCertificate: ${server.certFile}\nprivateKey: ${server.keyFile}` },
      { hosts: ['b.example.com'], tls: 'mode: MUTUAL\ncredentialName: edge-cert' },
    ])}${tlsSecret('edge-cert', server, { form: 'data', ca: ca.cert })}${app.yaml}`;
    const { port } = await startGateway(t, yaml);
    const simple = await tlsGet(port, { servername: 'a.example.com', ca: ca.cert });
    assert.equal('status' in simple && simple.status, 200, JSON.stringify(simple));
    const mutualWithout = await tlsGet(port, { servername: 'b.example.com', ca: ca.cert });
    assert.ok('error' in mutualWithout, JSON.stringify(mutualWithout));
    // The port's default context is a's, which has no CA: accepting this certificate shows that b's
    // CA, carried by the context SNI chose, verified it.
    const mutualWith = await tlsGet(port, { servername: 'b.example.com', ca: ca.cert, cert: client });
    assert.equal('status' in mutualWith && mutualWith.status, 200, JSON.stringify(mutualWith));
    assert.equal(app.echo.received.length, 2);
    assert.deepEqual(app.echo.received.map((r) => r.headers.host), ['a.example.com', 'b.example.com']);
  });

  test('a reload turns a SIMPLE server MUTUAL on the bound listener, and back', async (t) => {
    const app = await backend(t);
    const secret = tlsSecret('edge-cert', server, { form: 'data', ca: ca.cert });
    const config = (mode: string) => `${gateway([{ hosts: ['a.example.com'], tls: `mode: ${mode}\ncredentialName: edge-cert` }])}${secret}${app.yaml}`;
    const { port, gateway: gw } = await startGateway(t, config('SIMPLE'));
    const before = await tlsGet(port, { servername: 'a.example.com', ca: ca.cert });
    assert.equal('status' in before && before.status, 200, JSON.stringify(before));
    await gw.apply(await compileYaml(config('MUTUAL')));
    assert.equal(gw.addresses()[0]!.port, port, 'the same socket');
    const refused = await tlsGet(port, { servername: 'a.example.com', ca: ca.cert });
    assert.ok('error' in refused, JSON.stringify(refused));
    const accepted = await tlsGet(port, { servername: 'a.example.com', ca: ca.cert, cert: client });
    assert.equal('status' in accepted && accepted.status, 200, JSON.stringify(accepted));
    await gw.apply(await compileYaml(config('SIMPLE')));
    const again = await tlsGet(port, { servername: 'a.example.com', ca: ca.cert });
    assert.equal('status' in again && again.status, 200, JSON.stringify(again));
  });

  test('httpsRedirect answers every request on the HTTP server with 301 to https, same host and path; nothing is forwarded', async (t) => {
    const app = await backend(t, ['a.example.com']);
    const yaml = `${gateway([{ protocol: 'HTTP', hosts: ['a.example.com', 'unbound.example.com'], tls: 'httpsRedirect: true' }])}${app.yaml}`;
    const { url, gateway: gw } = await startGateway(t, yaml);
    const bound = await requestVia(`${url}/some/path?x=1&y=2`, { host: 'a.example.com:8080' });
    assert.equal(bound.status, 301);
    assert.equal(bound.headers.location, 'https://a.example.com:8080/some/path?x=1&y=2');
    assert.equal(bound.body.length, 0);
    const unbound = await requestVia(`${url}/`, { host: 'unbound.example.com' });
    assert.equal(unbound.status, 301, 'a server host without a VirtualService redirects too, as Istio');
    assert.equal(unbound.headers.location, 'https://unbound.example.com/');
    assert.equal((await requestVia(`${url}/`, { host: 'elsewhere.test' })).status, 404);
    assert.equal(app.echo.received.length, 0);
    assert.equal((dump(gw.snapshot).match(/"require_tls":"ALL"/g) ?? []).length, 2);
  });

  test('minProtocolVersion TLSV1_3 refuses a TLS 1.2-only client; maxProtocolVersion TLSV1_2 serves TLS 1.2', async (t) => {
    const app = await backend(t);
    const files = `serverCertificate: ${server.certFile}\nprivateKey: ${server.keyFile}`;
    const only13 = await startGateway(t, `${gateway([{ hosts: ['a.example.com'], tls: `mode: SIMPLE\n${files}\nminProtocolVersion: TLSV1_3` }])}${app.yaml}`);
    const old = await tlsGet(only13.port, { servername: 'a.example.com', ca: ca.cert, maxVersion: 'TLSv1.2' });
    assert.ok('error' in old, JSON.stringify(old));
    const current = await tlsGet(only13.port, { servername: 'a.example.com', ca: ca.cert });
    assert.deepEqual('status' in current && [current.status, current.protocol], [200, 'TLSv1.3']);
    assert.ok(dump(only13.gateway.snapshot).includes('"tls_params":{"tls_minimum_protocol_version":"TLSv1_3","tls_maximum_protocol_version":"TLS_AUTO"}'));

    const only12 = await startGateway(t, `${gateway([{ hosts: ['a.example.com'], tls: `mode: SIMPLE\n${files}\nmaxProtocolVersion: TLSV1_2` }])}${app.yaml}`);
    const served = await tlsGet(only12.port, { servername: 'a.example.com', ca: ca.cert });
    assert.deepEqual('status' in served && [served.status, served.protocol], [200, 'TLSv1.2']);
    const strict = await tlsGet(only12.port, { servername: 'a.example.com', ca: ca.cert, minVersion: 'TLSv1.3' });
    assert.ok('error' in strict, JSON.stringify(strict));
  });

  test('cipherSuites limits TLS 1.2 ciphers and keeps TLS 1.3; an unknown name is an error naming the field', async (t) => {
    const app = await backend(t);
    const tls = `mode: SIMPLE\nserverCertificate: ${server.certFile}\nprivateKey: ${server.keyFile}\ncipherSuites: [ECDHE-RSA-AES128-GCM-SHA256]`;
    const { port, gateway: gw } = await startGateway(t, `${gateway([{ hosts: ['a.example.com'], tls }])}${app.yaml}`);
    const chosen = await tlsGet(port, { servername: 'a.example.com', ca: ca.cert, maxVersion: 'TLSv1.2' });
    assert.deepEqual('status' in chosen && [chosen.status, chosen.cipher], [200, 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256']);
    const other = await tlsGet(port, { servername: 'a.example.com', ca: ca.cert, maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES256-GCM-SHA384' });
    assert.ok('error' in other, JSON.stringify(other));
    const tls13 = await tlsGet(port, { servername: 'a.example.com', ca: ca.cert });
    assert.deepEqual('status' in tls13 && [tls13.status, tls13.protocol], [200, 'TLSv1.3'], 'TLS 1.3 stays on, as in Envoy');
    assert.ok(dump(gw.snapshot).includes('"cipher_suites":["ECDHE-RSA-AES128-GCM-SHA256"]'));

    const bad = await diagnosticsOf(
      `${gateway([{ hosts: ['a.example.com'], tls: `mode: SIMPLE\nserverCertificate: ${server.certFile}\nprivateKey: ${server.keyFile}\ncipherSuites: [ECDHE-RSA-AES128-GCM-SHA256, ECDHE-RSA-AES128-GCM-SHA265, TLS_AES_128_GCM_SHA256]` }])}${app.yaml}`,
    );
    const errors = bad.filter((d) => d.severity === 'error');
    assert.deepEqual(errors.map((d) => [d.code, d.field]), [
      ['INVALID_FIELD', 'spec.servers[0].tls.cipherSuites[1]'],
      ['INVALID_FIELD', 'spec.servers[0].tls.cipherSuites[2]'],
    ]);
    assert.match(errors[0]!.message, /did you mean "ECDHE-RSA-AES128-GCM-SHA256"/);
    assert.match(errors[1]!.message, /TLS 1\.3 suites are not configurable/);
  });

  test('bad TLS combinations are errors that say why', async () => {
    const files = `serverCertificate: ${server.certFile}\nprivateKey: ${server.keyFile}`;
    const cases: [string, string, string, RegExp][] = [
      [`mode: SIMPLE\n${files}\nminProtocolVersion: TLSV1_3\nmaxProtocolVersion: TLSV1_2`, 'INVALID_FIELD', 'spec.servers[0].tls.maxProtocolVersion', /below minProtocolVersion TLSV1_3/],
      [`mode: SIMPLE\n${files}\nmaxProtocolVersion: TLSV1_1`, 'INVALID_FIELD', 'spec.servers[0].tls.maxProtocolVersion', /below minProtocolVersion TLSV1_2 \(TLS_AUTO\)/],
      ['mode: ISTIO_MUTUAL', 'UNSUPPORTED_VALUE', 'spec.servers[0].tls.mode', /no mesh CA/],
      ['mode: PASSTHROUGH', 'UNSUPPORTED_VALUE', 'spec.servers[0].tls.mode', /no TCP or TLS passthrough/],
      ['mode: AUTO_PASSTHROUGH', 'UNSUPPORTED_VALUE', 'spec.servers[0].tls.mode', /no TCP or TLS passthrough/],
      [`mode: MUTUAL\n${files}`, 'TLS_REQUIRED', 'spec.servers[0].tls.mode', /client CA bundle \(caCertificates\)/],
      [`mode: SIMPLE\n${files}\ncredentialName: edge-cert`, 'TLS_REQUIRED', 'spec.servers[0].tls.credentialName', /exclusive/],
    ];
    for (const [tls, code, field, message] of cases) {
      const diagnostics = await diagnosticsOf(`${gateway([{ hosts: ['a.example.com'], tls }])}`);
      const d = diagnostics.find((x) => x.code === code);
      assert.ok(d, `${tls}: ${diagnostics.map(formatDiagnostic).join('\n')}`);
      assert.equal(d.field, field, tls);
      assert.match(d.message, message);
    }
    const shared = await diagnosticsOf(
      gateway([
        { hosts: ['a.example.com'], tls: `mode: SIMPLE\n${files}\nminProtocolVersion: TLSV1_3` },
        { hosts: ['b.example.com'], tls: `mode: SIMPLE\n${files}` },
      ]),
    );
    const conflict = shared.find((d) => d.code === 'TLS_PARAMS_CONFLICT');
    assert.ok(conflict, shared.map(formatDiagnostic).join('\n'));
    assert.equal(conflict.field, 'spec.servers[1].tls.minProtocolVersion');
  });
});
