/** The field tables are the one source of truth: the zod schemas must read exactly their supported fields. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { z } from 'zod';
import { checkFields, closestName, editDistance } from '../../src/config/schema/field-check.ts';
import { fieldStatusRows, MESSAGE_FIELDS, messageFields, SPEC_MESSAGE } from '../../src/config/schema/fields.ts';
import { SPEC_SCHEMA_BY_KIND } from '../../src/config/schema/validate.ts';
import type { FieldTableKind } from '../../src/config/source.ts';

/** Unwraps optional, array and record wrappers down to an object schema (or `null`). */
function objectShape(schema: z.ZodType): Record<string, z.ZodType> | null {
  let s = schema as unknown as { _zod: { def: Record<string, unknown> } };
  for (let i = 0; i < 8; i++) {
    const def = s._zod.def;
    if (def['type'] === 'object') return def['shape'] as Record<string, z.ZodType>;
    const inner = def['innerType'] ?? def['element'] ?? def['valueType'] ?? def['in'];
    if (inner === undefined) return null;
    s = inner as typeof s;
  }
  return null;
}

describe('field tables', () => {
  test('every message a rule names has a table', () => {
    for (const [message, fields] of Object.entries(MESSAGE_FIELDS)) {
      for (const [name, rule] of Object.entries(fields)) {
        if (rule.message !== undefined) assert.ok(MESSAGE_FIELDS[rule.message], `${message}.${name} names ${rule.message}`);
      }
    }
  });

  test('each zod schema object has exactly the supported fields of its message', () => {
    const check = (schema: z.ZodType, message: string, at: string) => {
      const shape = objectShape(schema);
      assert.ok(shape, `${at}: expected an object schema for ${message}`);
      const supported = Object.entries(messageFields(message)).filter(([, r]) => r.status === 'supported');
      assert.deepEqual(Object.keys(shape).sort(), supported.map(([k]) => k).sort(), `${at} (${message})`);
      for (const [name, rule] of supported) {
        if (rule.message === undefined) continue;
        // Leaf messages written as scalars in the schema (a plain string map) have no shape to compare.
        if (objectShape(shape[name]!) === null) continue;
        check(shape[name]!, rule.message, `${at}.${name}`);
      }
    };
    for (const kind of Object.keys(SPEC_MESSAGE) as FieldTableKind[]) check(SPEC_SCHEMA_BY_KIND[kind], SPEC_MESSAGE[kind], kind);
  });

  test('the README rows cover every field of every kind, with the rule of each', () => {
    const rows = fieldStatusRows();
    const vs = new Map(rows.filter((r) => r.kind === 'VirtualService').map((r) => [r.path, r] as const));
    assert.equal(vs.get('http[].mirrorPercent')?.status, 'supported');
    assert.equal(vs.get('http[].fault')?.status, 'supported');
    assert.equal(vs.get('http[].fault.abort.grpcStatus')?.status, 'refused');
    assert.equal(vs.get('http[].match[].scheme')?.status, 'refused');
    assert.equal(vs.get('http[].match[].scheme.exact')?.status, 'refused');
    assert.equal(vs.get('http[].match[].scheme.exact')?.inherited, true);
    assert.equal(vs.get('http[].match[].headers{}.exact')?.status, 'supported');
    const dr = new Map(rows.filter((r) => r.kind === 'DestinationRule').map((r) => [r.path, r] as const));
    assert.equal(dr.get('subsets[].trafficPolicy.loadBalancer.simple')?.status, 'supported');
    assert.ok(rows.length > 300, String(rows.length));
  });

  test('a mapping where a list belongs is a shape error, not a pile of unknown fields', () => {
    assert.deepEqual(checkFields('DestinationRule', { host: 'a', subsets: { v1: { labels: {} } } }).problems, []);
  });
});

describe('suggestions', () => {
  test('edit distance counts a transposition as one edit', () => {
    assert.equal(editDistance('vaule', 'value'), 1);
    assert.equal(editDistance('mirrorpercnt', 'mirrorpercent'), 1);
    assert.equal(editDistance('', 'abc'), 3);
  });

  test('the closest known name, case and underscores aside, or none when nothing is close', () => {
    assert.equal(closestName('mirrorPercnt', ['mirror', 'mirrorPercent', 'mirrorPercentage']), 'mirrorPercent');
    assert.equal(closestName('mirror_percentage', ['mirrorPercent', 'mirrorPercentage']), 'mirrorPercentage');
    assert.equal(closestName('colour', ['name', 'match', 'route']), null);
  });
});

describe('README table', () => {
  test('one row per field with its own status; the fields under an unsupported one are named in its row', async () => {
    const { fieldTableMarkdown } = await import('../../src/config/schema/field-table.ts');
    const table = fieldTableMarkdown();
    const own = fieldStatusRows().filter((r) => !r.inherited);
    assert.equal(table.split('\n').length, own.length + 2);
    assert.match(table, /\| VirtualService \| `http\[\]\.match\[\]\.gateways` \| supported \|/);
    assert.match(table, /\| VirtualService \| `http\[\]\.match\[\]\.scheme` \| \*\*error\*\*.*with its fields `exact`, `prefix`, `regex`/);
    assert.match(table, /\| VirtualService \| `http\[\]\.fault\.abort\.grpcStatus` \| \*\*error\*\*/);
  });
});
