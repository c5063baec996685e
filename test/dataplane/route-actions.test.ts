/** The route filters' pure parts: Location building, CORS decisions, fault draws. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { corsDecision } from '../../src/dataplane/route-actions/cors.ts';
import { drawAbortStatus, drawDelayMs } from '../../src/dataplane/route-actions/fault.ts';
import { redirectLocation, type RedirectRequest } from '../../src/dataplane/route-actions/redirect.ts';
import type { CorsPolicy, RedirectAction } from '../../src/snapshot/types.ts';

const action = (partial: Partial<RedirectAction>): RedirectAction => ({ scheme: null, host: null, port: null, path: null, responseCode: 301, ...partial });
const request = (partial: Partial<RedirectRequest>): RedirectRequest => ({
  scheme: 'http', authority: 'example.com', path: '/a', query: '', listenerPort: 8080, match: null, ...partial,
});

describe('redirect Location', () => {
  test('IPv6 hosts keep their brackets; the port after them is what gets dropped', () => {
    assert.equal(redirectLocation(action({ port: 9 }), request({ authority: '[::1]:8080' })), 'http://[::1]:9/a');
    assert.equal(redirectLocation(action({ scheme: 'https' }), request({ authority: '[::1]:80' })), 'https://[::1]/a');
    assert.equal(redirectLocation(action({ scheme: 'https' }), request({ authority: '[::1]' })), 'https://[::1]/a');
  });

  test("from https, :443 is dropped when the scheme changes, kept when it does not", () => {
    assert.equal(redirectLocation(action({ scheme: 'http' }), request({ scheme: 'https', authority: 'h:443' })), 'http://h/a');
    assert.equal(redirectLocation(action({ path: '/b' }), request({ scheme: 'https', authority: 'h:443' })), 'https://h:443/b');
  });

  test('a uri without a leading slash gets one; %PREFIX()% on an exact match replaces the whole path', () => {
    assert.equal(redirectLocation(action({ path: 'b' }), request({})), 'http://example.com/b');
    const match = { uri: { kind: 'exact' as const, value: '/a' }, ignoreUriCase: false, method: null, authority: null, headers: null, withoutHeaders: null, queryParams: null };
    assert.equal(redirectLocation(action({ path: '%PREFIX()%/z' }), request({ match, query: 'q=1' })), 'http://example.com/z?q=1');
  });
});

describe('CORS decision', () => {
  const policy = (partial: Partial<CorsPolicy>): CorsPolicy => ({
    allowOrigins: [], allowMethods: '', allowHeaders: '', exposeHeaders: '', maxAge: '', allowCredentials: null,
    forwardNotMatchingPreflights: true, ...partial,
  });

  test('an allowOrigins entry matching "*" allows any origin, echoed back', () => {
    const d = corsDecision(policy({ allowOrigins: [{ kind: 'exact', value: '*' }] }), 'GET', { origin: 'https://x' });
    assert.deepEqual(d, { kind: 'actual', headers: [['access-control-allow-origin', 'https://x']] });
  });

  test('OPTIONS without Access-Control-Request-Method is not a preflight; allowHeaders * echoes the request', () => {
    const p = policy({ allowOrigins: [{ kind: 'prefix', value: 'https://' }], allowHeaders: '*' });
    assert.equal(corsDecision(p, 'OPTIONS', { origin: 'https://x' }).kind, 'actual');
    const pre = corsDecision(p, 'OPTIONS', { origin: 'https://x', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'x-a,x-b' });
    assert.deepEqual(pre, { kind: 'preflight', headers: [['access-control-allow-origin', 'https://x'], ['access-control-allow-headers', 'x-a,x-b']] });
  });

  test('no Origin, or an empty one, is not a CORS request', () => {
    const p = policy({ allowOrigins: [{ kind: 'prefix', value: '' }] });
    assert.equal(corsDecision(p, 'GET', {}).kind, 'none');
    assert.equal(corsDecision(p, 'GET', { origin: '' }).kind, 'none');
  });
});

describe('fault draws', () => {
  const fault = { delay: { delayMs: 7, perMillion: 250_000 }, abort: { httpStatus: 503, perMillion: 1 } };
  test('a draw below the per-million threshold fires; at or above it does not', () => {
    assert.equal(drawDelayMs(fault, () => 0.249_999), 7);
    assert.equal(drawDelayMs(fault, () => 0.25), 0);
    assert.equal(drawAbortStatus(fault, () => 0), 503);
    assert.equal(drawAbortStatus(fault, () => 0.000_001), 0);
    assert.equal(drawAbortStatus({ delay: null, abort: null }, () => 0), 0);
  });
});
