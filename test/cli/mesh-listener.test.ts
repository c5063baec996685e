/** `--mesh-listener` on the command line: what it makes valid, its usage errors, and the config dump. */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { runCli } from '../support/index.ts';

const EXAMPLE = fileURLToPath(new URL('../../examples/mesh-mirroring/', import.meta.url));

test('mesh VirtualServices and ServiceEntries alone: NO_LISTENERS without --mesh-listener, valid with it', async () => {
  const without = await runCli(['validate', '-c', EXAMPLE]);
  assert.equal(without.code, 1, without.stdout + without.stderr);
  assert.match(without.stderr, /or serve mesh routes with --mesh-listener HOST:PORT \[NO_LISTENERS\]/);
  assert.match(without.stderr, /\[MESH_GATEWAY_IGNORED\]/);

  const withMesh = await runCli(['validate', '-c', EXAMPLE, '--mesh-listener', '127.0.0.1:15001']);
  assert.equal(withMesh.code, 0, withMesh.stderr);
  assert.equal(withMesh.stderr, '');
  assert.match(withMesh.stdout, /config is valid: 1 listener\(s\), 2 cluster\(s\); 0 errors, 0 warnings/);
});

test('--mesh-listener takes HOST:PORT (usage error otherwise)', async () => {
  for (const bad of ['15001', '127.0.0.1:99999']) {
    const result = await runCli(['validate', '-c', EXAMPLE, '--mesh-listener', bad]);
    assert.equal(result.code, 2, `${bad}: ${result.stderr}`);
    assert.match(result.stderr, /expected HOST:PORT/);
  }
});

test('--mesh-listener on a Gateway listener\'s port is a config error', async () => {
  const examples = fileURLToPath(new URL('../../examples/cross-cluster-mirror/', import.meta.url));
  const result = await runCli(['validate', '-c', examples, '--mesh-listener', '127.0.0.1:8080']);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /takes the port of listener 0\.0\.0\.0_8080 \(Gateway default\/edge\).*\[MESH_LISTENER_CONFLICT\]/);
});

test('config-dump shows the mesh listener and its port-carrying domains', async () => {
  const result = await runCli(['config-dump', '-c', EXAMPLE, '--mesh-listener', '127.0.0.1:15001']);
  assert.equal(result.code, 0, result.stderr);
  const dump = JSON.parse(result.stdout) as {
    configs: [unknown, { dynamic_listeners: { name: string }[] }, unknown, { dynamic_route_configs: { route_config: RouteConfig }[] }];
  };
  interface RouteConfig {
    name: string;
    ignore_port_in_host_matching: boolean;
    virtual_hosts: { name: string; domains: string[]; routes: { route: { cluster: string; request_mirror_policies?: { cluster: string }[] } }[] }[];
  }
  assert.deepEqual(dump.configs[1].dynamic_listeners.map((l) => l.name), ['mesh_127.0.0.1_15001']);
  const routes = dump.configs[3].dynamic_route_configs[0]!.route_config;
  assert.equal(routes.name, 'mesh_127.0.0.1_15001');
  assert.equal(routes.ignore_port_in_host_matching, false);
  const vhost = routes.virtual_hosts.find((v) => v.name === 'httpbin.default.svc.cluster.local:8000');
  assert.ok(vhost, JSON.stringify(routes.virtual_hosts.map((v) => v.name)));
  assert.deepEqual(vhost.domains, [
    'httpbin.default.svc.cluster.local:8000',
    'httpbin.default.svc.cluster.local.:8000',
    'httpbin:8000',
    'httpbin.default.svc:8000',
    'httpbin.default:8000',
  ]);
  assert.equal(vhost.routes[0]!.route.cluster, 'outbound|8000|v1|httpbin.default.svc.cluster.local');
  assert.equal(vhost.routes[0]!.route.request_mirror_policies?.[0]?.cluster, 'outbound|8000|v2|httpbin.default.svc.cluster.local');
});
