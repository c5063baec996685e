/**
 * A port in use names the listener that could not bind it: the admin listener, a Gateway's listener
 * and its servers, or the mesh listener; at start (exit 3) and on reload (rejected, the last good
 * config keeps serving). Each test holds the port with a server of its own.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { DEMO_NAMESPACE } from '../../src/demo/demo-config.ts';
import { requestVia, runCli, startEchoService, testAgent, waitFor, writeConfig } from '../support/index.ts';
import { serviceEntry } from '../integration/harness.ts';
import { validConfig } from './fixtures.ts';

const QUIET = ['--admin', '127.0.0.1:0', '--access-log', 'off'];

/** Holds a loopback port until the test ends. */
async function holdPort(t: { after(fn: () => unknown): void }): Promise<number> {
  const blocker: Server = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  return (blocker.address() as AddressInfo).port;
}

test('a Gateway listener on a port in use: exit 3, naming the listener, its Gateway and server', async (t) => {
  const port = await holdPort(t);
  const { file } = writeConfig(validConfig({ gatewayPort: port }));
  const result = await runCli(['run', '-c', file, ...QUIET]);
  assert.equal(result.code, 3, result.stdout + result.stderr);
  assert.equal(
    result.stderr.trim(),
    `shadowgate: could not bind 127.0.0.1:${port} for listener 127.0.0.1_${port} (Gateway ${DEMO_NAMESPACE}/demo-gateway, server http): address already in use`,
  );
});

test('the admin listener on a port in use: exit 3, naming it', async (t) => {
  const port = await holdPort(t);
  const { file } = writeConfig(validConfig());
  const result = await runCli(['run', '-c', file, '--admin', `127.0.0.1:${port}`, '--access-log', 'off']);
  assert.equal(result.code, 3, result.stdout + result.stderr);
  assert.equal(result.stderr.trim(), `shadowgate: could not bind the admin listener 127.0.0.1:${port}: address already in use`);
});

test('the mesh listener on a port in use: exit 3, naming it', async (t) => {
  const port = await holdPort(t);
  const example = fileURLToPath(new URL('../../examples/mesh-mirroring/', import.meta.url));
  const result = await runCli(['run', '-c', example, '--mesh-listener', `127.0.0.1:${port}`, ...QUIET]);
  assert.equal(result.code, 3, result.stdout + result.stderr);
  assert.equal(
    result.stderr.trim(),
    `shadowgate: could not bind 127.0.0.1:${port} for the mesh listener mesh_127.0.0.1_${port} (--mesh-listener): address already in use`,
  );
});

test('a reload adding a listener on a port in use is rejected with its name; the last good config keeps serving', async (t) => {
  const held = await holdPort(t);
  const httpbin = await startEchoService({ name: 'httpbin' });
  t.after(() => httpbin.close());
  const config = (extraServer: string) => `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: edge, namespace: default }
spec:
  servers:
    - port: { number: 0, name: http, protocol: HTTP }
      bind: 127.0.0.1
      hosts: ["*"]
${extraServer}
---
${serviceEntry('httpbin', 8000, [[httpbin.port]])}
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: httpbin, namespace: default }
spec:
  hosts: ["*"]
  gateways: [edge]
  http:
    - route: [{ destination: { host: httpbin } }]
`;
  const { file } = writeConfig(config(''));
  let url: string | null = null;
  let admin: string | null = null;
  let output = '';
  let child: ChildProcess | null = null;
  const exited = runCli(['run', '-c', file, ...QUIET, '--no-watch'], {
    onStdout(chunk, process) {
      child = process;
      output += chunk;
      url ??= /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1] ?? null;
      admin ??= /admin on (http:\/\/127\.0\.0\.1:\d+)\//.exec(output)?.[1] ?? null;
    },
  });
  const gatewayUrl = await waitFor(() => url, { timeoutMs: 15_000, description: 'run prints its listener' });
  const adminUrl = await waitFor(() => admin, { timeoutMs: 15_000, description: 'run prints its admin address' });
  const agent = testAgent(t);
  assert.equal((await requestVia(`${gatewayUrl}/anything`, { agent, host: 'httpbin' })).status, 200);

  writeFileSync(file, config(`    - port: { number: ${held}, name: http-alt, protocol: HTTP }\n      bind: 127.0.0.1\n      hosts: ["*"]`));
  (child as unknown as ChildProcess).kill('SIGHUP');
  const rejected = await waitFor(
    async () => {
      const dump = (await requestVia(`${adminUrl}/config_dump`, { agent })).json<{ configs: [{ shadowgate: { last_rejected: { errors: { message: string; name: string }[] } | null } }] }>();
      return dump.configs[0].shadowgate.last_rejected;
    },
    { timeoutMs: 10_000, description: 'the reload is rejected' },
  );
  assert.equal(rejected.errors[0]?.name, 'edge', 'the error points at the Gateway');
  assert.equal((await requestVia(`${gatewayUrl}/anything`, { agent, host: 'httpbin' })).status, 200, 'the last good config keeps serving');
  (child as unknown as ChildProcess).kill('SIGTERM');
  const result = await exited;
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /config rejected \(signal\), still serving the last good config/);
  assert.ok(
    result.stderr.includes(
      `could not apply the new config: could not bind 127.0.0.1:${held} for listener 127.0.0.1_${held} (Gateway default/edge, server http-alt): address already in use [APPLY_FAILED]`,
    ),
    result.stderr,
  );
});

test('with --workers, a worker that cannot bind stops the start with the same message (exit 3), not a restart loop', async (t) => {
  const port = await holdPort(t);
  const { file } = writeConfig(validConfig({ gatewayPort: port }));
  const result = await runCli(['run', '-c', file, ...QUIET, '--workers', '2'], { timeoutMs: 30_000 });
  assert.equal(result.code, 3, result.stdout + result.stderr);
  assert.match(
    result.stderr,
    new RegExp(`^shadowgate: could not bind 127\\.0\\.0\\.1:${port} for listener 127\\.0\\.0\\.1_${port} \\(Gateway ${DEMO_NAMESPACE}/demo-gateway, server http\\): address already in use$`, 'm'),
  );
  assert.doesNotMatch(result.stderr, /unexpected failure/);
});
