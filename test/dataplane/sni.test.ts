import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pickByServerName } from '../../src/dataplane/sni.ts';

const servers = [
  { name: 'wildcard', hosts: ['*.shop.example'] },
  { name: 'any', hosts: ['*'] },
  { name: 'exact', hosts: ['api.shop.example', 'admin.example'] },
  { name: 'deeper', hosts: ['*.eu.shop.example'] },
];
const pick = (servername: string) => pickByServerName(servers, servername)?.name;

describe('SNI certificate choice', () => {
  test('an exact name beats a wildcard listed before it', () => {
    assert.equal(pick('api.shop.example'), 'exact');
    assert.equal(pick('ADMIN.example'), 'exact', 'SNI names compare case-insensitively');
  });

  test('the longest matching wildcard wins, at any depth', () => {
    assert.equal(pick('web.shop.example'), 'wildcard');
    assert.equal(pick('a.b.shop.example'), 'wildcard');
    assert.equal(pick('web.eu.shop.example'), 'deeper');
  });

  test('a wildcard does not match its own base name; `*` and then the first server are the fallbacks', () => {
    assert.equal(pick('shop.example'), 'any');
    assert.equal(pick('other.test'), 'any');
    assert.equal(pickByServerName([servers[0]!, servers[2]!], 'other.test')?.name, 'wildcard', 'no match: the first server');
    assert.equal(pickByServerName([servers[0]!, servers[2]!], '')?.name, 'wildcard', 'no SNI sent');
    assert.equal(pickByServerName([], 'x'), undefined);
  });
});
