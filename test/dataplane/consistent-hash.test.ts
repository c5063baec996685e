import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Maglev, RingHash } from '../../src/dataplane/upstream/consistent-hash.ts';
import { cookieValue, requestHash, type HashInput } from '../../src/dataplane/upstream/hash-key.ts';
import { xxhash64 } from '../../src/dataplane/upstream/xxhash64.ts';

function endpoints(n: number, weight = 1) {
  return Array.from({ length: n }, (_, i) => ({ label: `10.0.0.${i + 1}:8080`, weight }));
}

function seeded(seed = 7) {
  return () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
}

describe('xxhash64', () => {
  // Reference values from libxxhash 0.8.1 (XXH64 with the given seed).
  const vectors: [string, number, string][] = [
    ['', 0, 'ef46db3751d8e999'],
    ['a', 0, 'd24ec4f1a98c6e5b'],
    ['abc', 0, '44bc2cf5ad770999'],
    ['12345678', 0, 'd2d02f08cf7cfd4a'],
    ['hello world!', 0, '9bb9a01dc10f4709'],
    ['Nobody inspects the spammish repetition', 0, 'fbcea83c8a378bf1'],
    ['x'.repeat(100), 0, '92f0de5a88a3c094'],
    ['127.0.0.1:8080', 0, 'c65e86b000fb3cbf'],
    ['127.0.0.1:8080', 1, 'a5d6dc0053ab4ed8'],
    ['127.0.0.1:8080_0', 0, 'f673a43b9624fa24'],
    ['abcdefghijklmnopqrstuvwxyz012345', 7, 'e3aceb3c2758a38f'],
  ];
  for (const [input, seed, hex] of vectors) {
    test(`${JSON.stringify(input.length > 20 ? `${input.slice(0, 20)}…` : input)} seed ${seed}`, () => {
      assert.equal(xxhash64(input, seed).toString(16).padStart(16, '0'), hex);
    });
  }
});

for (const [name, build] of [
  ['RING_HASH', (eps: ReturnType<typeof endpoints>) => new RingHash(eps, 1024, seeded())],
  ['MAGLEV', (eps: ReturnType<typeof endpoints>) => new Maglev(eps, 65537, seeded())],
] as const) {
  describe(name, () => {
    test('a key always reaches the same endpoint, and keys spread evenly', () => {
      const lb = build(endpoints(4));
      const counts = new Map<string, number>();
      for (let i = 0; i < 4000; i++) {
        const key = xxhash64(`user-${i}`);
        const first = lb.pick(key)!;
        assert.equal(lb.pick(key), first);
        counts.set(first.label, (counts.get(first.label) ?? 0) + 1);
      }
      assert.equal(counts.size, 4);
      for (const [label, count] of counts) assert.ok(count > 600 && count < 1400, `${label} got ${count} of 4000`);
    });

    test('removing one endpoint moves few keys of the others (under 10%)', () => {
      const all = endpoints(5);
      const before = build(all);
      const after = build(all.slice(0, 4));
      let moved = 0;
      for (let i = 0; i < 2000; i++) {
        const key = xxhash64(`k${i}`);
        const a = before.pick(key)!;
        const b = after.pick(key)!;
        if (a.label !== all[4]!.label && a.label !== b.label) moved++;
      }
      // Both rebuild over the survivors: Maglev refills some slots, the ring gives each survivor more points.
      assert.ok(moved < 200, `${moved} keys of surviving endpoints moved`);
    });

    test('weights share the keys out', () => {
      const lb = build([
        { label: '10.0.0.1:80', weight: 3 },
        { label: '10.0.0.2:80', weight: 1 },
      ]);
      let heavy = 0;
      for (let i = 0; i < 4000; i++) if (lb.pick(xxhash64(`w${i}`))!.label === '10.0.0.1:80') heavy++;
      assert.ok(Math.abs(heavy / 4000 - 0.75) < 0.06, `heavy got ${heavy} of 4000`);
    });

    test('no key: a random endpoint; no endpoints: null', () => {
      const lb = build(endpoints(3));
      const seen = new Set<string>();
      for (let i = 0; i < 200; i++) seen.add(lb.pick(null)!.label);
      assert.equal(seen.size, 3);
      assert.equal(build([]).pick(1n), null);
    });
  });
}

test('the ring has at least the minimum size, shared out by weight', () => {
  assert.equal(new RingHash(endpoints(3), 1024, Math.random).size, 1026);
  assert.equal(new RingHash(endpoints(2000), 1024, Math.random).size, 2000);
});

describe('request hash keys', () => {
  const base: HashInput = { headers: {}, query: '', remoteAddress: '127.0.0.5', remotePort: 40000, localAddress: '127.0.0.1', localPort: 8080 };
  test('header, query parameter and source IP hash their value; absent keys hash nothing', () => {
    assert.equal(requestHash({ kind: 'header', name: 'x-user' }, { ...base, headers: { 'x-user': 'alice' } }).hash, xxhash64('alice'));
    assert.equal(requestHash({ kind: 'header', name: 'x-user' }, base).hash, null);
    assert.equal(requestHash({ kind: 'queryParameter', name: 'u' }, { ...base, query: 'a=1&u=bob' }).hash, xxhash64('bob'));
    assert.equal(requestHash({ kind: 'queryParameter', name: 'u' }, { ...base, query: 'uu=1' }).hash, null);
    assert.equal(requestHash({ kind: 'sourceIp' }, base).hash, xxhash64('127.0.0.5'));
  });

  test('a cookie hashes its value; without it and with a TTL one is generated per connection', () => {
    const key = { kind: 'cookie', name: 'sticky', path: '/', ttlMs: 60_000 } as const;
    assert.equal(requestHash(key, { ...base, headers: { cookie: 'a=1; sticky="v1"' } }).hash, xxhash64('v1'));
    const generated = requestHash(key, base);
    assert.match(generated.setCookie ?? '', /^sticky="([0-9a-f]{16})"; Max-Age=60; Path=\/; HttpOnly$/);
    const value = /"(.*)"/.exec(generated.setCookie!)![1]!;
    assert.equal(generated.hash, xxhash64(value), 'the request is hashed by the cookie it is given');
    assert.equal(requestHash(key, base).setCookie, generated.setCookie, 'the same connection gets the same cookie');
    assert.equal(requestHash({ ...key, ttlMs: 0 }, base).setCookie?.includes('Max-Age'), false, 'ttl 0: a session cookie');
    assert.deepEqual(requestHash({ ...key, ttlMs: null }, base), { hash: null, setCookie: null });
  });

  test('cookie parsing', () => {
    assert.equal(cookieValue('a=1;b=2', 'b'), '2');
    assert.equal(cookieValue(['a=1', 'b="x y"'], 'b'), 'x y');
    assert.equal(cookieValue('ab=1', 'b'), null);
    assert.equal(cookieValue(undefined, 'b'), null);
  });
});
