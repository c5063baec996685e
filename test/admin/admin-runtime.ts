/** A running gateway with its admin server on loopback, for the admin tests; and ways to call it. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GatewayRuntime, type RuntimeOptions } from '../../src/control/runtime.ts';
import { makeTempDir, requestVia, startEchoService, type EchoService, type RequestViaOptions, type ViaResponse } from '../support/index.ts';
import { loopbackGateway, serviceEntry } from '../integration/harness.ts';

interface AfterHook {
  after(fn: () => unknown): void;
}

/** Primary `httpbin` (8000), mirror-able `httpbin-next` (80), and a TCP service that may not be mirrored. */
export function adminTestConfig(primary: number, shadow: number, routeExtra = ''): string {
  return `${loopbackGateway}
${serviceEntry('httpbin', 8000, [[primary]])}
${serviceEntry('httpbin-next', 80, [[shadow]])}
${serviceEntry('tcp-echo', 9000, [[shadow]], { protocol: 'TCP' })}
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: httpbin }
spec:
  hosts: ["*"]
  gateways: [edge]
  http:
    - name: main
      route: [{ destination: { host: httpbin, port: { number: 8000 } } }]
${routeExtra
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => `      ${l}`)
  .join('\n')}
`;
}

export interface AdminRuntime {
  readonly runtime: GatewayRuntime;
  readonly file: string;
  /** `http://127.0.0.1:PORT` of the gateway's listener. */
  readonly url: string;
  /** `http://127.0.0.1:PORT` of the admin server. */
  readonly admin: string;
  readonly adminPort: number;
  readonly primary: EchoService;
  readonly shadow: EchoService;
}

/** Echo backends, a config file naming them, and a runtime serving it (closed when the test ends). */
export async function startAdminRuntime(
  t: AfterHook,
  options: { admin?: Partial<NonNullable<RuntimeOptions['admin']>>; routeExtra?: string } = {},
): Promise<AdminRuntime> {
  const primary = await startEchoService({ name: 'primary' });
  const shadow = await startEchoService({ name: 'shadow' });
  t.after(() => Promise.all([primary.close(), shadow.close()]));
  const file = join(makeTempDir('shadowgate-admin-'), 'config.yaml');
  writeFileSync(file, adminTestConfig(primary.port, shadow.port, options.routeExtra));
  const started = await GatewayRuntime.start({
    paths: [file],
    admin: { host: '127.0.0.1', port: 0, token: null, ...options.admin },
    accessLog: 'off',
    drainTimeoutMs: 2000,
    watch: false,
  });
  assert.ok(started.ok, JSON.stringify(started.diagnostics));
  const { runtime } = started;
  t.after(() => runtime.shutdown());
  const adminPort = runtime.adminAddress!.port;
  return {
    runtime,
    file,
    url: `http://127.0.0.1:${runtime.gateway!.addresses()[0]!.port}`,
    admin: `http://127.0.0.1:${adminPort}`,
    adminPort,
    primary,
    shadow,
  };
}

/** A JSON request to the admin API, as curl or a script sends it. */
export function sendJson(url: string, method: 'PUT' | 'POST' | 'DELETE', body: unknown, options: RequestViaOptions = {}): Promise<ViaResponse> {
  return requestVia(url, {
    ...options,
    method,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...options.headers },
  });
}

/** The `{code, message}` of a refusal, asserting the status and that the body is that shape. */
export function refusalCode(response: ViaResponse, status: number): string {
  assert.equal(response.status, status, response.text());
  assert.match(String(response.headers['content-type']), /^application\/json/);
  const body = response.json<{ code: string; message: string }>();
  assert.equal(typeof body.message, 'string');
  return body.code;
}
