/**
 * Rewrites the README's field table (between the `field-table` markers) from the field tables in
 * src/config/schema/fields.ts, so the documented status of every Istio field is the implemented one.
 * `npm run docs:fields`; test/docs.test.ts fails when the README is out of date.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fieldTableMarkdown } from '../src/config/schema/field-table.ts';

const START = '<!-- field-table:start (regenerate: npm run docs:fields) -->';
const END = '<!-- field-table:end -->';

/** The README text with its field table replaced by the current one. */
export function withCurrentFieldTable(readme: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start === -1 || end === -1 || end < start) throw new Error(`README.md has no ${START} ... ${END} block`);
  return `${readme.slice(0, start + START.length)}\n${fieldTableMarkdown()}\n${readme.slice(end)}`;
}

if (import.meta.main) {
  const path = new URL('../README.md', import.meta.url);
  writeFileSync(path, withCurrentFieldTable(readFileSync(path, 'utf8')));
}
