import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLoadBalancer } from '../../src/dataplane/upstream/load-balancer.ts';
import { isRetriable, retryBackoffMs } from '../../src/dataplane/retry.ts';

function endpoints(...weights: number[]) {
  return weights.map((weight, i) => ({ id: i, weight, inFlight: 0, label: `127.0.0.1:${8000 + i}` }));
}

function tally(pick: () => { id: number } | null, n: number): number[] {
  const counts: number[] = [];
  for (let i = 0; i < n; i++) {
    const e = pick()!;
    counts[e.id] = (counts[e.id] ?? 0) + 1;
  }
  return counts;
}

describe('load balancers', () => {
  test('ROUND_ROBIN follows weights exactly and interleaves', () => {
    const lb = createLoadBalancer('ROUND_ROBIN', endpoints(3, 1), Math.random);
    const order = Array.from({ length: 8 }, () => lb.pick()!.id);
    assert.deepEqual(tally(() => lb.pick(), 400), [300, 100]);
    assert.notDeepEqual(order.slice(0, 3), [0, 0, 0], 'smooth: the heavy endpoint does not get bursts');
  });

  test('RANDOM honours weights', () => {
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const counts = tally(() => createLoadBalancer('RANDOM', endpoints(1, 3), random).pick(), 4000);
    assert.ok(Math.abs(counts[1]! / 4000 - 0.75) < 0.05, `got ${counts}`);
  });

  test('LEAST_REQUEST prefers the less busy endpoint', () => {
    const eps = endpoints(1, 1);
    eps[0]!.inFlight = 10;
    let i = 0;
    const lb = createLoadBalancer('LEAST_REQUEST', eps, () => [0.1, 0.9][i++ % 2]!);
    assert.equal(lb.pick()!.id, 1);
  });

  test('zero-weight endpoints get nothing; no endpoints gives null', () => {
    assert.equal(tally(() => createLoadBalancer('ROUND_ROBIN', endpoints(0, 1), Math.random).pick(), 10)[1], 10);
    assert.equal(createLoadBalancer('ROUND_ROBIN', [], Math.random).pick(), null);
  });
});

describe('retry conditions', () => {
  const policy = (on: string[], codes: number[] = []) => ({ numRetries: 2, perTryTimeoutMs: null, retryOn: new Set(on), retriableStatusCodes: new Set(codes) });
  test("Istio's default retries connect failures and 503 only", () => {
    const p = policy(['connect-failure', 'refused-stream', 'unavailable', 'cancelled', 'retriable-status-codes'], [503]);
    assert.equal(isRetriable(p, { kind: 'connect' }), true);
    assert.equal(isRetriable(p, { kind: 'reset' }), false);
    assert.equal(isRetriable(p, { kind: 'status', status: 503 }), true);
    assert.equal(isRetriable(p, { kind: 'status', status: 500 }), false);
  });
  test('5xx and gateway-error', () => {
    assert.equal(isRetriable(policy(['5xx']), { kind: 'status', status: 500 }), true);
    assert.equal(isRetriable(policy(['5xx']), { kind: 'per-try-timeout' }), true);
    assert.equal(isRetriable(policy(['gateway-error']), { kind: 'status', status: 500 }), false);
    assert.equal(isRetriable(policy(['gateway-error']), { kind: 'status', status: 502 }), true);
    assert.equal(isRetriable(policy(['retriable-4xx']), { kind: 'status', status: 409 }), true);
  });
  test('a protocol error (502 UPE) is retried as a reset: by reset, 5xx and gateway-error, not by Istio\'s default', () => {
    assert.equal(isRetriable(policy(['reset']), { kind: 'protocol' }), true);
    assert.equal(isRetriable(policy(['5xx']), { kind: 'protocol' }), true);
    assert.equal(isRetriable(policy(['gateway-error']), { kind: 'protocol' }), true);
    assert.equal(isRetriable(policy(['connect-failure', 'retriable-status-codes'], [503]), { kind: 'protocol' }), false);
  });
  test('back-off is bounded by 25 ms doubling up to 250 ms', () => {
    assert.equal(retryBackoffMs(0, () => 0.999), 24);
    assert.equal(retryBackoffMs(10, () => 0.999), 249);
  });
});
