/**
 * `--workers 2 --compare-store FILE`: each worker compares its own traffic and writes the one SQLite
 * file, which the primary's GET /api/diffs reads; the counts add up to every request, and the metric
 * is summed over the workers. Without the file, /api/diffs says why it has nothing (503).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { Agent } from 'undici';
import { makeTempDir, requestVia, runCli, startEchoService, waitFor, writeConfig } from '../support/index.ts';
import { mirrorConfig } from '../integration/harness.ts';

const POLICY = `---
apiVersion: shadowgate.io/v1alpha1
kind: MirrorPolicy
metadata: { name: httpbin-compare }
spec:
  targetRef: { kind: VirtualService, name: httpbin }
  mirrors:
    - host: httpbin-next
      compare: {}
`;

async function startWorkers(t: { after(fn: () => unknown): void }, extra: string[]): Promise<{ url: string; admin: string }> {
  const primary = await startEchoService({ name: 'primary' });
  const shadow = await startEchoService({ name: 'shadow' });
  t.after(() => Promise.all([primary.close(), shadow.close()]));
  const { file } = writeConfig(mirrorConfig(primary.port, shadow.port, 'mirror: { host: httpbin-next, port: { number: 80 } }') + POLICY);
  let output = '';
  let child: ChildProcess | null = null;
  const exited = runCli(['run', '-c', file, '--admin', '127.0.0.1:0', '--access-log', 'off', '--no-watch', '--workers', '2', ...extra], {
    timeoutMs: 60_000,
    onStdout(chunk, process) {
      child = process;
      output += chunk;
    },
  });
  t.after(async () => {
    (child as ChildProcess | null)?.kill('SIGTERM');
    await exited;
  });
  const url = await waitFor(() => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1], { timeoutMs: 20_000 });
  const admin = await waitFor(() => /admin on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1]);
  return { url, admin };
}

test('with --workers 2 and --compare-store, /api/diffs reads what both workers wrote', async (t) => {
  const store = join(makeTempDir('shadowgate-diffs-workers-'), 'diffs.db');
  const { url, admin } = await startWorkers(t, ['--compare-store', store]);
  // Short connections, so the kernel spreads them over both workers.
  for (let i = 0; i < 30; i++) {
    const agent = new Agent({ pipelining: 0 });
    assert.equal((await requestVia(`${url}/anything/${i}`, { agent, host: 'httpbin' })).status, 200);
    await agent.close();
  }
  const summary = await waitFor(
    async () => {
      const routes = (await requestVia(`${admin}/api/diffs`)).json<{ routes: { counts: Record<'match' | 'differ' | 'noise' | 'skipped', number> }[] }>().routes;
      const c = routes[0]?.counts;
      return c !== undefined && c.match + c.differ + c.noise + c.skipped === 30 ? c : null;
    },
    { timeoutMs: 15_000, description: '30 comparisons in the shared store' },
  );
  // The echo services answer with their own names (and the shadow sees its -shadow host): every one differs.
  assert.equal(summary.differ, 30);
  const metrics = await waitFor(
    async () => {
      const text = (await requestVia(`${admin}/stats/prometheus`)).text();
      return /shadowgate_compare_total\{[^}]*result="differ"\} 30/.test(text) ? text : null;
    },
    { timeoutMs: 10_000, description: 'the metric summed over both workers' },
  );
  assert.ok(metrics);
});

test('with --workers and no --compare-store, /api/diffs answers 503 and says what to do', async (t) => {
  const { admin } = await startWorkers(t, []);
  const answer = await requestVia(`${admin}/api/diffs`);
  assert.equal(answer.status, 503);
  assert.match(answer.json<{ error: string }>().error, /--compare-store/);
});
