/** The README is the operator's reference: every metric and every error code it can meet is in it. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { LocalReplies } from '../src/dataplane/local-reply.ts';
import { METRICS } from '../src/metrics/names.ts';
import { withCurrentFieldTable } from '../scripts/update-readme-fields.ts';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

test('every metric is documented in the README with its labels', () => {
  for (const metric of Object.values(METRICS)) {
    const row = readme.split('\n').find((line) => line.startsWith(`| \`${metric.name}\``));
    assert.ok(row, `${metric.name} is missing from the README's metrics table`);
    for (const label of metric.labels) assert.ok(row.includes(label), `${metric.name}: label ${label} is not documented`);
  }
});

test('every local reply code is documented in the README with its status and flag', () => {
  for (const [code, reply] of Object.entries(LocalReplies)) {
    const row = readme.split('\n').find((line) => line.startsWith(`| \`${code}\``));
    assert.ok(row, `${code} is missing from the README's error table`);
    assert.ok(row.includes(String(reply.status)) && row.includes(reply.flag), `${code}: status or flag differ`);
  }
});

test("the README's table of Istio fields is the implemented one", () => {
  assert.ok(withCurrentFieldTable(readme) === readme, 'README.md is out of date: run `npm run docs:fields`');
});
