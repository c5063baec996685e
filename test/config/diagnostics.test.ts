import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { DIAGNOSTIC_CODES, formatDiagnostic, formatFieldPath, type ConfigDiagnostic } from '../../src/config/index.ts';

const CONFIG_SRC = path.join(import.meta.dirname, '../../src/config');
/** The control loop reports config it could not apply with the same catalog. */
const CONTROL_SRC = path.join(import.meta.dirname, '../../src/control');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
  );
}

describe('diagnostics', () => {
  test('formatDiagnostic: compiler style, with resource and field', () => {
    const d: ConfigDiagnostic = {
      severity: 'error',
      file: 'gateway.yaml',
      line: 14,
      column: 9,
      kind: 'VirtualService',
      namespace: 'default',
      name: 'httpbin',
      field: 'spec.http[0].mirror.port',
      message: 'only HTTP and HTTPS services can be mirror destinations (port 9000 of tcp-echo.default.svc.cluster.local is TCP)',
      code: 'MIRROR_PROTOCOL',
    };
    assert.equal(
      formatDiagnostic(d),
      'gateway.yaml:14:9 error VirtualService default/httpbin spec.http[0].mirror.port: only HTTP and HTTPS services can be mirror destinations (port 9000 of tcp-echo.default.svc.cluster.local is TCP) [MIRROR_PROTOCOL]',
    );
  });

  test('formatDiagnostic: no position, no resource', () => {
    const d: ConfigDiagnostic = {
      severity: 'error',
      file: '/etc/shadowgate',
      line: 0,
      column: 0,
      kind: '',
      namespace: '',
      name: '',
      field: '',
      message: 'cannot read /etc/shadowgate: no such file or directory',
      code: 'READ_FAILED',
    };
    assert.equal(formatDiagnostic(d), '/etc/shadowgate error: cannot read /etc/shadowgate: no such file or directory [READ_FAILED]');
  });

  test('formatFieldPath quotes keys that are not plain names', () => {
    assert.equal(formatFieldPath(['spec', 'http', 0, 'mirrorPercentage', 'value']), 'spec.http[0].mirrorPercentage.value');
    assert.equal(formatFieldPath(['metadata', 'annotations', 'shadowgate.io/shadow-host-suffix']), 'metadata.annotations["shadowgate.io/shadow-host-suffix"]');
    assert.equal(formatFieldPath([]), '');
  });

  test('every catalogued code is emitted somewhere, and described in one line', () => {
    const source = [...sourceFiles(CONFIG_SRC), ...sourceFiles(CONTROL_SRC)]
      .filter((f) => !f.endsWith('diagnostics.ts'))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    for (const [code, description] of Object.entries(DIAGNOSTIC_CODES)) {
      assert.ok(source.includes(`'${code}'`), `${code} is catalogued but never emitted`);
      assert.ok(description.length > 10 && !description.includes('\n'), code);
    }
  });
});
