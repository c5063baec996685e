/** The snapshot's RE2 regexes: full-match semantics, and the literal-prefix check in front of re2js. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { RE2JS } from 're2js';
import { literalPrefix, Re2Regex } from '../../src/snapshot/regex.ts';

describe('Re2Regex', () => {
  test('literal prefixes', () => {
    const cases: [string, string][] = [
      ['/items/svc7/[0-9]+/detail', '/items/svc7/'],
      ['^/api/v[0-9]+$', '/api/v'],
      ['/a+b', '/a'],
      ['/ab*', '/a'],
      ['/ab?', '/a'],
      ['/ab{2}', '/a'],
      ['\\/x\\.y', '/x.y'],
      ['/x\\d', '/x'],
      ['/a|/b', ''],
      ['(/a|/b)c', ''],
      ['/x[|]y', '/x'],
      ['/x(a|b)', '/x'],
      ['(?i)/x', ''],
      ['.*', ''],
      ['/caf\u00e9', '/caf'],
    ];
    for (const [source, prefix] of cases) assert.equal(literalPrefix(source), prefix, source);
  });

  test('the prefix check never changes an answer (random patterns and inputs against re2js alone)', () => {
    const token = fc.constantFrom('/', 'a', 'b', '.', '*', '+', '?', '|', '(', ')', '[ab]', '[|]', '\\.', '\\d', '^', '$', '{2}', '1');
    const pattern = fc.array(token, { maxLength: 8 }).map((t) => t.join(''));
    const input = fc.array(fc.constantFrom('/', 'a', 'b', '.', '1', '|'), { maxLength: 8 }).map((t) => t.join(''));
    fc.assert(
      fc.property(pattern, fc.array(input, { minLength: 1, maxLength: 5 }), (source, values) => {
        let plain: RE2JS;
        try {
          plain = RE2JS.compile(source);
        } catch {
          return; // not RE2 syntax: never reaches a snapshot
        }
        const regex = new Re2Regex(source, false, plain);
        for (const v of values) assert.equal(regex.fullMatch(v), plain.testExact(v), `${source} on ${v}`);
      }),
      { numRuns: 2000 },
    );
  });
});
