/**
 * `shadowgate demo` end to end: echo services, the generated config through the real pipeline, the
 * gateway, and traffic. It needs the whole data plane, so this is the CLI's smoke test of mirroring.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requestVia, runCli, waitFor } from '../support/index.ts';

test('demo --duration 3 runs, exits 0, and the shadow received requests with a -shadow Host', async () => {
  const result = await runCli(['demo', '--duration', '3'], { timeoutMs: 30_000 });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /curl -s -H 'Host: httpbin\.example\.com' http:\/\/127\.0\.0\.1:\d+\/headers/);
  // One status line per second while piped.
  assert.ok((result.stdout.match(/^sent \d+ \| primary \d+ \| shadow \d+/gm) ?? []).length >= 2, result.stdout);
  const summary = /shadow received (\d+) mirrored requests \(([\d.]+)% of primary\); last Host: (\S+)/.exec(result.stdout);
  assert.ok(summary, result.stdout);
  assert.ok(Number(summary[1]) > 0);
  assert.equal(summary[3], 'httpbin.example.com-shadow');
  assert.doesNotMatch(result.stdout, /failed \d+/, 'every demo request got a 2xx');
});

test('demo prints the dashboard URL first, and the dashboard shows the demo traffic while it runs', async () => {
  let output = '';
  const run = runCli(['demo', '--duration', '4', '--port', '0', '--admin-port', '0'], {
    timeoutMs: 30_000,
    onStdout: (chunk) => (output += chunk),
  });
  const dashboard = await waitFor(() => /^Dashboard: (http:\/\/127\.0\.0\.1:\d+)\/dashboard/.exec(output)?.[1], { timeoutMs: 15_000 });
  const page = await requestVia(`${dashboard}/dashboard`);
  assert.equal(page.status, 200);
  assert.match(page.text(), /<title>shadowgate console<\/title>/);
  await waitFor(
    async () => {
      const body = (await requestVia(`${dashboard}/api/timeseries?route=demo%2Fhttpbin%2Fmirrored`)).json<{
        routes: { series: { role: string; summary: { requests: number } }[] }[];
      }>();
      const series = body.routes[0]?.series ?? [];
      return series.length === 2 && series.every((s) => s.summary.requests > 0);
    },
    { timeoutMs: 10_000, description: 'primary and mirror counted on the dashboard' },
  );
  const result = await run;
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout.split('\n')[0]!, /^Dashboard: http:\/\/127\.0\.0\.1:\d+\/dashboard/, 'the first line');
});

test('demo --percentage 0 mirrors nothing', async () => {
  const result = await runCli(['demo', '--duration', '1.5', '--port', '0', '--percentage', '0'], { timeoutMs: 30_000 });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /shadow received no mirrored requests/);
  assert.match(result.stdout, /demo ran [\d.]+ s: sent [1-9]\d* \| primary [1-9]\d* \| shadow 0/);
});
