/**
 * The console's history on plain data: the ring of one-second buckets, the sampler that diffs the data
 * plane's counters into it, and the numbers read from it (percentiles, the binomial share check).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { History } from '../../src/console/history.ts';
import { CounterSampler } from '../../src/console/sampler.ts';
import { fieldIndex, histogramOffset, mirrorTotals, routeTotals, rowWidth, upstreamTotals, type SeriesId } from '../../src/console/series.ts';
import { percentile, shareConsistent } from '../../src/console/view.ts';
import { GatewayCounters } from '../../src/stats/counters.ts';

const ROUTE: SeriesId = { kind: 'route', route: 'default/vs/main', cluster: '' };

function routeRow(requests: number): Float64Array {
  const row = new Float64Array(rowWidth('route'));
  row[fieldIndex('route', 'requests')] = requests;
  return row;
}

describe('History', () => {
  test('adds into the bucket of a second, sums ranges, and forgets seconds the ring has wrapped past', () => {
    const history = new History(5);
    history.add(ROUTE, 100, routeRow(3));
    history.add(ROUTE, 100, routeRow(2));
    history.add(ROUTE, 102, routeRow(7));
    history.complete(102);
    assert.equal(history.row(ROUTE, 100)![0], 5);
    assert.equal(history.row(ROUTE, 101), null);
    assert.equal(history.sum(ROUTE, 100, 102)[0], 12);
    assert.equal(history.first, 102, 'the first completed second');
    // 105 takes 100's slot: 100 is gone, 102 stays.
    history.add(ROUTE, 105, routeRow(1));
    history.complete(105);
    assert.equal(history.row(ROUTE, 100), null);
    assert.equal(history.sum(ROUTE, 100, 105)[0], 8);
    assert.deepEqual(
      history.dumpAfter(102).map((r) => [r.second, r.values[0]]),
      [[105, 1]],
    );
  });

  test('creates a series only on its first non-empty second, and stops at the cap', () => {
    const history = new History(10, 2);
    history.add(ROUTE, 1, routeRow(0));
    assert.equal(history.has(ROUTE), false);
    history.add(ROUTE, 1, routeRow(1));
    history.add({ kind: 'route', route: 'b', cluster: '' }, 1, routeRow(1));
    history.add({ kind: 'route', route: 'c', cluster: '' }, 1, routeRow(1));
    assert.equal(history.ids().length, 2);
    assert.equal(history.overflowed, true);
  });
});

describe('CounterSampler', () => {
  test('records what the counters gained each second, not what they held before it started', () => {
    const counters = new GatewayCounters();
    const downstream = counters.downstream('l1', 'default/vs/main');
    downstream.requests = 40;
    const history = new History(60);
    const ticks: number[] = [];
    const sampler = new CounterSampler(counters, history, (s) => ticks.push(s));
    sampler.start();
    sampler.stop();

    downstream.requests += 3;
    downstream.completed['2xx'] += 3;
    downstream.latency.observe(3);
    counters.downstream('l2', 'default/vs/main').requests += 2;
    const mirror = counters.mirror('default/vs/main', 'outbound|80||shadow');
    mirror.sampled += 5;
    mirror.sent += 4;
    mirror.droppedOverflow += 1;
    sampler.sample(1000);
    downstream.requests += 1;
    sampler.sample(1001);

    assert.deepEqual(ticks, [1000, 1001]);
    assert.equal(history.through, 1001);
    const row = history.row(ROUTE, 1000)!;
    assert.equal(row[fieldIndex('route', 'requests')], 5, 'both listeners, only the new requests');
    assert.equal(row[fieldIndex('route', '2xx')], 3);
    assert.equal(row[histogramOffset('route') + 2], 1, 'a 3 ms observation lands in the (1, 5] bucket');
    const m = history.row({ kind: 'mirror', route: 'default/vs/main', cluster: 'outbound|80||shadow' }, 1000)!;
    assert.equal(m[fieldIndex('mirror', 'sampled')], 5);
    assert.equal(m[fieldIndex('mirror', 'sent')], 4);
    assert.equal(m[fieldIndex('mirror', 'droppedOverflow')], 1);
    assert.equal(history.row(ROUTE, 1001)![0], 1);
  });

  test('a counter that went backwards adds nothing rather than a negative', () => {
    const counters = new GatewayCounters();
    const downstream = counters.downstream('l', 'r');
    const history = new History(60);
    const sampler = new CounterSampler(counters, history);
    sampler.start();
    sampler.stop();
    downstream.requests = 10;
    sampler.sample(1);
    downstream.requests = 4;
    sampler.sample(2);
    const id: SeriesId = { kind: 'route', route: 'r', cluster: '' };
    assert.equal(history.row(id, 1)![0], 10);
    assert.equal(history.row(id, 2), null);
  });
});

describe('numbers read from the history', () => {
  test('percentile interpolates inside the bucket where the rank falls', () => {
    const row = new Float64Array(rowWidth('route'));
    const offset = histogramOffset('route');
    // 100 observations in (1, 5] ms.
    row[offset + 2] = 100;
    assert.equal(percentile(row, offset, 0.5), 3);
    assert.equal(percentile(row, offset, 0.99), 4.96);
    assert.equal(percentile(new Float64Array(rowWidth('route')), offset, 0.5), null);
  });

  test('the share check allows 3 binomial standard deviations, and none at 0% or 100%', () => {
    // n = 1000, p = 0.5: sd = 15.8, so 453..547 pass.
    assert.equal(shareConsistent(500, 1000, 0.5), true);
    assert.equal(shareConsistent(547, 1000, 0.5), true);
    assert.equal(shareConsistent(548, 1000, 0.5), false);
    assert.equal(shareConsistent(1000, 1000, 1), true);
    assert.equal(shareConsistent(999, 1000, 1), false);
    assert.equal(shareConsistent(0, 1000, 0), true);
    assert.equal(shareConsistent(0, 0, 0.5), null);
  });
});

test('every field a row records is a number on the counters it reads', () => {
  const counters = new GatewayCounters();
  const rows = {
    route: routeTotals(counters.downstream('l', 'r'), new Float64Array(rowWidth('route'))),
    upstream: upstreamTotals(counters.upstream('c'), new Float64Array(rowWidth('upstream'))),
    mirror: mirrorTotals(counters.mirror('r', 'c'), new Float64Array(rowWidth('mirror'))),
  };
  for (const [kind, row] of Object.entries(rows)) assert.ok(row.every((v) => v === 0), `${kind}: ${[...row].join(',')}`);
});
