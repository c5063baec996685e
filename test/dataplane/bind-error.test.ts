/** How a bind failure names its listener, for each kind of listener and system error. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isBindFailure, ListenerBindError, WorkerBindError } from '../../src/dataplane/bind-error.ts';
import { domainTable } from '../../src/snapshot/domain-table.ts';
import type { Listener } from '../../src/snapshot/types.ts';

const inUse = Object.assign(new Error('listen EADDRINUSE: address already in use 0.0.0.0:8080'), { code: 'EADDRINUSE' });
const source = { file: 'gw.yaml', line: 7, column: 5, kind: 'Gateway', namespace: 'default', name: 'edge' };

function listener(extra: Partial<Listener>): Listener {
  return {
    name: '0.0.0.0_8080',
    gateways: ['default/edge'],
    address: '0.0.0.0',
    port: 8080,
    protocol: 'HTTP',
    tls: null,
    virtualHosts: { all: [], ...domainTable([]) },
    sources: [source],
    ...extra,
  };
}

test('a Gateway listener names its Gateways and servers', () => {
  const one = new ListenerBindError({ kind: 'listener', listener: listener({ servers: [{ gateway: 'default/edge', server: 'http' }] }) }, inUse);
  assert.equal(one.message, 'could not bind 0.0.0.0:8080 for listener 0.0.0.0_8080 (Gateway default/edge, server http): address already in use');
  assert.equal(one.reason, 'EADDRINUSE');
  assert.equal(one.listener, '0.0.0.0_8080');
  assert.deepEqual(one.source, source);
  const several = new ListenerBindError(
    {
      kind: 'listener',
      listener: listener({
        servers: [
          { gateway: 'default/edge', server: 'http' },
          { gateway: 'default/edge', server: 'http-alt' },
          { gateway: 'team/other', server: 'servers[0]' },
        ],
      }),
    },
    inUse,
  );
  assert.equal(
    several.message,
    'could not bind 0.0.0.0:8080 for listener 0.0.0.0_8080 (Gateway default/edge, servers http and http-alt; Gateway team/other, server servers[0]): address already in use',
  );
});

test('the admin and mesh listeners, IPv6, and other system errors', () => {
  const denied = Object.assign(new Error('listen EACCES'), { code: 'EACCES' });
  assert.equal(
    new ListenerBindError({ kind: 'admin', address: '::1', port: 80 }, denied).message,
    'could not bind the admin listener [::1]:80: permission denied (ports below 1024 need privileges)',
  );
  const mesh = listener({ name: 'mesh_127.0.0.1_15001', address: '127.0.0.1', port: 15001, matchPortInHost: true, gateways: ['mesh'], sources: [] });
  const error = new ListenerBindError({ kind: 'listener', listener: mesh }, new Error('boom'));
  assert.equal(error.message, 'could not bind 127.0.0.1:15001 for the mesh listener mesh_127.0.0.1_15001 (--mesh-listener): boom');
  assert.equal(error.reason, '');
  assert.equal(error.source, null);
  assert.ok(isBindFailure(error) && isBindFailure(new WorkerBindError('x')) && !isBindFailure(inUse));
});
