/** UpstreamCluster's use of outlier detection: ejected endpoints leave balancing; panic below minHealthPercent. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pool } from 'undici';
import { DEFAULT_CONNECTION_POOL } from '../../src/config/compile/clusters.ts';
import { UpstreamCluster, UpstreamEndpoint } from '../../src/dataplane/upstream/upstream-clusters.ts';
import type { Cluster, OutlierDetectionPolicy } from '../../src/snapshot/types.ts';

function cluster(outlier: Partial<OutlierDetectionPolicy>, ports: number[], clock: { now: number }, loadBalancer: Cluster['loadBalancer'] = 'ROUND_ROBIN') {
  const endpoints = ports.map((port) => ({ address: '127.0.0.1', port, weight: 1, labels: {} }));
  const definition: Cluster = {
    name: 'outbound|80||svc',
    serviceHost: 'svc',
    servicePort: 80,
    subset: '',
    protocol: 'HTTP',
    resolution: 'STATIC',
    endpoints,
    loadBalancer,
    consistentHash: loadBalancer === 'RING_HASH' ? { key: { kind: 'header', name: 'x' }, minimumRingSize: 1024, tableSize: null } : null,
    connectionPool: DEFAULT_CONNECTION_POOL,
    outlierDetection: {
      consecutive5xx: 1,
      consecutiveGatewayFailure: 0,
      intervalMs: 0,
      baseEjectionMs: 1000,
      maxEjectionMs: 300_000,
      maxEjectionPercent: 100,
      minHealthPercent: 0,
      ...outlier,
    },
    tls: null,
    source: { file: 'f', line: 1, column: 1, kind: 'ServiceEntry', namespace: 'default', name: 'svc' },
  };
  const c = new UpstreamCluster(definition, 'k', () => 0.5, true, () => clock.now);
  c.setEndpoints(endpoints.map((e) => new UpstreamEndpoint(e, e.address, {} as Pool, String(e.port))));
  return c;
}

const picks = (c: UpstreamCluster, n: number, hash: bigint | null = null) => new Set(Array.from({ length: n }, () => c.pick(hash)?.port ?? null));

test('an ejected endpoint gets no picks until its ejection ends', () => {
  const clock = { now: 0 };
  const c = cluster({}, [1, 2, 3], clock);
  assert.equal(c.responded(c.endpoints[1]!, 503), true);
  assert.deepEqual([...picks(c, 12)].sort(), [1, 3]);
  clock.now = 1000;
  assert.deepEqual([...picks(c, 12)].sort(), [1, 2, 3]);
});

test('consistent hashing: an ejected endpoint\'s keys go elsewhere, most others stay, and all come back after', () => {
  const clock = { now: 0 };
  const c = cluster({}, [1, 2, 3], clock, 'RING_HASH');
  const owners = Array.from({ length: 60 }, (_, i) => c.pick(BigInt(i) * 307445734561825860n)!.port);
  const victim = c.endpoints.find((e) => e.port === owners[0])!;
  c.responded(victim, 500);
  const during = Array.from({ length: 60 }, (_, i) => c.pick(BigInt(i) * 307445734561825860n)!.port);
  assert.ok(!during.includes(victim.port));
  // The ring is rebuilt over the healthy endpoints, each with more points (as Envoy's is), so a few
  // other keys move too.
  const others = owners.map((port, i) => [port, during[i]] as const).filter(([port]) => port !== victim.port);
  const stayed = others.filter(([before, after]) => before === after).length;
  assert.ok(stayed >= others.length * 0.7, `${stayed} of ${others.length} stayed`);
  clock.now = 1000;
  assert.deepEqual(Array.from({ length: 60 }, (_, i) => c.pick(BigInt(i) * 307445734561825860n)!.port), owners);
});

test('minHealthPercent: below it, balancing ignores ejections (panic); at 0, all ejected means no endpoint', () => {
  const clock = { now: 0 };
  const panicky = cluster({ minHealthPercent: 60 }, [1, 2], clock);
  panicky.responded(panicky.endpoints[0]!, 500);
  assert.deepEqual([...picks(panicky, 8)].sort(), [1, 2], '50% healthy is under 60%: every endpoint is used');
  const strict = cluster({}, [1, 2], clock);
  strict.responded(strict.endpoints[0]!, 500);
  strict.responded(strict.endpoints[1]!, 500);
  assert.equal(strict.pick(), null);
});
