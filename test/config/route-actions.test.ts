/** Compiling fault, redirect, directResponse, corsPolicy, delegate and retryOn: values and Istio's rules. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatDiagnostic } from '../../src/config/index.ts';
import { config, compileOk, compileYaml, expectDiagnostic, GATEWAY, route, routesById, SERVICES } from './helpers.ts';

const TO_BACKEND = `    route:
    - destination:
        host: backend
`;

describe('fault', () => {
  test('delay and abort compile to per-million shares; the deprecated integer percent to HUNDRED', async () => {
    const s = await compileOk(
      config(`  - name: f
    fault:
      delay:
        fixedDelay: 1.5s
        percentage: { value: 0.0001 }
      abort:
        httpStatus: 503
        percentage: { value: 12.5 }
${TO_BACKEND}  - name: legacy
    fault:
      delay:
        fixedDelay: 5ms
        percent: 7
${TO_BACKEND}`),
    );
    assert.deepEqual(route(s, 'default/vs/f').fault, {
      delay: { delayMs: 1500, perMillion: 1 },
      abort: { httpStatus: 503, perMillion: 125_000 },
    });
    assert.deepEqual(route(s, 'default/vs/legacy').fault, { delay: { delayMs: 5, perMillion: 70_000, denominator: 'HUNDRED' }, abort: null });
  });

  test('grpcStatus, http2Error and exponentialDelay are clear errors, without a cascade', async () => {
    const grpc = await compileYaml(config(`  - fault:
      abort:
        grpcStatus: UNAVAILABLE
        percentage: { value: 1 }
${TO_BACKEND}`));
    const d = expectDiagnostic(grpc, 'UNSUPPORTED_FIELD', 'spec.http[0].fault.abort.grpcStatus', 'grpcStatus');
    assert.match(d.message, /not gRPC; use httpStatus/);
    assert.equal(grpc.diagnostics.length, 1, grpc.diagnostics.map(formatDiagnostic).join('\n'));
    const h2 = await compileYaml(config(`  - fault:
      abort:
        http2Error: REFUSED_STREAM
${TO_BACKEND}`));
    expectDiagnostic(h2, 'UNSUPPORTED_FIELD', 'spec.http[0].fault.abort.http2Error', 'http2Error');
    assert.equal(h2.diagnostics.length, 1, h2.diagnostics.map(formatDiagnostic).join('\n'));
    const exp = await compileYaml(config(`  - fault:
      delay:
        exponentialDelay: 1s
${TO_BACKEND}`));
    expectDiagnostic(exp, 'UNSUPPORTED_FIELD', 'spec.http[0].fault.delay.exponentialDelay', 'exponentialDelay');
    assert.equal(exp.diagnostics.length, 1, exp.diagnostics.map(formatDiagnostic).join('\n'));
    const none = await compileYaml(config(`  - fault:
      abort: { percentage: { value: 1 } }
${TO_BACKEND}`));
    expectDiagnostic(none, 'INVALID_FIELD', 'spec.http[0].fault.abort', 'abort:');
  });

  test("Istio's value rules: an empty fault, a status out of range, a delay under 1ms", async () => {
    const empty = await compileYaml(config(`  - fault: {}
${TO_BACKEND}`));
    expectDiagnostic(empty, 'INVALID_FIELD', 'spec.http[0].fault', 'fault:');
    const status = await compileYaml(config(`  - fault:
      abort: { httpStatus: 700, percentage: { value: 1 } }
${TO_BACKEND}`));
    expectDiagnostic(status, 'INVALID_FIELD', 'spec.http[0].fault.abort.httpStatus', 'httpStatus');
    const tiny = await compileYaml(config(`  - fault:
      delay: { fixedDelay: 100us, percentage: { value: 1 } }
${TO_BACKEND}`));
    expectDiagnostic(tiny, 'INVALID_DURATION', 'spec.http[0].fault.delay.fixedDelay', 'fixedDelay');
  });
});

describe('redirect and directResponse', () => {
  test('compile to the route action; the route has no clusters', async () => {
    const s = await compileOk(
      config(`  - name: r
    redirect:
      uri: /new
      authority: example.org
      scheme: https
      derivePort: FROM_REQUEST_PORT
      redirectCode: 307
  - name: d
    directResponse:
      status: 418
      body: { string: teapot }
`),
    );
    const r = route(s, 'default/vs/r');
    assert.deepEqual(r.redirect, { scheme: 'https', host: 'example.org', port: 'request', path: '/new', responseCode: 307 });
    assert.deepEqual(r.clusters, []);
    assert.equal(r.mirrors, null);
    const d = route(s, 'default/vs/d');
    assert.equal(d.directResponse?.status, 418);
    assert.equal(d.directResponse?.body?.toString(), 'teapot');
    assert.equal(d.directResponse?.bodyKind, 'string');
  });

  test("Istio's conflicts: route with redirect, rewrite with redirect, redirect with directResponse, fault with directResponse", async () => {
    const both = await compileYaml(config(`  - redirect: { uri: /x }
${TO_BACKEND}`));
    expectDiagnostic(both, 'ROUTE_ACTION_CONFLICT', 'spec.http[0].redirect', 'redirect:');
    const rewrite = await compileYaml(config(`  - redirect: { uri: /x }
    rewrite: { uri: /y }
`));
    expectDiagnostic(rewrite, 'ROUTE_ACTION_CONFLICT', 'spec.http[0].rewrite', 'rewrite:');
    const two = await compileYaml(config(`  - redirect: { uri: /x }
    directResponse: { status: 200 }
`));
    expectDiagnostic(two, 'ROUTE_ACTION_CONFLICT', 'spec.http[0].redirect', 'redirect:');
    const fault = await compileYaml(config(`  - directResponse: { status: 200 }
    fault: { abort: { httpStatus: 500, percentage: { value: 1 } } }
`));
    expectDiagnostic(fault, 'ROUTE_ACTION_CONFLICT', 'spec.http[0].fault', 'fault:');
  });

  test('redirect codes outside 301/302/303/307/308, port with derivePort, a bad body', async () => {
    const code = await compileYaml(config(`  - redirect: { uri: /x, redirectCode: 200 }
`));
    expectDiagnostic(code, 'INVALID_FIELD', 'spec.http[0].redirect.redirectCode', 'redirectCode');
    const unsupported = await compileYaml(config(`  - redirect: { uri: /x, redirectCode: 305 }
`));
    expectDiagnostic(unsupported, 'UNSUPPORTED_VALUE', 'spec.http[0].redirect.redirectCode', 'redirectCode');
    const port = await compileYaml(config(`  - redirect: { port: 80, derivePort: FROM_REQUEST_PORT }
`));
    expectDiagnostic(port, 'REDIRECT_CONFLICT', 'spec.http[0].redirect.derivePort', 'derivePort');
    const body = await compileYaml(config(`  - directResponse: { status: 200, body: { string: a, bytes: YQ== } }
`));
    assert.equal(body.snapshot, null);
    assert.ok(body.diagnostics.some((d) => d.field === 'spec.http[0].directResponse.body'), body.diagnostics.map(formatDiagnostic).join('\n'));
  });

  test('prefixRewrite (newer Istio) is a prefix redirect; with uri, or on a non-prefix match, an error', async () => {
    const s = await compileOk(config(`  - name: p
    match: [{ uri: { prefix: /old } }]
    redirect: { prefixRewrite: /new }
`));
    assert.equal(route(s, 'default/vs/p').redirect?.path, '%PREFIX()%/new');
    const both = await compileYaml(config(`  - redirect: { uri: /a, prefixRewrite: /b }
`));
    expectDiagnostic(both, 'REDIRECT_CONFLICT', 'spec.http[0].redirect.prefixRewrite', 'prefixRewrite');
    const exact = await compileYaml(config(`  - match: [{ uri: { exact: /old } }]
    redirect: { prefixRewrite: /b }
`));
    expectDiagnostic(exact, 'INVALID_FIELD', 'spec.http[0].redirect.prefixRewrite', 'prefixRewrite');
  });

  test('a mirror on a redirect is a warning that it has no effect', async () => {
    const result = await compileYaml(config(`  - redirect: { uri: /x }
    mirror: { host: backend }
`));
    expectDiagnostic(result, 'NO_OP_FIELD', 'spec.http[0].mirror', 'mirror:', 'warning');
    assert.ok(result.snapshot);
  });
});

describe('corsPolicy', () => {
  test('compiles origins with the shared StringMatch compile, lists joined, maxAge in seconds', async () => {
    const s = await compileOk(
      config(`  - name: c
    corsPolicy:
      allowOrigins:
      - exact: https://a.example
      - regex: "https://.*\\\\.b\\\\.example"
      allowMethods: [GET, PUT]
      allowHeaders: [x-a, x-b]
      exposeHeaders: [x-c]
      maxAge: 2m
      allowCredentials: false
${TO_BACKEND}  - name: legacy
    corsPolicy:
      allowOrigin: [https://old.example]
${TO_BACKEND}`),
    );
    const c = route(s, 'default/vs/c').cors!;
    assert.equal(c.allowOrigins.length, 2);
    assert.equal(c.allowOrigins[1]!.kind, 'regex');
    assert.equal(c.allowMethods, 'GET,PUT');
    assert.equal(c.allowHeaders, 'x-a,x-b');
    assert.equal(c.exposeHeaders, 'x-c');
    assert.equal(c.maxAge, '120');
    assert.equal(c.allowCredentials, false);
    assert.equal(c.forwardNotMatchingPreflights, true);
    assert.deepEqual(route(s, 'default/vs/legacy').cors!.allowOrigins, [{ kind: 'exact', value: 'https://old.example' }]);
  });

  test('a method that is not one, a bad header name, sub-second maxAge, a bad regex', async () => {
    const result = await compileYaml(config(`  - corsPolicy:
      allowOrigins: [{ regex: "(" }]
      allowMethods: [GET, FETCH]
      allowHeaders: ["bad header"]
      maxAge: 1500ms
${TO_BACKEND}`));
    const codes = result.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.field}`);
    assert.deepEqual(codes.sort(), [
      'INVALID_DURATION spec.http[0].corsPolicy.maxAge',
      'INVALID_FIELD spec.http[0].corsPolicy.allowHeaders[0]',
      'INVALID_FIELD spec.http[0].corsPolicy.allowMethods[1]',
      'INVALID_REGEX spec.http[0].corsPolicy.allowOrigins[0].regex',
    ]);
  });
});

describe('retries.retryOn and retryRemoteLocalities', () => {
  test("every policy Istio documents, and status codes, are accepted; codes become retriable_status_codes", async () => {
    const s = await compileOk(
      config(`  - name: r
    retries:
      attempts: 2
      retryOn: 5xx,gateway-error,reset,connect-failure,retriable-4xx,refused-stream,retriable-status-codes,409,429
${TO_BACKEND}  - name: codes
    retries:
      attempts: 1
      retryOn: "503"
${TO_BACKEND}`),
    );
    const r = route(s, 'default/vs/r').retry!;
    assert.deepEqual([...r.retryOn], ['5xx', 'gateway-error', 'reset', 'connect-failure', 'retriable-4xx', 'refused-stream', 'retriable-status-codes']);
    assert.deepEqual([...r.retriableStatusCodes], [409, 429]);
    const codes = route(s, 'default/vs/codes').retry!;
    assert.deepEqual([...codes.retryOn], ['retriable-status-codes']);
    assert.deepEqual([...codes.retriableStatusCodes], [503]);
  });

  test('an unknown value, a code Go does not name, and spaces are errors, as in Istio', async () => {
    for (const [value, bad] of [['5xx,connect-faliure', 'connect-faliure'], ['5xx,599', '599'], ['5xx, reset', ' reset'], ['5xx,', '']] as const) {
      const result = await compileYaml(config(`  - retries:
      attempts: 1
      retryOn: "${value}"
${TO_BACKEND}`));
      const d = expectDiagnostic(result, 'INVALID_RETRY_ON', 'spec.http[0].retries.retryOn', 'retryOn');
      assert.ok(d.message.startsWith(`${JSON.stringify(bad)} is not a valid retryOn policy`), d.message);
    }
  });

  test('retryRemoteLocalities and conditions shadowgate does not evaluate are warnings', async () => {
    const result = await compileYaml(config(`  - retries:
      attempts: 1
      retryOn: 5xx,envoy-ratelimited
      retryRemoteLocalities: true
${TO_BACKEND}`));
    expectDiagnostic(result, 'UNSUPPORTED_FIELD', 'spec.http[0].retries.retryRemoteLocalities', 'retryRemoteLocalities', 'warning');
    const d = expectDiagnostic(result, 'NO_OP_FIELD', 'spec.http[0].retries.retryOn', 'retryOn', 'warning');
    assert.match(d.message, /envoy-ratelimited/);
    assert.ok(result.snapshot);
  });
});

/** A root VirtualService `root` bound to `gw`, and delegates as given (documents separated by ---). */
function delegation(rootHttp: string, delegates: string): string {
  return `${GATEWAY}---\n${SERVICES}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: root
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
${rootHttp}---
${delegates}`;
}

function delegateVs(name: string, http: string, extra = '', namespace = 'default'): string {
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
${extra}  http:
${http}`;
}

describe('delegate', () => {
  test("the delegate's routes replace the root route, in order, with matches merged and root fields inherited", async () => {
    const s = await compileOk(
      delegation(
        `  - name: reviews
    match:
    - uri: { prefix: /reviews }
      headers: { end-user: { exact: jason } }
    timeout: 3s
    delegate: { name: reviews }
  - name: rest
${TO_BACKEND}`,
        delegateVs(
          'reviews',
          `  - name: v2
    match:
    - uri: { prefix: /reviews/v2 }
      headers: { x-canary: { exact: "1" } }
    route:
    - destination: { host: backend, subset: v2 }
  - route:
    - destination: { host: backend, subset: v1 }
    timeout: 1s
`,
        ),
      ),
    );
    const ids = [...routesById(s).keys()];
    assert.deepEqual(ids, ['default/root/reviews/v2', 'default/root/reviews/1', 'default/root/rest']);
    const v2 = route(s, 'default/root/reviews/v2');
    assert.equal(v2.name, 'reviews-v2', "Istio's merged name");
    assert.equal(v2.matches!.length, 1);
    const m = v2.matches![0]!;
    assert.deepEqual(m.uri, { kind: 'prefix', value: '/reviews/v2' });
    assert.deepEqual(
      m.headers!.map((h) => [h.name, h.match]),
      [['end-user', { kind: 'exact', value: 'jason' }], ['x-canary', { kind: 'exact', value: '1' }]],
      "root's and delegate's conditions, both",
    );
    assert.equal(v2.timeoutMs, 3000, 'inherited from the root');
    assert.equal(v2.clusters[0]!.cluster, 'outbound|8000|v2|backend.default.svc.cluster.local');
    const fallback = route(s, 'default/root/reviews/1');
    assert.equal(fallback.name, 'reviews');
    assert.deepEqual(fallback.matches![0]!.uri, { kind: 'prefix', value: '/reviews' }, "a delegate route without match takes the root's");
    assert.equal(fallback.timeoutMs, 1000, "the delegate's own value wins");
  });

  test('a delegate route matching outside its root is dropped with a warning; one of several root matches suffices', async () => {
    const result = await compileYaml(
      delegation(
        `  - match:
    - uri: { prefix: /a }
    - uri: { prefix: /b }
    delegate: { name: d }
`,
        delegateVs(
          'd',
          `  - name: inside
    match: [{ uri: { prefix: /b/x } }]
${TO_BACKEND}  - name: outside
    match: [{ uri: { prefix: /c } }]
${TO_BACKEND}  - name: regex
    match: [{ uri: { regex: "/a/.*" } }]
${TO_BACKEND}`,
        ),
      ),
    );
    assert.ok(result.snapshot, result.diagnostics.map(formatDiagnostic).join('\n'));
    const conflicts = result.diagnostics.filter((d) => d.code === 'DELEGATE_MATCH_CONFLICT').map((d) => d.field);
    assert.deepEqual(conflicts, ['spec.http[1].match', 'spec.http[2].match']);
    const inside = route(result.snapshot, 'default/root/0/inside');
    assert.deepEqual(inside.matches!.map((m) => m.uri), [{ kind: 'prefix', value: '/b/x' }], 'only the root match that contains it');
    assert.equal(routesById(result.snapshot).size, 1);
  });

  test("the root match's gateways and port carry into the delegate's routes (Istio's match scopes)", async () => {
    const delegateRoutes = delegateVs('d', `  - name: a
    match: [{ uri: { prefix: /a } }]
${TO_BACKEND}`);
    const here = await compileOk(delegation(`  - name: r
    match: [{ gateways: [gw] }]
    delegate: { name: d }
`, delegateRoutes));
    assert.deepEqual([...routesById(here).keys()], ['default/root/r/a']);
    const elsewhere = await compileYaml(delegation(`  - name: r
    match: [{ port: 8443 }]
    delegate: { name: d }
`, delegateRoutes));
    assert.ok(elsewhere.snapshot, elsewhere.diagnostics.map(formatDiagnostic).join('\n'));
    assert.equal(routesById(elsewhere.snapshot).size, 0, 'a root match for another port keeps its delegated routes off this listener');
  });

  test("a delegate in another namespace resolves its short hosts in its own namespace", async () => {
    const result = await compileYaml(
      delegation(
        `  - delegate: { name: d, namespace: team }
`,
        delegateVs('d', `  - route:
    - destination: { host: backend }
`, '', 'team'),
      ),
    );
    const unknown = result.diagnostics.find((d) => d.code === 'UNKNOWN_HOST');
    assert.ok(unknown, result.diagnostics.map(formatDiagnostic).join('\n'));
    assert.equal(unknown.namespace, 'team', 'reported against the delegate');
    assert.match(unknown.message, /backend\.team\.svc\.cluster\.local/);
  });

  test('errors: a missing delegate, a delegate with hosts, gateways on a delegate, two levels, route with delegate', async () => {
    const missing = await compileYaml(delegation(`  - delegate: { name: nope }
`, delegateVs('d', TO_BACKEND.replace('    route', '  - route'))));
    expectDiagnostic(missing, 'UNKNOWN_DELEGATE', 'spec.http[0].delegate', 'delegate:');
    const hosts = await compileYaml(delegation(`  - delegate: { name: d }
`, delegateVs('d', `  - route:
    - destination: { host: backend }
`, '  hosts: [x.example]\n')));
    const h = expectDiagnostic(hosts, 'UNKNOWN_DELEGATE', 'spec.http[0].delegate', 'delegate:');
    assert.match(h.message, /has hosts/);
    const gateways = await compileYaml(delegation(`  - delegate: { name: d }
`, delegateVs('d', `  - route:
    - destination: { host: backend }
`, '  gateways: [gw]\n')));
    expectDiagnostic(gateways, 'INVALID_DELEGATE', 'spec.gateways', null);
    const nested = await compileYaml(delegation(`  - delegate: { name: d }
`, `${delegateVs('d', `  - delegate: { name: e }
`)}---
${delegateVs('e', `  - route:
    - destination: { host: backend }
`)}`));
    expectDiagnostic(nested, 'INVALID_DELEGATE', 'spec.http[0].delegate', null);
    const both = await compileYaml(delegation(`  - delegate: { name: d }
${TO_BACKEND}`, delegateVs('d', `  - route:
    - destination: { host: backend }
`)));
    expectDiagnostic(both, 'ROUTE_ACTION_CONFLICT', 'spec.http[0].route', null);
  });
});
