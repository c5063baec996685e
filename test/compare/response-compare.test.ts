import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { describe, test } from 'node:test';
import { DEFAULT_JSON_DIFF_RULES } from '../../src/compare/json-diff.ts';
import { type CapturedResponse, compareResponses, type ResponseCompareRules } from '../../src/compare/response-compare.ts';

const rules: ResponseCompareRules = { json: DEFAULT_JSON_DIFF_RULES, ignoreHeaders: new Set(['x-served-by']), maxBodyBytes: 1 << 20 };

function response(body: string | Buffer, headers: Record<string, string> = {}, status = 200, truncated = false): CapturedResponse {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  return { status, headers: { 'content-type': 'application/json', 'content-length': String(bytes.length), ...headers }, body: bytes, truncated };
}

describe('compareResponses', () => {
  test('equal JSON, different formatting and ignored headers: match', () => {
    const a = response('{"a":1,"b":[1,2]}', { 'x-served-by': 'one', date: 'Mon' });
    const b = response('{ "b": [1, 2], "a": 1 }', { 'x-served-by': 'two', date: 'Tue' });
    assert.deepEqual(compareResponses(a, b, rules), { result: 'match' });
  });
  test('status, header and JSON field differences, each with where it is', () => {
    const out = compareResponses(response('{"a":1}', { etag: '1' }), response('{"a":2}', { etag: '2' }, 500), rules);
    assert.equal(out.result, 'differ');
    assert.deepEqual(
      out.result === 'differ' && out.differences.map((d) => `${d.where} ${d.path}`),
      ['status status', 'header etag', 'body $.a'],
    );
  });
  test('gzip bodies are compared decoded', () => {
    const a = response(gzipSync('{"a":1}'), { 'content-encoding': 'gzip' });
    const b = response('{"a":1}');
    assert.equal(compareResponses(a, b, rules).result, 'differ', 'content-encoding itself differs');
    const c = response(gzipSync('{"a":1}'), { 'content-encoding': 'gzip' });
    assert.deepEqual(compareResponses(a, c, rules), { result: 'match' });
  });
  test('text as text, other types as bytes', () => {
    const text = compareResponses(response('hello', { 'content-type': 'text/plain' }), response('hullo', { 'content-type': 'text/plain' }), rules);
    assert.equal(text.result === 'differ' && text.differences[0]!.primary, 'hello');
    const bytes = compareResponses(
      response(Buffer.from([1, 2]), { 'content-type': 'image/png' }),
      response(Buffer.from([1, 3]), { 'content-type': 'image/png' }),
      rules,
    );
    assert.equal(bytes.result === 'differ' && bytes.differences[0]!.primary, '2 bytes');
  });
  test('what cannot be compared honestly is skipped with a reason', () => {
    assert.deepEqual(compareResponses(response('{"a":', {}, 200, true), response('{"a":1}'), rules), { result: 'skipped', reason: 'body_too_large' });
    const stream = { ...response('data: 1\n\n', { 'content-type': 'text/event-stream' }) };
    assert.deepEqual(compareResponses(stream, stream, rules), { result: 'skipped', reason: 'streaming' });
    assert.deepEqual(compareResponses(response('{"a":'), response('{"a":1}'), rules), { result: 'skipped', reason: 'invalid_json' });
    const bomb = response(gzipSync(Buffer.alloc(4 << 20)), { 'content-encoding': 'gzip' });
    assert.deepEqual(compareResponses(bomb, bomb, rules), { result: 'skipped', reason: 'undecodable' });
  });
});
