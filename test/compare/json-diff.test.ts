import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_JSON_DIFF_RULES, diffJson, JsonTooDeepError, type JsonDiffRules } from '../../src/compare/json-diff.ts';
import { formatPath, generalisePath, JsonPathSyntaxError, parsePathPattern } from '../../src/compare/json-path.ts';
import { separateNoise } from '../../src/compare/noise.ts';

function rules(extra: Partial<{ ignore: string[]; unordered: string[]; absolute: number; relative: number; max: number }>): JsonDiffRules {
  return {
    ignore: (extra.ignore ?? []).map(parsePathPattern),
    unordered: (extra.unordered ?? []).map(parsePathPattern),
    tolerance: { absolute: extra.absolute ?? 0, relative: extra.relative ?? 0 },
    maxDifferences: extra.max ?? 100,
  };
}

const paths = (a: unknown, b: unknown, r: JsonDiffRules = DEFAULT_JSON_DIFF_RULES) => diffJson(a, b, r).map((d) => `${d.kind} ${formatPath(d.path)}`);

describe('JSON paths', () => {
  test('parse the forms rules use, and reject the rest with the offset', () => {
    assert.deepEqual(parsePathPattern('$.items[*].id').segments.length, 3);
    assert.deepEqual(parsePathPattern("$['odd key'][2]").segments, ['odd key', 2]);
    assert.throws(() => parsePathPattern('items'), JsonPathSyntaxError);
    assert.throws(() => parsePathPattern('$.items[x]'), /offset 7/);
  });
  test('format and generalise concrete paths', () => {
    assert.equal(formatPath(['items', 3, 'price']), '$.items[3].price');
    assert.equal(formatPath(['a b']), '$["a b"]');
    assert.equal(generalisePath(['items', 3, 'tags', 0]), '$.items[*].tags[*]');
  });
});

describe('diffJson', () => {
  test('names the path of each difference, by kind', () => {
    assert.deepEqual(paths({ a: 1, b: { c: [1, 2] }, gone: true }, { a: 2, b: { c: [1, '2'] }, added: 0 }), [
      'value $.a',
      'type $.b.c[1]',
      'missing $.gone',
      'extra $.added',
    ]);
    assert.deepEqual(paths([1, 2, 3], [1, 2]), ['missing $[2]']);
    assert.deepEqual(paths({ x: null }, { x: null }), []);
  });
  test('ignored paths, with wildcards, and everything under them', () => {
    const primary = { items: [{ id: 'a', price: 1 }, { id: 'b', price: 2 }], meta: { at: 1, by: 'x' } };
    const shadow = { items: [{ id: 'z', price: 1 }, { id: 'y', price: 3 }], meta: { at: 2, by: 'y' } };
    assert.deepEqual(paths(primary, shadow, rules({ ignore: ['$.items[*].id', '$.meta'] })), ['value $.items[1].price']);
  });
  test('numbers within the tolerance are equal', () => {
    assert.deepEqual(paths({ p: 10.0 }, { p: 10.004 }, rules({ absolute: 0.01 })), []);
    assert.deepEqual(paths({ p: 1000 }, { p: 1009 }, rules({ relative: 0.01 })), []);
    assert.deepEqual(paths({ p: 1000 }, { p: 1011 }, rules({ relative: 0.01 })), ['value $.p']);
  });
  test('unordered arrays compare as multisets, rules applying inside elements', () => {
    const r = rules({ unordered: ['$.tags', '$.items'], ignore: ['$.items[*].seen'] });
    assert.deepEqual(paths({ tags: ['a', 'b', 'b'] }, { tags: ['b', 'a', 'b'] }, r), []);
    assert.deepEqual(paths({ tags: ['a', 'b'] }, { tags: ['b', 'c'] }, r), ['missing $.tags[0]', 'extra $.tags[1]']);
    assert.deepEqual(paths({ items: [{ k: 1, seen: 1 }, { k: 2, seen: 2 }] }, { items: [{ k: 2, seen: 9 }, { k: 1, seen: 8 }] }, r), []);
    assert.deepEqual(paths({ tags: ['a', 'b'] }, { tags: ['b', 'a'] }), ['value $.tags[0]', 'value $.tags[1]'], 'ordered by default');
  });
  test('the number of differences reported is capped', () => {
    const a = Array.from({ length: 500 }, (_, i) => i);
    assert.equal(diffJson(a, a.map((n) => n + 1), rules({ max: 10 })).length, 10);
  });
  test('a document nested too deep is refused with a typed error, not a stack overflow', () => {
    const deep = JSON.parse('['.repeat(10_000) + ']'.repeat(10_000));
    assert.throws(() => diffJson(deep, deep), JsonTooDeepError);
  });
});

describe('noise', () => {
  test('a field that also differs between primary and baseline is noise; the rest is real', () => {
    const primary = { id: 'r1', items: [{ n: 'x', nonce: 1 }], price: 5 };
    const shadow = { id: 'r2', items: [{ n: 'x', nonce: 2 }], price: 6 };
    const baseline = { id: 'r3', items: [{ n: 'x', nonce: 3 }], price: 5 };
    const { real, noise } = separateNoise(diffJson(primary, shadow), diffJson(primary, baseline));
    assert.deepEqual(real.map((d) => formatPath(d.path)), ['$.price']);
    assert.deepEqual(noise.map((d) => formatPath(d.path)).sort(), ['$.id', '$.items[0].nonce']);
  });
});
