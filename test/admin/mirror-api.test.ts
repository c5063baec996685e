/**
 * The runtime mirror-policy API refuses what it cannot apply, and a refusal changes nothing: the
 * config dump shows the same policies and the backends see the same traffic.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { requestVia, waitFor, type ViaResponse } from '../support/index.ts';
import { sendJson, startAdminRuntime, type AdminRuntime } from './admin-runtime.ts';

const MIRROR = 'mirror: { host: httpbin-next, port: { number: 80 } }\nmirrorPercentage: { value: 100 }';

/** What an outside observer sees of the route's mirror: the dump's policies and the API's override. */
async function mirrorState(admin: string): Promise<{ dumped: unknown; override: unknown; version: string }> {
  const dump = (await requestVia(`${admin}/config_dump`)).json<{ configs: Record<string, unknown>[] }>();
  const routes = dump.configs.find((c) => String(c['@type']).endsWith('RoutesConfigDump')) as {
    dynamic_route_configs: { version_info: string; route_config: { virtual_hosts: { routes: { route: Record<string, unknown> }[] }[] } }[];
  };
  const config = routes.dynamic_route_configs[0]!;
  const route = config.route_config.virtual_hosts[0]!.routes[0]!.route;
  const listed = (await requestVia(`${admin}/api/routes`)).json<{ routes: { override: unknown }[] }>().routes[0]!;
  return { dumped: route.request_mirror_policies ?? null, override: listed.override, version: config.version_info };
}

/** Sends one request through the gateway and waits for its copy (or checks there was none). */
async function mirroredCopies(gateway: AdminRuntime, path: string): Promise<number> {
  await requestVia(`${gateway.url}${path}`, { host: 'httpbin' });
  await waitFor(() => gateway.runtime.gateway!.shadowsInFlight === 0);
  return gateway.shadow.received.filter((r) => r.url === path).length;
}

function errorsOf(response: ViaResponse): { code: string; field: string; message: string }[] {
  return response.json<{ errors: { code: string; field: string; message: string }[] }>().errors;
}

describe('PUT /api/routes/{id}/mirror refusals change nothing', () => {
  test('bad JSON, wrong shapes and invalid policies are 400 with codes; the dump and the shadow are unchanged', async (t) => {
    const gateway = await startAdminRuntime(t, { routeExtra: MIRROR });
    const { admin } = gateway;
    const before = await mirrorState(admin);
    assert.ok(Array.isArray(before.dumped), 'the configured mirror is dumped');
    assert.equal(await mirroredCopies(gateway, '/anything/before'), 1);

    const url = `${admin}/api/routes/default/httpbin/main/mirror`;
    const badJson = await sendJson(url, 'PUT', '{"destination": {"host": "httpbin-next"');
    assert.equal(badJson.status, 400);
    assert.deepEqual(errorsOf(badJson).map((e) => e.code), ['INVALID_JSON']);
    assert.equal((await sendJson(url, 'PUT', '')).status, 400, 'an empty body is not JSON');

    const shapes: [unknown, string][] = [
      [[], ''],
      [{ percentage: 10 }, 'destination'],
      [{ destination: { host: 'httpbin-next' }, percentage: 150 }, 'percentage'],
      [{ destination: { host: 'httpbin-next' }, percentage: -1 }, 'percentage'],
      [{ destination: { host: 'httpbin-next', port: 70000 } }, 'destination.port'],
      [{ destination: { host: 'httpbin-next' }, enabled: 'yes' }, 'enabled'],
      [{ destination: { host: 'httpbin-next' }, fraction: 0.5 }, ''],
    ];
    for (const [body, field] of shapes) {
      const response = await sendJson(url, 'PUT', body);
      assert.equal(response.status, 400, JSON.stringify(body));
      const errors = errorsOf(response);
      assert.ok(errors.every((e) => e.code === 'INVALID_FIELD'), JSON.stringify(errors));
      assert.ok(errors.some((e) => e.field === field), `${JSON.stringify(body)}: ${JSON.stringify(errors)}`);
    }

    const policies: [unknown, string][] = [
      [{ destination: { host: 'no-such-service' } }, 'UNKNOWN_HOST'],
      [{ destination: { host: 'tcp-echo' } }, 'MIRROR_PROTOCOL'],
      [{ destination: { host: 'httpbin-next', port: 81 } }, 'UNKNOWN_PORT'],
      [{ destination: { host: 'httpbin-next', subset: 'v9' } }, 'UNKNOWN_SUBSET'],
    ];
    for (const [body, code] of policies) {
      const response = await sendJson(url, 'PUT', body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.ok(errorsOf(response).some((e) => e.code === code), `${JSON.stringify(body)}: ${response.text()}`);
    }

    const tooLarge = await sendJson(url, 'PUT', JSON.stringify({ destination: { host: 'httpbin-next' }, pad: 'x'.repeat(70_000) }));
    assert.equal(tooLarge.status, 413);

    assert.deepEqual(await mirrorState(admin), before, 'no refusal changed the dump, the override or the version');
    assert.equal(gateway.runtime.controller.overrides.size, 0);
    assert.equal(await mirroredCopies(gateway, '/anything/after'), 1, 'the configured mirror still copies every request');
  });

  test('unknown route ids are 404 for PUT and DELETE; DELETE without an override is 404; other methods 405', async (t) => {
    const gateway = await startAdminRuntime(t);
    const { admin } = gateway;
    const before = await mirrorState(admin);
    const body = { destination: { host: 'httpbin-next' }, percentage: 100 };
    for (const id of ['default/nope/main', 'default/httpbin/other', 'default%2Fhttpbin', 'x']) {
      assert.equal((await sendJson(`${admin}/api/routes/${id}/mirror`, 'PUT', body)).status, 404, id);
      assert.equal((await requestVia(`${admin}/api/routes/${id}/mirror`, { method: 'DELETE' })).status, 404, id);
    }
    assert.equal((await requestVia(`${admin}/api/routes/default/httpbin/main/mirror`, { method: 'DELETE' })).status, 404);
    assert.equal((await sendJson(`${admin}/api/routes/default/httpbin/main/mirror`, 'POST', body)).status, 405);
    assert.deepEqual(await mirrorState(admin), before);
    assert.equal(await mirroredCopies(gateway, '/anything/unknown-ids'), 0, 'nothing started mirroring');
  });
});
