/**
 * `shadowgate run` takes the admin token from --admin-token, --admin-token-file or
 * SHADOWGATE_ADMIN_TOKEN; a file that cannot give one is a usage error (exit 2) before anything binds.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import { resolveAdminToken } from '../../src/cli/admin-token.ts';
import { runCli as runCliInProcess } from '../../src/cli/program.ts';
import { makeTempDir, requestVia, runCli, waitFor, writeConfig, type CliResult } from '../support/index.ts';
import { validConfig } from '../cli/fixtures.ts';

const QUIET = ['--admin', '127.0.0.1:0', '--access-log', 'off', '--no-watch'];

/** Starts `run` with `args` and `env`, calls `check(adminUrl, child)` once it is up, then stops it. */
async function whileRunning(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  check: (admin: string, child: ChildProcess) => Promise<void>,
): Promise<CliResult> {
  const { file } = writeConfig(validConfig());
  let output = '';
  let child: ChildProcess | null = null;
  let admin: string | null = null;
  const exited = runCli(['run', '-c', file, ...QUIET, ...args], {
    env,
    onStdout(chunk, process) {
      child = process;
      output += chunk;
      admin ??= /admin on (http:\/\/127\.0\.0\.1:\d+)\//.exec(output)?.[1] ?? null;
    },
  });
  const url = await waitFor(() => admin, { timeoutMs: 15_000, description: 'run prints its admin address' });
  try {
    await check(url, child!);
  } finally {
    (child as ChildProcess | null)?.kill('SIGTERM');
  }
  const result = await exited;
  assert.equal(result.code, 0, result.stderr);
  return result;
}

async function assertTokenRequired(admin: string, token: string): Promise<void> {
  assert.equal((await requestVia(`${admin}/config_dump`)).status, 401);
  assert.equal((await requestVia(`${admin}/config_dump`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
  const ok = await requestVia(`${admin}/config_dump`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(ok.status, 200, ok.text());
}

/** The child's command line as `ps` shows it. */
function commandLine(child: ChildProcess): string {
  return readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
}

// The environment of the test process must not leak a token into the children that expect none.
const NO_ENV_TOKEN = { SHADOWGATE_ADMIN_TOKEN: '' };

describe('admin token sources', () => {
  test('--admin-token-file: the file holds the token (trailing newline dropped), and ps does not show it', async () => {
    const tokenFile = join(makeTempDir('shadowgate-token-'), 'admin-token');
    writeFileSync(tokenFile, 'from-the-file-7f3a\n');
    await whileRunning(['--admin-token-file', tokenFile], NO_ENV_TOKEN, async (admin, child) => {
      await assertTokenRequired(admin, 'from-the-file-7f3a');
      assert.doesNotMatch(commandLine(child), /from-the-file/);
    });
  });

  test('SHADOWGATE_ADMIN_TOKEN is used when no flag gives one', async () => {
    await whileRunning([], { SHADOWGATE_ADMIN_TOKEN: 'from-the-env-91c2' }, async (admin, child) => {
      await assertTokenRequired(admin, 'from-the-env-91c2');
      assert.doesNotMatch(commandLine(child), /from-the-env/);
    });
  });

  test('--admin-token still works; a flag wins over the environment', () => {
    const env = { SHADOWGATE_ADMIN_TOKEN: 'from-the-env' };
    assert.deepEqual(resolveAdminToken({ flag: 'from-the-flag', env }), { ok: true, token: 'from-the-flag' });
    const tokenFile = join(makeTempDir('shadowgate-token-'), 'token');
    writeFileSync(tokenFile, 'from-the-file\r\n');
    assert.deepEqual(resolveAdminToken({ file: tokenFile, env }), { ok: true, token: 'from-the-file' });
    assert.deepEqual(resolveAdminToken({ env }), { ok: true, token: 'from-the-env' });
    assert.deepEqual(resolveAdminToken({ env: { SHADOWGATE_ADMIN_TOKEN: '' } }), { ok: true, token: null }, 'empty is unset');
    assert.deepEqual(resolveAdminToken({ env: {} }), { ok: true, token: null });
  });

  test('a missing, empty or multi-line token file, or both flags, is a usage error (exit 2) with a clear message', async () => {
    const dir = makeTempDir('shadowgate-token-');
    const { file } = writeConfig(validConfig());
    const empty = join(dir, 'empty');
    writeFileSync(empty, '\n');
    const twoLines = join(dir, 'two-lines');
    writeFileSync(twoLines, 'a\nb\n');
    const cases: [string[], RegExp][] = [
      [['--admin-token-file', join(dir, 'missing')], /--admin-token-file ".*missing" cannot be read \(ENOENT\)/],
      [['--admin-token-file', dir], /--admin-token-file ".*" cannot be read \(EISDIR\)/],
      [['--admin-token-file', empty], /--admin-token-file ".*empty" is empty/],
      [['--admin-token-file', twoLines], /holds spaces, line breaks or non-ASCII characters/],
      [['--admin-token', 'x', '--admin-token-file', empty], /--admin-token or --admin-token-file, not both/],
      [['--admin-token', ''], /--admin-token is empty/],
      [['--admin-allowed-hosts', 'ok.example,http://bad/'], /"http:\/\/bad\/" is not a host name or HOST:PORT/],
    ];
    // In this process: each case ends before anything is bound, so no child is needed.
    for (const [args, message] of cases) {
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      const code = await runCliInProcess(['run', '-c', file, ...QUIET, ...args], { stdout, stderr });
      const [out, err] = [stdout.read()?.toString() ?? '', stderr.read()?.toString() ?? ''];
      assert.equal(code, 2, `${args.join(' ')}: ${out}${err}`);
      assert.match(err, message);
      assert.doesNotMatch(out, /shadowgate ready/);
    }
    // And once end to end, as a script would see it.
    const result = await runCli(['run', '-c', file, ...QUIET, '--admin-token-file', empty], { env: NO_ENV_TOKEN });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--admin-token-file ".*empty" is empty/);
  });

  test('a non-loopback admin address without any token is refused (exit 2)', async () => {
    const { file } = writeConfig(validConfig());
    const stderr = new PassThrough();
    const saved = process.env.SHADOWGATE_ADMIN_TOKEN;
    delete process.env.SHADOWGATE_ADMIN_TOKEN;
    try {
      const code = await runCliInProcess(['run', '-c', file, '--admin', '0.0.0.0:0', '--access-log', 'off'], { stdout: new PassThrough(), stderr });
      assert.equal(code, 2);
    } finally {
      if (saved !== undefined) process.env.SHADOWGATE_ADMIN_TOKEN = saved;
    }
    assert.match(String(stderr.read()), /reachable beyond loopback: start it with --admin-token, --admin-token-file or \$SHADOWGATE_ADMIN_TOKEN/);
  });
});
