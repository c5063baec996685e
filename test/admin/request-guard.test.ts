/**
 * The admin server cannot be driven from a web page: a rebinding page's Host, a cross-site form or
 * fetch, and a text/plain body are refused before any endpoint runs; curl-style clients are not.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { AdminRequestGuard, InvalidAllowedHostError, parseAuthority } from '../../src/admin/request-guard.ts';
import { requestVia, waitFor } from '../support/index.ts';
import { adminTestConfig, refusalCode, sendJson, startAdminRuntime } from './admin-runtime.ts';

const MIRROR_ALL = { destination: { host: 'httpbin-next' }, percentage: 100, enabled: true };

describe('Host check (DNS rebinding)', () => {
  test('GET /config_dump with a foreign Host is refused with 421 and no config in the body', async (t) => {
    const { admin, adminPort } = await startAdminRuntime(t);
    for (const host of [`rebind.attacker.example:${adminPort}`, 'rebind.attacker.example', `127.0.0.1.nip.io:${adminPort}`, `localhost.attacker.example:${adminPort}`]) {
      const response = await requestVia(`${admin}/config_dump`, { host });
      assert.equal(refusalCode(response, 421), 'ADMIN_HOST_NOT_ALLOWED', host);
      assert.doesNotMatch(response.text(), /outbound\|/, 'nothing of the config leaks');
    }
    // Every endpoint, not only the dump.
    for (const path of ['/stats', '/stats/prometheus', '/api/routes', '/healthz', '/nope']) {
      assert.equal(refusalCode(await requestVia(`${admin}${path}`, { host: 'evil.example' }), 421), 'ADMIN_HOST_NOT_ALLOWED', path);
    }
  });

  test('loopback names with or without a port, and the bound address, are answered', async (t) => {
    const { admin, adminPort } = await startAdminRuntime(t);
    for (const host of [`127.0.0.1:${adminPort}`, '127.0.0.1', `localhost:${adminPort}`, 'localhost', 'LOCALHOST:8080', `[::1]:${adminPort}`, '[::1]']) {
      assert.equal((await requestVia(`${admin}/config_dump`, { host })).status, 200, host);
    }
  });

  test('--admin-allowed-hosts adds names (any port) and HOST:PORT entries (that port only)', async (t) => {
    const { admin } = await startAdminRuntime(t, { admin: { allowedHosts: ['gw.internal', 'ops.example:9000', '[fd00::5]:15000'] } });
    const status = async (host: string) => (await requestVia(`${admin}/api/routes`, { host })).status;
    assert.equal(await status('gw.internal'), 200);
    assert.equal(await status('GW.Internal:15000'), 200);
    assert.equal(await status('ops.example:9000'), 200);
    assert.equal(await status('[fd00::5]:15000'), 200);
    assert.equal(await status('ops.example:9001'), 421);
    assert.equal(await status('ops.example'), 421, 'no port means port 80, which the entry does not allow');
    assert.equal(await status('sub.gw.internal'), 421, 'entries are exact names, not suffixes');
    assert.equal(await status('evil.example'), 421);
  });

  test('an allow-list entry that is not a host is refused at construction', () => {
    assert.throws(() => new AdminRequestGuard({ token: null, allowedHosts: ['http://x/'] }), InvalidAllowedHostError);
    assert.throws(() => new AdminRequestGuard({ token: null, allowedHosts: ['a b'] }), InvalidAllowedHostError);
    assert.deepEqual(parseAuthority('[::1]:15000'), { name: '::1', port: 15000 });
    assert.deepEqual(parseAuthority('Example.COM.'), { name: 'example.com', port: null });
    assert.equal(parseAuthority('x:99999'), null);
    assert.equal(parseAuthority('user@host'), null);
  });
});

describe('cross-site requests (CSRF)', () => {
  test('a cross-site form POST /reload is refused and reloads nothing', async (t) => {
    const { admin, adminPort, runtime, file, primary, shadow } = await startAdminRuntime(t);
    const version = runtime.controller.snapshot!.version;
    // Were it reloaded, this file would turn mirroring on.
    writeFileSync(file, adminTestConfig(primary.port, shadow.port, 'mirror: { host: httpbin-next, port: { number: 80 } }'));
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const attempts: Record<string, string>[] = [
      { origin: 'http://attacker.example', 'sec-fetch-site': 'cross-site', ...form },
      { origin: 'null', ...form },
      { 'sec-fetch-site': 'same-site', ...form },
      { origin: `http://localhost:${adminPort}` }, // another origin than the one the request was sent to
      { origin: `http://127.0.0.1:${adminPort + 1}` },
      { origin: 'file://' },
      { 'sec-fetch-site': 'cross-site' },
    ];
    for (const headers of attempts) {
      const response = await requestVia(`${admin}/reload`, { method: 'POST', headers, body: '' });
      assert.equal(refusalCode(response, 403), 'ADMIN_CROSS_SITE', JSON.stringify(headers));
    }
    // A form without Origin (an old browser) still names a content type that is not JSON.
    assert.equal(refusalCode(await requestVia(`${admin}/reload`, { method: 'POST', headers: form, body: '' }), 415), 'ADMIN_UNSUPPORTED_MEDIA_TYPE');
    assert.equal(refusalCode(await requestVia(`${admin}/reload`, { method: 'POST', headers: form, body: 'a=1' }), 415), 'ADMIN_UNSUPPORTED_MEDIA_TYPE');
    assert.deepEqual(runtime.controller.reloads, { success: 1, failure: 0 }, 'only the start-up load ran');
    assert.equal(runtime.controller.snapshot!.version, version);

    // The admin's own page, a user typing the URL, and curl may reload.
    const own = await requestVia(`${admin}/reload`, { method: 'POST', headers: { origin: admin, 'sec-fetch-site': 'same-origin' } });
    assert.equal(own.status, 200, own.text());
    assert.equal((await requestVia(`${admin}/reload`, { method: 'POST', headers: { 'sec-fetch-site': 'none' } })).status, 200);
    // Behind a TLS-terminating proxy the page's origin is https with the same host.
    assert.equal((await requestVia(`${admin}/reload`, { method: 'POST', headers: { origin: `https://127.0.0.1:${adminPort}` } })).status, 200);
    assert.equal((await requestVia(`${admin}/reload`, { method: 'POST' })).status, 200);
    assert.equal((await sendJson(`${admin}/reload`, 'POST', {})).status, 200, 'a JSON body is accepted too');
    assert.notEqual(runtime.controller.snapshot!.version, version);
  });

  test('a text/plain PUT (or one without a content type) does not change a mirror', async (t) => {
    const { admin, url, runtime, shadow } = await startAdminRuntime(t);
    const mirrorUrl = `${admin}/api/routes/default/httpbin/main/mirror`;
    const body = JSON.stringify(MIRROR_ALL);
    const types: Record<string, string>[] = [{ 'content-type': 'text/plain' }, { 'content-type': 'text/plain;charset=UTF-8' }, {}, { 'content-type': 'application/jsonp' }];
    for (const headers of types) {
      const response = await requestVia(mirrorUrl, { method: 'PUT', headers, body });
      assert.equal(refusalCode(response, 415), 'ADMIN_UNSUPPORTED_MEDIA_TYPE', JSON.stringify(headers));
    }
    // JSON from another site is refused for its origin.
    const crossSite = await sendJson(mirrorUrl, 'PUT', MIRROR_ALL, { headers: { origin: 'http://attacker.example' } });
    assert.equal(refusalCode(crossSite, 403), 'ADMIN_CROSS_SITE');
    const crossSiteDelete = await requestVia(mirrorUrl, { method: 'DELETE', headers: { 'sec-fetch-site': 'cross-site' } });
    assert.equal(refusalCode(crossSiteDelete, 403), 'ADMIN_CROSS_SITE');

    assert.equal(runtime.controller.overrides.size, 0);
    assert.doesNotMatch((await requestVia(`${admin}/config_dump`)).text(), /request_mirror_policies/);
    await requestVia(`${url}/anything/after`, { host: 'httpbin' });
    assert.equal(shadow.count, 0, 'nothing is mirrored');

    // The same body as application/json (charset allowed) applies.
    const ok = await requestVia(mirrorUrl, { method: 'PUT', headers: { 'content-type': 'application/json; charset=utf-8' }, body });
    assert.equal(ok.status, 200, ok.text());
    await requestVia(`${url}/anything/mirrored`, { host: 'httpbin' });
    await waitFor(() => shadow.count === 1, { description: 'the JSON PUT mirrors' });
  });

  test('reads need only the Host check: a cross-site GET is answered (the browser keeps it from the page)', async (t) => {
    const { admin } = await startAdminRuntime(t);
    const response = await requestVia(`${admin}/stats`, { headers: { origin: 'http://attacker.example', 'sec-fetch-site': 'cross-site' } });
    assert.equal(response.status, 200);
    assert.equal(response.headers['access-control-allow-origin'], undefined, 'no CORS: the page cannot read it');
  });
});

describe('admin token', () => {
  test('401 with WWW-Authenticate: Bearer without or with a wrong token; the right one is accepted', async (t) => {
    const { admin } = await startAdminRuntime(t, { admin: { token: 's3cret-token' } });
    for (const authorization of [undefined, 'Bearer nope', 'Bearer s3cret-token2', 'Bearer s3cret-toke', 's3cret-token', 'Basic czNjcmV0LXRva2Vu']) {
      const response = await requestVia(`${admin}/config_dump`, { headers: authorization === undefined ? {} : { authorization } });
      assert.equal(refusalCode(response, 401), 'ADMIN_UNAUTHORIZED', String(authorization));
      assert.equal(response.headers['www-authenticate'], 'Bearer');
    }
    assert.equal((await requestVia(`${admin}/config_dump`, { headers: { authorization: 'Bearer s3cret-token' } })).status, 200);
    // The token does not lift the other checks.
    const foreign = await requestVia(`${admin}/config_dump`, { host: 'evil.example', headers: { authorization: 'Bearer s3cret-token' } });
    assert.equal(refusalCode(foreign, 421), 'ADMIN_HOST_NOT_ALLOWED');
    const crossSite = await requestVia(`${admin}/reload`, {
      method: 'POST',
      headers: { authorization: 'Bearer s3cret-token', origin: 'http://attacker.example' },
    });
    assert.equal(refusalCode(crossSite, 403), 'ADMIN_CROSS_SITE');
  });
});
