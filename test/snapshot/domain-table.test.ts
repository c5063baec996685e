import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { domainTable, lookupDomain } from '../../src/snapshot/domain-table.ts';

// As Gateway servers list their hosts; the values stand for their certificates (or virtual hosts).
const table = domainTable([
  [['*.shop.example'], 'wildcard'],
  [['*'], 'any'],
  [['api.shop.example', 'ADMIN.example'], 'exact'],
  [['*.eu.shop.example'], 'deeper'],
  [['api.shop.example', '*.shop.example'], 'later duplicate'],
] as const);

describe("Envoy's domain order", () => {
  test('an exact name beats a wildcard listed before it; configured names are lower-cased', () => {
    assert.equal(lookupDomain(table, 'api.shop.example'), 'exact');
    assert.equal(lookupDomain(table, 'admin.example'), 'exact');
  });

  test('the longest matching wildcard wins, at any depth; of two equal domains the first keeps it', () => {
    assert.equal(lookupDomain(table, 'web.shop.example'), 'wildcard');
    assert.equal(lookupDomain(table, 'a.b.shop.example'), 'wildcard');
    assert.equal(lookupDomain(table, 'web.eu.shop.example'), 'deeper');
  });

  test('a wildcard does not match its own base name; `*` catches the rest; without `*` nothing does', () => {
    assert.equal(lookupDomain(table, 'shop.example'), 'any');
    assert.equal(lookupDomain(table, 'other.test'), 'any');
    const noCatchAll = domainTable([[['*.shop.example'], 'wildcard']]);
    assert.equal(lookupDomain(noCatchAll, 'other.test'), null);
    assert.equal(lookupDomain(noCatchAll, ''), null);
  });
});
