import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyHeaderOperations, downstreamResponseHeaders, forwardedRequestHeaders } from '../../src/dataplane/headers.ts';

const info = { clientAddress: '127.0.0.9', scheme: 'http' as const };

describe('forwardedRequestHeaders', () => {
  test('drops hop-by-hop headers and those named in Connection', () => {
    const out = forwardedRequestHeaders(
      { connection: 'keep-alive, x-hop', 'keep-alive': 'timeout=5', 'x-hop': '1', te: 'trailers', 'transfer-encoding': 'chunked', upgrade: 'h2c', accept: '*/*', host: 'shop.example' },
      info,
    );
    for (const name of ['connection', 'keep-alive', 'x-hop', 'te', 'transfer-encoding', 'upgrade']) assert.equal(out[name], undefined, name);
    assert.equal(out.accept, '*/*');
  });

  test('sets x-forwarded-* and generates x-request-id only when absent', () => {
    const fresh = forwardedRequestHeaders({ host: 'shop.example' }, info);
    assert.equal(fresh['x-forwarded-for'], '127.0.0.9');
    assert.equal(fresh['x-forwarded-proto'], 'http');
    assert.equal(fresh['x-forwarded-host'], undefined, "Istio's gateway does not add it");
    assert.match(String(fresh['x-request-id']), /^[0-9a-f-]{36}$/);
    const kept = forwardedRequestHeaders({ 'x-request-id': 'abc', 'x-forwarded-for': '10.0.0.1' }, info);
    assert.equal(kept['x-request-id'], 'abc');
    assert.equal(kept['x-forwarded-for'], '10.0.0.1, 127.0.0.9', 'appends to the chain');
  });
});

describe('header operations', () => {
  test('set, then add, then remove', () => {
    const headers: Record<string, string | string[]> = { a: '1', b: '2', c: '3' };
    applyHeaderOperations(headers, { set: [['a', 'x']], add: [['b', 'y'], ['d', 'z']], remove: ['c'] });
    assert.deepEqual(headers, { a: 'x', b: ['2', 'y'], d: 'z' });
  });

  test('response headers lose hop-by-hop ones and get route then destination operations', () => {
    const out = downstreamResponseHeaders(
      { connection: 'close', 'keep-alive': 'x', 'content-type': 'text/plain', server: 'up' },
      { request: null, response: { set: [['x-route', 'r']], add: [], remove: ['server'] } },
      { cluster: 'c', weight: 100, headers: { request: null, response: { set: [['x-route', 'd']], add: [], remove: [] } } },
    );
    assert.deepEqual(out, { 'content-type': 'text/plain', 'x-route': 'd' });
  });
});
