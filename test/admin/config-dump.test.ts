import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import {
  renderConfigDump,
  type ConfigDump,
  type ConfigDumpMeta,
  type EnvoyCluster,
  type EnvoyListener,
  type EnvoyRoute,
} from '../../src/admin/config-dump.ts';
import type { EnvoyRouteAction } from '../../src/admin/config-dump/envoy-types.ts';
import { envoyDuration, re2Substitution } from '../../src/admin/config-dump/values.ts';
import { buildSnapshotFromPaths, formatDiagnostic, type CompileOptions } from '../../src/config/index.ts';
import type { Snapshot } from '../../src/snapshot/types.ts';
import { makeTempDir } from '../support/temp-dir.ts';

const EXAMPLE = path.join(import.meta.dirname, '../../examples/cross-cluster-mirror');
const META: ConfigDumpMeta = { version: 'v-test', loadedAt: '2025-01-02T03:04:05.000Z' };

/** Fake PEM text: the files are read as-is, and the dump must never contain any of it. */
const CERT_PEM = '-----BEGIN CERTIFICATE-----\nCERT-BODY-do-not-leak\n-----END CERTIFICATE-----\n';
const KEY_PEM = '-----BEGIN PRIVATE KEY-----\nKEY-BODY-do-not-leak\n-----END PRIVATE KEY-----\n';
const CA_PEM = '-----BEGIN CERTIFICATE-----\nCA-BODY-do-not-leak\n-----END CERTIFICATE-----\n';

function assertNoPem(dump: ConfigDump): void {
  const json = JSON.stringify(dump);
  for (const secret of ['-----BEGIN', 'PRIVATE KEY', 'CERT-BODY', 'KEY-BODY', 'CA-BODY']) {
    assert.ok(!json.includes(secret), `the dump contains ${secret}`);
  }
}

/** Renders, checking on every use that the dump is plain JSON and free of PEM text. */
function render(snapshot: Snapshot, meta: ConfigDumpMeta = META): ConfigDump {
  const dump = renderConfigDump(snapshot, meta);
  assert.deepEqual(JSON.parse(JSON.stringify(dump)), dump);
  assertNoPem(dump);
  return dump;
}

/** Writes `files` to a fresh temp dir and compiles `config.yaml` there, asserting there is no error. */
async function compile(files: Readonly<Record<string, string>>, options: CompileOptions = {}): Promise<{ snapshot: Snapshot; dir: string }> {
  const dir = makeTempDir('shadowgate-config-dump-');
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  const { snapshot, diagnostics } = await buildSnapshotFromPaths([path.join(dir, 'config.yaml')], options);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(errors.map(formatDiagnostic), []);
  assert.ok(snapshot);
  return { snapshot, dir };
}

const listenersOf = (dump: ConfigDump): EnvoyListener[] => dump.configs[1].dynamic_listeners.map((l) => l.active_state.listener);
const clustersOf = (dump: ConfigDump): EnvoyCluster[] => dump.configs[2].dynamic_active_clusters.map((c) => c.cluster);
/** Most routes here forward; a test about redirects or direct responses checks the other fields. */
type ForwardingRoute = EnvoyRoute & { readonly route: EnvoyRouteAction };
const routesOf = (dump: ConfigDump): ForwardingRoute[] =>
  dump.configs[3].dynamic_route_configs.flatMap((rc) => rc.route_config.virtual_hosts.flatMap((vh) => vh.routes)) as ForwardingRoute[];
const routeNamed = (dump: ConfigDump, name: string): ForwardingRoute[] => routesOf(dump).filter((r) => r.name === name);
function clusterNamed(dump: ConfigDump, name: string): EnvoyCluster {
  const c = clustersOf(dump).find((x) => x.name === name);
  assert.ok(c, `no cluster ${name}; have ${clustersOf(dump).map((x) => x.name).join(', ')}`);
  return c;
}

const GATEWAY = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: gw
  namespace: default
spec:
  servers:
  - port: { number: 8080, name: http, protocol: HTTP }
    hosts: ["*"]
`;

const SERVICES = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: backend
  namespace: default
spec:
  hosts: [backend]
  resolution: STATIC
  ports:
  - { number: 8000, name: http, protocol: HTTP }
  endpoints:
  - address: 127.0.0.1
    labels: { version: v1 }
  - address: 127.0.0.2
    labels: { version: v2 }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: backend
  namespace: default
spec:
  host: backend
  subsets:
  - { name: v1, labels: { version: v1 } }
  - { name: v2, labels: { version: v2 } }
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: shadow
  namespace: default
spec:
  hosts: [shadow.test]
  resolution: STATIC
  ports:
  - { number: 80, name: http, protocol: HTTP }
  endpoints:
  - address: 127.0.0.3
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: shadow2
  namespace: default
spec:
  hosts: [shadow2.test]
  resolution: STATIC
  ports:
  - { number: 80, name: http, protocol: HTTP }
  endpoints:
  - address: 127.0.0.4
`;

/** A VirtualService `vs` in `default`, bound to `gw` for any host, with `http` (items indented 2). */
function virtualService(http: string, annotations = ''): string {
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: vs
  namespace: default
${annotations}spec:
  hosts: ["*"]
  gateways: [gw]
  http:
${http}`;
}

const config = (http: string, annotations = '') => ({ 'config.yaml': `${GATEWAY}---\n${SERVICES}---\n${virtualService(http, annotations)}` });

describe('the cross-cluster mirror example', () => {
  test('renders the /headers route as Istio writes it, mirror policy included', async () => {
    const { snapshot, diagnostics } = await buildSnapshotFromPaths([EXAMPLE]);
    assert.deepEqual(diagnostics.map(formatDiagnostic), []);
    assert.ok(snapshot);
    const dump = render(snapshot, { version: snapshot.version, loadedAt: snapshot.loadedAt });

    assert.deepEqual(
      dump.configs.map((c) => c['@type']),
      [
        'type.googleapis.com/envoy.admin.v3.BootstrapConfigDump',
        'type.googleapis.com/envoy.admin.v3.ListenersConfigDump',
        'type.googleapis.com/envoy.admin.v3.ClustersConfigDump',
        'type.googleapis.com/envoy.admin.v3.RoutesConfigDump',
      ],
    );
    const [headers, ...others] = routeNamed(dump, 'headers');
    assert.ok(headers);
    assert.equal(others.length, 0);
    assert.deepEqual(headers.match, { prefix: '/headers', case_sensitive: true });
    assert.deepEqual(headers.route, {
      cluster: 'outbound|8000|v1|httpbin.default.svc.cluster.local',
      timeout: '0s',
      retry_policy: {
        retry_on: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes',
        num_retries: 2,
        retry_host_predicate: [
          {
            name: 'envoy.retry_host_predicates.previous_hosts',
            typed_config: { '@type': 'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate' },
          },
        ],
        host_selection_retry_max_attempts: '5',
        retriable_status_codes: [503],
      },
      request_mirror_policies: [
        {
          cluster: 'outbound|80||httpbin.mirror.cluster-b',
          runtime_fraction: { default_value: { numerator: 500000, denominator: 'MILLION' } },
          trace_sampled: false,
        },
      ],
    });
    // Key order is part of the contract: the dump reads like Envoy's.
    assert.deepEqual(Object.keys(headers.route), ['cluster', 'timeout', 'retry_policy', 'request_mirror_policies']);
    const shadowgate = headers.metadata.filter_metadata.shadowgate;
    assert.equal(shadowgate.route_id, 'default/httpbin/headers');
    assert.match(shadowgate.source, /03-gateway\.yaml:\d+$/);
    assert.deepEqual(shadowgate.mirror_origins, ['config']);
    assert.equal(shadowgate.shadow_host_suffix, true);
    assert.equal(shadowgate.mirror_override, false);

    const [listener] = listenersOf(dump);
    assert.equal(listener?.name, '0.0.0.0_8080');
    assert.deepEqual(listener?.address, { socket_address: { address: '0.0.0.0', port_value: 8080 } });
    assert.equal(listener?.filter_chains[0]?.filters[0]?.typed_config.rds.route_config_name, 'http.8080');
    const routeConfig = dump.configs[3].dynamic_route_configs[0]!.route_config;
    assert.equal(routeConfig.name, 'http.8080');
    assert.deepEqual(routeConfig.virtual_hosts.map((vh) => [vh.name, vh.domains]), [['*:8080', ['*']]]);

    assert.deepEqual(clustersOf(dump).map((c) => c.name), [
      'outbound|8000|v1|httpbin.default.svc.cluster.local',
      'outbound|80||httpbin.mirror.cluster-b',
    ]);
    const primary = clusterNamed(dump, 'outbound|8000|v1|httpbin.default.svc.cluster.local');
    assert.equal(primary.type, 'STATIC');
    assert.equal(primary.connect_timeout, '10s');
    assert.equal(primary.lb_policy, 'ROUND_ROBIN');
    assert.deepEqual(primary.load_assignment.endpoints, [
      {
        locality: {},
        lb_endpoints: [
          {
            endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: 18000 } } },
            load_balancing_weight: 1,
            metadata: { filter_metadata: { istio: { labels: { version: 'v1' } } } },
          },
        ],
      },
    ]);
    assert.deepEqual(primary.metadata.filter_metadata.istio, {
      services: [{ host: 'httpbin.default.svc.cluster.local', name: 'httpbin.default.svc.cluster.local', namespace: 'default' }],
      default_original_port: 8000,
      subset: 'v1',
    });
    const shadow = clusterNamed(dump, 'outbound|80||httpbin.mirror.cluster-b');
    assert.deepEqual(
      shadow.load_assignment.endpoints[0]?.lb_endpoints.map((e) => e.endpoint.address.socket_address),
      [{ address: '127.0.0.1', port_value: 18080 }],
    );
    assert.equal(shadow.transport_socket, undefined);

    const bootstrap = dump.configs[0];
    assert.deepEqual(bootstrap.bootstrap.node.metadata, { CONFIG_VERSION: snapshot.version, LOADED_AT: snapshot.loadedAt });
    assert.equal(bootstrap.shadowgate.last_rejected, null);
    assert.deepEqual(bootstrap.shadowgate.overrides, []);
    assertNoPem(dump);
  });

  test('is plain JSON and deterministic', async () => {
    const { snapshot } = await buildSnapshotFromPaths([EXAMPLE]);
    assert.ok(snapshot);
    const a = render(snapshot);
    const b = render(snapshot);
    assert.equal(JSON.stringify(a), JSON.stringify(b));
    assert.deepEqual(JSON.parse(JSON.stringify(a)), a);
    assert.equal(a.configs[1].version_info, 'v-test');
    assert.equal(a.configs[2].version_info, 'v-test');
    assert.equal(a.configs[2].dynamic_active_clusters[0]?.version_info, 'v-test');
    assert.equal(a.configs[2].dynamic_active_clusters[0]?.last_updated, META.loadedAt);
    assert.equal(a.configs[3].dynamic_route_configs[0]?.last_updated, META.loadedAt);
  });
});

describe('routes', () => {
  test('weighted clusters keep per-destination header operations; route headers are Envoy header lists', async () => {
    const { snapshot } = await compile(
      config(`  - name: split
    headers:
      request:
        set: { X-Env: prod }
        add: { X-Via: shadowgate }
        remove: [X-Secret]
      response:
        remove: [Server]
    route:
    - destination: { host: backend, subset: v1 }
      weight: 90
      headers:
        request:
          set: { X-Version: v1 }
    - destination: { host: backend, subset: v2 }
      weight: 10
`),
    );
    const dump = render(snapshot);
    const [split] = routeNamed(dump, 'split');
    assert.ok(split);
    assert.deepEqual(split.route, {
      weighted_clusters: {
        clusters: [
          {
            name: 'outbound|8000|v1|backend.default.svc.cluster.local',
            weight: 90,
            request_headers_to_add: [{ header: { key: 'x-version', value: 'v1' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }],
          },
          { name: 'outbound|8000|v2|backend.default.svc.cluster.local', weight: 10 },
        ],
      },
      timeout: '0s',
      retry_policy: split.route.retry_policy,
    });
    assert.deepEqual(split.request_headers_to_add, [
      { header: { key: 'x-env', value: 'prod' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' },
      { header: { key: 'x-via', value: 'shadowgate' }, append_action: 'APPEND_IF_EXISTS_OR_ADD' },
    ]);
    assert.deepEqual(split.request_headers_to_remove, ['x-secret']);
    assert.equal(split.response_headers_to_add, undefined);
    assert.deepEqual(split.response_headers_to_remove, ['server']);
    assert.equal(split.route.request_mirror_policies, undefined);
    assert.deepEqual(split.metadata.filter_metadata.shadowgate.mirror_origins, []);
    assert.equal('shadow_host_suffix' in split.metadata.filter_metadata.shadowgate, false);
  });

  test('a sole destination is a plain cluster, its header operations folded into the route (as Istio does)', async () => {
    const { snapshot } = await compile(
      config(`  - name: one
    route:
    - destination: { host: backend }
      weight: 30
      headers:
        response:
          add: { X-Served-By: backend }
`),
    );
    const [one] = routeNamed(render(snapshot), 'one');
    assert.ok(one);
    assert.equal('cluster' in one.route && one.route.cluster, 'outbound|8000||backend.default.svc.cluster.local');
    assert.deepEqual(one.response_headers_to_add, [
      { header: { key: 'x-served-by', value: 'backend' }, append_action: 'APPEND_IF_EXISTS_OR_ADD' },
    ]);
  });

  test('regex, exact, header, query and ignoreUriCase matches', async () => {
    const { snapshot } = await compile(
      config(`  - name: regex
    match:
    - uri: { regex: "/api/v[0-9]+/.*" }
    route: [{ destination: { host: backend } }]
  - name: exact
    match:
    - uri: { exact: /Health }
      ignoreUriCase: true
    route: [{ destination: { host: backend } }]
  - name: folded-regex
    match:
    - uri: { regex: "/Users/[a-z]+" }
      ignoreUriCase: true
    route: [{ destination: { host: backend } }]
  - name: conditions
    match:
    - method: { exact: POST }
      authority: { prefix: shop. }
      headers:
        X-User: { prefix: bob }
        X-Trace: { regex: "[0-9a-f]+" }
      withoutHeaders:
        X-Debug: { exact: "1" }
      queryParams:
        Mode: { exact: fast }
    route: [{ destination: { host: backend } }]
  - name: fallback
    route: [{ destination: { host: backend } }]
`),
    );
    const dump = render(snapshot);
    assert.deepEqual(routeNamed(dump, 'regex')[0]?.match, { safe_regex: { regex: '/api/v[0-9]+/.*' }, case_sensitive: true });
    assert.deepEqual(routeNamed(dump, 'exact')[0]?.match, { path: '/health', case_sensitive: false });
    // Envoy's case_sensitive does not apply to safe_regex, so the case folding is spelled in RE2.
    assert.deepEqual(routeNamed(dump, 'folded-regex')[0]?.match, { safe_regex: { regex: '(?i)/Users/[a-z]+' }, case_sensitive: false });
    assert.deepEqual(routeNamed(dump, 'conditions')[0]?.match, {
      prefix: '/',
      case_sensitive: true,
      headers: [
        { name: ':method', string_match: { exact: 'POST' } },
        { name: ':authority', string_match: { prefix: 'shop.' } },
        { name: 'x-user', string_match: { prefix: 'bob' } },
        { name: 'x-trace', string_match: { safe_regex: { regex: '[0-9a-f]+' } } },
        { name: 'x-debug', string_match: { exact: '1' }, invert_match: true },
      ],
      query_parameters: [{ name: 'Mode', string_match: { exact: 'fast' } }],
    });
    assert.deepEqual(routeNamed(dump, 'fallback')[0]?.match, { prefix: '/' });
  });

  test('several match entries become several Envoy routes with one action', async () => {
    const { snapshot } = await compile(
      config(`  - name: multi
    match:
    - uri: { prefix: /a }
    - uri: { exact: /b }
      headers:
        X-B: { exact: "yes" }
    route: [{ destination: { host: backend } }]
    mirror: { host: shadow.test }
`),
    );
    const routes = routeNamed(render(snapshot), 'multi');
    assert.deepEqual(
      routes.map((r) => r.match),
      [
        { prefix: '/a', case_sensitive: true },
        { path: '/b', case_sensitive: true, headers: [{ name: 'x-b', string_match: { exact: 'yes' } }] },
      ],
    );
    assert.deepEqual(routes[0]!.route, routes[1]!.route);
    assert.deepEqual(routes[0]!.metadata, routes[1]!.metadata);
    assert.deepEqual(
      routes[0]!.route.request_mirror_policies?.[0]?.runtime_fraction.default_value,
      { numerator: 100, denominator: 'HUNDRED' },
      'a percentage left out dumps as Istio writes it',
    );
  });

  test('rewrites, timeouts and a custom retry policy use Envoy spellings', async () => {
    const { snapshot } = await compile(
      config(`  - name: prefix
    match: [{ uri: { prefix: /v1/ } }]
    timeout: 1.5s
    retries: { attempts: 3, perTryTimeout: 300ms, retryOn: "5xx,reset,503" }
    rewrite: { uri: /v2/, authority: internal.example.com }
    route: [{ destination: { host: backend } }]
  - name: regex
    retries: { attempts: 0 }
    rewrite:
      uriRegexRewrite: { match: "^/old/(.*)$", rewrite: "/new/\\\\1" }
    route: [{ destination: { host: backend } }]
`),
    );
    const dump = render(snapshot);
    const [prefix] = routeNamed(dump, 'prefix');
    assert.equal(prefix?.route.prefix_rewrite, '/v2/');
    assert.equal(prefix?.route.host_rewrite_literal, 'internal.example.com');
    assert.equal(prefix?.route.timeout, '1.500s');
    assert.deepEqual(prefix?.route.retry_policy, {
      retry_on: '5xx,reset,retriable-status-codes',
      num_retries: 3,
      per_try_timeout: '0.300s',
      retry_host_predicate: [
        {
          name: 'envoy.retry_host_predicates.previous_hosts',
          typed_config: { '@type': 'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate' },
        },
      ],
      host_selection_retry_max_attempts: '5',
      retriable_status_codes: [503],
    });
    const [regex] = routeNamed(dump, 'regex');
    // The user's RE2 pattern and substitution, not the compiled JavaScript forms.
    assert.deepEqual(regex?.route.regex_rewrite, { pattern: { regex: '^/old/(.*)$' }, substitution: '/new/\\1' });
    assert.equal(regex?.route.prefix_rewrite, undefined);
    assert.equal(regex?.route.retry_policy, undefined);
    assert.equal(regex?.route.timeout, '0s');
  });
});

describe('mirror policies', () => {
  test('mirrors[] renders one policy each, in order; the annotation turns the -shadow suffix off', async () => {
    const { snapshot } = await compile(
      config(
        `  - name: fanout
    route: [{ destination: { host: backend } }]
    mirrors:
    - destination: { host: shadow.test }
      percentage: { value: 10 }
    - destination: { host: shadow2.test, port: { number: 80 } }
      percentage: { value: 0.5 }
`,
        `  annotations:
    shadowgate.io/shadow-host-suffix: "false"
`,
      ),
    );
    const [fanout] = routeNamed(render(snapshot), 'fanout');
    assert.deepEqual(fanout?.route.request_mirror_policies, [
      {
        cluster: 'outbound|80||shadow.test',
        runtime_fraction: { default_value: { numerator: 100000, denominator: 'MILLION' } },
        trace_sampled: false,
        disable_shadow_host_suffix_append: true,
      },
      {
        cluster: 'outbound|80||shadow2.test',
        runtime_fraction: { default_value: { numerator: 5000, denominator: 'MILLION' } },
        trace_sampled: false,
        disable_shadow_host_suffix_append: true,
      },
    ]);
    assert.deepEqual(fanout?.metadata.filter_metadata.shadowgate.mirror_origins, ['config', 'config']);
    assert.equal(fanout?.metadata.filter_metadata.shadowgate.shadow_host_suffix, false);
  });

  test('a runtime override shows as origin "override", with its own fraction', async () => {
    const routeId = 'default/vs/headers';
    const { snapshot } = await compile(
      config(`  - name: headers
    route: [{ destination: { host: backend } }]
    mirror: { host: shadow.test }
    mirrorPercentage: { value: 50 }
  - name: other
    route: [{ destination: { host: backend } }]
`),
      { overrides: new Map([[routeId, { destination: { host: 'shadow2.test', port: 80 }, percentage: 25, enabled: true }]]) },
    );
    const dump = render(snapshot, { ...META, overrides: [routeId] });
    const [headers] = routeNamed(dump, 'headers');
    assert.deepEqual(headers?.route.request_mirror_policies, [
      {
        cluster: 'outbound|80||shadow2.test',
        runtime_fraction: { default_value: { numerator: 250000, denominator: 'MILLION' } },
        trace_sampled: false,
      },
    ]);
    assert.deepEqual(headers?.metadata.filter_metadata.shadowgate, {
      route_id: routeId,
      source: headers?.metadata.filter_metadata.shadowgate.source,
      mirror_origins: ['override'],
      shadow_host_suffix: true,
      mirror_override: true,
    });
    assert.equal(routeNamed(dump, 'other')[0]?.metadata.filter_metadata.shadowgate.mirror_override, false);
    assert.deepEqual(dump.configs[0].shadowgate.overrides, [routeId]);
    assert.ok(clustersOf(dump).some((c) => c.name === 'outbound|80||shadow2.test'));
  });

  test('an override that switches mirroring off still marks the route', async () => {
    const routeId = 'default/vs/headers';
    const { snapshot } = await compile(
      config(`  - name: headers
    route: [{ destination: { host: backend } }]
    mirror: { host: shadow.test }
`),
      { overrides: new Map([[routeId, { destination: { host: 'shadow.test' }, percentage: 0, enabled: false }]]) },
    );
    const [headers] = routeNamed(render(snapshot, { ...META, overrides: [routeId] }), 'headers');
    assert.equal(headers?.route.request_mirror_policies, undefined);
    assert.deepEqual(headers?.metadata.filter_metadata.shadowgate.mirror_origins, []);
    assert.equal(headers?.metadata.filter_metadata.shadowgate.mirror_override, true);
  });
});

describe('listeners', () => {
  test('HTTPS: one filter chain per server certificate, by file name, never key material', async () => {
    const { snapshot, dir } = await compile({
      'config.yaml': `apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: gw
  namespace: default
spec:
  servers:
  - port: { number: 8443, name: https-a, protocol: HTTPS }
    hosts: [a.example.com, "*.b.example.com"]
    tls: { mode: SIMPLE, serverCertificate: a.crt, privateKey: a.key }
  - port: { number: 8443, name: https-c, protocol: HTTPS }
    hosts: [c.example.com]
    tls: { mode: SIMPLE, serverCertificate: c.crt, privateKey: c.key }
  - port: { number: 0, name: http, protocol: HTTP }
    bind: 127.0.0.1
    hosts: ["*"]
---
${SERVICES}---
${virtualService(`  - name: r
    route: [{ destination: { host: backend } }]
`)}`,
      'a.crt': CERT_PEM,
      'a.key': KEY_PEM,
      'c.crt': CERT_PEM,
      'c.key': KEY_PEM,
    });
    const dump = render(snapshot, { ...META, listenerPorts: new Map([['127.0.0.1_0', 41234]]) });
    assertNoPem(dump);
    const listeners = listenersOf(dump);
    assert.deepEqual(listeners.map((l) => [l.name, l.address.socket_address]), [
      ['0.0.0.0_8443', { address: '0.0.0.0', port_value: 8443 }],
      ['127.0.0.1_0', { address: '127.0.0.1', port_value: 41234 }],
    ]);
    const [https, http] = listeners;
    const tlsOf = (file: string, key: string) => ({
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
        common_tls_context: {
          tls_certificates: [{ certificate_chain: { filename: path.join(dir, file) }, private_key: { filename: path.join(dir, key) } }],
        },
      },
    });
    assert.deepEqual(
      https!.filter_chains.map((c) => [c.filter_chain_match, c.transport_socket]),
      [
        [{ server_names: ['a.example.com', '*.b.example.com'] }, tlsOf('a.crt', 'a.key')],
        [{ server_names: ['c.example.com'] }, tlsOf('c.crt', 'c.key')],
      ],
    );
    // The data plane answers any other SNI with the first server's certificate.
    assert.equal(https!.default_filter_chain?.filter_chain_match, undefined);
    assert.deepEqual(https!.default_filter_chain?.transport_socket, tlsOf('a.crt', 'a.key'));
    assert.equal(https!.listener_filters?.[0]?.name, 'envoy.filters.listener.tls_inspector');
    for (const chain of [...https!.filter_chains, https!.default_filter_chain!]) {
      assert.equal(chain.filters[0]?.typed_config.rds.route_config_name, 'http.8443');
    }
    assert.equal(http!.filter_chains[0]?.transport_socket, undefined);
    assert.equal(http!.filter_chains[0]?.filters[0]?.typed_config.rds.route_config_name, 'http.41234.127.0.0.1');
    assert.deepEqual(
      dump.configs[3].dynamic_route_configs.map((rc) => rc.route_config.name),
      ['http.8443', 'http.41234.127.0.0.1'],
    );
  });
});

describe('clusters', () => {
  test('TLS origination names the CA file and shows insecureSkipVerify, never the PEM', async () => {
    const { snapshot, dir } = await compile({
      'config.yaml': `${GATEWAY}---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: api
  namespace: default
spec:
  hosts: [api.example.com]
  resolution: DNS
  ports:
  - { number: 443, name: https, protocol: HTTPS }
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: public
  namespace: default
spec:
  hosts: [public.example.com]
  resolution: DNS
  ports:
  - { number: 443, name: https, protocol: HTTPS }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: api
  namespace: default
spec:
  host: api.example.com
  trafficPolicy:
    loadBalancer: { simple: LEAST_REQUEST }
    connectionPool:
      tcp: { maxConnections: 10, connectTimeout: 250ms }
      http: { http1MaxPendingRequests: 5, idleTimeout: 30s }
    tls: { mode: SIMPLE, sni: sni.example.com, caCertificates: ca.pem }
  subsets:
  - name: lax
    trafficPolicy:
      tls: { mode: SIMPLE, insecureSkipVerify: true }
---
${virtualService(`  - name: r
    route:
    - destination: { host: api.example.com }
      weight: 40
    - destination: { host: api.example.com, subset: lax }
      weight: 30
    - destination: { host: public.example.com }
      weight: 30
`)}`,
      'ca.pem': CA_PEM,
    });
    const dump = render(snapshot);
    assertNoPem(dump);
    const strict = clusterNamed(dump, 'outbound|443||api.example.com');
    assert.equal(strict.type, 'STRICT_DNS');
    assert.equal(strict.lb_policy, 'LEAST_REQUEST');
    assert.equal(strict.connect_timeout, '0.250s');
    assert.deepEqual(strict.circuit_breakers, {
      thresholds: [{ max_connections: 10, max_pending_requests: 5, max_requests: 4294967295, max_retries: 4294967295 }],
    });
    assert.deepEqual(strict.common_http_protocol_options, { idle_timeout: '30s' });
    assert.deepEqual(
      strict.load_assignment.endpoints[0]?.lb_endpoints.map((e) => e.endpoint.address.socket_address),
      [{ address: 'api.example.com', port_value: 443 }],
    );
    assert.deepEqual(strict.transport_socket, {
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
        common_tls_context: { validation_context: { trusted_ca: { filename: path.join(dir, 'ca.pem') } } },
        sni: 'sni.example.com',
      },
    });
    const lax = clusterNamed(dump, 'outbound|443|lax|api.example.com');
    // The subset's tls replaces the rule's whole tls section, as Istio merges: no CA, SNI from the host.
    assert.deepEqual(lax.transport_socket?.typed_config.common_tls_context.validation_context, {
      system_root_certs: {},
      trust_chain_verification: 'ACCEPT_UNTRUSTED',
    });
    assert.equal(lax.transport_socket?.typed_config.sni, 'api.example.com');
    assert.equal(lax.metadata.filter_metadata.istio.subset, 'lax');
    assert.equal(lax.metadata.filter_metadata.shadowgate.protocol, 'HTTPS');
    // An HTTPS port without a DestinationRule originates TLS against the system trust store.
    const system = clusterNamed(dump, 'outbound|443||public.example.com');
    assert.deepEqual(system.transport_socket?.typed_config.common_tls_context.validation_context, { system_root_certs: {} });
    assert.equal(system.transport_socket?.typed_config.sni, 'public.example.com');
  });

  test('outlier detection, circuit breakers, consistent hash and MUTUAL TLS in Envoy field names; a Secret by its SDS name only', async () => {
    const b64 = (text: string) => Buffer.from(text).toString('base64');
    const { snapshot, dir } = await compile({
      'config.yaml': `${GATEWAY}---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: api, namespace: default }
spec:
  hosts: [api.example.com]
  resolution: DNS
  ports:
  - { number: 443, name: https, protocol: HTTPS }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: api, namespace: default }
spec:
  host: api.example.com
  trafficPolicy:
    loadBalancer:
      consistentHash: { httpCookie: { name: user, path: /, ttl: 30s } }
    connectionPool:
      http: { http2MaxRequests: 100, maxRetries: 2, maxRequestsPerConnection: 10 }
    outlierDetection: { consecutive5xxErrors: 7, consecutiveGatewayErrors: 3, interval: 5m, baseEjectionTime: 15m, minHealthPercent: 20 }
    tls: { mode: MUTUAL, clientCertificate: cert.pem, privateKey: key.pem, caCertificates: ca.pem }
  subsets:
  - name: secret
    trafficPolicy:
      loadBalancer: { consistentHash: { useSourceIp: true, maglev: { tableSize: 251 } } }
      tls: { mode: MUTUAL, credentialName: api-client }
---
apiVersion: v1
kind: Secret
metadata: { name: api-client, namespace: default }
type: kubernetes.io/tls
data:
  tls.crt: ${b64(CERT_PEM)}
  tls.key: ${b64(KEY_PEM)}
  ca.crt: ${b64(CA_PEM)}
---
${virtualService(`  - name: files
    route: [{ destination: { host: api.example.com } }]
  - name: secret
    route: [{ destination: { host: api.example.com, subset: secret } }]
`)}`,
      'cert.pem': CERT_PEM,
      'key.pem': KEY_PEM,
      'ca.pem': CA_PEM,
    });
    const dump = render(snapshot);
    assertNoPem(dump);
    assert.ok(!JSON.stringify(dump).includes(b64(KEY_PEM).slice(0, 24)), 'no base64 Secret data either');
    const files = clusterNamed(dump, 'outbound|443||api.example.com');
    assert.equal(files.lb_policy, 'RING_HASH');
    assert.deepEqual(files.ring_hash_lb_config, { minimum_ring_size: '1024' });
    assert.deepEqual(files.circuit_breakers.thresholds, [{ max_connections: 1024, max_pending_requests: 1024, max_requests: 100, max_retries: 2 }]);
    assert.deepEqual(files.common_http_protocol_options, { idle_timeout: '3600s', max_requests_per_connection: 10 });
    assert.deepEqual(files.outlier_detection, {
      consecutive_5xx: 7,
      enforcing_consecutive_5xx: 100,
      consecutive_gateway_failure: 3,
      enforcing_consecutive_gateway_failure: 100,
      enforcing_success_rate: 0,
      interval: '300s',
      base_ejection_time: '900s',
      max_ejection_percent: 10,
    });
    assert.deepEqual(files.common_lb_config, { healthy_panic_threshold: { value: 20 } });
    assert.deepEqual(files.transport_socket?.typed_config.common_tls_context, {
      tls_certificates: [{ certificate_chain: { filename: path.join(dir, 'cert.pem') }, private_key: { filename: path.join(dir, 'key.pem') } }],
      validation_context: { trusted_ca: { filename: path.join(dir, 'ca.pem') } },
    });
    const secret = clusterNamed(dump, 'outbound|443|secret|api.example.com');
    assert.equal(secret.lb_policy, 'MAGLEV');
    assert.deepEqual(secret.maglev_lb_config, { table_size: '251' });
    assert.deepEqual(secret.transport_socket?.typed_config.common_tls_context, {
      tls_certificate_sds_secret_configs: [{ name: 'kubernetes://api-client' }],
      validation_context_sds_secret_config: { name: 'kubernetes://api-client-cacert' },
    });
    assert.deepEqual(routeNamed(dump, 'files')[0]?.route.hash_policy, [{ cookie: { name: 'user', path: '/', ttl: '30s' } }]);
    assert.deepEqual(routeNamed(dump, 'secret')[0]?.route.hash_policy, [{ connection_properties: { source_ip: true } }]);
  });

  test('clusters are sorted by name', async () => {
    const { snapshot } = await compile(
      config(`  - name: r
    route: [{ destination: { host: shadow2.test } }]
    mirror: { host: shadow.test }
  - name: s
    route: [{ destination: { host: backend, subset: v2 } }]
`),
    );
    const names = clustersOf(render(snapshot)).map((c) => c.name);
    assert.deepEqual(names, [...names].sort());
    assert.equal(names.length, 3);
  });
});

describe('bootstrap', () => {
  test('the last rejected reload and the overrides sit under a shadowgate key', async () => {
    const { snapshot } = await buildSnapshotFromPaths([EXAMPLE]);
    assert.ok(snapshot);
    const error = {
      severity: 'error' as const,
      file: '/etc/shadowgate/vs.yaml',
      line: 12,
      column: 9,
      kind: 'VirtualService',
      namespace: 'default',
      name: 'httpbin',
      field: 'spec.http[0].mirror.port',
      message: 'no port 81',
      code: 'UNKNOWN_PORT',
    };
    const dump = render(snapshot, {
      ...META,
      lastRejected: { at: '2025-01-02T04:00:00.000Z', errors: [error] },
      overrides: ['z/vs/r', 'a/vs/r'],
    });
    const { severity: _, ...documented } = error;
    assert.deepEqual(dump.configs[0].shadowgate.last_rejected, { at: '2025-01-02T04:00:00.000Z', errors: [documented] });
    assert.deepEqual(dump.configs[0].shadowgate.overrides, ['a/vs/r', 'z/vs/r']);
    assert.deepEqual(dump.configs[0].bootstrap.node, {
      id: 'shadowgate',
      metadata: { CONFIG_VERSION: 'v-test', LOADED_AT: META.loadedAt },
      user_agent_name: 'shadowgate',
    });
    assert.deepEqual(dump.configs[0].shadowgate.mirror, {
      max_body_bytes: 8 * 1024 * 1024,
      default_timeout: '10s',
      max_in_flight: 1000,
      max_response_bytes: 1024 * 1024,
    });
  });
});

describe('value spellings', () => {
  test('durations as proto JSON prints them', () => {
    assert.equal(envoyDuration(10_000), '10s');
    assert.equal(envoyDuration(300), '0.300s');
    assert.equal(envoyDuration(1500), '1.500s');
    assert.equal(envoyDuration(0.5), '0.000500s');
    assert.equal(envoyDuration(0), '0s');
    assert.equal(envoyDuration(3_600_000), '3600s');
  });

  test('regex substitutions read as the user wrote them', () => {
    assert.equal(re2Substitution('/new/$1$$x'), '/new/\\1$x');
    assert.equal(re2Substitution('a\\b'), 'a\\\\b');
  });
});
