import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { generateConfig } from '../../bench/config-gen.ts';
import { buildSnapshotFromPaths, formatDiagnostic, loadResources } from '../../src/config/index.ts';
import { lastLineOf, lineOf, routesById, writeFiles } from './helpers.ts';

const TWO_DOCS = `apiVersion: networking.istio.io/v1alpha3
kind: Gateway
metadata:
  name: one
  namespace: edge
  annotations:
    note: hello
spec:
  servers:
  - port:
      number: 80
      protocol: HTTP
    hosts: ["*"]
---
# a comment-only document between resources is fine
---
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata:
  name: two
spec:
  hosts: ["*"]
  http:
  - route:
    - destination:
        host: backend
        port:
          number: 8000
`;

describe('loadResources', () => {
  test('multi-document YAML: kinds, api versions, namespace default, positions', async () => {
    const dir = writeFiles({ 'a.yaml': TWO_DOCS });
    const file = path.join(dir, 'a.yaml');
    const { resources, diagnostics } = await loadResources([file]);
    assert.deepEqual(diagnostics, []);
    assert.equal(resources.length, 2);
    const [gw, vs] = resources;
    assert.equal(gw!.kind, 'Gateway');
    assert.equal(gw!.apiVersion, 'networking.istio.io/v1alpha3');
    assert.deepEqual(gw!.metadata, { name: 'one', namespace: 'edge', annotations: { note: 'hello' } });
    assert.equal(gw!.source.file, file);
    assert.equal(gw!.source.docIndex, 0);
    assert.equal(vs!.metadata.namespace, 'default');
    assert.equal(vs!.source.docIndex, 2);
    // locate points at the key of the deepest existing node, 1-based.
    assert.deepEqual(gw!.source.locate(['spec', 'servers', 0, 'port', 'number']), { line: lineOf(TWO_DOCS, 'number: 80'), column: 7 });
    assert.deepEqual(vs!.source.locate(['spec', 'http', 0, 'route', 0, 'destination', 'port', 'number']), {
      line: lineOf(TWO_DOCS, 'number: 8000'),
      column: 11,
    });
    // A path that goes past what exists stops at the deepest node that does.
    assert.deepEqual(vs!.source.locate(['spec', 'http', 0, 'mirror', 'port']), { line: lineOf(TWO_DOCS, '  - route:'), column: 5 });
    assert.deepEqual(vs!.source.locate(['spec', 'http', 0, 'route', 0, 'destination', 'subset']), {
      line: lineOf(TWO_DOCS, 'destination:'),
      column: 7,
    });
    assert.deepEqual(vs!.source.locate([]), { line: lineOf(TWO_DOCS, 'apiVersion: networking.istio.io/v1beta1'), column: 1 });
  });

  test('kind: List expands its items, with positions inside the list', async () => {
    const text = `apiVersion: v1
kind: List
items:
- apiVersion: networking.istio.io/v1
  kind: ServiceEntry
  metadata:
    name: first
  spec:
    hosts: [a.example.com]
- apiVersion: networking.istio.io/v1
  kind: DestinationRule
  metadata:
    name: second
  spec:
    host: a.example.com
`;
    const dir = writeFiles({ 'list.yaml': text });
    const { resources, diagnostics } = await loadResources([dir]);
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(resources.map((r) => r.metadata.name), ['first', 'second']);
    assert.deepEqual(resources[1]!.source.locate(['spec', 'host']), { line: lineOf(text, 'host: a.example.com'), column: 5 });
    assert.deepEqual(resources[0]!.source.locate(['metadata', 'name']), { line: lineOf(text, 'name: first'), column: 5 });
  });

  test('a directory: .yaml, .yml and .json read recursively in name order, other files and dot-entries skipped', async () => {
    const dir = writeFiles({
      'b.yml': 'apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: from-yml}\nspec: {}\n',
      'a.json': JSON.stringify(
        { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'from-json' }, spec: { host: 'x' } },
        null,
        2,
      ),
      'c.yaml': 'apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: from-yaml}\nspec: {}\n',
      'notes.txt': 'not config',
    });
    const gw = (name: string) => `apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: ${name}}\nspec: {}\n`;
    mkdirSync(path.join(dir, 'b-nested', 'deeper'), { recursive: true });
    writeFileSync(path.join(dir, 'b-nested', 'd.yaml'), gw('nested'));
    writeFileSync(path.join(dir, 'b-nested', 'deeper', 'e.yaml'), gw('deeper'));
    // A Kubernetes ConfigMap volume keeps its files under `..data`: read once, not twice.
    mkdirSync(path.join(dir, '..data'));
    writeFileSync(path.join(dir, '..data', 'c.yaml'), gw('hidden'));
    symlinkSync(path.join(dir, 'c.yaml'), path.join(dir, 'z-link.yaml'));
    const { resources, diagnostics, files } = await loadResources([dir]);
    // The link is a second copy of c.yaml's Gateway: read, and reported as a duplicate.
    assert.deepEqual(diagnostics.map((d) => d.code), ['DUPLICATE_RESOURCE']);
    assert.deepEqual(resources.map((r) => r.metadata.name), ['from-json', 'nested', 'deeper', 'from-yml', 'from-yaml']);
    assert.deepEqual(files.map((f) => path.relative(dir, f)), ['a.json', 'b-nested/d.yaml', 'b-nested/deeper/e.yaml', 'b.yml', 'c.yaml', 'z-link.yaml']);
    // JSON is read by the YAML parser, so positions work there too.
    assert.deepEqual(resources[0]!.source.locate(['spec', 'host']), { line: 8, column: 5 });
  });

  test('other kinds and API versions are skipped with a warning', async () => {
    const text = `apiVersion: v1
kind: Service
metadata:
  name: httpbin
spec:
  ports: [{port: 8000}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: k8s-gateway
spec: {}
`;
    const dir = writeFiles({ 'k8s.yaml': text });
    const { resources, diagnostics } = await loadResources([dir]);
    assert.equal(resources.length, 0);
    assert.deepEqual(diagnostics.map((d) => [d.severity, d.code, d.line, d.kind, d.name]), [
      ['warning', 'UNSUPPORTED_KIND', 2, 'Service', 'httpbin'],
      ['warning', 'UNSUPPORTED_KIND', lineOf(text, 'kind: Gateway'), 'Gateway', 'k8s-gateway'],
    ]);
  });

  test('a YAML syntax error is reported with its position; other documents still load', async () => {
    const text = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: ok
spec: {}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: [unclosed
spec: {}
`;
    const dir = writeFiles({ 'bad.yaml': text });
    const { resources, diagnostics } = await loadResources([path.join(dir, 'bad.yaml')]);
    assert.deepEqual(resources.map((r) => r.metadata.name), ['ok']);
    assert.ok(diagnostics.length >= 1);
    const d = diagnostics[0]!;
    assert.equal(d.code, 'YAML_SYNTAX');
    assert.equal(d.severity, 'error');
    assert.ok(d.line >= lineOf(text, 'name: [unclosed'), formatDiagnostic(d));
    assert.match(formatDiagnostic(d), /bad\.yaml:\d+:\d+ error/);
  });

  test('an unreadable path is an error naming it', async () => {
    const missing = path.join(writeFiles({}), 'nope.yaml');
    const { resources, diagnostics } = await loadResources([missing]);
    assert.equal(resources.length, 0);
    assert.equal(diagnostics.length, 1);
    assert.equal(diagnostics[0]!.code, 'READ_FAILED');
    assert.equal(diagnostics[0]!.severity, 'error');
    assert.ok(diagnostics[0]!.message.includes(missing));
    assert.ok(formatDiagnostic(diagnostics[0]!).startsWith(`${missing} error`));
  });

  test('duplicate kind + namespace + name is an error pointing at both', async () => {
    const doc = (ns: string) => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: same
  namespace: ${ns}
spec:
  host: x
`;
    const dir = writeFiles({ 'a.yaml': doc('default'), 'b.yaml': `${doc('other')}---\n${doc('default')}` });
    const { resources, diagnostics } = await loadResources([dir]);
    assert.equal(resources.length, 2);
    assert.equal(diagnostics.length, 1);
    const d = diagnostics[0]!;
    assert.equal(d.code, 'DUPLICATE_RESOURCE');
    assert.equal(d.file, path.join(dir, 'b.yaml'));
    assert.equal(d.line, 12);
    assert.ok(d.message.includes(`${path.join(dir, 'a.yaml')}:4:`), d.message);
  });

  test('a document without metadata.name or spec is an error', async () => {
    const text = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {}
spec: {}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: nospec
`;
    const dir = writeFiles({ 'x.yaml': text });
    const { resources, diagnostics } = await loadResources([dir]);
    assert.equal(resources.length, 0);
    assert.deepEqual(diagnostics.map((d) => [d.code, d.field, d.line]), [
      ['INVALID_RESOURCE', 'metadata.name', 3],
      ['INVALID_RESOURCE', 'spec', 6], // no spec key: the document itself
    ]);
  });
});

describe('loadResources: top-level keys', () => {
  test('a misspelt spec is one error that suggests the key', async () => {
    const text = 'apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: gw}\nsepc: {servers: []}\n';
    const dir = writeFiles({ 'gw.yaml': text });
    const { resources, diagnostics } = await loadResources([dir]);
    assert.equal(resources.length, 0);
    assert.deepEqual(diagnostics.map((d) => `${d.severity} ${d.code} ${d.field}`), ['error UNKNOWN_FIELD sepc']);
    assert.match(diagnostics[0]!.message, /unknown field "sepc" \(did you mean "spec"\?\)/);
  });
});

describe('large configs', () => {
  test('a file over maxFileBytes is not read: FILE_TOO_LARGE names the file, its size and the limit', async () => {
    const dir = writeFiles({ 'big.yaml': TWO_DOCS });
    const { resources, diagnostics } = await loadResources([path.join(dir, 'big.yaml')], { maxFileBytes: 100 });
    assert.equal(resources.length, 0);
    assert.deepEqual(
      diagnostics.map((d) => [d.code, d.severity, d.file, d.message]),
      [['FILE_TOO_LARGE', 'error', path.join(dir, 'big.yaml'), `${path.join(dir, 'big.yaml')} is ${TWO_DOCS.length} bytes, over the 100-byte limit for one config file (--max-config-file-bytes); not read`]],
    );
    // The default bound (32 MiB) reads it.
    assert.equal((await loadResources([path.join(dir, 'big.yaml')])).resources.length, 2);
  });

  test('paths deeper than the kept position tree are located by parsing their document again', async () => {
    const text = `${TWO_DOCS}---
apiVersion: v1
kind: List
items:
- apiVersion: networking.istio.io/v1
  kind: DestinationRule
  metadata:
    name: first
  spec:
    host: a.example.com
- apiVersion: networking.istio.io/v1
  kind: DestinationRule
  metadata:
    name: second
  spec:
    host: b.example.com
    trafficPolicy:
      loadBalancer:
        simple: ROUND_ROBIN
`;
    const dir = writeFiles({ 'deep.yaml': text });
    const { resources, diagnostics } = await loadResources([path.join(dir, 'deep.yaml')]);
    assert.deepEqual(diagnostics, []);
    const [gw, vs, , second] = resources;
    const simple = { line: lineOf(text, 'simple: ROUND_ROBIN'), column: 9 };
    assert.deepEqual(second!.source.locate(['spec', 'trafficPolicy', 'loadBalancer', 'simple']), simple);
    assert.deepEqual(second!.source.locate(['spec', 'trafficPolicy', 'loadBalancer', 'simple', 'nothing']), simple);
    assert.deepEqual(second!.source.locate(['spec', 'trafficPolicy', 'loadBalancer', 'consistentHash']), { line: simple.line - 1, column: 7 });
    // Alternating between resources re-parses each again; positions stay their own.
    assert.deepEqual(vs!.source.locate(['spec', 'http', 0, 'route', 0, 'destination', 'port', 'number']), {
      line: lineOf(text, 'number: 8000'),
      column: 11,
    });
    assert.deepEqual(gw!.source.locate(['spec', 'servers', 0, 'port', 'number']), { line: lineOf(text, 'number: 80'), column: 7 });
    assert.deepEqual(second!.source.locate(['spec', 'trafficPolicy', 'loadBalancer', 'simple']), simple);
  });

  test('a 2 MiB generated config (about 3,000 resources) loads and compiles well within a generous bound', async () => {
    const { text, services } = generateConfig(2 * 1024 * 1024);
    const dir = writeFiles({ 'big.yaml': text });
    const started = performance.now();
    const { snapshot, diagnostics } = await buildSnapshotFromPaths([path.join(dir, 'big.yaml')]);
    const elapsed = performance.now() - started;
    assert.deepEqual(diagnostics.map(formatDiagnostic), []);
    assert.equal(snapshot!.clusters.size, services);
    // Positions still point into the right document after thousands of others.
    const last = routesById(snapshot!).get(`bench/vs${services - 1}/exact`);
    assert.deepEqual([last?.source.line, last?.source.column], [lastLineOf(text, '- name: exact'), 5]);
    // Before documents were composed one at a time this took ~5 s on an idle 2-core VM and grew
    // faster than the file; a wide margin for loaded CI machines.
    assert.ok(elapsed < 60_000, `took ${elapsed.toFixed(0)} ms`);
  });
});
