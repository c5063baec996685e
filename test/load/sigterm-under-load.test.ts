/**
 * SIGTERM while 20 keep-alive clients keep `shadowgate run` busy: every request the gateway accepted
 * is answered in full, connections that carried a response are closed by the server rather than
 * reset, new connections are refused once it stopped listening, and the process exits 0 well inside
 * the drain timeout (the clients are told to go away instead of being served until the deadline).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { test } from 'node:test';
import { DEMO_HOST } from '../../src/demo/demo-config.ts';
import { runCli, startEchoService, waitFor, writeConfig } from '../support/index.ts';
import { validConfig } from '../cli/fixtures.ts';
import { startSteadyLoad } from './steady-load.ts';

const CLIENTS = 20;
const DRAIN_TIMEOUT_S = 20;
/** Each request waits this long at the backend, so some are always in flight. */
const BACKEND_DELAY_MS = 25;

test('SIGTERM under load: accepted requests complete, nothing in flight is reset, exit 0', async (t) => {
  const backend = await startEchoService({ name: 'primary', maxRecorded: 1_000_000 });
  t.after(() => backend.close());
  const { file } = writeConfig(validConfig({ primaryPort: backend.port, shadowPort: backend.port, percentage: 0 }));

  let output = '';
  let child: ChildProcess | null = null;
  let gatewayUrl: string | null = null;
  const exited = runCli(['run', '-c', file, '--admin', '127.0.0.1:0', '--access-log', 'off', '--drain-timeout', String(DRAIN_TIMEOUT_S)], {
    timeoutMs: 60_000,
    onStdout(chunk, process) {
      child = process;
      output += chunk;
      gatewayUrl ??= /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1] ?? null;
    },
  });
  const origin = await waitFor(() => gatewayUrl, { timeoutMs: 15_000, description: 'run prints its listener' });

  let phase = 0; // 0 before the signal, 1 after
  const load = startSteadyLoad({
    origin,
    clients: CLIENTS,
    host: DEMO_HOST,
    path: (id) => `/delay/${BACKEND_DELAY_MS}?id=${id}`,
    marker: () => phase,
    maxRequests: 100_000,
    maxMs: 30_000,
  });
  t.after(() => load.stop());
  await waitFor(() => load.answered() >= 300, { timeoutMs: 20_000, description: 'the load is flowing' });

  const signalled = performance.now();
  phase = 1;
  (child as unknown as ChildProcess).kill('SIGTERM');
  const result = await exited;
  const stoppedAfterMs = performance.now() - signalled;
  const outcomes = await load.stop();

  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /received SIGTERM, draining.*\nstopped\n$/);

  const accepted = new Set(backend.received.map((r) => Number(new URL(r.url, 'http://x').searchParams.get('id'))));
  const answered = outcomes.filter((o) => o.status !== null);
  const failed = outcomes.filter((o) => o.error !== null);
  assert.deepEqual(answered.filter((o) => o.status !== 200).map((o) => o.status), [], 'every answer is a 200');
  // In flight at the signal and answered after it: the drain really had work to finish.
  assert.ok(answered.some((o) => o.before === 0 && o.after === 1), 'some requests were in flight at the signal');

  const lost = failed.filter((o) => accepted.has(o.id));
  assert.deepEqual(lost, [], 'a request the gateway forwarded was not answered');
  for (const o of failed) {
    // After the listener closed, a new connection is refused (or reset, if the kernel had queued it
    // before the close). The one other failure HTTP/1.1 allows is a request written onto a kept-alive
    // connection just as the server closed it while idle. In each case the gateway never read the
    // request: it is not in the backend's record (checked above).
    assert.equal(o.before, 1, `request ${o.id} failed before the signal (${o.error})`);
    assert.ok(['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET'].includes(o.error!), `request ${o.id} failed with ${o.error}`);
  }
  assert.ok(failed.length >= 1 && failed.filter((o) => o.error === 'ECONNREFUSED').length >= 1, 'clients ended on refused connections');
  // With keep-alive clients that never pause, a drain that waits for them to leave would run to the
  // deadline; the gateway asks them to go (Connection: close), so it stops long before.
  assert.ok(stoppedAfterMs < (DRAIN_TIMEOUT_S * 1000) / 2, `stopped ${Math.round(stoppedAfterMs)} ms after SIGTERM`);
  const byKind = new Map<string, number>();
  for (const o of failed) byKind.set(o.error!, (byKind.get(o.error!) ?? 0) + 1);
  const kinds = [...byKind].map(([kind, n]) => `${n} ${kind}`).join(', ');
  t.diagnostic(
    `${answered.length} answered (${answered.filter((o) => o.before === 0 && o.after === 1).length} in flight at SIGTERM), ` +
      `${failed.length} never accepted (${kinds}); exit ${Math.round(stoppedAfterMs)} ms after SIGTERM`,
  );
});
