/**
 * The matrix: start every scenario's contenders, check that each answers correctly, run wrk once against
 * each to warm up (discarded), then `runs` measured rounds over all of them, each run with the proxy's
 * own CPU time and the shadow's counts.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import { join } from 'node:path';
import { PRIMARY_BODY, type BackendCounts, type BackendName, type BackendPorts } from './backends.ts';
import { sleep, stopProcess, waitFor, type Started } from './child.ts';
import { startNginx } from './nginx.ts';
import { startNodeFloor } from './node-floor.ts';
import { cpuDelta, cpuMicros, peakRssKiB, processTree } from './proc.ts';
import type { ScenarioResult } from './report.ts';
import type { ContenderName, Scenario, ShadowKind } from './scenarios.ts';
import { startShadowgate, supportsWorkers } from './shadowgate.ts';
import { runWrk, type WrkResult } from './wrk.ts';

/** The Host header every request carries; copies must arrive with `-shadow` appended. */
export const BENCH_HOST = 'bench.local';
export const BENCH_PATH = '/bench/items?id=42';

export interface BenchSettings {
  readonly durationSeconds: number;
  readonly runs: number;
  readonly connections: number;
  readonly threads: number;
  readonly wrkCpus: string | null;
  readonly proxyCpus: string | null;
  readonly workDir: string;
  readonly log: (line: string) => void;
}

/** The backends process and how to read its counts. */
export interface Backends {
  readonly ports: BackendPorts['ports'];
  /** A port nothing listens on: the dead shadow. */
  readonly closedPort: number;
  readonly pid: number;
  stats(): Promise<Record<BackendName, BackendCounts>>;
  reset(): Promise<void>;
}

export interface RunMeasurement extends WrkResult {
  /** The proxy's user + system CPU over the run, summed over its process tree, in µs. */
  readonly proxyCpuMicros: number | null;
  readonly cpuMicrosPerRequest: number | null;
  /** The backends process's CPU per request, for telling proxy cost from backend cost. */
  readonly backendCpuMicrosPerRequest: number;
  readonly primaryRequests: number;
  /** Copies the shadow received in full; null without a live shadow. */
  readonly copies: number | null;
  readonly copiesPerRequest: number | null;
  readonly shadowConnections: number | null;
  readonly processes: number;
}

export interface ContenderResult {
  readonly contender: ContenderName;
  /** false: skipped (the reason says why); the scenario still ran for the others. */
  readonly available: boolean;
  readonly reason: string | null;
  /** Set when the contender was available but failed (start, check or a run). */
  readonly error: string | null;
  readonly warmup: RunMeasurement | null;
  readonly runs: RunMeasurement[];
  /** Peak RSS (VmHWM) at the end of the scenario, in KiB: the largest process and the tree's sum. */
  readonly peakRssKiB: { readonly maxProcess: number; readonly sum: number; readonly processes: number } | null;
}

const SHADOW_BACKEND: Record<Exclude<ShadowKind, 'none' | 'down'>, BackendName> = {
  body: 'shadowBody',
  '204': 'shadow204',
  slow: 'shadowSlow',
};

function shadowBackend(kind: ShadowKind): BackendName | null {
  return kind === 'none' || kind === 'down' ? null : SHADOW_BACKEND[kind];
}

function shadowPort(kind: ShadowKind, backends: Backends): number | null {
  if (kind === 'none') return null;
  if (kind === 'down') return backends.closedPort;
  return backends.ports[SHADOW_BACKEND[kind]];
}

interface Target {
  readonly port: number;
  /** The process to measure, or null (direct: nothing between wrk and the primary). */
  readonly process: Started | null;
}

async function startContender(contender: ContenderName, scenario: Scenario, backends: Backends, settings: BenchSettings, freePort: () => Promise<number>): Promise<Target> {
  const shadow = shadowPort(scenario.shadow, backends);
  const dir = join(settings.workDir, `${scenario.name}-${contender}`);
  switch (contender) {
    case 'direct':
      return { port: backends.ports.primary, process: null };
    case 'nginx': {
      const port = await freePort();
      const nginx = startNginx(dir, { port, primaryPort: backends.ports.primary, shadowPort: shadow, workers: scenario.workers, mirrorBody: scenario.postBytes !== null }, settings.proxyCpus);
      await waitFor(
        async () => {
          if (nginx.hasExited()) throw new Error(`nginx exited during start-up:\n${nginx.output()}`);
          return (await canConnect(port)) ? true : null;
        },
        10_000,
        'nginx to listen',
      );
      // With workers, the master forks them after binding: wait until they exist.
      await waitFor(() => (processTree(nginx.pid).length > scenario.workers ? true : null), 10_000, 'nginx workers');
      return { port, process: nginx };
    }
    case 'shadowgate': {
      const sg = await startShadowgate(
        dir,
        { primaryPort: backends.ports.primary, shadowPort: shadow, workers: scenario.workers, compare: scenario.compare === true },
        settings.proxyCpus,
      );
      return { port: sg.port, process: sg.process };
    }
    case 'node-floor': {
      const port = await freePort();
      return { port, process: await startNodeFloor(port, backends.ports.primary, shadow, settings.proxyCpus) };
    }
  }
}

/** A TCP connect, not an HTTP request: a probe must not reach the backends' counts or pools. */
function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(1000, () => socket.destroy());
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
    socket.on('close', () => resolve(false));
  });
}

function send(port: number, body: Buffer | null): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: BENCH_PATH,
        method: body === null ? 'GET' : 'POST',
        headers: { host: BENCH_HOST, ...(body !== null && { 'content-type': 'application/octet-stream', 'content-length': body.length }) },
        agent: false,
        timeout: 5000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body ?? undefined);
  });
}

/**
 * The contender answers 200 with the primary's body, the primary got the request (and the whole body);
 * with a live shadow, the shadow got the copy, with the whole body and a `-shadow` Host.
 */
async function checkCorrect(contender: ContenderName, scenario: Scenario, port: number, backends: Backends): Promise<void> {
  await backends.reset();
  const body = scenario.postBytes === null ? null : Buffer.alloc(scenario.postBytes, 'x');
  const res = await send(port, body);
  if (res.status !== 200 || res.body !== PRIMARY_BODY) {
    throw new Error(`check failed: ${contender} answered ${res.status} ${JSON.stringify(res.body.slice(0, 200))}, expected 200 with the primary's body`);
  }
  const stats = await backends.stats();
  const primary = stats.primary;
  if (primary.requests !== 1 || primary.lastPath !== BENCH_PATH || primary.lastBodyBytes !== (body?.length ?? 0)) {
    throw new Error(`check failed: the primary saw ${primary.requests} request(s), last ${primary.lastMethod} ${primary.lastPath} with ${primary.lastBodyBytes} body bytes`);
  }
  if (scenario.shadow === 'down' && (await canConnect(backends.closedPort))) {
    throw new Error(`check failed: something listens on the dead shadow's port ${backends.closedPort}`);
  }
  const shadow = shadowBackend(scenario.shadow);
  if (shadow === null) return;
  const expectedHost = `${BENCH_HOST}-shadow`;
  const copy = await waitFor(
    async () => {
      const s = (await backends.stats())[shadow];
      return s.requests >= 1 ? s : null;
    },
    5_000,
    `the ${shadow} shadow to receive the copy`,
  ).catch(() => null);
  if (copy === null) throw new Error(`check failed: the shadow (${shadow}) received no copy within 5 s`);
  if (copy.requests !== 1 || copy.lastHost !== expectedHost || copy.lastPath !== BENCH_PATH || copy.lastBodyBytes !== (body?.length ?? 0)) {
    throw new Error(
      `check failed: the shadow saw ${copy.requests} request(s), last Host ${copy.lastHost} ${copy.lastMethod} ${copy.lastPath} with ${copy.lastBodyBytes} body bytes; expected one copy with Host ${expectedHost} and ${body?.length ?? 0} body bytes`,
    );
  }
}

/** Waits until the shadow's count stops moving (copies still in flight when wrk stopped). */
async function settle(backends: Backends, shadow: BackendName | null): Promise<void> {
  if (shadow === null) return;
  let last = -1;
  let stableSince = Date.now();
  const deadline = Date.now() + 3_000;
  while (Date.now() < deadline) {
    const count = (await backends.stats())[shadow].requests;
    if (count !== last) {
      last = count;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= 300) {
      return;
    }
    await sleep(50);
  }
}

function loadFor(durationSeconds: number, scenario: Scenario, target: Target, settings: BenchSettings): Promise<WrkResult> {
  return runWrk({
    url: `http://127.0.0.1:${target.port}${BENCH_PATH}`,
    connections: settings.connections,
    threads: settings.threads,
    durationSeconds,
    host: BENCH_HOST,
    postBytes: scenario.postBytes,
    cpus: settings.wrkCpus,
    workDir: settings.workDir,
  });
}

/**
 * One second of load, not measured, before each measured run: while the others ran, this one's idle
 * keep-alive connections may have timed out (undici closes them after 4 s), and reopening them would
 * count as new shadow connections and cost the run their connects.
 */
async function prime(scenario: Scenario, target: Target, backends: Backends, settings: BenchSettings): Promise<void> {
  await loadFor(1, scenario, target, settings);
  await settle(backends, shadowBackend(scenario.shadow));
}

async function measureRun(scenario: Scenario, target: Target, backends: Backends, settings: BenchSettings): Promise<RunMeasurement> {
  const shadow = shadowBackend(scenario.shadow);
  await backends.reset();
  const tree = target.process === null ? [] : processTree(target.process.pid);
  const before = cpuMicros(tree);
  const backendBefore = cpuMicros([backends.pid]);
  const wrk = await loadFor(settings.durationSeconds, scenario, target, settings);
  await settle(backends, shadow);
  if (target.process?.hasExited() === true) throw new Error(`${target.process.name} exited during the run:\n${target.process.output()}`);
  // Processes forked during the run (none expected) count from zero.
  const after = cpuMicros(target.process === null ? [] : processTree(target.process.pid));
  const proxyCpu = target.process === null ? null : cpuDelta(before, after);
  const backendCpu = cpuDelta(backendBefore, cpuMicros([backends.pid]));
  const stats = await backends.stats();
  const requests = Math.max(1, wrk.requests);
  const copies = shadow === null ? null : stats[shadow].requests;
  return {
    ...wrk,
    proxyCpuMicros: proxyCpu,
    cpuMicrosPerRequest: proxyCpu === null ? null : proxyCpu / requests,
    backendCpuMicrosPerRequest: backendCpu / requests,
    primaryRequests: stats.primary.requests,
    copies,
    // Over what the primary received, not what wrk completed: wrk's last in-flight requests were
    // forwarded and copied but are not in its count.
    copiesPerRequest: copies === null ? null : copies / Math.max(1, stats.primary.requests),
    shadowConnections: shadow === null ? null : stats[shadow].connections,
    processes: after.size,
  };
}

function describe(run: RunMeasurement): string {
  const parts = [`${Math.round(run.requestsPerSecond)} req/s`, `p99 ${run.p99Ms.toFixed(2)} ms`, `${run.errors} errors`];
  if (run.cpuMicrosPerRequest !== null) parts.push(`${run.cpuMicrosPerRequest.toFixed(1)} µs/req`);
  if (run.copiesPerRequest !== null) parts.push(`${(run.copiesPerRequest * 100).toFixed(1)}% copies`);
  return parts.join(', ');
}

interface LiveContender {
  readonly scenario: Scenario;
  readonly contender: ContenderName;
  readonly label: string;
  target: Target | null;
  warmup: RunMeasurement | null;
  readonly runs: RunMeasurement[];
  error: string | null;
}

/**
 * Runs the whole matrix interleaved: every contender of every scenario is started and checked (each in
 * its own process, all kept running, idle when not measured), each is warmed up, then each round runs
 * every one of them once, the order rotating from round to round. This machine's speed drifts by tens
 * of percent over minutes, so runs made minutes apart are made under different conditions: measured in
 * the same rounds, nginx and shadowgate, and a scenario and its own no-mirror baseline, share them.
 * Failures are returned in the results, not thrown: one that fails stops being measured, the others go on.
 */
export async function measureMatrix(
  scenarios: readonly Scenario[],
  backends: Backends,
  settings: BenchSettings,
  freePort: () => Promise<number>,
): Promise<ScenarioResult[]> {
  const results = new Map<string, ContenderResult>();
  const key = (scenario: Scenario, contender: ContenderName): string => `${scenario.name} / ${contender}`;
  const live: LiveContender[] = [];
  for (const scenario of scenarios) {
    for (const contender of scenario.contenders) {
      if (contender === 'shadowgate' && scenario.workers > 1 && !supportsWorkers()) {
        const reason = 'not available: `shadowgate run --help` lists no --workers';
        results.set(key(scenario, contender), { contender, available: false, reason, error: null, warmup: null, runs: [], peakRssKiB: null });
      } else {
        live.push({ scenario, contender, label: key(scenario, contender), target: null, warmup: null, runs: [], error: null });
      }
    }
  }
  const fail = async (entry: LiveContender, error: unknown): Promise<void> => {
    entry.error = error instanceof Error ? error.message : String(error);
    settings.log(`${entry.label}: FAILED: ${entry.error}`);
    await stop(entry);
  };
  const measuring = (): LiveContender[] => live.filter((entry) => entry.error === null);
  try {
    for (const entry of live) {
      try {
        entry.target = await startContender(entry.contender, entry.scenario, backends, settings, freePort);
        await checkCorrect(entry.contender, entry.scenario, entry.target.port, backends);
        settings.log(`${entry.label}: answers correctly`);
      } catch (error) {
        await fail(entry, error);
      }
    }
    for (const entry of measuring()) {
      try {
        settings.log(`${entry.label}: warm-up run (${settings.durationSeconds} s, discarded)`);
        entry.warmup = await measureRun(entry.scenario, entry.target!, backends, settings);
        settings.log(`${entry.label}: warm-up ${describe(entry.warmup)}`);
      } catch (error) {
        await fail(entry, error);
      }
    }
    for (let round = 0; round < settings.runs; round++) {
      const order = measuring();
      const first = order.length === 0 ? 0 : round % order.length;
      for (const entry of [...order.slice(first), ...order.slice(0, first)]) {
        try {
          if (order.length > 1) await prime(entry.scenario, entry.target!, backends, settings);
          const run = await measureRun(entry.scenario, entry.target!, backends, settings);
          entry.runs.push(run);
          settings.log(`${entry.label}: run ${round + 1}/${settings.runs} ${describe(run)}`);
        } catch (error) {
          await fail(entry, error);
        }
      }
    }
    for (const entry of live) {
      results.set(entry.label, {
        contender: entry.contender,
        available: true,
        reason: null,
        error: entry.error,
        warmup: entry.warmup,
        runs: entry.runs,
        peakRssKiB: entry.error === null ? peakOf(entry.target!) : null,
      });
    }
  } finally {
    for (const entry of live) await stop(entry);
  }
  return scenarios.map((scenario) => ({ scenario, contenders: scenario.contenders.map((c) => results.get(key(scenario, c))!) }));
}

function peakOf(target: Target): ContenderResult['peakRssKiB'] {
  if (target.process === null) return null;
  const rss = [...peakRssKiB(processTree(target.process.pid)).values()];
  return { maxProcess: Math.max(...rss), sum: rss.reduce((a, b) => a + b, 0), processes: rss.length };
}

async function stop(entry: LiveContender): Promise<void> {
  const process = entry.target?.process;
  entry.target = entry.target === null ? null : { ...entry.target, process: null };
  // nginx stops fast on SIGTERM (SIGQUIT would wait for keep-alive clients).
  if (process != null) await stopProcess(process, 'SIGTERM', 5_000);
}
