import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OutlierDetector } from '../../src/mirror/outlier-detector.ts';

test('ejects after consecutive failures, probes once after the back-off, doubles the back-off on a failed probe', () => {
  let now = 0;
  const detector = new OutlierDetector<object>({ threshold: 3, baseEjectionMs: 100, maxEjectionMs: 250 }, () => now);
  const endpoint = {};
  detector.failed(endpoint);
  detector.failed(endpoint);
  assert.equal(detector.admit(endpoint), true, 'two failures are not enough');
  detector.failed(endpoint);
  assert.equal(detector.admit(endpoint), false, 'ejected after the third');
  now = 99;
  assert.equal(detector.admit(endpoint), false);
  now = 100;
  assert.equal(detector.admit(endpoint), true, 'the probe');
  assert.equal(detector.admit(endpoint), false, 'only one probe at a time');
  detector.failed(endpoint);
  now = 299;
  assert.equal(detector.admit(endpoint), false, 'back-off doubled to 200 ms');
  now = 300;
  assert.equal(detector.admit(endpoint), true);
  detector.failed(endpoint);
  now = 549;
  assert.equal(detector.admit(endpoint), false, 'capped at 250 ms');
  now = 550;
  assert.equal(detector.admit(endpoint), true);
  detector.succeeded(endpoint);
  assert.equal(detector.admit(endpoint), true);
  assert.equal(detector.admit(endpoint), true, 'restored: no probe limit');
});

test('a failure streak broken by a success does not eject', () => {
  const detector = new OutlierDetector<object>({ threshold: 2, baseEjectionMs: 100, maxEjectionMs: 100 }, () => 0);
  const endpoint = {};
  detector.failed(endpoint);
  detector.succeeded(endpoint);
  detector.failed(endpoint);
  assert.equal(detector.admit(endpoint), true);
});

test('an inconclusive probe lets the next copy probe', () => {
  let now = 0;
  const detector = new OutlierDetector<object>({ threshold: 1, baseEjectionMs: 10, maxEjectionMs: 10 }, () => now);
  const endpoint = {};
  detector.failed(endpoint);
  now = 10;
  assert.equal(detector.admit(endpoint), true);
  detector.inconclusive(endpoint);
  assert.equal(detector.admit(endpoint), true);
});
