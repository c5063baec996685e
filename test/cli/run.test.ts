/** `shadowgate run`: refuses bad config, reports bind failures, serves, and stops cleanly on SIGTERM. */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { DEMO_HOST } from '../../src/demo/demo-config.ts';
import { requestVia, runCli, startEchoService, testAgent, waitFor, writeConfig } from '../support/index.ts';
import { configWithUnknownSubset, validConfig } from './fixtures.ts';

/** Tests run side by side: no fixed admin port, no access log on stdout. */
const QUIET = ['--admin', '127.0.0.1:0', '--access-log', 'off'];

test('run refuses to start on config errors (exit 1) and prints them', async () => {
  const { file } = writeConfig(configWithUnknownSubset().yaml);
  const result = await runCli(['run', '-c', file, ...QUIET]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /UNKNOWN_SUBSET/);
  assert.match(result.stderr, /refusing to start, the config has 1 error/);
});

test('run refuses an empty config directory (exit 1, NO_RESOURCES)', async () => {
  const { dir } = writeConfig('# nothing\n', 'empty.yaml');
  const result = await runCli(['run', '-c', dir, ...QUIET]);
  assert.equal(result.code, 1, result.stdout + result.stderr);
  assert.match(result.stderr, /\[NO_RESOURCES\]/);
  assert.match(result.stderr, /refusing to start/);
});

test('run exits 3 when the listener port is taken', async (t) => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  const { port } = blocker.address() as AddressInfo;
  const { file } = writeConfig(validConfig({ gatewayPort: port }));
  const result = await runCli(['run', '-c', file, ...QUIET]);
  assert.equal(result.code, 3, result.stdout + result.stderr);
  assert.match(result.stderr, new RegExp(`could not bind 127\\.0\\.0\\.1:${port} for listener 127\\.0\\.0\\.1_${port} .*: address already in use`));
});

test('run serves the config, mirrors, and exits 0 on SIGTERM', async (t) => {
  const primary = await startEchoService({ name: 'primary' });
  const shadow = await startEchoService({ name: 'shadow' });
  t.after(() => Promise.all([primary.close(), shadow.close()]));
  const { file } = writeConfig(
    validConfig({ primaryPort: primary.port, shadowPort: shadow.port, percentage: 100 }),
  );

  let gatewayUrl: string | null = null;
  let output = '';
  let child: ChildProcess | null = null;
  const exited = runCli(['run', '-c', file, ...QUIET, '--mirror-timeout', '2000', '--mirror-max-response-bytes', '4096'], {
    onStdout(chunk, process) {
      child = process;
      output += chunk;
      gatewayUrl ??= /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1] ?? null;
    },
  });
  const url = await waitFor(() => gatewayUrl, { timeoutMs: 15_000, description: 'run prints its listener' });
  assert.match(output, /timeout 2000 ms, .*max response 4096 bytes/);

  const agent = testAgent(t);
  const res = await requestVia(`${url}/headers`, { agent, host: DEMO_HOST });
  assert.equal(res.status, 200);
  assert.equal(primary.count, 1);
  await waitFor(() => shadow.count === 1, { description: 'the shadow received the copy' });
  assert.equal(shadow.last?.headers.host, `${DEMO_HOST}-shadow`);

  assert.ok(child !== null);
  (child as ChildProcess).kill('SIGTERM');
  const result = await exited;
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /received SIGTERM, draining \(up to 15 s\) and shutting down\nstopped\n$/);
});

test('SIGHUP reloads the config files (watching off), and a bad file keeps the last good config', async (t) => {
  const primary = await startEchoService({ name: 'primary' });
  const shadow = await startEchoService({ name: 'shadow' });
  t.after(() => Promise.all([primary.close(), shadow.close()]));
  const { file } = writeConfig(validConfig({ primaryPort: primary.port, shadowPort: shadow.port, percentage: 0 }));

  let gatewayUrl: string | null = null;
  let output = '';
  let child: ChildProcess | null = null;
  const exited = runCli(['run', '-c', file, ...QUIET, '--no-watch'], {
    onStdout(chunk, process) {
      child = process;
      output += chunk;
      gatewayUrl ??= /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1] ?? null;
    },
  });
  const url = await waitFor(() => gatewayUrl, { timeoutMs: 15_000, description: 'run prints its listener' });
  const agent = testAgent(t);
  assert.equal((await requestVia(`${url}/headers`, { agent, host: DEMO_HOST })).status, 200);
  assert.equal(shadow.count, 0);

  writeFileSync(file, validConfig({ primaryPort: primary.port, shadowPort: shadow.port, percentage: 100 }));
  (child as unknown as ChildProcess).kill('SIGHUP');
  await waitFor(
    async () => {
      await requestVia(`${url}/headers`, { agent, host: DEMO_HOST });
      return shadow.count > 0;
    },
    { timeoutMs: 10_000, description: 'mirroring after SIGHUP' },
  );

  writeFileSync(file, 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: { name: broken }\nspec: { hosts: 7 }\n');
  (child as unknown as ChildProcess).kill('SIGHUP');
  const before = shadow.count;
  await waitFor(
    async () => {
      const res = await requestVia(`${url}/headers`, { agent, host: DEMO_HOST });
      return res.status === 200 && shadow.count > before + 3;
    },
    { timeoutMs: 10_000, description: 'still serving and mirroring after a bad reload' },
  );

  (child as unknown as ChildProcess).kill('SIGTERM');
  const result = await exited;
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /config [0-9a-f]+ applied \(signal\)/);
  assert.match(result.stderr, /config rejected \(signal\), still serving the last good config/);
});

test('config-dump prints the Envoy-shaped JSON offline', async () => {
  const result = await runCli(['config-dump', '-c', 'examples/cross-cluster-mirror']);
  assert.equal(result.code, 0, result.stderr);
  const dump = JSON.parse(result.stdout) as { configs: { '@type': string }[] };
  assert.deepEqual(
    dump.configs.map((c) => c['@type'].split('.').pop()),
    ['BootstrapConfigDump', 'ListenersConfigDump', 'ClustersConfigDump', 'RoutesConfigDump'],
  );
  assert.match(result.stdout, /"numerator": 500000/);
});

test('run takes the downstream timeouts and connection limit as flags and prints them', async (t) => {
  const primary = await startEchoService({ name: 'primary' });
  const shadow = await startEchoService({ name: 'shadow' });
  t.after(() => Promise.all([primary.close(), shadow.close()]));
  const { file } = writeConfig(validConfig({ primaryPort: primary.port, shadowPort: shadow.port, percentage: 0 }));
  let output = '';
  let child: ChildProcess | null = null;
  const exited = runCli(
    ['run', '-c', file, ...QUIET, '--request-headers-timeout', '2.5', '--idle-timeout', '0', '--request-body-timeout', '30', '--max-connections', '50'],
    {
      onStdout(chunk, process) {
        child = process;
        output += chunk;
      },
    },
  );
  await waitFor(() => /listening on/.test(output), { timeoutMs: 15_000, description: 'run prints its listener' });
  assert.match(
    output,
    /downstream: request headers timeout 2\.5 s, idle timeout off, request body timeout 30 s, max connections 50 per listener/,
  );
  (child as ChildProcess | null)?.kill('SIGTERM');
  assert.equal((await exited).code, 0);
  const bad = await runCli(['run', '-c', file, ...QUIET, '--idle-timeout', '-1']);
  assert.equal(bad.code, 2, bad.stderr);
});
