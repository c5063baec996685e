/**
 * Regression: a config regex with nested quantifiers, `(a+)+$`, against a path, header, query value or
 * rewrite input of a few dozen `a`s and a `!`, blocked the event loop for hours on JavaScript's
 * backtracking RegExp. Matching now runs on RE2 (re2js), linear in the input.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, test } from 'node:test';
import { requestVia, startEchoService } from '../support/index.ts';
import { loopbackGateway, serviceEntry, startGateway } from './harness.ts';

const EVIL = '(a+)+$';
/** 2^60 ways to split the `a`s for a backtracking engine before it gives up on the `!`. */
const ADVERSARIAL = `${'a'.repeat(60)}!`;

describe('regex matching is linear time (ReDoS)', () => {
  test('the backtracking engine it replaced does not finish on the same input within a second', async () => {
    // In a child process with a timeout, so the test runner itself is never blocked.
    const script = `new RegExp(${JSON.stringify(`^(?:${EVIL})$`)}).test(${JSON.stringify(ADVERSARIAL)})`;
    const outcome = await new Promise<{ killed: boolean }>((resolve) => {
      execFile(process.execPath, ['-e', script], { timeout: 1000 }, (error) => resolve({ killed: error?.killed === true }));
    });
    assert.equal(outcome.killed, true, 'RegExp finished: the input is not adversarial enough to show the problem');
  });

  test('uri, header, queryParams and uriRegexRewrite regexes answer adversarial requests promptly', async (t) => {
    const echo = await startEchoService({ name: 'echo' });
    t.after(() => echo.close());
    const yaml = `${loopbackGateway}
${serviceEntry('echo.svc.local', 80, [[echo.port]])}
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: evil }
spec:
  hosts: ["*"]
  gateways: [edge]
  http:
    - name: evil-uri
      match: [{ uri: { regex: "/anything/${EVIL}" } }]
      route: [{ destination: { host: echo.svc.local } }]
    - name: evil-header
      match: [{ headers: { x-evil: { regex: "${EVIL}" } } }]
      route: [{ destination: { host: echo.svc.local } }]
    - name: evil-query
      match: [{ queryParams: { q: { regex: "${EVIL}" } } }]
      route: [{ destination: { host: echo.svc.local } }]
    - name: evil-rewrite
      match: [{ uri: { prefix: /anything/rewrite/ } }]
      rewrite: { uriRegexRewrite: { match: "${EVIL}", rewrite: "b" } }
      route: [{ destination: { host: echo.svc.local } }]
    - name: fallback
      route: [{ destination: { host: echo.svc.local } }]
`;
    const { url } = await startGateway(t, yaml);
    const started = performance.now();
    const [uri, header, query, rewrite, ordinary] = await Promise.all([
      requestVia(`${url}/anything/${ADVERSARIAL}`),
      requestVia(`${url}/anything/h`, { headers: { 'x-evil': ADVERSARIAL } }),
      requestVia(`${url}/anything/q?q=${ADVERSARIAL}`),
      requestVia(`${url}/anything/rewrite/${ADVERSARIAL}`),
      requestVia(`${url}/anything/ordinary`),
    ]);
    const elapsed = performance.now() - started;
    for (const r of [uri, header, query, rewrite, ordinary]) assert.equal(r.status, 200);
    // None of the evil regexes can match (the `!`), so every request fell through to the fallback...
    // (the rewrite found nothing to replace), and the backend saw each path unchanged...
    const urls = echo.received.map((r) => r.url).sort();
    const expected = ['h', 'ordinary', `q?q=${ADVERSARIAL}`, `rewrite/${ADVERSARIAL}`, ADVERSARIAL].map((p) => `/anything/${p}`);
    assert.deepEqual(urls, expected.sort());
    // ...and fast: a generous margin for a loaded machine; the backtracking engine took hours.
    assert.ok(elapsed < 5000, `took ${elapsed.toFixed(0)} ms`);
  });
});
