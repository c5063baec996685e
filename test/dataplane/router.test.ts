import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RequestMatch, Route, StringMatch, VirtualHost, VirtualHostTable } from '../../src/snapshot/types.ts';
import { findVirtualHost, hostWithoutPort, rewritePath, selectRoute } from '../../src/dataplane/router.ts';
import { compileRe2 } from '../../src/config/compile/regex.ts';
import { Re2Regex } from '../../src/snapshot/regex.ts';

const source = { file: 't.yaml', line: 1, column: 1, kind: 'VirtualService', namespace: 'default', name: 't' };

function match(partial: Partial<RequestMatch>): RequestMatch {
  return {
    uri: null, ignoreUriCase: false, method: null, authority: null, headers: null, withoutHeaders: null,
    queryParams: null, ...partial,
  };
}

function route(id: string, matches: RequestMatch[] | null, rewrite: Route['rewrite'] = null): Route {
  return {
    id, name: id, matches, clusters: [{ cluster: id, weight: 100, headers: null }], totalWeight: 100, rewrite,
    timeoutMs: null, retry: null, headers: null, mirrors: null, fault: null, redirect: null, directResponse: null, cors: null, source,
  };
}

const exact = (value: string): StringMatch => ({ kind: 'exact', value });
const prefix = (value: string): StringMatch => ({ kind: 'prefix', value });
function re2(source: string): Re2Regex {
  const compiled = compileRe2(source, false);
  assert.ok(compiled instanceof Re2Regex, `test pattern ${source} must compile`);
  return compiled;
}
const regex = (value: string): StringMatch => ({ kind: 'regex', value, regex: re2(value) });

function request(path: string, extra: { method?: string; query?: string; headers?: Record<string, string>; authority?: string } = {}) {
  return { method: extra.method ?? 'GET', path, query: extra.query ?? '', authority: extra.authority ?? 'h', headers: extra.headers ?? {} };
}

describe('virtual host lookup', () => {
  const vh = (name: string): VirtualHost => ({ name, domains: [name], gateways: [], routes: [] });
  const table: VirtualHostTable = {
    all: [],
    exact: new Map([['api.example.com', vh('exact')]]),
    suffixes: [
      { suffix: '.eu.example.com', value: vh('eu') },
      { suffix: '.example.com', value: vh('wild') },
    ],
    catchAll: vh('any'),
  };

  test('exact beats the longest suffix, which beats *', () => {
    assert.equal(findVirtualHost(table, 'api.example.com')?.name, 'exact');
    assert.equal(findVirtualHost(table, 'API.Example.com:8443')?.name, 'exact', 'case and port are ignored');
    assert.equal(findVirtualHost(table, 'x.eu.example.com')?.name, 'eu');
    assert.equal(findVirtualHost(table, 'www.example.com')?.name, 'wild');
    assert.equal(findVirtualHost(table, 'example.com')?.name, 'any', 'a wildcard needs a non-empty label');
    assert.equal(findVirtualHost(table, 'other.org')?.name, 'any');
  });

  test('no catch-all means no virtual host', () => {
    assert.equal(findVirtualHost({ ...table, catchAll: null }, 'other.org'), null);
  });

  test('hostWithoutPort handles IPv6 literals', () => {
    assert.equal(hostWithoutPort('[::1]:8080'), '[::1]');
    assert.equal(hostWithoutPort('Example.COM'), 'example.com');
  });
});

describe('route selection', () => {
  const routes = [
    route('exact', [match({ uri: exact('/status') })]),
    route('method', [match({ uri: prefix('/orders'), method: exact('POST') })]),
    route('header', [match({ uri: prefix('/orders'), headers: [{ name: 'x-canary', match: exact('yes') }] })]),
    route('without', [match({ uri: prefix('/orders'), withoutHeaders: [{ name: 'x-debug', match: prefix('') }] })]),
    route('query', [match({ queryParams: [{ name: 'v', match: regex('[0-9]+') }] })]),
    route('nocase', [match({ uri: prefix('/api/'), ignoreUriCase: true })]),
    route('regex', [match({ uri: regex('/items/[0-9]+') })]),
    route('either', [match({ uri: exact('/a') }), match({ uri: exact('/b') })]),
    route('fallback', null),
  ];
  const vh: VirtualHost = { name: 'vh', domains: ['*'], gateways: [], routes };
  const pick = (path: string, extra = {}) => selectRoute(vh, request(path, extra))?.route.id;

  test('first matching route wins, in order', () => {
    assert.equal(pick('/status'), 'exact');
    assert.equal(pick('/status/x'), 'fallback', 'exact does not match a longer path');
    assert.equal(pick('/orders/1', { method: 'POST', headers: { 'x-canary': 'yes' } }), 'method');
    assert.equal(pick('/orders/1', { headers: { 'x-canary': 'yes' } }), 'header');
    assert.equal(pick('/orders/1'), 'without');
    assert.equal(pick('/orders/1', { headers: { 'x-debug': '1' } }), 'fallback');
  });

  test('query parameters, case-insensitive uris, anchored regexes, OR of matches', () => {
    assert.equal(pick('/x', { query: 'v=42' }), 'query');
    assert.equal(pick('/x', { query: 'v=4a' }), 'fallback', 'regex must match the whole value');
    assert.equal(pick('/API/Users'), 'nocase');
    assert.equal(pick('/items/17'), 'regex');
    assert.equal(pick('/items/17/extra'), 'fallback', 'regex is anchored at both ends');
    assert.equal(pick('/b'), 'either');
  });

  test('no route matches: null', () => {
    assert.equal(selectRoute({ name: 'vh', domains: [], gateways: [], routes: [routes[0]!] }, request('/nope')), null);
  });
});

describe('rewritePath', () => {
  const rw = (uri: string) => ({ uri, uriRegex: null, authority: null });
  test('a prefix match has its prefix replaced; the query is kept', () => {
    const m = match({ uri: prefix('/v1/') });
    assert.equal(rewritePath(route('r', [m], rw('/api/')), m, '/v1/users', 'a=1'), '/api/users?a=1');
  });
  test('an exact match has the whole path replaced', () => {
    const m = match({ uri: exact('/old') });
    assert.equal(rewritePath(route('r', [m], rw('/new')), m, '/old', ''), '/new');
  });
  test('no uri match behaves as prefix /', () => {
    assert.equal(rewritePath(route('r', null, rw('/v2/')), null, '/users', ''), '/v2/users');
  });
  test('regex rewrite substitutes globally', () => {
    const r = route('r', null, { uri: null, uriRegex: { regex: re2('/v(\\d)/'), rewrite: '/version-$1/' }, authority: null });
    assert.equal(rewritePath(r, null, '/v1/a/v2/b', 'q=1'), '/version-1/a/version-2/b?q=1');
  });
  test('without rewrite the path is untouched', () => {
    assert.equal(rewritePath(route('r', null), null, '/x', ''), '/x');
  });
});
