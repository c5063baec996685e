/** /config_dump for route actions: Envoy's field names, as Istio writes them for a gateway route. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderConfigDump, type ConfigDump, type EnvoyRoute } from '../../src/admin/config-dump.ts';
import { compileOk, config } from '../config/helpers.ts';

const META = { version: 'v-test', loadedAt: '2025-01-02T03:04:05.000Z' };

function routes(dump: ConfigDump): EnvoyRoute[] {
  const out = dump.configs[3].dynamic_route_configs.flatMap((rc) => rc.route_config.virtual_hosts.flatMap((vh) => vh.routes));
  assert.deepEqual(JSON.parse(JSON.stringify(out)), out, 'plain JSON');
  return out;
}

test('redirect, direct_response, and fault and CORS as typed_per_filter_config', async () => {
  const s = await compileOk(
    config(`  - name: moved
    match: [{ uri: { prefix: /old } }]
    redirect: { uri: /new, authority: example.org, scheme: https, port: 8443, redirectCode: 302 }
  - name: prefix
    match: [{ uri: { prefix: /p } }]
    redirect: { uri: "%PREFIX()%/q" }
  - name: text
    match: [{ uri: { prefix: /text } }]
    directResponse: { status: 503, body: { string: maintenance } }
  - name: bytes
    match: [{ uri: { prefix: /bytes } }]
    directResponse: { status: 200, body: { bytes: AAH/ } }
  - name: faulty
    fault:
      delay: { fixedDelay: 1.5s, percentage: { value: 0.5 } }
      abort: { httpStatus: 500, percentage: { value: 25 } }
    corsPolicy:
      allowOrigins: [{ exact: https://a.example }, { regex: "https://.*\\\\.b" }]
      allowMethods: [GET, POST]
      maxAge: 1h
      allowCredentials: true
    route:
    - destination:
        host: backend
`),
  );
  const [moved, prefix, text, bytes, faulty] = routes(renderConfigDump(s, META));
  assert.deepEqual(Object.keys(moved!), ['name', 'match', 'redirect', 'metadata']);
  assert.deepEqual((moved as { redirect: unknown }).redirect, {
    scheme_redirect: 'https',
    host_redirect: 'example.org',
    port_redirect: 8443,
    path_redirect: '/new',
    response_code: 'FOUND',
  });
  assert.deepEqual((prefix as { redirect: unknown }).redirect, { prefix_rewrite: '/q' }, 'MOVED_PERMANENTLY is the default, left out');
  assert.deepEqual((text as { direct_response: unknown }).direct_response, { status: 503, body: { inline_string: 'maintenance' } });
  assert.deepEqual((bytes as { direct_response: unknown }).direct_response, { status: 200, body: { inline_bytes: 'AAH/' } });
  assert.deepEqual(Object.keys(faulty!), ['name', 'match', 'route', 'metadata', 'typed_per_filter_config']);
  assert.deepEqual(faulty!.typed_per_filter_config, {
    'envoy.filters.http.cors': {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy',
      allow_origin_string_match: [{ exact: 'https://a.example' }, { safe_regex: { regex: 'https://.*\\.b' } }],
      allow_methods: 'GET,POST',
      max_age: '3600',
      allow_credentials: true,
      filter_enabled: { default_value: { numerator: 100, denominator: 'HUNDRED' } },
      forward_not_matching_preflights: true,
    },
    'envoy.filters.http.fault': {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault',
      delay: { fixed_delay: '1.500s', percentage: { numerator: 5000, denominator: 'MILLION' } },
      abort: { http_status: 500, percentage: { numerator: 250_000, denominator: 'MILLION' } },
    },
  });
});

test('an abort without a percentage dumps none, and a delay without one 0 over HUNDRED, as Istio writes them', async () => {
  const s = await compileOk(
    config(`  - fault:
      delay: { fixedDelay: 1s }
      abort: { httpStatus: 503 }
    route:
    - destination:
        host: backend
`),
  );
  const [r] = routes(renderConfigDump(s, META));
  assert.deepEqual(r!.typed_per_filter_config?.['envoy.filters.http.fault'], {
    '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault',
    delay: { fixed_delay: '1s', percentage: { numerator: 0, denominator: 'HUNDRED' } },
    abort: { http_status: 503 },
  });
});

test("derivePort FROM_REQUEST_PORT dumps the listener's port, as Istio writes it", async () => {
  const s = await compileOk(
    config(`  - redirect: { scheme: https, derivePort: FROM_REQUEST_PORT }
`).replace('      number: 0', '      number: 18080'),
  );
  const [r] = routes(renderConfigDump(s, META));
  assert.deepEqual((r as { redirect: unknown }).redirect, { scheme_redirect: 'https', port_redirect: 18080 });
});
