import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DeadlineEntry, DeadlineQueue } from '../../src/mirror/deadlines.ts';

class Copy extends DeadlineEntry {
  readonly expired: string[];
  readonly name: string;
  constructor(name: string, expired: string[]) {
    super();
    this.name = name;
    this.expired = expired;
  }
  onDeadline(): void {
    this.expired.push(this.name);
  }
}

describe('copy deadlines', () => {
  test('entries expire once their deadline passes, per timeout value, in start order', () => {
    let now = 0;
    const queue = new DeadlineQueue(() => now);
    const expired: string[] = [];
    const a = new Copy('a', expired);
    const b = new Copy('b', expired);
    const c = new Copy('c', expired);
    queue.add(a, 0, 100);
    queue.add(b, 10, 100);
    queue.add(c, 20, 30); // a shorter route timeout: its own list
    assert.equal(queue.size, 3);
    now = 49;
    queue.expire();
    assert.deepEqual(expired, []);
    now = 50;
    queue.expire();
    assert.deepEqual(expired, ['c']);
    now = 110;
    queue.expire();
    assert.deepEqual(expired, ['c', 'a', 'b']);
    assert.equal(queue.size, 0);
    queue.expire();
    assert.deepEqual(expired, ['c', 'a', 'b'], 'each entry expires once');
  });

  test('a removed entry never expires and its neighbours keep their order', () => {
    let now = 0;
    const queue = new DeadlineQueue(() => now);
    const expired: string[] = [];
    const copies = ['a', 'b', 'c', 'd'].map((name, i) => {
      const copy = new Copy(name, expired);
      queue.add(copy, i, 100);
      return copy;
    });
    queue.remove(copies[1]!); // middle
    queue.remove(copies[0]!); // head
    queue.remove(copies[3]!); // tail
    queue.remove(copies[3]!); // twice: a no-op
    assert.equal(queue.size, 1);
    now = 1000;
    queue.expire();
    assert.deepEqual(expired, ['c']);
    assert.equal(copies[2]!.deadlineList, null, 'unlinked, so the queue keeps nothing reachable');
  });

  test('the sweep timer runs only while something is queued', async () => {
    const queue = new DeadlineQueue();
    const expired: string[] = [];
    const copy = new Copy('slow', expired);
    queue.add(copy, performance.now(), 20);
    const started = performance.now();
    while (expired.length === 0 && performance.now() - started < 5000) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(expired, ['slow'], 'the tick expired it without a manual expire()');
    assert.equal(queue.size, 0);
  });
});
