/**
 * `npm run bench`: shadowgate against nginx, in one run, on loopback. Installs wrk and nginx when
 * missing, starts the backends and every scenario's contenders, checks and warms up each, and measures
 * them all in interleaved rounds.
 * Prints a markdown table, writes it to bench/results/latest.md and everything to
 * bench/results/<timestamp>.json. See bench/README.md.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { positiveInt } from './args.ts';
import { canPin, stopAll } from './child.ts';
import { ensureTools, nginxHasMirror } from './install.ts';
import { measureMatrix, type BenchSettings } from './measure.ts';
import { nginxVersion } from './nginx.ts';
import { CLOCK_TICKS } from './proc.ts';
import { markdownTable, summarize, targetChecks, targetsMarkdown, type ScenarioResult } from './report.ts';
import { SCENARIOS } from './scenarios.ts';
import { freePort, startBackends } from './start-backends.ts';
import { REPO_ROOT, supportsWorkers, buildShadowgate } from './shadowgate.ts';

const USAGE = `usage: npm run bench -- [options]

  --duration SECONDS   length of each wrk run (default 10)
  --runs N             measured runs per contender and scenario, after one discarded warm-up (default 3)
  --connections N      wrk connections (default 50)
  --threads N          wrk threads (default 1)
  --only A,B           run only these scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}
  --wrk-cpus LIST      taskset CPU list for wrk (default 0)
  --proxy-cpus LIST    taskset CPU list for the proxies and the backends (default 1)
  --no-pin             do not pin anything with taskset
  --skip-install       do not try to install wrk and nginx
  -h, --help           this text

Quick smoke: npm run bench -- --duration 2 --runs 1`;

function log(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

function machineInfo(): Record<string, unknown> {
  const wrk = spawnSync('wrk', ['-v'], { encoding: 'utf8' });
  const git = (args: string[]): string | null => {
    try {
      return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return null;
    }
  };
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cpus: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    loadAverageAtStart: os.loadavg(),
    node: process.version,
    nginx: nginxVersion(),
    wrk: /wrk (\S+)/.exec(`${wrk.stdout}${wrk.stderr}`)?.[1] ?? 'unknown',
    clockTicks: CLOCK_TICKS,
    gitCommit: git(['rev-parse', 'HEAD']),
    gitDirty: (git(['status', '--porcelain', '--', 'src']) ?? '') !== '',
    shadowgateWorkersFlag: supportsWorkers(),
  };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      runs: { type: 'string', default: '3' },
      connections: { type: 'string', default: '50' },
      threads: { type: 'string', default: '1' },
      only: { type: 'string' },
      'wrk-cpus': { type: 'string', default: '0' },
      'proxy-cpus': { type: 'string', default: '1' },
      'no-pin': { type: 'boolean', default: false },
      'skip-install': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const only = values.only === undefined ? null : values.only.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const unknown = (only ?? []).filter((name) => !SCENARIOS.some((s) => s.name === name));
  if (unknown.length > 0) throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  const scenarios = SCENARIOS.filter((s) => only === null || only.includes(s.name));

  if (!values['skip-install']) ensureTools(log);
  log('building dist/ (the bench runs the compiled CLI)');
  buildShadowgate();
  if (!nginxHasMirror()) throw new Error('this nginx was built without the mirror module');
  const pin = !values['no-pin'] && canPin;
  if (!values['no-pin'] && !canPin) log('taskset not found: nothing is pinned, numbers will be noisier');

  const workDir = mkdtempSync(join(os.tmpdir(), 'shadowgate-bench-'));
  const settings: BenchSettings = {
    durationSeconds: positiveInt('duration', values.duration),
    runs: positiveInt('runs', values.runs),
    connections: positiveInt('connections', values.connections),
    threads: positiveInt('threads', values.threads),
    wrkCpus: pin ? values['wrk-cpus'] : null,
    proxyCpus: pin ? values['proxy-cpus'] : null,
    workDir,
    log,
  };
  // Each contender: a warm-up and the runs, each run after a 1 s prime.
  const total = scenarios.reduce((n, s) => n + s.contenders.length, 0) * ((settings.runs + 1) * settings.durationSeconds + settings.runs);
  log(`${scenarios.length} scenario(s), ${settings.runs} run(s) + 1 warm-up of ${settings.durationSeconds} s each: about ${Math.ceil(total / 60)} min of load`);
  const info = machineInfo();
  log(`node ${String(info.node)}, nginx ${String(info.nginx)}, wrk ${String(info.wrk)}; wrk on CPU ${settings.wrkCpus ?? 'any'}, proxies and backends on CPU ${settings.proxyCpus ?? 'any'}`);

  const { backends, stop } = await startBackends(settings.proxyCpus);
  const started = new Date();
  let results: ScenarioResult[];
  try {
    log(`scenarios: ${scenarios.map((s) => s.name).join(', ')}; all contenders start now and are measured in interleaved rounds`);
    results = await measureMatrix(scenarios, backends, settings, freePort);
  } finally {
    await stop();
    rmSync(workDir, { recursive: true, force: true });
  }

  const table = markdownTable(results);
  const targets = targetsMarkdown(results);
  const heading = `# shadowgate vs nginx, ${started.toISOString()}

${String(info.cpus)} CPUs (${String(info.cpu)}), node ${String(info.node)}, nginx ${String(info.nginx)}, wrk ${String(info.wrk)}, commit ${String(info.gitCommit ?? 'unknown').slice(0, 12)}${info.gitDirty === true ? ' (src/ modified)' : ''}.
wrk -t${settings.threads} -c${settings.connections} -d${settings.durationSeconds}s on CPU ${settings.wrkCpus ?? 'any'}; proxies and backends on CPU ${settings.proxyCpus ?? 'any'}. Medians of ${settings.runs} run(s) after a discarded warm-up. Load average at start: ${(info.loadAverageAtStart as number[]).map((n) => n.toFixed(2)).join(' ')}.`;
  const markdown = `${heading}\n\n${table}\n\n${targets}\n`;
  process.stdout.write(`\n${markdown}`);

  const outDir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'latest.md'), markdown);
  const jsonFile = join(outDir, `${started.toISOString().replace(/[:.]/g, '-')}.json`);
  const json = {
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: info,
    settings: { ...settings, workDir: undefined, log: undefined },
    scenarios: results.map(({ scenario, contenders }) => ({
      ...scenario,
      contenders: contenders.map((c) => ({ ...c, median: summarize(c) })),
    })),
    targets: targetChecks(results),
  };
  writeFileSync(jsonFile, `${JSON.stringify(json, null, 2)}\n`);
  log(`wrote bench/results/latest.md and ${jsonFile.slice(REPO_ROOT.length)}`);
  const failed = results.flatMap((r) => r.contenders).filter((c) => c.error !== null);
  return failed.length === 0 ? 0 : 1;
}

const onSignal = (signal: NodeJS.Signals): void => {
  log(`${signal}: stopping what the bench started`);
  void stopAll().finally(() => process.exit(130));
};
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);

try {
  process.exitCode = await main();
} catch (error) {
  log(error instanceof Error ? error.message : String(error));
  await stopAll();
  process.exitCode = 1;
}
