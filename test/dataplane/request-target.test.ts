/** The request target and authority checks the proxy runs before routing (RFC 9112 §3.2, RFC 3986 §3.2). */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { hasOneHostLine, isValidAuthority, readRequestTarget } from '../../src/dataplane/request-target.ts';

function req(url: string, rawHeaders: string[]): IncomingMessage {
  const headers: Record<string, string> = {};
  for (let i = 0; i < rawHeaders.length; i += 2) headers[rawHeaders[i]!.toLowerCase()] ??= rawHeaders[i + 1]!;
  return { url, rawHeaders, headers } as unknown as IncomingMessage;
}

test('origin-form routes on Host; absolute-form on its own authority, whatever Host says', () => {
  assert.deepEqual(readRequestTarget(req('/a?b=1', ['Host', 'app.test'])), { path: '/a', query: 'b=1', authority: 'app.test' });
  assert.deepEqual(readRequestTarget(req('http://o.example/x', ['Host', 'app.test'])), { path: '/x', query: '', authority: 'o.example' });
  assert.deepEqual(readRequestTarget(req('https://o.example:8443', ['Host', 'a'])), { path: '/', query: '', authority: 'o.example:8443' });
  assert.deepEqual(readRequestTarget(req('HTTP://o.example?q', ['Host', 'a'])), { path: '/', query: 'q', authority: 'o.example' });
});

test('two Host lines, a fragment, another scheme or an invalid authority are refused', () => {
  assert.equal(readRequestTarget(req('/a', ['Host', 'a', 'host', 'b'])), null);
  assert.equal(readRequestTarget(req('/a#f', ['Host', 'a'])), null);
  assert.equal(readRequestTarget(req('ftp://a/', ['Host', 'a'])), null);
  assert.equal(readRequestTarget(req('http:///a', ['Host', 'a'])), null);
  assert.equal(readRequestTarget(req('/a', [])), null);
  assert.equal(hasOneHostLine(['Host', 'a', 'X-Host', 'b']), true);
});

test('authority syntax', () => {
  for (const ok of ['a', 'app.test', 'app.test:80', '127.0.0.1:8080', '[::1]', '[::1]:443', 'xn--bcher-kva.example', 'a_b', 'a%41']) {
    assert.equal(isValidAuthority(ok), true, ok);
  }
  for (const bad of ['', ':80', 'a b', 'a/b', 'u@a', 'a:x', 'a:123456', '[::1', 'a\tb', 'a%4', 'a?']) {
    assert.equal(isValidAuthority(bad), false, bad);
  }
});
