/** Fixtures for config tests: YAML written to temp dirs, compiled, and diagnostics looked up. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildSnapshotFromPaths, formatDiagnostic, type CompileOptions, type ConfigDiagnostic } from '../../src/config/index.ts';
import type { Route, Snapshot } from '../../src/snapshot/types.ts';

const dirs: string[] = [];
process.once('exit', () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh temp dir holding `files` (name → content); removed when the process exits. */
export function writeFiles(files: Readonly<Record<string, string>>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'shadowgate-config-test-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

export interface Compiled {
  readonly snapshot: Snapshot | null;
  readonly diagnostics: ConfigDiagnostic[];
  readonly file: string;
  readonly yaml: string;
}

/** Writes `yaml` to `config.yaml` in a new temp dir (plus `extra` files) and builds a snapshot. */
export async function compileYaml(yaml: string, options: CompileOptions = {}, extra: Record<string, string> = {}): Promise<Compiled> {
  const dir = writeFiles({ 'config.yaml': yaml, ...extra });
  const file = path.join(dir, 'config.yaml');
  const { snapshot, diagnostics } = await buildSnapshotFromPaths([file], options);
  return { snapshot, diagnostics, file, yaml };
}

/** Compiles and asserts there is no error. */
export async function compileOk(yaml: string, options: CompileOptions = {}, extra: Record<string, string> = {}): Promise<Snapshot> {
  const result = await compileYaml(yaml, options, extra);
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  assert.equal(errors.length, 0, errors.map(formatDiagnostic).join('\n'));
  assert.ok(result.snapshot);
  return result.snapshot;
}

/** 1-based line of the first line of `text` containing `needle`. */
export function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  if (i === -1) throw new Error(`${needle} not in fixture`);
  return i + 1;
}

/** 1-based line of the last line of `text` containing `needle` (fixtures end with the resource under test). */
export function lastLineOf(text: string, needle: string): number {
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) if (lines[i]!.includes(needle)) return i + 1;
  throw new Error(`${needle} not in fixture`);
}

/**
 * Asserts that compiling failed with exactly one diagnostic of `code`, at `field`, on the (last) line
 * containing `needle`, whose formatted text names the file and line; returns it for further checks.
 */
export function expectDiagnostic(
  result: Compiled,
  code: string,
  field: string,
  needle: string | { readonly first: string } | null,
  severity: 'error' | 'warning' = 'error',
): ConfigDiagnostic {
  const found = result.diagnostics.filter((d) => d.code === code && d.field === field);
  assert.equal(found.length, 1, `expected one ${code} at ${field}, got:\n${result.diagnostics.map(formatDiagnostic).join('\n')}`);
  const d = found[0]!;
  assert.equal(d.severity, severity);
  assert.equal(d.field, field, formatDiagnostic(d));
  if (severity === 'error') assert.equal(result.snapshot, null, 'an error must withhold the snapshot');
  if (needle !== null) {
    const line = typeof needle === 'string' ? lastLineOf(result.yaml, needle) : lineOf(result.yaml, needle.first);
    assert.equal(d.line, line, formatDiagnostic(d));
    const text = formatDiagnostic(d);
    assert.ok(text.startsWith(`${result.file}:${line}:`), text);
    assert.ok(text.includes(field), text);
  }
  return d;
}

/** Every route of every listener, by id. */
export function routesById(snapshot: Snapshot): Map<string, Route> {
  const out = new Map<string, Route>();
  for (const l of snapshot.listeners) for (const vh of l.virtualHosts.all) for (const r of vh.routes) out.set(r.id, r);
  return out;
}

export function route(snapshot: Snapshot, id: string): Route {
  const r = routesById(snapshot).get(id);
  assert.ok(r, `no route ${id}; have ${[...routesById(snapshot).keys()].join(', ')}`);
  return r;
}

/** A Gateway `gw` listening on an OS-assigned port for any host. */
export const GATEWAY = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: gw
spec:
  servers:
  - port:
      number: 0
      name: http
      protocol: HTTP
    hosts:
    - "*"
`;

/**
 * Services: `backend` (port 8000 HTTP, endpoints v1/v2), `multi.example.com` (80 HTTP, 443 HTTPS,
 * 9000 TCP, DNS without endpoints), `tcp-echo` (9000 TCP), and a DestinationRule with subsets v1, v2.
 */
export const SERVICES = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: backend
spec:
  hosts:
  - backend
  resolution: STATIC
  ports:
  - number: 8000
    name: http
    protocol: HTTP
  endpoints:
  - address: 127.0.0.1
    ports:
      http: 18000
    labels:
      version: v1
  - address: 127.0.0.2
    labels:
      version: v2
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: multi
spec:
  hosts:
  - multi.example.com
  resolution: DNS
  ports:
  - number: 80
    name: http
    protocol: HTTP
  - number: 443
    name: https
    protocol: HTTPS
  - number: 9000
    name: tcp
    protocol: TCP
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: tcp-echo
spec:
  hosts:
  - tcp-echo
  resolution: STATIC
  ports:
  - number: 9000
    name: tcp
    protocol: TCP
  endpoints:
  - address: 127.0.0.1
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: backend
spec:
  host: backend
  subsets:
  - name: v1
    labels:
      version: v1
  - name: v2
    labels:
      version: v2
`;

/** A VirtualService `vs` bound to `gw` for any host, with the given `http:` items (indented 2). */
export function virtualService(http: string, opts: { name?: string; annotations?: string; hosts?: string } = {}): string {
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ${opts.name ?? 'vs'}
${opts.annotations ?? ''}spec:
  hosts:
  - "${opts.hosts ?? '*'}"
  gateways:
  - gw
  http:
${http}`;
}

/** Gateway + services + a VirtualService with `http`. */
export function config(http: string, opts: Parameters<typeof virtualService>[1] = {}): string {
  return `${GATEWAY}---\n${SERVICES}---\n${virtualService(http, opts)}`;
}

/** The simplest valid route item: everything to `backend`. */
export const SIMPLE_ROUTE = `  - name: r
    route:
    - destination:
        host: backend
`;
