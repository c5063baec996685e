/** A MirrorPolicy in `/config_dump`: Envoy 1.36's ShadowPolicy fields, and shadowgate's extras in route metadata. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { renderConfigDump, type ConfigDump, type EnvoyRoute } from '../../src/admin/config-dump.ts';
import type { EnvoyRouteAction } from '../../src/admin/config-dump/envoy-types.ts';
import { buildSnapshotFromPaths, formatDiagnostic } from '../../src/config/index.ts';
import { makeTempDir } from '../support/temp-dir.ts';

const YAML = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: gw }
spec:
  servers:
  - port: { number: 8080, name: http, protocol: HTTP }
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: backend }
spec:
  hosts: [backend, backend-next, backend-old]
  resolution: STATIC
  ports:
  - { number: 8000, name: http, protocol: HTTP }
  endpoints:
  - address: 127.0.0.1
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: vs }
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - name: main
    route:
    - destination: { host: backend }
    mirrors:
    - destination: { host: backend-next }
    - destination: { host: backend-old }
---
apiVersion: shadowgate.io/v1alpha1
kind: MirrorPolicy
metadata: { name: next }
spec:
  targetRef: { kind: VirtualService, name: vs }
  mirrors:
  - host: backend-next
    requestHeaders:
      set: { x-shadow-request: "true" }
      add: { x-extra: a }
      remove: [authorization, cookie]
    authority: shadow.internal
    sampling: { key: { cookie: session } }
    compare: { ignorePaths: ["$.ts"], baseline: { host: backend-old } }
    capture: { path: /tmp/never-written.jsonl }
`;

type ForwardingRoute = EnvoyRoute & { readonly route: EnvoyRouteAction };

test('request_mirror_policies carries request_headers_mutations and host_rewrite_literal; the rest is under filter_metadata.shadowgate', async () => {
  const dir = makeTempDir('shadowgate-config-dump-');
  writeFileSync(path.join(dir, 'config.yaml'), YAML);
  const { snapshot, diagnostics } = await buildSnapshotFromPaths([path.join(dir, 'config.yaml')]);
  assert.deepEqual(diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic), []);
  const dump: ConfigDump = renderConfigDump(snapshot!, { version: 'v', loadedAt: '2026-01-01T00:00:00.000Z' });
  const [route] = dump.configs[3].dynamic_route_configs.flatMap((rc) => rc.route_config.virtual_hosts.flatMap((vh) => vh.routes)) as ForwardingRoute[];
  assert.ok(route);
  assert.deepEqual(route.route.request_mirror_policies, [
    {
      cluster: 'outbound|8000||backend-next.default.svc.cluster.local',
      runtime_fraction: { default_value: { numerator: 100, denominator: 'HUNDRED' } },
      trace_sampled: false,
      request_headers_mutations: [
        { append: { header: { key: 'x-shadow-request', value: 'true' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' } },
        { append: { header: { key: 'x-extra', value: 'a' }, append_action: 'APPEND_IF_EXISTS_OR_ADD' } },
        { remove: 'authorization' },
        { remove: 'cookie' },
      ],
      host_rewrite_literal: 'shadow.internal',
      disable_shadow_host_suffix_append: true,
    },
    {
      cluster: 'outbound|8000||backend-old.default.svc.cluster.local',
      runtime_fraction: { default_value: { numerator: 100, denominator: 'HUNDRED' } },
      trace_sampled: false,
    },
  ]);
  assert.deepEqual(route.metadata.filter_metadata.shadowgate.mirror_policies, [
    {
      source: 'default/next',
      sampling: { key: { cookie: 'session' } },
      compare: {
        max_body_bytes: 262144,
        ignore_headers: [],
        ignore_paths: ['$.ts'],
        numeric_tolerance: { absolute: 0, relative: 0 },
        unordered_arrays: [],
        baseline_cluster: 'outbound|8000||backend-old.default.svc.cluster.local',
      },
      capture: {
        path: '/tmp/never-written.jsonl',
        max_file_bytes: 67108864,
        max_files: 5,
        max_body_bytes: 65536,
        redact_headers: ['authorization', 'cookie', 'proxy-authorization'],
        include_primary_response: false,
      },
    },
    null,
  ]);
});
