/**
 * MirrorPolicy (shadowgate.io/v1alpha1): loaded next to Istio resources, strict fields with
 * suggestions, compiled into the extensions of the mirrors it targets, and its errors (bad target,
 * route, host, JSON path, conflicts) pointing at file:line and the field.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { formatDiagnostic } from '../../src/config/index.ts';
import { compileOk, compileYaml, config, expectDiagnostic, route } from './helpers.ts';

/** Route `headers` mirrors backend v2 (and multi.example.com:80), route `other` mirrors backend v1. */
const ROUTES = `  - name: headers
    route:
    - destination: { host: backend, subset: v1 }
    mirrors:
    - destination: { host: backend, subset: v2 }
    - destination: { host: multi.example.com, port: { number: 80 } }
  - name: other
    route:
    - destination: { host: backend }
    mirror: { host: backend, subset: v1 }
`;

function withPolicy(spec: string, name = 'p'): string {
  return `${config(ROUTES)}---
apiVersion: shadowgate.io/v1alpha1
kind: MirrorPolicy
metadata:
  name: ${name}
spec:
${spec}`;
}

const FULL = `  targetRef: { kind: VirtualService, name: vs }
  routes: [headers]
  mirrors:
  - host: backend
    subset: v2
    requestHeaders:
      set: { X-Shadow-Request: "true" }
      add: { x-trace: a }
      remove: [Authorization, cookie]
    authority: shadow.internal
    sampling: { key: { header: X-User-Id } }
    compare:
      maxBodyBytes: 1000
      ignoreHeaders: [Date]
      ignorePaths: ["$.ts", "$.items[*].id"]
      numericTolerance: { absolute: 0.5 }
      unorderedArrays: ["$.tags"]
      baseline: { host: backend, subset: v1 }
    capture:
      path: captures/httpbin.jsonl
      includePrimaryResponse: true
`;

describe('MirrorPolicy', () => {
  test('compiles into the extensions of the selected mirror only', async () => {
    const result = await compileYaml(withPolicy(FULL));
    assert.ok(result.snapshot, result.diagnostics.map(formatDiagnostic).join('\n'));
    const mirrors = route(result.snapshot, 'default/vs/headers').mirrors!;
    const ext = mirrors[0]!.extensions!;
    assert.equal(mirrors[0]!.cluster, 'outbound|8000|v2|backend.default.svc.cluster.local');
    assert.equal(ext.source, 'default/p');
    assert.deepEqual(ext.requestHeaders, { set: [['x-shadow-request', 'true']], add: [['x-trace', 'a']], remove: ['authorization', 'cookie'] });
    assert.equal(ext.authority, 'shadow.internal');
    assert.deepEqual(ext.sampling, { key: { kind: 'header', name: 'x-user-id' } });
    assert.deepEqual(ext.compare, {
      maxBodyBytes: 1000,
      ignoreHeaders: ['date'],
      ignorePaths: ['$.ts', '$.items[*].id'],
      tolerance: { absolute: 0.5, relative: 0 },
      unorderedArrays: ['$.tags'],
      baselineCluster: 'outbound|8000|v1|backend.default.svc.cluster.local',
    });
    assert.deepEqual(ext.capture, {
      path: path.join(path.dirname(result.file), 'captures/httpbin.jsonl'),
      maxFileBytes: 64 * 1024 * 1024,
      maxFiles: 5,
      maxBodyBytes: 64 * 1024,
      redactHeaders: ['authorization', 'cookie', 'proxy-authorization'],
      includePrimaryResponse: true,
    });
    assert.equal(mirrors[1]!.extensions ?? null, null, 'the other mirror of the route is untouched');
    assert.equal(route(result.snapshot, 'default/vs/other').mirrors![0]!.extensions ?? null, null, 'routes not named are untouched');
    assert.ok(result.snapshot.clusters.has('outbound|8000|v1|backend.default.svc.cluster.local'), 'the baseline has a cluster');
  });

  test('without routes and mirrors it applies to every mirror of the VirtualService', async () => {
    const snapshot = await compileOk(withPolicy('  targetRef: { kind: VirtualService, name: vs }\n  mirrors:\n  - authority: s.internal\n'));
    for (const id of ['default/vs/headers', 'default/vs/other']) {
      for (const m of route(snapshot, id).mirrors!) assert.equal(m.extensions?.authority, 's.internal', id);
    }
  });

  test('plain Istio config compiles without extensions', async () => {
    const snapshot = await compileOk(config(ROUTES));
    for (const m of route(snapshot, 'default/vs/headers').mirrors!) assert.equal(m.extensions ?? null, null);
  });

  test('an unknown field is an error naming the field, with a suggestion', async () => {
    const result = await compileYaml(withPolicy(FULL.replace('    authority: shadow.internal', '    authorty: shadow.internal')));
    const d = expectDiagnostic(result, 'UNKNOWN_FIELD', 'spec.mirrors[0].authorty', 'authorty:');
    assert.match(d.message, /did you mean "authority"/);
  });

  test('an unknown field deep inside (compare.numericTolerance) is reported there', async () => {
    const result = await compileYaml(withPolicy(FULL.replace('numericTolerance: { absolute: 0.5 }', 'numericTolerance: { absolut: 0.5 }')));
    const d = expectDiagnostic(result, 'UNKNOWN_FIELD', 'spec.mirrors[0].compare.numericTolerance.absolut', 'absolut:');
    assert.match(d.message, /did you mean "absolute"/);
  });

  test('an unknown target VirtualService', async () => {
    const result = await compileYaml(withPolicy('  targetRef: { kind: VirtualService, name: nope }\n'));
    const d = expectDiagnostic(result, 'UNKNOWN_TARGET', 'spec.targetRef.name', 'name: nope');
    assert.match(d.message, /no VirtualService default\/nope/);
  });

  test('targetRef.namespace defaults to the policy namespace', async () => {
    const result = await compileYaml(withPolicy('  targetRef: { kind: VirtualService, name: vs }\n').replace('  name: p\n', '  name: p\n  namespace: other\n'));
    expectDiagnostic(result, 'UNKNOWN_TARGET', 'spec.targetRef.name', 'name: vs }');
  });

  test('an unknown route name', async () => {
    const result = await compileYaml(withPolicy('  targetRef: { kind: VirtualService, name: vs }\n  routes: [headers, hedaers]\n'));
    const d = expectDiagnostic(result, 'UNKNOWN_ROUTE', 'spec.routes[1]', 'routes: [headers, hedaers]');
    assert.match(d.message, /no http route named hedaers \(its routes: headers, other\)/);
  });

  test('a mirror host the targeted routes do not mirror is an error', async () => {
    const result = await compileYaml(withPolicy('  targetRef: { kind: VirtualService, name: vs }\n  routes: [other]\n  mirrors:\n  - host: backend\n    subset: v2\n    authority: x\n'));
    const d = expectDiagnostic(result, 'MIRROR_POLICY_NO_MATCH', 'spec.mirrors[0].host', 'host: backend');
    assert.match(d.message, /they mirror outbound\|8000\|v1\|backend/);
  });

  test('a bad JSON path is an error at that entry', async () => {
    const result = await compileYaml(withPolicy(FULL.replace('"$.items[*].id"', '"items.id"')));
    const d = expectDiagnostic(result, 'INVALID_JSON_PATH', 'spec.mirrors[0].compare.ignorePaths[1]', 'ignorePaths:');
    assert.match(d.message, /starts with "\$"/);
  });

  test('a baseline must be an HTTP destination that exists', async () => {
    const result = await compileYaml(withPolicy(FULL.replace('baseline: { host: backend, subset: v1 }', 'baseline: { host: tcp-echo }')));
    expectDiagnostic(result, 'MIRROR_PROTOCOL', 'spec.mirrors[0].compare.baseline.port', 'baseline:');
  });

  test('two MirrorPolicies setting the same mirror is an error naming the first', async () => {
    const second = `---
apiVersion: shadowgate.io/v1alpha1
kind: MirrorPolicy
metadata:
  name: q
spec:
  targetRef: { kind: VirtualService, name: vs }
  mirrors:
  - host: backend
    subset: v2
    authority: y
`;
    const result = await compileYaml(withPolicy(FULL) + second);
    const d = expectDiagnostic(result, 'MIRROR_POLICY_CONFLICT', 'spec.mirrors[0].host', 'host: backend');
    assert.match(d.message, /already configured by MirrorPolicy default\/p/);
  });

  test('subset without host is an error', async () => {
    const result = await compileYaml(withPolicy('  targetRef: { kind: VirtualService, name: vs }\n  mirrors:\n  - subset: v2\n    authority: x\n'));
    expectDiagnostic(result, 'INVALID_FIELD', 'spec.mirrors[0].subset', 'subset: v2');
  });

  test('header rules may not touch host', async () => {
    const result = await compileYaml(withPolicy(FULL.replace('add: { x-trace: a }', 'add: { Host: a }')));
    const d = expectDiagnostic(result, 'INVALID_FIELD', 'spec.mirrors[0].requestHeaders.add.Host', 'add: { Host: a }');
    assert.match(d.message, /set authority instead/);
  });

  test('a sampling key sets exactly one source', async () => {
    const result = await compileYaml(withPolicy(FULL.replace('{ key: { header: X-User-Id } }', '{ key: { header: a, cookie: b } }')));
    expectDiagnostic(result, 'INVALID_FIELD', 'spec.mirrors[0].sampling.key', 'sampling:');
  });

  test('a runtime override to the same destination keeps the extensions; to another, drops them', async () => {
    const yaml = withPolicy(FULL);
    const same = await compileOk(yaml, {
      overrides: new Map([['default/vs/headers', { destination: { host: 'backend', subset: 'v2' }, percentage: 5, enabled: true }]]),
    });
    const kept = route(same, 'default/vs/headers').mirrors!;
    assert.equal(kept.length, 1);
    assert.equal(kept[0]!.origin, 'override');
    assert.equal(kept[0]!.extensions?.authority, 'shadow.internal');
    const other = await compileOk(yaml, {
      overrides: new Map([['default/vs/headers', { destination: { host: 'backend', subset: 'v1' }, percentage: 5, enabled: true }]]),
    });
    assert.equal(route(other, 'default/vs/headers').mirrors![0]!.extensions ?? null, null);
  });

  test('a MirrorPolicy under an Istio apiVersion is not read', async () => {
    const result = await compileYaml(withPolicy('  targetRef: { kind: VirtualService, name: nope }\n').replace('shadowgate.io/v1alpha1', 'networking.istio.io/v1'));
    assert.ok(result.snapshot);
    assert.ok(result.diagnostics.some((d) => d.code === 'UNSUPPORTED_KIND'));
  });
});
