import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { percentToPerMillion, shouldMirror } from '../../src/mirror/sampling.ts';
import { stickyDraw, stickyKey } from '../../src/mirror/sticky-sampling.ts';

const users = Array.from({ length: 20_000 }, (_, i) => `user-${i}`);
const mirroredAt = (percent: number) => new Set(users.filter((u) => shouldMirror(percentToPerMillion(percent), stickyDraw(u))));

describe('sticky sampling', () => {
  test('the same key always draws the same', () => {
    assert.equal(stickyDraw('user-42'), stickyDraw('user-42'));
    assert.notEqual(stickyDraw('user-42'), stickyDraw('user-43'));
  });
  test('the share of keys mirrored is the percentage, within 4 standard deviations', () => {
    for (const percent of [1, 5, 10, 50]) {
      const p = percent / 100;
      const sigma = Math.sqrt(users.length * p * (1 - p));
      const got = mirroredAt(percent).size;
      assert.ok(Math.abs(got - users.length * p) < 4 * sigma, `${percent}%: ${got} of ${users.length}`);
    }
  });
  test('raising the percentage keeps every key mirrored before', () => {
    const five = mirroredAt(5);
    const ten = mirroredAt(10);
    for (const user of five) assert.ok(ten.has(user), `${user} stays mirrored at 10%`);
  });
  test('keys come from a header, a cookie or a query parameter; absent or empty is null', () => {
    const headers = { 'x-user': 'u1', cookie: 'a=1; session=abc ; z=', other: '' };
    assert.equal(stickyKey({ kind: 'header', name: 'x-user' }, { headers, query: '' }), 'u1');
    assert.equal(stickyKey({ kind: 'header', name: 'other' }, { headers, query: '' }), null);
    assert.equal(stickyKey({ kind: 'cookie', name: 'session' }, { headers, query: '' }), 'abc');
    assert.equal(stickyKey({ kind: 'cookie', name: 'z' }, { headers, query: '' }), null);
    assert.equal(stickyKey({ kind: 'queryParameter', name: 'uid' }, { headers, query: 'a=1&uid=7' }), '7');
    assert.equal(stickyKey({ kind: 'queryParameter', name: 'uid' }, { headers, query: '' }), null);
  });
});
