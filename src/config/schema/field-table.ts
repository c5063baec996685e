/**
 * The README's "What of Istio's API works" table, generated from the field tables so the two cannot
 * drift: `node -e "import('./src/config/schema/field-table.ts').then((m) => console.log(m.fieldTableMarkdown()))"`.
 * Fields under a field shadowgate does not implement share its status; its row names the direct ones.
 */
import { fieldStatusRows, type FieldStatus } from './fields.ts';

const LABEL: Readonly<Record<FieldStatus, string>> = {
  supported: 'supported',
  refused: '**error**: not supported, and ignoring it would change what is served',
  ignored: 'warning: not supported, ignored',
};

/** One markdown table, one row per field with its own status (kind, path under `spec`, status, note). */
export function fieldTableMarkdown(): string {
  const rows = fieldStatusRows();
  const lines = ['| Kind | Field (under `spec`) | shadowgate | Note |', '|---|---|---|---|'];
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    if (row.inherited) continue;
    const children: string[] = [];
    let deeper = false;
    for (let j = i + 1; j < rows.length && rows[j]!.inherited && rows[j]!.path.startsWith(row.path); j++) {
      const relative = rows[j]!.path.slice(row.path.length).replace(/^[.[\]{}]+/, '');
      // Name the direct fields; deeper ones share the status too ("and theirs").
      if (/[.[{]/.test(relative)) deeper = true;
      else children.push(`\`${relative}\``);
    }
    const fieldsNote = children.length > 0 ? `with its fields ${children.join(', ')}${deeper ? ' (and theirs)' : ''}` : '';
    const note = [row.hint, fieldsNote].filter((s) => s !== '').join('; ');
    lines.push(`| ${row.kind} | \`${row.path}\` | ${LABEL[row.status]} | ${note} |`);
  }
  return lines.join('\n');
}
