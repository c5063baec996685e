/**
 * Config fuzzing: mutations of valid configs (fields dropped, replaced or retyped, wrong YAML types,
 * huge numbers, odd strings, duplicated keys, anchors and aliases, truncated documents, stray bytes)
 * must never make the loader throw or hang, and the two doors into the pipeline must agree: the
 * controller `run` uses serves a config exactly when `validate` exits 0.
 *
 * The seed is fixed so the suite is repeatable; FUZZ_SEED and FUZZ_RUNS explore further.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { parseAllDocuments, stringify } from 'yaml';
import { generateConfig } from '../../bench/config-gen.ts';
import { validate } from '../../src/cli/validate.ts';
import { ExitCode } from '../../src/cli/exit-codes.ts';
import { GatewayController } from '../../src/control/controller.ts';
import { validConfig } from '../cli/fixtures.ts';
import { makeTempDir } from '../support/index.ts';

const SEED = Number(process.env['FUZZ_SEED'] ?? 20261203);
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 150);
/** Per case: two loads of a config of a few KiB; far more than that means something went superlinear. */
const CASE_BUDGET_MS = 3000;

const BASES: readonly string[] = [validConfig(), generateConfig(1).text];
const baseDocs = BASES.map((text) => parseAllDocuments(text as string) as unknown as { toJS(): unknown }[]).map((docs) => docs.map((d) => d.toJS()));

const dir = makeTempDir('shadowgate-fuzz-');
let caseNumber = 0;
/** How many cases each side accepted and rejected: a fuzzer that only ever breaks configs tests little. */
const outcomes = { accepted: 0, rejected: 0 };

const nullIo = () => {
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
  return { stdout: sink, stderr: sink };
};

/** Loads `text` both ways; fails on a throw, a disagreement or a case over budget. */
async function check(text: string): Promise<void> {
  const file = path.join(dir, `case-${caseNumber++}.yaml`);
  writeFileSync(file, text);
  const started = performance.now();
  const exit = await validate([file], nullIo());
  assert.notEqual(exit, ExitCode.runtimeFailure, 'validate hit an internal failure');
  const controller = new GatewayController({ paths: [file] });
  const served = await controller.initialLoad();
  controller.close();
  const elapsed = performance.now() - started;
  outcomes[served.snapshot !== null ? 'accepted' : 'rejected']++;
  assert.equal(served.snapshot !== null, exit === ExitCode.ok, `run ${served.snapshot !== null ? 'accepts' : 'rejects'} what validate ${exit === ExitCode.ok ? 'accepts' : 'rejects'}`);
  assert.ok(elapsed < CASE_BUDGET_MS, `took ${elapsed.toFixed(0)} ms`);
}

/** Values that are the wrong type, out of range or otherwise odd for almost any field. */
const weird = fc.oneof(
  fc.constantFrom(
    null,
    true,
    0,
    -1,
    65536,
    1e308,
    -1e308,
    2 ** 53 + 1,
    0.5,
    '',
    ' ',
    '*',
    '-',
    '0',
    '1e999',
    '(a+)+$',
    '[',
    '(?=x)',
    '\\1',
    '\u0000',
    '\u202e',
    'é/ü',
    '💥',
    '10000000000000000000000h',
    '-5s',
    'HTTP2',
    '127.0.0.1:80',
    '::1',
    'outbound|80||x',
    'a'.repeat(5000),
  ),
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.double(),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
);

type Edit = { readonly steps: readonly number[]; readonly op: 'drop' | 'replace' | 'retype' | 'duplicate'; readonly value: unknown };

/** Walks `steps` (each picks a child by index, modulo the count) and applies the edit there. */
function applyEdit(root: unknown, edit: Edit): void {
  let parent: Record<string | number, unknown> | null = null;
  let key: string | number | null = null;
  let node = root;
  for (const step of edit.steps) {
    if (node === null || typeof node !== 'object') break;
    const keys: (string | number)[] = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
    if (keys.length === 0) break;
    parent = node as Record<string | number, unknown>;
    key = keys[step % keys.length]!;
    node = parent[key];
  }
  if (parent === null || key === null) return;
  switch (edit.op) {
    case 'drop':
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
      break;
    case 'replace':
      parent[key] = edit.value;
      break;
    case 'retype':
      // The same content in another YAML type: a scalar as a list, a list as a map, a map as a string.
      parent[key] = Array.isArray(node) ? Object.fromEntries(node.map((v, i) => [String(i), v])) : node !== null && typeof node === 'object' ? JSON.stringify(node) : [node];
      break;
    case 'duplicate':
      if (Array.isArray(parent)) parent.push(structuredClone(node));
      else parent[`${String(key)}-copy`] = structuredClone(node);
      break;
  }
}

const edit: fc.Arbitrary<Edit> = fc.record({
  steps: fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
  op: fc.constantFrom('drop', 'replace', 'retype', 'duplicate'),
  value: weird,
});

/** Text-level damage YAML-level edits cannot express. */
const textDamage = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), text: fc.constantFrom(':', '- ', '\t', '"', "'", '{', '[', '&a ', '*a', '!!binary ', '!tag ', '<<: *a\n', '\n---\n', '\n...\n', '%YAML 1.1\n', '\u0000', '\ufeff', '? ', '|\n', '>-\n') }),
  fc.record({ kind: fc.constant('duplicate-line' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ kind: fc.constant('alias-bomb' as const), depth: fc.integer({ min: 1, max: 12 }) }),
);

type Damage = typeof textDamage extends fc.Arbitrary<infer T> ? T : never;

function damage(text: string, d: Damage): string {
  switch (d.kind) {
    case 'truncate':
      return text.slice(0, Math.floor(text.length * d.at));
    case 'insert': {
      const at = Math.floor(text.length * d.at);
      return text.slice(0, at) + d.text + text.slice(at);
    }
    case 'duplicate-line': {
      // A key repeated in the same mapping (a YAML error) or an item repeated (often a duplicate name).
      const lines = text.split('\n');
      const i = Math.floor((lines.length - 1) * d.at);
      lines.splice(i, 0, lines[i]!);
      return lines.join('\n');
    }
    case 'alias-bomb': {
      // Nested aliases that expand exponentially ("billion laughs"); toJS's maxAliasCount bounds them.
      const levels = [`a0: &a0 [x, x, x, x, x, x, x, x, x, x]`];
      for (let i = 1; i <= d.depth; i++) levels.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
      return `${text}\n---\napiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: bomb}\nspec:\n  hosts: [bomb.example.com]\n  ${levels.join('\n  ')}\n`;
    }
  }
}

describe('config fuzzing', () => {
  test('structured mutations: no throw, no hang, run and validate agree', async () => {
    outcomes.accepted = outcomes.rejected = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: BASES.length - 1 }), fc.array(edit, { minLength: 1, maxLength: 4 }), async (base, edits) => {
        const docs = structuredClone(baseDocs[base]!);
        for (const e of edits) applyEdit(docs, e);
        await check(docs.map((d) => stringify(d)).join('---\n'));
      }),
      { seed: SEED, numRuns: RUNS },
    );
    assert.ok(outcomes.accepted > 0 && outcomes.rejected > 0, JSON.stringify(outcomes));
  });

  test('text damage: no throw, no hang, run and validate agree', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: BASES.length - 1 }), fc.array(textDamage, { minLength: 1, maxLength: 3 }), async (base, damages) => {
        let text = BASES[base]!;
        for (const d of damages) text = damage(text, d);
        await check(text);
      }),
      { seed: SEED + 1, numRuns: RUNS },
    );
  });

  test('arbitrary text: no throw, no hang, run and validate agree', async () => {
    const line = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('---', 'apiVersion: networking.istio.io/v1', 'kind: VirtualService', 'kind: List', 'items:', 'metadata: {name: x}', 'spec:', '  hosts: ["*"]'));
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 12 }), async (lines) => {
        await check(lines.join('\n'));
      }),
      { seed: SEED + 2, numRuns: Math.ceil(RUNS / 2) },
    );
  });
});
