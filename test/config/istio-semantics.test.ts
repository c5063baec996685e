/**
 * Compile-time Istio semantics that decide what a route catches or mirrors: `mirrorPercent`, and the
 * per-proxy match conditions (`gateways`, `port`, `sourceLabels`, `sourceNamespace`), plus one
 * validate run reporting every stage's errors without cascades.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderConfigDump } from '../../src/admin/config-dump.ts';
import { formatDiagnostic } from '../../src/config/index.ts';
import { compileOk, compileYaml, config, expectDiagnostic, GATEWAY, route, SERVICES, SIMPLE_ROUTE } from './helpers.ts';

const MIRROR = `${SIMPLE_ROUTE}    mirror:\n      host: backend\n`;

describe('mirrorPercent', () => {
  test('25 becomes a quarter, and the dump writes it over HUNDRED as Istio does', async () => {
    const snapshot = await compileOk(config(`${MIRROR}    mirrorPercent: 25\n`));
    const mirror = route(snapshot, 'default/vs/r').mirrors![0]!;
    assert.equal(mirror.perMillion, 250_000);
    const dump = JSON.stringify(renderConfigDump(snapshot, { version: snapshot.version, loadedAt: snapshot.loadedAt }));
    assert.match(dump, /"runtime_fraction":\{"default_value":\{"numerator":25,"denominator":"HUNDRED"\}\}/);
  });

  test('an explicit 0 turns the mirror off; mirrorPercentage wins when both are set', async () => {
    assert.equal(route(await compileOk(config(`${MIRROR}    mirrorPercent: 0\n`)), 'default/vs/r').mirrors, null);
    const both = await compileOk(config(`${MIRROR}    mirrorPercent: 0\n    mirrorPercentage:\n      value: 10\n`));
    assert.equal(route(both, 'default/vs/r').mirrors![0]!.perMillion, 100_000);
    const snake = await compileOk(config(`${MIRROR}    mirror_percent: 50\n`));
    assert.equal(route(snake, 'default/vs/r').mirrors![0]!.perMillion, 500_000);
  });

  test('above 100 is an error, and so is mirrorPercent with mirrors', async () => {
    expectDiagnostic(await compileYaml(config(`${MIRROR}    mirrorPercent: 101\n`)), 'PERCENTAGE_RANGE', 'spec.http[0].mirrorPercent', 'mirrorPercent: 101');
    const result = await compileYaml(config(`${SIMPLE_ROUTE}    mirrorPercent: 5\n    mirrors:\n    - destination:\n        host: backend\n`));
    expectDiagnostic(result, 'MIRROR_CONFLICT', 'spec.http[0].mirrorPercent', 'mirrorPercent: 5');
  });
});

/** Two Gateways sharing port 0 on 0.0.0.0 (one listener) and a VirtualService bound to both. */
const TWO_GATEWAYS = `${GATEWAY}---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: other
  namespace: istio-system
spec:
  servers:
  - port:
      number: 0
      name: http
      protocol: HTTP
    hosts:
    - "*/*"
`;

const scoped = (http: string, gateways = '[gw, istio-system/other]') => `${TWO_GATEWAYS}---\n${SERVICES}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: vs
spec:
  hosts: ["*"]
  gateways: ${gateways}
  http:
${http}`;

describe('match scopes, evaluated when compiling', () => {
  test('the snapshot says which gateways a listener and a virtual host serve', async () => {
    const snapshot = await compileOk(scoped(SIMPLE_ROUTE));
    assert.deepEqual(snapshot.listeners[0]!.gateways, ['default/gw', 'istio-system/other']);
    assert.deepEqual(snapshot.listeners[0]!.virtualHosts.all[0]!.gateways, ['default/gw', 'istio-system/other']);
  });

  test('a match naming another gateway is dropped, and a route left without matches is dropped', async () => {
    const snapshot = await compileOk(
      config(`  - name: elsewhere
    match:
    - gateways: [other-gateway]
    route:
    - destination:
        host: backend
${SIMPLE_ROUTE}`),
    );
    const routes = snapshot.listeners[0]!.virtualHosts.all[0]!.routes;
    assert.deepEqual(routes.map((r) => r.id), ['default/vs/r']);
  });

  test("match-level gateways override the VirtualService's: each gateway gets its own routes", async () => {
    const snapshot = await compileOk(
      scoped(`  - name: other-only
    match:
    - gateways: [istio-system/other]
      uri:
        prefix: /o
    - uri:
        prefix: /any
    route:
    - destination:
        host: backend
${SIMPLE_ROUTE}`),
    );
    const routes = snapshot.listeners[0]!.virtualHosts.all[0]!.routes;
    // gw's set (only the /any match of other-only, then r), then other's (both matches, then r).
    assert.deepEqual(
      routes.map((r) => `${r.name}:${(r.matches ?? []).map((m) => m.uri?.value).join(',')}`),
      ['other-only:/any', 'r:', 'other-only:/o,/any', 'r:'],
    );
  });

  test('a match gateway the VirtualService is not bound to applies nowhere', async () => {
    const snapshot = await compileOk(
      scoped(
        `  - name: x
    match:
    - gateways: [istio-system/other]
    route:
    - destination:
        host: backend
${SIMPLE_ROUTE}`,
        '[gw]',
      ),
    );
    assert.deepEqual(snapshot.listeners[0]!.virtualHosts.all[0]!.routes.map((r) => r.name), ['r']);
  });

  test('when gateways is set, sourceLabels are not consulted (Istio: "independent of sourceLabels")', async () => {
    const snapshot = await compileOk(
      config(`  - name: x
    match:
    - gateways: [gw]
      sourceLabels:
        app: not-us
    route:
    - destination:
        host: backend
`),
    );
    assert.deepEqual(snapshot.listeners[0]!.virtualHosts.all[0]!.routes.map((r) => r.name), ['x']);
  });

  test('sourceLabels must be a subset of --proxy-labels, sourceNamespace equal to --proxy-namespace', async () => {
    const http = `  - name: x
    match:
    - sourceLabels:
        istio: ingressgateway
      sourceNamespace: istio-system
    route:
    - destination:
        host: backend
${SIMPLE_ROUTE}`;
    const names = (s: Awaited<ReturnType<typeof compileOk>>) => s.listeners[0]!.virtualHosts.all[0]!.routes.map((r) => r.name);
    assert.deepEqual(names(await compileOk(config(http))), ['r']);
    const labels = { istio: 'ingressgateway', app: 'gw' };
    assert.deepEqual(names(await compileOk(config(http), { identity: { labels, namespace: 'istio-system' } })), ['x', 'r']);
    assert.deepEqual(names(await compileOk(config(http), { identity: { labels, namespace: 'default' } })), ['r']);
  });
});

describe('one run reports every stage, without cascades', () => {
  test('a bad percentage does not hide the missing subset in the same VirtualService', async () => {
    const result = await compileYaml(
      config(`  - name: r
    route:
    - destination:
        host: backend
        subset: v9
    mirror:
      host: backend
    mirrorPercentage:
      value: 150
`),
    );
    const codes = result.diagnostics.map((d) => `${d.code} ${d.field}`);
    assert.deepEqual(codes.sort(), ['PERCENTAGE_RANGE spec.http[0].mirrorPercentage.value', 'UNKNOWN_SUBSET spec.http[0].route[0].destination.subset']);
  });

  test('a removed list item keeps the paths of the items after it', async () => {
    const result = await compileYaml(
      config(`  - name: r
    route:
    - destination:
        host: 42
      weight: 50
    - destination:
        host: backend
        subset: v9
      weight: 50
`),
    );
    const fields = result.diagnostics.map((d) => `${d.code} ${d.field}`);
    assert.ok(fields.includes('INVALID_FIELD spec.http[0].route[0].destination.host'), fields.join('\n'));
    assert.ok(fields.includes('UNKNOWN_SUBSET spec.http[0].route[1].destination.subset'), fields.join('\n'));
    // The weights no longer sum to 100 without the removed item: an echo, not reported.
    assert.ok(!fields.some((f) => f.startsWith('WEIGHT_SUM')), fields.join('\n'));
  });

  test('a DestinationRule dropped for errors is not reported again as a missing subset', async () => {
    const yaml = `${GATEWAY}---\n${SERVICES.slice(0, SERVICES.indexOf('kind: DestinationRule'))}kind: DestinationRule
metadata:
  name: backend
spec:
  host: backend
  subsets: v1
---
${config(`  - name: r\n    route:\n    - destination:\n        host: backend\n        subset: v1\n`).split('---\n').pop()}`;
    const result = await compileYaml(yaml);
    assert.deepEqual(
      result.diagnostics.map((d) => `${d.severity} ${d.code} ${d.kind}`),
      ['error INVALID_FIELD DestinationRule'],
      result.diagnostics.map(formatDiagnostic).join('\n'),
    );
  });

  test('a Gateway in a file that does not parse is not reported as unknown', async () => {
    const result = await compileYaml(`${SERVICES}---\n${config(SIMPLE_ROUTE).split('---\n').pop()}`, {}, {});
    expectDiagnostic(result, 'UNKNOWN_GATEWAY', 'spec.gateways[0]', '  - gw');
    const broken = await compileYaml(`${SERVICES}---\n${config(SIMPLE_ROUTE).split('---\n').pop()}---\nkind: Gateway\nmetadata: {name: gw\n`);
    const codes = broken.diagnostics.map((d) => d.code);
    assert.ok(codes.includes('YAML_SYNTAX'), codes.join(' '));
    assert.ok(!codes.includes('UNKNOWN_GATEWAY') && !codes.includes('NO_LISTENERS'), codes.join(' '));
  });
});

describe('cascades stay narrow', () => {
  test('a DestinationRule salvaged for an unrelated field still has its missing subsets reported', async () => {
    const yaml = config(`  - name: r\n    route:\n    - destination:\n        host: backend\n        subset: v9\n`).replace(
      'kind: DestinationRule\nmetadata:\n  name: backend\nspec:\n  host: backend\n',
      'kind: DestinationRule\nmetadata:\n  name: backend\nspec:\n  host: backend\n  trafficPolicy:\n    tunnel:\n      targetHost: x\n      targetPort: 1\n',
    );
    const result = await compileYaml(yaml);
    assert.deepEqual(
      result.diagnostics.map((d) => `${d.code} ${d.field}`).sort(),
      ['UNKNOWN_SUBSET spec.http[0].route[0].destination.subset', 'UNSUPPORTED_FIELD spec.trafficPolicy.tunnel'],
    );
  });
});

describe('exportTo', () => {
  const exported = (to: string) =>
    config(SIMPLE_ROUTE).replace('kind: VirtualService\nmetadata:\n  name: vs\nspec:\n', `kind: VirtualService\nmetadata:\n  name: vs\nspec:\n  exportTo: ${to}\n`);

  test('a VirtualService exported to the gateway namespace (".", "*" or by name) is served', async () => {
    for (const to of ['["."]', '["*"]', '[default]']) {
      const snapshot = await compileOk(exported(to));
      assert.deepEqual(snapshot.listeners[0]!.virtualHosts.all.map((v) => v.routes.length), [1], to);
    }
  });

  test('one not exported to --proxy-namespace is skipped with a warning, as that gateway would not see it', async () => {
    const result = await compileYaml(exported('["."]'), { identity: { labels: {}, namespace: 'istio-system' } });
    expectDiagnostic(result, 'NOT_EXPORTED', 'spec.exportTo', 'exportTo:', 'warning');
    assert.ok(result.snapshot);
    assert.deepEqual(result.snapshot.listeners[0]!.virtualHosts.all, []);
  });
});
