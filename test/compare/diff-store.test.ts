import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { type ComparisonRecord, DiffStore } from '../../src/compare/diff-store.ts';
import { makeTempDir } from '../support/temp-dir.ts';

const base = { routeId: 'default/shop/items', mirrorCluster: 'outbound|80||shop-next' };
function differ(i: number, path = '$.items[0].price'): ComparisonRecord {
  return {
    ...base,
    time: i,
    result: 'differ',
    differences: [{ where: 'body', path, kind: 'value', primary: 1, shadow: 2 }],
    sample: { request: { url: `/items/${i}` }, primary: { status: 200 }, shadow: { status: 200 } },
  };
}

describe('DiffStore', () => {
  test('counts results and skip reasons, ranks differing fields, and keeps samples', () => {
    const store = new DiffStore({ path: null, maxSamples: 100, samplesPerKind: 5 });
    store.record({ ...base, time: 0, result: 'match' });
    store.record({ ...base, time: 0, result: 'skipped', reason: 'streaming' });
    for (let i = 0; i < 3; i++) store.record(differ(i, `$.items[${i}].price`));
    store.record(differ(9, '$.total'));
    store.record({ ...differ(10, '$.id'), result: 'noise', differences: [], noise: [{ where: 'body', path: '$.id', kind: 'value' }] });
    const [summary] = store.summary();
    assert.deepEqual(summary!.counts, { match: 1, differ: 4, noise: 1, skipped: 1 });
    assert.deepEqual(summary!.skipped, { streaming: 1 });
    assert.deepEqual(summary!.topPaths[0], { path: '$.items[*].price', class: 'real', count: 3 }, 'indexes generalised');
    assert.ok(summary!.topPaths.some((p) => p.path === '$.id' && p.class === 'noise'));
    const sample = store.sample(summary!.samples[0]!.id)!;
    assert.equal(sample.result, 'noise');
    assert.deepEqual(sample.request, { url: '/items/10' });
    assert.equal(store.sample(12345), null);
    store.close();
  });

  test('samples are bounded per kind and in all, oldest evicted first', () => {
    const store = new DiffStore({ path: null, maxSamples: 8, samplesPerKind: 3 });
    for (let i = 0; i < 10; i++) store.record(differ(i));
    store.flush();
    let [summary] = store.summary();
    assert.deepEqual(summary!.samples.map((s) => s.time), [9, 8, 7], 'the newest 3 of one kind');
    for (let i = 0; i < 20; i++) store.record(differ(100 + i, `$.f${i}`));
    [summary] = store.summary();
    assert.equal(summary!.samples.length, 8, 'maxSamples in all');
    assert.equal(summary!.counts.differ, 30, 'counts are not evicted with samples');
    store.close();
  });

  test('a database file keeps results across a restart', () => {
    const path = join(makeTempDir(), 'diffs.sqlite');
    const first = new DiffStore({ path, maxSamples: 10, samplesPerKind: 2 });
    first.record(differ(1));
    first.close();
    assert.ok(existsSync(path));
    const second = new DiffStore({ path, maxSamples: 10, samplesPerKind: 2 });
    assert.equal(second.summary()[0]!.counts.differ, 1);
    second.close();
  });
});
