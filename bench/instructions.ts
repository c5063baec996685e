/**
 * `npm run bench:instructions`: what a request costs shadowgate's main thread in CPU instructions,
 * next to the node-floor (bare node:http + undici, bench/node-floor-server.ts), without and with a
 * 100% mirror to a shadow answering with a body, and (shadowgate only) with the shadow down, where outlier
 * detection drops the copies.
 *
 * Why instructions: on a shared 2-core VM, CPU time per request moves ±20% between identical wrk runs,
 * which hides any change smaller than that. Callgrind counts the instructions a thread executes, which
 * does not depend on what else the machine is doing; the count still moves a few percent with what the
 * JIT has optimized when counting starts (bench/README.md), so compare several runs. Each contender runs
 * under `valgrind --tool=callgrind` with instrumentation off while it warms up (so the JIT settles),
 * then on for a fixed number of requests; only thread 1, the event loop, is counted, because V8's
 * compiler and GC helper threads run on timers that valgrind's slowdown distorts. Kernel time
 * (the syscalls) is not in the count: this measures the JavaScript and native user-space path.
 *
 * Options: --warmup N requests before counting (default 15000), --requests N counted (default 3000),
 * --connections N in flight (default 4), --json.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { positiveInt } from './args.ts';
import { stopAll, stopProcess, waitFor, type Started, type Wrapper } from './child.ts';
import { has } from './install.ts';
import { BENCH_HOST, BENCH_PATH, type Backends } from './measure.ts';
import { startNodeFloor } from './node-floor.ts';
import { buildShadowgate, startShadowgate } from './shadowgate.ts';
import { freePort, startBackends } from './start-backends.ts';

type Contender = 'shadowgate' | 'node-floor';
type Scenario = 'no mirror' | 'mirror, body' | 'mirror, shadow down';

interface Counted {
  readonly contender: Contender;
  readonly scenario: Scenario;
  readonly requests: number;
  /** Instructions thread 1 executed while the counted requests ran, divided by their number. */
  readonly instructionsPerRequest: number;
  /** Copies the shadow received per counted request (0 without a mirror). */
  readonly copiesPerRequest: number;
}

function log(line: string): void {
  process.stderr.write(`[bench:instructions ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

function requireTool(command: string): void {
  if (!has(command)) {
    throw new Error(`${command} not found; as root run: apt-get update && apt-get install -y valgrind`);
  }
}

/** Sends `count` GETs through the contender, `connections` at a time; throws unless all are 200. */
async function send(port: number, count: number, connections: number): Promise<void> {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections });
  let next = 0;
  let failed = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++;
      const response = await pool.request({ method: 'GET', path: BENCH_PATH, headers: { host: BENCH_HOST } });
      await response.body.dump();
      if (response.statusCode !== 200) failed++;
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  await pool.close();
  if (failed > 0) throw new Error(`${failed} of ${count} requests did not get 200`);
}

function callgrind(control: string, pid: number): void {
  const result = spawnSync('callgrind_control', [control, String(pid)], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`callgrind_control ${control} ${pid} failed: ${result.stderr}`);
}

/** The `totals:` of the main thread's dump number 1 (`<prefix>.<pid>.1-01`), once it is written. */
async function mainThreadInstructions(dir: string, pid: number): Promise<number> {
  const file = join(dir, `cg.${pid}.1-01`);
  return waitFor(
    () => {
      if (!existsSync(file)) return null;
      const match = /^totals:\s+(\d+)/m.exec(readFileSync(file, 'utf8'));
      return match === null ? null : Number(match[1]);
    },
    60_000,
    `callgrind's dump ${file}`,
  );
}

async function floorOnFreePort(primaryPort: number, shadowPort: number | null, wrapper: Wrapper): Promise<{ process: Started; port: number }> {
  const port = await freePort();
  return { port, process: await startNodeFloor(port, primaryPort, shadowPort, null, wrapper) };
}

async function count(
  contender: Contender,
  scenario: Scenario,
  backends: Backends,
  options: { warmup: number; requests: number; connections: number },
): Promise<Counted> {
  const dir = mkdtempSync(join(os.tmpdir(), 'shadowgate-callgrind-'));
  const wrapper = ['valgrind', '--tool=callgrind', '--instr-atstart=no', '--separate-threads=yes', `--callgrind-out-file=${join(dir, 'cg.%p')}`];
  const shadow = { 'no mirror': null, 'mirror, body': backends.ports.shadowBody, 'mirror, shadow down': backends.closedPort }[scenario];
  const target =
    contender === 'shadowgate'
      ? await startShadowgate(join(dir, 'config'), { primaryPort: backends.ports.primary, shadowPort: shadow, workers: 1 }, null, wrapper)
      : await floorOnFreePort(backends.ports.primary, shadow, wrapper);
  try {
    log(`${contender}, ${scenario}: warming up with ${options.warmup} requests`);
    await send(target.port, options.warmup, options.connections);
    await backends.reset();
    callgrind('--instr=on', target.process.pid);
    await send(target.port, options.requests, options.connections);
    callgrind('--instr=off', target.process.pid);
    callgrind('--dump', target.process.pid);
    const instructions = await mainThreadInstructions(dir, target.process.pid);
    const copies = (await backends.stats()).shadowBody.requests;
    return {
      contender,
      scenario,
      requests: options.requests,
      instructionsPerRequest: Math.round(instructions / options.requests),
      copiesPerRequest: copies / options.requests,
    };
  } finally {
    await stopProcess(target.process);
    rmSync(dir, { recursive: true, force: true });
  }
}

function table(results: readonly Counted[]): string {
  const find = (contender: Contender, scenario: Scenario) => results.find((r) => r.contender === contender && r.scenario === scenario);
  const thousands = (n: number) => `${(n / 1000).toFixed(1)}k`;
  const percent = (n: number) => `${(100 * n).toFixed(0)}%`;
  const row = (label: string, sg: number, floor: number, copies: string) =>
    `| ${label} | ${thousands(sg)} | ${thousands(floor)} | ${(sg / floor).toFixed(2)}× | ${copies} |`;
  const lines = ['| scenario | shadowgate | node-floor | ratio | copies sg / floor |', '|---|---:|---:|---:|---|'];
  for (const scenario of ['no mirror', 'mirror, body'] as const) {
    const sg = find('shadowgate', scenario)!;
    const floor = find('node-floor', scenario)!;
    const copies = scenario === 'no mirror' ? '' : `${percent(sg.copiesPerRequest)} / ${percent(floor.copiesPerRequest)}`;
    lines.push(row(scenario, sg.instructionsPerRequest, floor.instructionsPerRequest, copies));
  }
  const costOver = (contender: Contender, scenario: Scenario) =>
    find(contender, scenario)!.instructionsPerRequest - find(contender, 'no mirror')!.instructionsPerRequest;
  lines.push(row('one copy (the difference)', costOver('shadowgate', 'mirror, body'), costOver('node-floor', 'mirror, body'), ''));
  // The floor has no outlier detection (it would attempt a connect per copy), so shadowgate only.
  const down = find('shadowgate', 'mirror, shadow down');
  if (down !== undefined) {
    const sgOnlyRow = (label: string, n: number) => `| ${label} | ${thousands(n)} | | | |`;
    lines.push(sgOnlyRow('mirror, shadow down (ejected)', down.instructionsPerRequest));
    lines.push(sgOnlyRow('one dropped copy (the difference)', costOver('shadowgate', 'mirror, shadow down')));
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      warmup: { type: 'string', default: '15000' },
      requests: { type: 'string', default: '3000' },
      connections: { type: 'string', default: '4' },
      json: { type: 'boolean', default: false },
    },
  });
  const options = {
    warmup: positiveInt('warmup', values.warmup),
    requests: positiveInt('requests', values.requests),
    connections: positiveInt('connections', values.connections),
  };
  requireTool('valgrind');
  requireTool('callgrind_control');
  log('building dist/');
  buildShadowgate();
  const { backends, stop } = await startBackends(null);
  const results: Counted[] = [];
  try {
    for (const scenario of ['no mirror', 'mirror, body'] as const) {
      for (const contender of ['shadowgate', 'node-floor'] as const) results.push(await count(contender, scenario, backends, options));
    }
    results.push(await count('shadowgate', 'mirror, shadow down', backends, options));
  } finally {
    await stop();
  }
  if (values.json) console.log(JSON.stringify(results, null, 2));
  else {
    console.log(`Main-thread instructions per request (callgrind), ${options.requests} requests after ${options.warmup} of warm-up, ${options.connections} in flight:\n`);
    console.log(table(results));
  }
}

main()
  .catch((error: unknown) => {
    process.stderr.write(`bench:instructions failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  })
  .finally(() => stopAll());
