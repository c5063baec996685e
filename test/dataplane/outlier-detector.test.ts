import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OutlierDetector, type OutlierPolicy } from '../../src/dataplane/upstream/outlier-detector.ts';

const ENVOY: OutlierPolicy = {
  consecutive5xx: 3,
  consecutiveGatewayFailure: 0,
  consecutiveLocalOriginFailure: 0,
  baseEjectionMs: 1000,
  maxEjectionMs: 300_000,
  backoff: 'linear',
  maxEjectionPercent: 100,
  intervalMs: 100,
  probe: false,
};

function detector(policy: Partial<OutlierPolicy> = {}, endpoints = 4) {
  const clock = { now: 0 };
  const d = new OutlierDetector<object>({ ...ENVOY, ...policy }, () => clock.now, () => endpoints);
  return { d, clock };
}

describe('primary outlier detection (Envoy semantics)', () => {
  test('consecutive 5xx eject; a success breaks the streak; local-origin failures count as 5xx', () => {
    const { d } = detector();
    const e = {};
    assert.equal(d.responded(e, 500), false);
    assert.equal(d.responded(e, 503), false);
    d.responded(e, 404);
    d.responded(e, 500);
    assert.equal(d.failed(e), false);
    assert.equal(d.responded(e, 502), true, 'the third in a row');
    assert.equal(d.ejected(e), true);
    assert.equal(d.admit(e), false);
  });

  test('ejection lasts base × ejections, rounded up to the next interval sweep, and decays while healthy', () => {
    const { d, clock } = detector({ consecutive5xx: 1 });
    const e = {};
    clock.now = 50;
    d.responded(e, 500);
    clock.now = 1099;
    assert.equal(d.ejected(e), true, 'back at the sweep after 1050 ms: 1100');
    clock.now = 1100;
    assert.equal(d.ejected(e), false);
    d.responded(e, 500);
    clock.now = 1100 + 1999;
    assert.equal(d.ejected(e), true, 'the second ejection lasts twice as long');
    clock.now = 3100;
    assert.equal(d.ejected(e), false);
    // Healthy for 20 intervals: the ejection count decays to 0, so the next ejection is 1× again.
    clock.now = 3100 + 2000;
    d.responded(e, 500);
    clock.now = 5100 + 1000;
    assert.equal(d.ejected(e), false);
  });

  test('consecutive gateway errors count 502/503/504 only; 0 turns a detector off', () => {
    const { d } = detector({ consecutive5xx: 0, consecutiveGatewayFailure: 2 });
    const e = {};
    d.responded(e, 503);
    d.responded(e, 500);
    assert.equal(d.responded(e, 504), false, 'the 500 broke the gateway streak');
    assert.equal(d.responded(e, 502), true);
    const off = detector({ consecutive5xx: 0 }).d;
    for (let i = 0; i < 10; i++) assert.equal(off.responded(e, 500), false);
  });

  test('maxEjectionPercent: no ejection once that share is ejected (the first always may be)', () => {
    const { d } = detector({ consecutive5xx: 1, maxEjectionPercent: 10 }, 2);
    const [a, b] = [{}, {}];
    assert.equal(d.responded(a, 500), true, '0% ejected is under 10%');
    assert.equal(d.responded(b, 500), false, '50% ejected is not');
    assert.equal(d.ejectionsOverflow, 1);
    const half = detector({ consecutive5xx: 1, maxEjectionPercent: 50 }, 4).d;
    const eps = [{}, {}, {}, {}];
    assert.deepEqual(eps.map((e) => half.responded(e, 500)), [true, true, false, false]);
    assert.equal(half.ejectedCount, 2);
  });

  test('sweep returns endpoints whose time is up', () => {
    const { d, clock } = detector({ consecutive5xx: 1, intervalMs: 0 });
    const e = {};
    d.responded(e, 500);
    assert.equal(d.sweep(), false);
    clock.now = 1000;
    assert.equal(d.sweep(), true);
    assert.equal(d.ejectedCount, 0);
  });
});
