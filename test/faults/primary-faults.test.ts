/**
 * A primary that fails in each way Envoy users know by its response flag: down (503 UF), reset (503
 * UR), stalled past the route timeout (504 UT), stalled with no route timeout until the client gives
 * up (DC, nothing left open), headers then a stall past the timeout (UT, the downstream reset) and
 * bytes that are not HTTP (502 UPE). Each asserts the status, the access-log flag and the counter.
 */
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { describe, test } from 'node:test';
import { accessEvents, type AccessEvent } from '../../src/dataplane/events.ts';
import type { Gateway } from '../../src/gateway.ts';
import { mirrorConfig, startGateway } from '../integration/harness.ts';
import { deadPort, requestVia, resettingServer, testAgent, waitFor } from '../support/index.ts';
import { garbageServer, silentServer, stallAfterHeadersServer } from '../support/fault-servers.ts';
import { processUsage } from '../support/checked-load.ts';

interface AfterHook {
  after(fn: () => unknown): void;
}

/** Primary access events of this test file, newest last. */
function recordEvents(t: AfterHook): AccessEvent[] {
  const events: AccessEvent[] = [];
  const onEvent = (message: unknown) => {
    if ((message as AccessEvent).kind === 'primary') events.push(message as AccessEvent);
  };
  subscribe(accessEvents.name, onEvent);
  t.after(() => unsubscribe(accessEvents.name, onEvent));
  return events;
}

/** The primary's counters; `attempts: 0` keeps each test to one attempt so flags carry no URX. */
function upstream(gateway: Gateway) {
  return [...gateway.counters.upstreams()].find((c) => c.cluster.includes('httpbin.'))!;
}

async function gatewayFor(t: AfterHook, primaryPort: number, routeExtra = '') {
  // The shadow is never used here: the route has no mirror.
  const shadowPort = await deadPort();
  return startGateway(t, mirrorConfig(primaryPort, shadowPort, `retries: { attempts: 0 }\n${routeExtra}`));
}

describe('primary faults', () => {
  test('down: 503 UF, counted connect_failure', async (t) => {
    const events = recordEvents(t);
    const { url, gateway } = await gatewayFor(t, await deadPort());
    const response = await requestVia(`${url}/down`, { host: 'httpbin', agent: testAgent(t) });
    assert.equal(response.status, 503);
    assert.equal(response.json<{ code: string }>().code, 'UPSTREAM_CONNECT_FAILURE');
    await waitFor(() => events.find((e) => e.path === '/down'));
    assert.equal(events.find((e) => e.path === '/down')!.flags, 'UF');
    assert.equal(upstream(gateway).connectFailures, 1);
  });

  test('reset before the response: 503 UR, counted reset', async (t) => {
    const events = recordEvents(t);
    const primary = await resettingServer();
    t.after(() => primary.close());
    const { url, gateway } = await gatewayFor(t, primary.port);
    const response = await requestVia(`${url}/reset`, { host: 'httpbin', agent: testAgent(t) });
    assert.equal(response.status, 503);
    assert.equal(response.json<{ code: string }>().code, 'UPSTREAM_RESET');
    await waitFor(() => events.find((e) => e.path === '/reset'));
    assert.equal(events.find((e) => e.path === '/reset')!.flags, 'UR');
    assert.equal(upstream(gateway).resets, 1);
  });

  test('stalled past the route timeout: 504 UT, counted timeout', async (t) => {
    const events = recordEvents(t);
    const primary = await silentServer();
    t.after(() => primary.close());
    const { url, gateway } = await gatewayFor(t, primary.port, 'timeout: 0.2s');
    const response = await requestVia(`${url}/stall`, { host: 'httpbin', agent: testAgent(t) });
    assert.equal(response.status, 504);
    assert.equal(response.json<{ code: string }>().code, 'UPSTREAM_TIMEOUT');
    await waitFor(() => events.find((e) => e.path === '/stall'));
    assert.equal(events.find((e) => e.path === '/stall')!.flags, 'UT');
    assert.equal(upstream(gateway).timeouts, 1);
    await waitFor(() => primary.openConnections === 0, { description: 'the stalled upstream connection was closed' });
  });

  test('stalled with no route timeout: the client gives up, the gateway logs DC and keeps nothing open', async (t) => {
    const events = recordEvents(t);
    const primary = await silentServer();
    t.after(() => primary.close());
    // Istio's default route timeout is none (0s): only the client ends the wait.
    const { url, gateway } = await gatewayFor(t, primary.port, 'timeout: 0s');
    const before = processUsage();
    const agent = testAgent(t);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        assert.rejects(requestVia(`${url}/stall-forever/${i}`, { host: 'httpbin', agent, signal: AbortSignal.timeout(200) })),
      ),
    );
    await waitFor(() => events.filter((e) => e.path.startsWith('/stall-forever/')).length === 20);
    for (const event of events.filter((e) => e.path.startsWith('/stall-forever/'))) {
      assert.equal(event.flags, 'DC');
      assert.equal(event.status, 0);
    }
    await waitFor(() => primary.openConnections === 0, { description: 'every upstream connection was closed' });
    assert.equal(upstream(gateway).inFlight, 0);
    await agent.close();
    await waitFor(() => processUsage().fds <= before.fds + 5, { description: 'descriptors back near the baseline' });
  });

  test('headers then a stall past the route timeout: UT (not UR), the downstream reset, counted timeout', async (t) => {
    const events = recordEvents(t);
    const primary = await stallAfterHeadersServer();
    t.after(() => primary.close());
    const { url, gateway } = await gatewayFor(t, primary.port, 'timeout: 0.3s');
    // The 200 is already on its way, so the only honest signal left is a reset of the downstream.
    await assert.rejects(requestVia(`${url}/half`, { host: 'httpbin', agent: testAgent(t) }));
    await waitFor(() => events.find((e) => e.path === '/half'));
    await new Promise((resolve) => setImmediate(resolve));
    const logged = events.filter((e) => e.path === '/half');
    assert.equal(logged.length, 1, 'one access-log event per request');
    assert.equal(logged[0]!.flags, 'UT');
    assert.equal(logged[0]!.status, 200);
    const counters = upstream(gateway);
    assert.equal(counters.timeouts, 1);
    assert.equal(counters.resets, 0);
    await waitFor(() => primary.openConnections === 0);
  });

  test('bytes that are not HTTP: 502 UPE, counted protocol_error', async (t) => {
    const events = recordEvents(t);
    const primary = await garbageServer();
    t.after(() => primary.close());
    const { url, gateway } = await gatewayFor(t, primary.port);
    const response = await requestVia(`${url}/garbage`, { host: 'httpbin', agent: testAgent(t) });
    assert.equal(response.status, 502);
    assert.equal(response.json<{ code: string }>().code, 'UPSTREAM_PROTOCOL_ERROR');
    await waitFor(() => events.find((e) => e.path === '/garbage'));
    assert.equal(events.find((e) => e.path === '/garbage')!.flags, 'UPE');
    const counters = upstream(gateway);
    assert.equal(counters.protocolErrors, 1);
    assert.equal(counters.resets, 0);
  });
});
