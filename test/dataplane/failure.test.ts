/** Upstream failures sorted into Envoy's kinds: connect failure, reset, protocol error. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errors } from 'undici';
import { classifyFailure } from '../../src/dataplane/upstream/failure.ts';

test('a refused or never-started request is a connect failure; a socket error after it started is a reset', () => {
  assert.equal(classifyFailure(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }), true), 'connect');
  assert.equal(classifyFailure(new Error('queued, never sent'), false), 'connect');
  assert.equal(classifyFailure(new errors.SocketError('other side closed'), true), 'reset');
});

test('bytes that are not HTTP, or a body that breaks its Content-Length, are protocol errors', () => {
  // A status line that is not HTTP comes without an llhttp code.
  assert.equal(classifyFailure(new errors.HTTPParserError('Response does not match the HTTP/1.1 protocol'), true), 'protocol');
  assert.equal(classifyFailure(Object.assign(new Error('bad header'), { code: 'HPE_INVALID_HEADER_TOKEN' }), true), 'protocol');
  assert.equal(classifyFailure(new errors.ResponseContentLengthMismatchError(), true), 'protocol');
});
