import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { drawPerMillion, MILLION, percentToPerMillion, shouldMirror } from '../../src/mirror/sampling.ts';
import { shadowAuthority } from '../../src/mirror/shadow-authority.ts';

describe('shouldMirror', () => {
  test('compares the draw against the per-million threshold', () => {
    assert.equal(shouldMirror(500_000, 499_999), true);
    assert.equal(shouldMirror(500_000, 500_000), false);
    assert.equal(shouldMirror(0, 0), false, '0% never mirrors');
    assert.equal(shouldMirror(MILLION, MILLION - 1), true, '100% always mirrors');
  });

  test('one draw serves every mirror, so a smaller percentage is a subset of a larger one', () => {
    for (let draw = 0; draw < MILLION; draw += 997) {
      if (shouldMirror(50_000, draw)) assert.equal(shouldMirror(100_000, draw), true);
    }
  });

  test('per-million precision: 0.0001% is one in a million', () => {
    assert.equal(percentToPerMillion(0.0001), 1);
    assert.equal(percentToPerMillion(50), 500_000);
    assert.equal(percentToPerMillion(12.3456), 123_456);
    assert.equal(percentToPerMillion(100), MILLION);
  });

  test('drawPerMillion maps [0, 1) onto 0..999,999', () => {
    assert.equal(drawPerMillion(() => 0), 0);
    assert.equal(drawPerMillion(() => 0.9999999999), MILLION - 1);
    assert.equal(drawPerMillion(() => 0.5), 500_000);
  });
});

describe('shadowAuthority', () => {
  test('appends -shadow to the host part, keeping the port', () => {
    assert.equal(shadowAuthority('httpbin'), 'httpbin-shadow');
    assert.equal(shadowAuthority('httpbin:8000'), 'httpbin-shadow:8000');
    assert.equal(shadowAuthority('api.example.com'), 'api.example.com-shadow');
    assert.equal(shadowAuthority('[::1]:8080'), '[::1]-shadow:8080');
    assert.equal(shadowAuthority('[::1]'), '[::1]-shadow');
  });
});
