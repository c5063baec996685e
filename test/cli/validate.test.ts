/** `shadowgate validate` and the CLI's usage handling, run as a user would (a child process). */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { runCli, writeConfig } from '../support/index.ts';
import { configWithUnknownSubset, validConfig } from './fixtures.ts';

test('validate exits 0 on a valid config and says so on stdout', async () => {
  const { file } = writeConfig(validConfig());
  const result = await runCli(['validate', '-c', file]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /config is valid: 1 listener\(s\), \d+ cluster\(s\); 0 errors, 0 warnings/);
  assert.equal(result.stderr, '');
});

test('validate exits 1 on an invalid config, naming file:line and the field', async () => {
  const { yaml, line } = configWithUnknownSubset();
  const { file } = writeConfig(yaml);
  const result = await runCli(['validate', '-c', file]);
  assert.equal(result.code, 1, result.stdout + result.stderr);
  const diagnostic = result.stderr.split('\n').find((l) => l.includes('UNKNOWN_SUBSET'));
  assert.ok(diagnostic, result.stderr);
  assert.ok(diagnostic.startsWith(`${file}:${line}:`), diagnostic);
  assert.match(diagnostic, / error VirtualService demo\/httpbin spec\.http\[0\]\.route\[0\]\.destination\.subset: /);
  assert.match(result.stderr, /config is invalid: 1 error, 0 warnings/);
  assert.equal(result.stdout, '');
});

test('validate prints warnings but still exits 0', async () => {
  const yaml = validConfig().replace('  gateways:\n', '  tcp: []\n  gateways:\n');
  const { file } = writeConfig(yaml);
  const result = await runCli(['validate', '-c', file]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, / warning VirtualService demo\/httpbin spec\.tcp: .*\[UNSUPPORTED_FIELD\]/);
  assert.match(result.stdout, /0 errors, 1 warning$/m);
});

test('validate: a typo is an error naming the field and the suggestion', async () => {
  const yaml = validConfig().replace('  gateways:\n', '  gatways: [x]\n  gateways:\n');
  const { file } = writeConfig(yaml);
  const result = await runCli(['validate', '-c', file]);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, / error VirtualService demo\/httpbin spec\.gatways: unknown field "gatways": .*\(did you mean "gateways"\?\) \[UNKNOWN_FIELD\]/);
});

test('validate reads several -c paths, and a missing file is a config error', async () => {
  const { file } = writeConfig(validConfig());
  const result = await runCli(['validate', '-c', file, '-c', `${file}.missing`]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /READ_FAILED/);
});

test('usage errors exit 2: no command, unknown option, missing -c, bad number', async () => {
  assert.equal((await runCli([])).code, 2);
  const unknown = await runCli(['validate', '-c', 'x.yaml', '--nope']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown option '--nope'/);
  assert.equal((await runCli(['validate'])).code, 2);
  assert.equal((await runCli(['run', '-c', 'x.yaml', '--mirror-timeout', 'soon'])).code, 2);
  assert.equal((await runCli(['demo', '--percentage', '150'])).code, 2);
  assert.equal((await runCli(['launch'])).code, 2);
});

test('--help documents the exit codes and exits 0; --version prints package.json version', async () => {
  for (const args of [['--help'], ['run', '--help'], ['validate', '--help'], ['demo', '--help']]) {
    const result = await runCli(args);
    assert.equal(result.code, 0, args.join(' '));
    assert.match(result.stdout, /Exit codes:[\s\S]*1 {2}invalid configuration[\s\S]*3 {2}runtime failure/, args.join(' '));
  }
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  const version = await runCli(['--version']);
  assert.equal(version.code, 0);
  assert.equal(version.stdout.trim(), pkg.version);
});

test('validate -c DIR reads subdirectories, as kubectl apply -R does', async () => {
  const docs = validConfig().split(/^---\n/m);
  const { dir } = writeConfig('# top level: nothing\n', 'README.yaml');
  mkdirSync(path.join(dir, 'gateways'));
  mkdirSync(path.join(dir, 'routes', 'team-a'), { recursive: true });
  writeFileSync(path.join(dir, 'gateways', 'all.yaml'), docs.join('---\n'));
  const result = await runCli(['validate', '-c', dir]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /config is valid: 1 listener\(s\)/);
});

test('validate: an empty directory and a config without a Gateway are errors with their own codes', async () => {
  const empty = writeConfig('# nothing\n', 'empty.yaml');
  const none = await runCli(['validate', '-c', empty.dir]);
  assert.equal(none.code, 1, none.stdout + none.stderr);
  assert.match(none.stderr, /error: no Istio resources found: .* \[NO_RESOURCES\]/);
  const noGateway = writeConfig(validConfig().split(/^---\n/m).filter((d) => !/^kind: Gateway$/m.test(d)).join('---\n'));
  const result = await runCli(['validate', '-c', noGateway.file]);
  assert.equal(result.code, 1, result.stdout + result.stderr);
  assert.match(result.stderr, /no Gateway is defined, so shadowgate would not listen on any port.* \[NO_LISTENERS\]/);
});

test('validate --proxy-labels rejects a malformed list (usage error)', async () => {
  const { file } = writeConfig(validConfig());
  const result = await runCli(['validate', '-c', file, '--proxy-labels', 'istio']);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /expected KEY=VALUE/);
});

test('the shipped examples validate, each folder on its own', async () => {
  const examples = fileURLToPath(new URL('../../examples/', import.meta.url));
  const folders = readdirSync(examples, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  assert.ok(folders.includes('cross-cluster-mirror') && folders.includes('mesh-mirroring'));
  // Each example is a whole config (several use the default namespace's httpbin); some need a flag.
  const flags: Record<string, string[]> = { 'mesh-mirroring': ['--mesh-listener', '127.0.0.1:15001'] };
  for (const folder of folders) {
    const result = await runCli(['validate', '-c', path.join(examples, folder), ...(flags[folder] ?? [])]);
    assert.equal(result.code, 0, `${folder}: ${result.stderr}`);
    assert.match(result.stdout, /config is valid: [1-9]\d* listener\(s\)/, folder);
    assert.equal(result.stderr, '', folder);
  }
});

test('--max-config-file-bytes: validate, config-dump and run refuse a larger file, naming it, its size and the limit', async () => {
  const { file } = writeConfig(validConfig());
  const size = readFileSync(file).length;
  const limit = String(size - 1);
  for (const command of ['validate', 'config-dump', 'run']) {
    const args = command === 'run' ? ['run', '--admin', '127.0.0.1:0', '--no-watch'] : [command];
    const result = await runCli([...args, '--max-config-file-bytes', limit, '-c', file]);
    assert.equal(result.code, 1, `${command}: ${result.stdout}${result.stderr}`);
    assert.ok(
      result.stderr.includes(`${file} error: ${file} is ${size} bytes, over the ${limit}-byte limit for one config file (--max-config-file-bytes); not read [FILE_TOO_LARGE]`),
      `${command}: ${result.stderr}`,
    );
  }
  const atTheLimit = await runCli(['validate', '--max-config-file-bytes', String(size), '-c', file]);
  assert.equal(atTheLimit.code, 0, atTheLimit.stderr);
});
