/**
 * `npm run bench:routes`: route selection over 1,000 routes, built through the real config pipeline
 * (Istio YAML → `parseResources` → `compileSnapshot`) and timed through `selectRoute`, the data plane's
 * own function.
 *
 * The routes cycle through four kinds, each a different cost for a request that walks past them:
 * a uri prefix, a uri regex, a header match (exact on `x-tenant` plus a prefix), and a method + uri
 * exact match. Requests hit an early route, a middle one, a late one, or none (a 404); every request's
 * expected route is checked before anything is timed.
 *
 * A second table times one regex alone, per full match: JavaScript's backtracking RegExp (what the
 * data plane used before), re2js's `testExact`, and the snapshot's `Re2Regex.fullMatch` (re2js behind a
 * literal-prefix check), on an input that matches, one that fails late and one that fails at the prefix.
 *
 * Options: --routes N (default 1000), --seconds S per request class (default 1), --json.
 */
import { parseArgs } from 'node:util';
import { compileSnapshot, formatDiagnostic, parseResources, type ConfigDiagnostic } from '../src/config/index.ts';
import { RE2JS } from 're2js';
import { findVirtualHost, selectRoute, type RoutingRequest } from '../src/dataplane/router.ts';
import { Re2Regex } from '../src/snapshot/regex.ts';

type RouteKind = 'prefix' | 'regex' | 'header' | 'method-exact';
const KINDS: readonly RouteKind[] = ['prefix', 'regex', 'header', 'method-exact'];

function kindOf(i: number): RouteKind {
  return KINDS[i % KINDS.length]!;
}

/** The `http:` entry for route `i`. */
function routeYaml(i: number): string {
  const destination = `    route:
    - destination:
        host: backend.bench.internal
        port:
          number: 80`;
  let match: string;
  switch (kindOf(i)) {
    case 'prefix':
      match = `    - uri:
        prefix: /api/v1/svc${i}/`;
      break;
    case 'regex':
      match = `    - uri:
        regex: ^/items/svc${i}/[0-9]+/detail$`;
      break;
    case 'header':
      match = `    - uri:
        prefix: /tenant/
      headers:
        x-tenant:
          exact: tenant-${i}`;
      break;
    case 'method-exact':
      match = `    - method:
        exact: POST
      uri:
        exact: /orders/svc${i}`;
      break;
  }
  return `  - name: r${i}
    match:
${match}
${destination}`;
}

function configYaml(routes: number): string {
  const http = Array.from({ length: routes }, (_, i) => routeYaml(i)).join('\n');
  return `apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: bench
  namespace: bench
spec:
  servers:
  - port:
      number: 0
      name: http
      protocol: HTTP
    bind: 127.0.0.1
    hosts:
    - "*"
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: backend
  namespace: bench
spec:
  hosts:
  - backend.bench.internal
  location: MESH_INTERNAL
  resolution: STATIC
  ports:
  - number: 80
    name: http
    protocol: HTTP
  endpoints:
  - address: 127.0.0.1
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: routes
  namespace: bench
spec:
  hosts:
  - "*"
  gateways:
  - bench
  http:
${http}
`;
}

/** A request that matches route `i` (and, by construction, no earlier route). */
function requestFor(i: number): RoutingRequest {
  const base = { query: '', authority: 'api.example.com', headers: { host: 'api.example.com', 'user-agent': 'bench', accept: '*/*' } };
  switch (kindOf(i)) {
    case 'prefix':
      return { ...base, method: 'GET', path: `/api/v1/svc${i}/users/7` };
    case 'regex':
      return { ...base, method: 'GET', path: `/items/svc${i}/12345/detail` };
    case 'header':
      return { ...base, method: 'GET', path: '/tenant/profile', headers: { ...base.headers, 'x-tenant': `tenant-${i}` } };
    case 'method-exact':
      return { ...base, method: 'POST', path: `/orders/svc${i}` };
  }
}

interface RequestClass {
  readonly name: string;
  readonly requests: readonly RoutingRequest[];
  /** The route name each request must select, or null for no route. */
  readonly expected: readonly (string | null)[];
}

function classes(routes: number): RequestClass[] {
  const pick = (indexes: number[]): RequestClass['requests'] => indexes.map(requestFor);
  const early = [0, 1, 2, 3, 5, 6, 7, 9];
  const middle = early.map((i) => Math.floor(routes / 2) + i);
  const late = early.map((i) => routes - 12 + i).filter((i) => i < routes);
  const base = { query: '', authority: 'api.example.com', headers: { host: 'api.example.com', 'user-agent': 'bench', accept: '*/*' } };
  const none: RoutingRequest[] = [
    { ...base, method: 'GET', path: '/nothing/here' },
    { ...base, method: 'GET', path: '/api/v2/svc1/users' },
    { ...base, method: 'GET', path: '/items/svc2/abc/detail' },
    { ...base, method: 'GET', path: '/tenant/profile', headers: { ...base.headers, 'x-tenant': 'tenant-unknown' } },
    { ...base, method: 'GET', path: '/orders/svc3' },
  ];
  const named = (indexes: number[]): string[] => indexes.map((i) => `r${i}`);
  const out: RequestClass[] = [
    { name: 'early (routes 0-9)', requests: pick(early), expected: named(early) },
    { name: `middle (routes ~${Math.floor(routes / 2)})`, requests: pick(middle), expected: named(middle) },
    { name: `late (last 12 routes)`, requests: pick(late), expected: named(late) },
    { name: 'no route (404)', requests: none, expected: none.map(() => null) },
  ];
  const mixed: RequestClass = {
    name: 'mix (25% each of the above)',
    requests: out.flatMap((c) => c.requests.slice(0, 5)),
    expected: out.flatMap((c) => c.expected.slice(0, 5)),
  };
  return [...out, mixed];
}

function fail(message: string): never {
  process.stderr.write(`route-matching: ${message}\n`);
  process.exit(1);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const { values } = parseArgs({
  options: {
    routes: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
  },
});
const routes = Number(values.routes);
const seconds = Number(values.seconds);
if (!Number.isInteger(routes) || routes < 20) fail('--routes expects a whole number >= 20');
if (!(seconds > 0)) fail('--seconds expects a number > 0');

// Build through the real pipeline: YAML text → raw resources → compiled, frozen snapshot.
const compileStart = process.hrtime.bigint();
const diagnostics: ConfigDiagnostic[] = [];
const resources = parseResources('bench-routes.yaml', configYaml(routes), diagnostics);
const compiled = compileSnapshot(resources);
const compileMs = Number(process.hrtime.bigint() - compileStart) / 1e6;
const errors = [...diagnostics, ...compiled.diagnostics].filter((d) => d.severity === 'error');
if (compiled.snapshot === null || errors.length > 0) fail(`the generated config does not compile:\n${errors.map(formatDiagnostic).join('\n')}`);
const listener = compiled.snapshot.listeners[0];
if (listener === undefined) fail('the snapshot has no listener');
const virtualHost = findVirtualHost(listener.virtualHosts, 'api.example.com');
if (virtualHost === null) fail('no virtual host for api.example.com');
if (virtualHost.routes.length !== routes) fail(`expected ${routes} routes, the snapshot has ${virtualHost.routes.length}`);

const requestClasses = classes(routes);
for (const c of requestClasses) {
  c.requests.forEach((request, i) => {
    const got = selectRoute(virtualHost, request)?.route.name ?? null;
    if (got !== c.expected[i]) fail(`${c.name}: ${request.method} ${request.path} selected ${got}, expected ${c.expected[i]}`);
  });
}

/** Times `selectRoute` over the class's requests in batches; ns per call, median of the batches. */
function time(c: RequestClass): { nsPerOp: number; opsPerSecond: number; batches: number } {
  const { requests } = c;
  const n = requests.length;
  let sink = 0;
  // Calibrate a batch to ~50 ms, after a warm-up that lets the JIT settle.
  let batch = 1024;
  for (;;) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) if (selectRoute(virtualHost!, requests[i % n]!) !== null) sink++;
    const ns = Number(process.hrtime.bigint() - start);
    if (ns > 50e6) break;
    batch *= 2;
  }
  const samples: number[] = [];
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline || samples.length < 5) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) if (selectRoute(virtualHost!, requests[i % n]!) !== null) sink++;
    samples.push(Number(process.hrtime.bigint() - start) / batch);
  }
  if (sink < 0) process.stdout.write(''); // keeps `sink` observable
  const nsPerOp = median(samples);
  return { nsPerOp, opsPerSecond: 1e9 / nsPerOp, batches: samples.length };
}

const results = requestClasses.map((c) => ({ name: c.name, requests: c.requests.length, ...time(c) }));

/** ns per call of `test` over `inputs`, median of ~20 ms batches for `seconds / 4`. */
function timeMatch(test: (value: string) => boolean, inputs: readonly string[]): number {
  let sink = 0;
  const batch = 20_000;
  const samples: number[] = [];
  const deadline = Date.now() + (seconds * 1000) / 4;
  for (let i = 0; i < batch; i++) if (test(inputs[i % inputs.length]!)) sink++; // warm-up
  while (Date.now() < deadline || samples.length < 5) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) if (test(inputs[i % inputs.length]!)) sink++;
    samples.push(Number(process.hrtime.bigint() - start) / batch);
  }
  if (sink < 0) process.stdout.write('');
  return median(samples);
}

const PATTERN = '/items/svc123/[0-9]+/detail';
const backtracking = new RegExp(`^(?:${PATTERN})$`);
const re2js = RE2JS.compile(PATTERN);
const re2 = new Re2Regex(PATTERN, false, RE2JS.compile(PATTERN));
const engineInputs = [
  { name: 'matches', value: '/items/svc123/12345/detail' },
  { name: 'fails late', value: '/items/svc123/12345/details' },
  { name: 'fails at the prefix', value: '/api/v1/svc7/users/7' },
];
const engines = engineInputs.map(({ name, value }) => {
  const expected = backtracking.test(value);
  if (re2js.testExact(value) !== expected || re2.fullMatch(value) !== expected) fail(`the engines disagree on ${value}`);
  return {
    input: name,
    regExp: timeMatch((v) => backtracking.test(v), [value]),
    re2jsTestExact: timeMatch((v) => re2js.testExact(v), [value]),
    re2Regex: timeMatch((v) => re2.fullMatch(v), [value]),
  };
});
if (values.json) {
  process.stdout.write(`${JSON.stringify({ routes, compileMs, node: process.version, results, engines }, null, 2)}\n`);
} else {
  const kinds = KINDS.map((k) => `${k} ${Math.ceil((routes - KINDS.indexOf(k)) / KINDS.length)}`).join(', ');
  process.stdout.write(`selectRoute over ${routes} routes (${kinds}); config compiled in ${compileMs.toFixed(0)} ms; node ${process.version}\n\n`);
  process.stdout.write('| requests | ns/op | ops/s |\n| --- | --- | --- |\n');
  for (const r of results) {
    process.stdout.write(`| ${r.name} | ${r.nsPerOp.toFixed(0)} | ${Math.round(r.opsPerSecond).toLocaleString('en-US')} |\n`);
  }
  process.stdout.write(`\nOne full match of ${PATTERN}, ns per call:\n\n`);
  process.stdout.write('| input | RegExp (backtracking) | re2js testExact | Re2Regex.fullMatch |\n| --- | --- | --- | --- |\n');
  for (const e of engines) {
    process.stdout.write(`| ${e.input} | ${e.regExp.toFixed(0)} | ${e.re2jsTestExact.toFixed(0)} | ${e.re2Regex.toFixed(0)} |\n`);
  }
}
