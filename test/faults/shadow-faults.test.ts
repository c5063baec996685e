/**
 * A shadow that fails in each way a real one does, under a few seconds of steady primary traffic
 * mirrored at 100%: the primary must not notice (every request 200 with its own body), the mirror
 * counters must add up (sampled = completed + failed + dropped + in flight), the failure must be
 * counted under its own reason, and memory and descriptors must come back near where they started.
 */
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { describe, test } from 'node:test';
import { accessEvents, type AccessEvent } from '../../src/dataplane/events.ts';
import type { MirrorCounters } from '../../src/stats/counters.ts';
import type { MirrorSettings } from '../../src/snapshot/types.ts';
import { mirrorConfig, startGateway } from '../integration/harness.ts';
import { deadPort, waitFor } from '../support/index.ts';
import {
  closeAfterResponseServer,
  garbageServer,
  hugeBodyServer,
  resetMidRequestServer,
  resetMidResponseServer,
  silentServer,
  slowReaderServer,
  stallAfterHeadersServer,
  type FaultServer,
} from '../support/fault-servers.ts';
import { collectGarbage, processUsage, checkedLoad, steadyPrimary } from '../support/checked-load.ts';

const MiB = 1024 * 1024;
/** Seconds of load per fault: long enough for pools, ejections and timeouts to cycle a few times. */
const LOAD_MS = 2500;

interface AfterHook {
  after(fn: () => unknown): void;
}

type Counted = Readonly<MirrorCounters>;

/** Shadow access events while the test runs. */
function mirrorEvents(t: AfterHook): AccessEvent[] {
  const events: AccessEvent[] = [];
  const onEvent = (message: unknown) => {
    if ((message as AccessEvent).kind === 'mirror') events.push(message as AccessEvent);
  };
  subscribe(accessEvents.name, onEvent);
  t.after(() => unsubscribe(accessEvents.name, onEvent));
  return events;
}

function failed(c: Counted): number {
  return c.failedConnect + c.failedReset + c.failedTimeout + c.failedProtocol;
}

function dropped(c: Counted): number {
  return c.droppedOverflow + c.droppedBodyTooLarge + c.droppedNoEndpoint + c.droppedAborted + c.droppedEjected + c.droppedResponseTooLarge;
}

function completed(c: Counted): number {
  return Object.values(c.completed).reduce((a, b) => a + b, 0);
}

interface FaultRun {
  readonly counters: Counted;
  readonly requests: number;
}

/**
 * Runs steady load through a gateway mirroring 100% to `shadow` and checks what every fault must
 * satisfy; returns the mirror counters for the fault's own assertions.
 */
async function underSteadyLoad(
  t: AfterHook,
  shadow: FaultServer | { port: number; close(): Promise<void> },
  options: { postBytes?: number; mirror?: Partial<MirrorSettings> } = {},
): Promise<FaultRun> {
  const primary = await steadyPrimary();
  t.after(() => Promise.all([primary.close(), shadow.close()]));
  const { url, gateway, close } = await startGateway(
    t,
    mirrorConfig(primary.port, shadow.port, 'mirror: { host: httpbin-next, port: { number: 80 } }\nmirrorPercentage: { value: 100 }'),
    // A short shadow timeout, so copies to a shadow that never answers end within the test.
    { compile: { mirror: { defaultTimeoutMs: 500, ...options.mirror } } },
  );
  collectGarbage();
  const before = processUsage();
  const load = await checkedLoad({ url, host: 'httpbin', concurrency: 4, durationMs: LOAD_MS, maxRequests: 20_000, postBytes: options.postBytes });
  assert.equal(load.failures, 0, `primary failures: ${load.failureSamples.join('; ')}`);
  assert.ok(load.requests > 20, `some load went through (${load.requests})`);
  assert.equal(primary.count, load.requests, 'the primary saw every request once');

  const counters = [...gateway.counters.mirrors()][0]!;
  assert.equal(counters.sampled, load.requests, '100% mirroring samples every request');
  // Copies still in flight are part of the sum at every moment, and finish within their timeout.
  assert.equal(completed(counters) + failed(counters) + dropped(counters) + counters.inFlight, counters.sampled);
  await waitFor(() => gateway.shadowsInFlight === 0, { timeoutMs: 15_000, description: 'every copy finished' });
  assert.equal(completed(counters) + failed(counters) + dropped(counters), counters.sampled, JSON.stringify(counters));

  // Idle shadow connections close with the gateway; what must not stay is anything per copy.
  await close();
  // The shadow servers live in this process, so their ends of the copies' connections count too; on a
  // loaded machine they take a while to notice the gateway's close. Memory: V8 keeps heap pages it grew
  // into under load (on an idle machine, more load means more growth), so RSS alone may stay up with
  // nothing held; the heap in use after a full GC is what would show a leak, so either must be back.
  let last = before;
  await waitFor(
    () => {
      collectGarbage();
      last = processUsage();
      const memoryBack = last.rssBytes <= before.rssBytes + 100 * MiB || last.heapUsedBytes <= before.heapUsedBytes + 32 * MiB;
      return last.fds <= before.fds + 10 && memoryBack;
    },
    { timeoutMs: 30_000, intervalMs: 250, description: `descriptors and RSS back near ${JSON.stringify(before)}` },
  ).catch((error: Error) => {
    throw new Error(`${error.message}; last reading ${JSON.stringify(last)}`);
  });
  return { counters: { ...counters, completed: { ...counters.completed } }, requests: load.requests };
}

describe('shadow faults under steady load', () => {
  test('never answers: copies time out, the primary does not notice', async (t) => {
    const shadow = await silentServer();
    const { counters } = await underSteadyLoad(t, shadow);
    assert.ok(counters.failedTimeout > 0, JSON.stringify(counters));
    assert.equal(counters.failedReset + counters.failedProtocol, 0);
  });

  test('sends headers then stalls: copies time out', async (t) => {
    const shadow = await stallAfterHeadersServer();
    const { counters } = await underSteadyLoad(t, shadow);
    assert.ok(counters.failedTimeout > 0, JSON.stringify(counters));
    assert.equal(completed(counters), 0);
  });

  test('reads request bodies slowly: POST copies fall behind or time out, primary uploads do not wait', async (t) => {
    const shadow = await slowReaderServer(1024);
    const { counters } = await underSteadyLoad(t, shadow, { postBytes: 256 * 1024 });
    assert.ok(shadow.count > 0, 'copies reached the shadow');
    assert.ok(counters.failedTimeout + counters.droppedBodyTooLarge + counters.droppedOverflow > 0, JSON.stringify(counters));
  });

  test('resets mid-request: POST copies counted as resets (or ejected)', async (t) => {
    const shadow = await resetMidRequestServer();
    const { counters } = await underSteadyLoad(t, shadow, { postBytes: 64 * 1024 });
    assert.ok(counters.failedReset > 0, JSON.stringify(counters));
    assert.equal(counters.failedReset + counters.failedConnect + counters.droppedEjected, counters.sampled);
  });

  test('resets mid-response: counted as resets (or ejected)', async (t) => {
    const shadow = await resetMidResponseServer();
    const { counters } = await underSteadyLoad(t, shadow);
    assert.ok(counters.failedReset > 0, JSON.stringify(counters));
    assert.equal(counters.failedProtocol, 0, 'a reset is not a protocol error');
    assert.equal(completed(counters), 0);
  });

  test('answers garbage: counted protocol_error, not reset', async (t) => {
    const shadow = await garbageServer();
    const { counters } = await underSteadyLoad(t, shadow);
    assert.ok(counters.failedProtocol > 0, JSON.stringify(counters));
    assert.equal(counters.failedReset, 0);
    assert.equal(counters.failedProtocol + counters.droppedEjected, counters.sampled);
  });

  test('answers a 50 MiB streamed body: read up to the bound, connection closed, counted response_too_large', async (t) => {
    const shadow = await hugeBodyServer(50 * MiB, { chunked: true });
    const events = mirrorEvents(t);
    const { counters } = await underSteadyLoad(t, shadow);
    const cut = events.filter((e) => e.flags === 'SRO');
    assert.equal(cut.length, counters.droppedResponseTooLarge, 'each abandoned copy is logged SRO');
    for (const event of cut) {
      assert.equal(event.status, 200, 'the log keeps the status the shadow sent');
      assert.ok(event.bytesOut > MiB && event.bytesOut <= MiB + 64 * 1024, `read just past the 1 MiB bound (${event.bytesOut})`);
    }
    assert.ok(counters.droppedResponseTooLarge > 0, JSON.stringify(counters));
    assert.equal(completed(counters), 0, 'no 50 MiB body was read to its end');
    // Copies are cut at the bound or dropped over the in-flight cap, never queued. On a loaded machine
    // a few may instead time out or fail while the shadow is flooded, so this is a share, not all.
    const cutOrDropped = counters.droppedResponseTooLarge + counters.droppedOverflow;
    assert.ok(cutOrDropped >= 0.9 * counters.sampled, `${cutOrDropped} of ${counters.sampled} cut or dropped: ${JSON.stringify(counters)}`);
    await waitFor(() => shadow.closedEarly === shadow.count, { description: `the shadow saw every response cut short (${shadow.closedEarly} of ${shadow.count})` });
  });

  test('declares a body over the bound: abandoned at the headers', async (t) => {
    // 50 MiB, so the kernel's socket buffers cannot swallow a whole body and hide the early close.
    const shadow = await hugeBodyServer(50 * MiB);
    const events = mirrorEvents(t);
    const { counters } = await underSteadyLoad(t, shadow, { mirror: { maxResponseBytes: 64 * 1024 } });
    const cut = events.filter((e) => e.flags === 'SRO');
    assert.ok(cut.length > 0);
    assert.ok(cut.every((e) => e.bytesOut === 0), 'not a byte of a declared-too-large body was read');
    // A copy whose headers arrive after its timeout on a loaded machine fails instead; none is read.
    assert.equal(completed(counters), 0, JSON.stringify(counters));
    assert.ok(counters.droppedResponseTooLarge + counters.droppedOverflow >= 0.9 * counters.sampled, JSON.stringify(counters));
    await waitFor(() => shadow.closedEarly === shadow.count);
  });

  test('a response within the bound is read whole and completes', async (t) => {
    const shadow = await hugeBodyServer(512 * 1024, { chunked: true });
    const { counters } = await underSteadyLoad(t, shadow);
    assert.equal(counters.droppedResponseTooLarge, 0);
    assert.ok(counters.completed['2xx'] > 0, JSON.stringify(counters));
  });

  test('closes the connection after each response: every copy completes', async (t) => {
    const shadow = await closeAfterResponseServer();
    const { counters } = await underSteadyLoad(t, shadow);
    assert.equal(failed(counters), 0, JSON.stringify(counters));
    assert.equal(counters.completed['2xx'] + counters.droppedOverflow, counters.sampled);
    assert.ok(shadow.connections > 1, 'one connection per copy');
  });

  test('refuses connections: counted connect_failure, then ejected', async (t) => {
    const port = await deadPort();
    const { counters } = await underSteadyLoad(t, { port, close: async () => {} });
    assert.ok(counters.failedConnect > 0, JSON.stringify(counters));
    assert.equal(counters.failedConnect + counters.droppedEjected, counters.sampled);
  });
});
