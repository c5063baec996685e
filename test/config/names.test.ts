import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  hostCovers,
  intersectHosts,
  isShortHost,
  resolveHost,
  resolveGatewayName,
  splitServerHost,
} from '../../src/config/names.ts';

describe('resolveHost', () => {
  test('a short name is a service in the referring namespace', () => {
    assert.equal(resolveHost('httpbin', 'default'), 'httpbin.default.svc.cluster.local');
    assert.equal(resolveHost('reviews', 'bookinfo'), 'reviews.bookinfo.svc.cluster.local');
  });
  test('a name with dots is taken as written, lower-cased', () => {
    assert.equal(resolveHost('httpbin.mirror.cluster-b', 'default'), 'httpbin.mirror.cluster-b');
    assert.equal(resolveHost('httpbin.other', 'default'), 'httpbin.other');
    assert.equal(resolveHost('API.Example.com', 'x'), 'api.example.com');
  });
  test('wildcards are kept', () => {
    assert.equal(resolveHost('*', 'default'), '*');
    assert.equal(resolveHost('*.example.com', 'default'), '*.example.com');
  });
  test('isShortHost', () => {
    assert.equal(isShortHost('httpbin'), true);
    assert.equal(isShortHost('httpbin.default'), false);
    assert.equal(isShortHost('*'), false);
  });
});

describe('references', () => {
  test('gateway names resolve in the referring namespace unless qualified', () => {
    assert.equal(resolveGatewayName('gw', 'team-a'), 'team-a/gw');
    assert.equal(resolveGatewayName('istio-system/gw', 'team-a'), 'istio-system/gw');
    // Istio's resolveGatewayName: `./name` is the VirtualService's namespace; the legacy FQDN form names the namespace second.
    assert.equal(resolveGatewayName('./gw', 'team-a'), 'team-a/gw');
    assert.equal(resolveGatewayName('gw.istio-system.svc.cluster.local', 'team-a'), 'istio-system/gw');
    assert.equal(resolveGatewayName('gw.istio-system', 'team-a'), 'istio-system/gw');
  });
  test('server hosts: ns/host prefixes', () => {
    assert.deepEqual(splitServerHost('*/example.com', 'gwns'), { namespace: null, host: 'example.com' });
    assert.deepEqual(splitServerHost('./example.com', 'gwns'), { namespace: 'gwns', host: 'example.com' });
    assert.deepEqual(splitServerHost('team/Example.com', 'gwns'), { namespace: 'team', host: 'example.com' });
    assert.deepEqual(splitServerHost('*', 'gwns'), { namespace: null, host: '*' });
  });
});

describe('host intersection', () => {
  test('covers', () => {
    assert.equal(hostCovers('*', 'anything.io'), true);
    assert.equal(hostCovers('*.a.com', 'b.a.com'), true);
    assert.equal(hostCovers('*.a.com', 'c.b.a.com'), true);
    assert.equal(hostCovers('*.a.com', 'a.com'), false);
    assert.equal(hostCovers('*.a.com', '*.b.a.com'), true);
    assert.equal(hostCovers('*.b.a.com', '*.a.com'), false);
    assert.equal(hostCovers('x.a.com', 'x.a.com'), true);
    assert.equal(hostCovers('x.a.com', 'y.a.com'), false);
  });
  test('the narrower of two hosts', () => {
    assert.equal(intersectHosts('*', 'b.a.com'), 'b.a.com');
    assert.equal(intersectHosts('b.a.com', '*'), 'b.a.com');
    assert.equal(intersectHosts('*.a.com', '*.b.a.com'), '*.b.a.com');
    assert.equal(intersectHosts('*', '*'), '*');
    assert.equal(intersectHosts('*.a.com', 'b.c.com'), null);
    assert.equal(intersectHosts('a.com', 'b.com'), null);
  });
});
