/**
 * The mesh listener's compile: Istio's sidecar domains for a service, which VirtualService host lands on
 * which port, default routes, and the checks that only apply to mesh-bound VirtualServices.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { serviceDomainNames, withPort } from '../../src/config/compile/mesh.ts';
import type { Listener } from '../../src/snapshot/types.ts';
import { compileOk, compileYaml } from './helpers.ts';

const MESH = { meshListener: { address: '127.0.0.1', port: 15001 } } as const;

function se(name: string, host: string, ports: string, namespace = 'default'): string {
  return `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: ${name}, namespace: ${namespace} }
spec:
  hosts: [${host}]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [${ports}]
  endpoints: [{ address: 127.0.0.1 }]
---
`;
}

function vs(name: string, hosts: string, destination: string, extra = ''): string {
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ${name}, namespace: default }
spec:
  hosts: [${hosts}]
${extra}  http:
    - route: [{ destination: { host: ${destination} } }]
---
`;
}

function meshListener(listeners: readonly Listener[]): Listener {
  const mesh = listeners.find((l) => l.name === 'mesh_127.0.0.1_15001');
  assert.ok(mesh);
  return mesh;
}

/** Virtual host name → the cluster of its first route. */
function vhostClusters(mesh: Listener): Record<string, string> {
  return Object.fromEntries(mesh.virtualHosts.all.map((v) => [v.name, v.routes[0]!.clusters[0]!.cluster]));
}

describe("Istio's sidecar domains", () => {
  test('a Kubernetes service seen from its own namespace: the FQDN, its absolute form, and the short forms', () => {
    assert.deepEqual(serviceDomainNames('reviews.default.svc.cluster.local', 'default'), [
      'reviews.default.svc.cluster.local',
      'reviews.default.svc.cluster.local.',
      'reviews',
      'reviews.default.svc',
      'reviews.default',
    ]);
  });

  test('from another namespace the bare name is left out', () => {
    assert.deepEqual(serviceDomainNames('reviews.default.svc.cluster.local', 'sleep'), [
      'reviews.default.svc.cluster.local',
      'reviews.default.svc.cluster.local.',
      'reviews.default',
      'reviews.default.svc',
    ]);
  });

  test('a host outside the cluster domain, and an IP, have no short forms', () => {
    assert.deepEqual(serviceDomainNames('api.example.com', 'default'), ['api.example.com', 'api.example.com.']);
    assert.deepEqual(serviceDomainNames('10.0.0.7', 'default'), ['10.0.0.7']);
  });

  test('domains carry the port; port 80 also matches without one', () => {
    assert.deepEqual(withPort(['a', 'a.ns'], 9080), ['a:9080', 'a.ns:9080']);
    assert.deepEqual(withPort(['a'], 80), ['a', 'a:80']);
  });
});

describe('the mesh listener', () => {
  test('one virtual host per service port; a VirtualService replaces the default route where it names the service', async () => {
    const snapshot = await compileOk(
      se('reviews', 'reviews.default.svc.cluster.local', '{ number: 9080, name: http }, { number: 9090, name: http-admin }, { number: 9443, name: https, protocol: HTTPS }') +
        se('ratings', 'ratings.default.svc.cluster.local', '{ number: 80, name: http }') +
        vs('ratings', 'ratings', 'reviews, port: { number: 9080 }'),
      MESH,
    );
    assert.deepEqual(vhostClusters(meshListener(snapshot.listeners)), {
      'ratings.default.svc.cluster.local:80': 'outbound|9080||reviews.default.svc.cluster.local',
      'reviews.default.svc.cluster.local:9080': 'outbound|9080||reviews.default.svc.cluster.local',
      'reviews.default.svc.cluster.local:9090': 'outbound|9090||reviews.default.svc.cluster.local',
    });
    const mesh = meshListener(snapshot.listeners);
    assert.equal(mesh.matchPortInHost, true);
    assert.deepEqual(mesh.gateways, ['mesh']);
    assert.equal(mesh.virtualHosts.exact.get('ratings')?.name, 'ratings.default.svc.cluster.local:80', 'port 80 without a port');
    assert.equal(mesh.virtualHosts.exact.get('reviews'), undefined, 'other ports only with theirs');
    const fallback = mesh.virtualHosts.all.find((v) => v.name === 'reviews.default.svc.cluster.local:9090')!.routes[0]!;
    assert.equal(fallback.id, 'outbound|9090||reviews.default.svc.cluster.local');
    assert.deepEqual([...fallback.retry!.retryOn], ['connect-failure', 'refused-stream', 'unavailable', 'cancelled', 'retriable-status-codes']);
    assert.equal(fallback.retry!.numRetries, 2);
    assert.equal(fallback.timeoutMs, null);
  });

  test('a host that is no service is served on port 80, when the registry has an HTTP port 80', async () => {
    const without = await compileOk(se('api', 'api.example.com', '{ number: 8080, name: http }') + vs('ext', 'ext.example.com', 'api.example.com'), MESH);
    assert.equal(meshListener(without.listeners).virtualHosts.exact.get('ext.example.com'), undefined);
    const withPort80 = await compileOk(se('api', 'api.example.com', '{ number: 80, name: http }') + vs('ext', 'ext.example.com', 'api.example.com'), MESH);
    const mesh = meshListener(withPort80.listeners);
    assert.equal(mesh.virtualHosts.exact.get('ext.example.com')?.routes[0]?.id, 'default/ext/0');
    assert.equal(mesh.virtualHosts.exact.get('ext.example.com:80')?.name, 'ext.example.com:80');
  });

  test('a wildcard host takes the services it covers, most specific first', async () => {
    const snapshot = await compileOk(
      se('a', 'a.shop.example.com', '{ number: 80, name: http }') +
        se('b', 'b.example.com', '{ number: 80, name: http }') +
        vs('wide', '"*.example.com"', 'b.example.com') +
        vs('narrow', '"*.shop.example.com"', 'b.example.com'),
      MESH,
    );
    const mesh = meshListener(snapshot.listeners);
    assert.equal(mesh.virtualHosts.exact.get('a.shop.example.com:80')?.routes[0]?.id, 'default/narrow/0');
    assert.equal(mesh.virtualHosts.exact.get('b.example.com:80')?.routes[0]?.id, 'default/wide/0');
  });

  test('two mesh VirtualServices for one host: the first wins, the second is warned about', async () => {
    const result = await compileYaml(
      se('a', 'a.example.com', '{ number: 80, name: http }') + vs('first', 'a.example.com', 'a.example.com') + vs('second', 'a.example.com', 'a.example.com'),
      MESH,
    );
    const duplicate = result.diagnostics.filter((d) => d.code === 'DUPLICATE_MESH_HOST');
    assert.equal(duplicate.length, 1);
    assert.equal(duplicate[0]!.name, 'second');
    assert.equal(meshListener(result.snapshot!.listeners).virtualHosts.exact.get('a.example.com')?.routes[0]?.id, 'default/first/0');
  });

  test('host * bound to the mesh is an error, as Istio rejects it', async () => {
    const result = await compileYaml(se('a', 'a.example.com', '{ number: 80, name: http }') + vs('all', '"*"', 'a.example.com'), MESH);
    assert.ok(result.diagnostics.some((d) => d.code === 'MESH_WILDCARD_HOST' && d.severity === 'error' && d.field === 'spec.hosts[0]'));
  });

  test('without --mesh-listener a mesh-only config has no listener (NO_LISTENERS); with it, no warning', async () => {
    const yaml = se('a', 'a.example.com', '{ number: 80, name: http }') + vs('a', 'a.example.com', 'a.example.com');
    const without = await compileYaml(yaml);
    assert.deepEqual(without.diagnostics.map((d) => d.code).sort(), ['MESH_GATEWAY_IGNORED', 'NO_LISTENERS']);
    const withMesh = await compileYaml(yaml, MESH);
    assert.deepEqual(withMesh.diagnostics, []);
    assert.notEqual(withMesh.snapshot, null);
  });

  test('the mesh listener is part of the snapshot version', async () => {
    const yaml = se('a', 'a.example.com', '{ number: 80, name: http }');
    const a = await compileOk(yaml, MESH);
    const b = await compileOk(yaml, { meshListener: { address: '127.0.0.1', port: 15002 } });
    assert.notEqual(a.version, b.version);
  });
});
