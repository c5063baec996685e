/**
 * `shadowgate run` takes the admin token from --admin-token, --admin-token-file or
 * SHADOWGATE_ADMIN_TOKEN; a file that cannot give one is a usage error (exit 2) before anything binds.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
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

  test('--admin-token still works and wins over the environment', async () => {
    await whileRunning(['--admin-token', 'from-the-flag-22'], { SHADOWGATE_ADMIN_TOKEN: 'from-the-env' }, async (admin) => {
      await assertTokenRequired(admin, 'from-the-flag-22');
      const env = await requestVia(`${admin}/config_dump`, { headers: { authorization: 'Bearer from-the-env' } });
      assert.equal(env.status, 401);
    });
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
    for (const [args, message] of cases) {
      const result = await runCli(['run', '-c', file, ...QUIET, ...args], { env: NO_ENV_TOKEN });
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stdout}${result.stderr}`);
      assert.match(result.stderr, message);
      assert.doesNotMatch(result.stdout, /shadowgate ready/);
    }
  });

  test('a non-loopback admin address without any token is refused (exit 2)', async () => {
    const { file } = writeConfig(validConfig());
    const result = await runCli(['run', '-c', file, '--admin', '0.0.0.0:0', '--access-log', 'off'], { env: NO_ENV_TOKEN });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /reachable beyond loopback: start it with --admin-token, --admin-token-file or \$SHADOWGATE_ADMIN_TOKEN/);
  });
});
