/**
 * `shadowgate run --workers 2`: one admin endpoint for all workers, counters summed across them, a
 * runtime override and a reload reaching every worker, a crashed worker restarted.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { test } from 'node:test';
import { Agent } from 'undici';
import { requestVia, runCli, startEchoService, waitFor, writeConfig } from '../support/index.ts';
import { mirrorConfig } from '../integration/harness.ts';
import { openRaw } from '../support/raw-socket.ts';

test('two workers behave as one gateway', async (t) => {
  const primary = await startEchoService({ name: 'primary' });
  const shadow = await startEchoService({ name: 'shadow' });
  t.after(() => Promise.all([primary.close(), shadow.close()]));
  const { file } = writeConfig(mirrorConfig(primary.port, shadow.port, ''));

  let output = '';
  let child: ChildProcess | null = null;
  const exited = runCli(['run', '-c', file, '--admin', '127.0.0.1:0', '--access-log', 'off', '--no-watch', '--workers', '2'], {
    timeoutMs: 60_000,
    onStdout(chunk, process) {
      child = process;
      output += chunk;
    },
  });
  const url = await waitFor(() => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1], { timeoutMs: 20_000 });
  const admin = await waitFor(() => /admin on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1]);
  const pids = (await waitFor(() => /pids (\d+), (\d+)/.exec(output))).slice(1).map(Number);

  // Many short connections, so the kernel spreads them over both workers.
  const burst = async (n: number, path: string) => {
    for (let i = 0; i < n; i++) {
      const agent = new Agent({ pipelining: 0 });
      assert.equal((await requestVia(`${url}${path}`, { agent, host: 'httpbin' })).status, 200);
      await agent.close();
    }
  };
  await burst(60, '/anything/a');
  const prom = (await requestVia(`${admin}/stats/prometheus`)).text();
  assert.match(prom, /shadowgate_downstream_requests_total\{[^}]*status_class="2xx"\} 60\n/, 'summed over workers');
  assert.equal(shadow.count, 0);

  const put = await requestVia(`${admin}/api/routes/default/httpbin/main/mirror`, {
    method: 'PUT',
    body: JSON.stringify({ destination: { host: 'httpbin-next', port: 80 }, percentage: 100, enabled: true }),
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(put.status, 200, put.text());
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await burst(40, '/anything/b');
  await waitFor(() => shadow.count === 40, { description: 'every worker mirrors after the override (within a second)' });

  process.kill(pids[0]!, 'SIGKILL');
  await waitFor(async () => (await requestVia(`${admin}/ready`)).status === 503, { description: 'not ready while a worker is down' });
  await waitFor(async () => {
    const stats = await requestVia(`${admin}/ready`);
    return stats.status === 200;
  }, { timeoutMs: 10_000, description: 'ready again after the restart' });
  await burst(20, '/anything/c');
  await waitFor(() => shadow.count === 60, { description: 'the restarted worker got the override too' });

  (child as unknown as ChildProcess).kill('SIGTERM');
  const result = await exited;
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /worker \d+ exited \(SIGKILL\); restarting/);
});

test('workers take the downstream timeouts from the command line, and their counts are summed', async (t) => {
  const primary = await startEchoService({ name: 'primary' });
  t.after(() => primary.close());
  const { file } = writeConfig(mirrorConfig(primary.port, primary.port, ''));
  let output = '';
  let child: ChildProcess | null = null;
  const exited = runCli(
    ['run', '-c', file, '--admin', '127.0.0.1:0', '--access-log', 'off', '--no-watch', '--workers', '2',
      '--request-headers-timeout', '0', '--idle-timeout', '0.3'],
    {
      timeoutMs: 60_000,
      onStdout(chunk, process) {
        child = process;
        output += chunk;
      },
    },
  );
  const port = Number(await waitFor(() => /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1], { timeoutMs: 20_000 }));
  const admin = await waitFor(() => /admin on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1]);
  const idle = await Promise.all(Array.from({ length: 20 }, () => openRaw(port)));
  await Promise.all(idle.map((c) => c.whenClosed));
  await waitFor(
    async () => /shadowgate_downstream_timeouts_total\{[^}]*reason="idle"\} 20\n/.test((await requestVia(`${admin}/stats/prometheus`)).text()),
    { description: 'the idle closes of both workers are summed' },
  );
  (child as ChildProcess | null)?.kill('SIGTERM');
  assert.equal((await exited).code, 0);
});
