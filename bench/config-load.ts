/**
 * `npm run bench:config`: how long `shadowgate validate` takes on a large generated config, and the
 * peak RSS it needs. The config (bench/config-gen.ts: one Gateway, then ServiceEntry + VirtualService
 * pairs with four routes each) is written to a temporary file; each run validates it in a fresh
 * process, so one run's heap does not flatter the next.
 *
 * Options: --mib N (config size, default 20), --runs N (default 1), --json.
 * `--child FILE` is the measured process itself: it runs `validate -c FILE` and prints its figures.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Writable } from 'node:stream';
import { generateConfig } from './config-gen.ts';

interface ChildFigures {
  readonly exitCode: number;
  readonly ms: number;
  /** User + system CPU time: steadier than wall time on a shared machine. */
  readonly cpuMs: number;
  readonly maxRssMiB: number;
  readonly summary: string;
}

const { values } = parseArgs({
  options: {
    mib: { type: 'string', default: '20' },
    runs: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
    child: { type: 'string' },
  },
});

if (values.child !== undefined) {
  const { runCli } = await import('../src/cli/program.ts');
  let summary = '';
  let lines = 0;
  const sink = (keep: boolean) =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        const text = chunk.toString();
        lines++;
        if (keep || lines <= 5) summary += text;
        done();
      },
    });
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const exitCode = await runCli(['validate', '-c', values.child], { stdout: sink(true), stderr: sink(false) });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const used = process.cpuUsage(cpu);
  const figures: ChildFigures = { exitCode, ms, cpuMs: (used.user + used.system) / 1000, maxRssMiB: process.resourceUsage().maxRSS / 1024, summary: summary.trim() };
  process.stdout.write(`${JSON.stringify(figures)}\n`);
  process.exit(0);
}

const mib = Number(values.mib);
const runs = Number(values.runs);
if (!(mib > 0)) throw new Error('--mib expects a number > 0');
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs expects a whole number >= 1');

const dir = mkdtempSync(path.join(tmpdir(), 'shadowgate-bench-config-'));
try {
  const file = path.join(dir, 'big.yaml');
  const { text, services } = generateConfig(Math.round(mib * 1024 * 1024));
  writeFileSync(file, text);
  const self = fileURLToPath(import.meta.url);
  const results: ChildFigures[] = [];
  for (let i = 0; i < runs; i++) {
    const out = execFileSync(process.execPath, [self, '--child', file], { encoding: 'utf8', maxBuffer: 1 << 20 });
    results.push(JSON.parse(out.trim().split('\n').pop()!) as ChildFigures);
  }
  const report = { bytes: text.length, services, resources: services * 2 + 1, node: process.version, results };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    process.stdout.write(
      `validate on ${(text.length / 1024 / 1024).toFixed(1)} MiB (${report.resources} resources, ${services * 4} routes); node ${process.version}\n\n`,
    );
    process.stdout.write('| run | exit | wall time | CPU time | peak RSS |\n| --- | --- | --- | --- | --- |\n');
    results.forEach((r, i) => {
      process.stdout.write(`| ${i + 1} | ${r.exitCode} | ${(r.ms / 1000).toFixed(2)} s | ${(r.cpuMs / 1000).toFixed(2)} s | ${r.maxRssMiB.toFixed(0)} MiB |\n`);
    });
    const last = results[results.length - 1]!;
    if (last.exitCode !== 0) process.stdout.write(`\nvalidate output:\n${last.summary}\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
