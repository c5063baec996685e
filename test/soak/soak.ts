/**
 * The soak: `shadowgate run` in a child process, steady primary traffic through it (loopback), 100%
 * mirrored to a shadow that changes what it does every phase (healthy, slow, huge body, dead), and
 * the child's resident memory and open descriptors sampled every few seconds. It prints the samples,
 * a least-squares slope of RSS per minute, the readings before and after the load, and fails (exit 1)
 * on any primary failure or a clear leak.
 *
 *   npm run soak                          # 10 minutes, 1-minute phases
 *   npm run soak -- --duration 60 --phase 15
 *
 * `runSoak` is what `soak.test.ts` calls for its 60-second variant.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CLI_MAIN } from '../support/cli.ts';
import { writeConfig } from '../support/config-files.ts';
import { processUsage, checkedLoad, steadyPrimary, type ProcessUsage } from '../support/checked-load.ts';
import { waitFor } from '../support/wait-for.ts';

export type ShadowPhase = 'healthy' | 'slow' | 'dead' | 'huge-body';
// Huge-body before dead: after the dead phase outlier detection keeps the shadow ejected for up to
// 30 s, which would leave little of a short huge-body phase; the next cycle's healthy phase shows recovery.
const PHASES: readonly ShadowPhase[] = ['healthy', 'slow', 'huge-body', 'dead'];

export interface SoakOptions {
  readonly durationS: number;
  readonly phaseS: number;
  /** Concurrent primary request loops. */
  readonly concurrency: number;
  readonly sampleS: number;
  /** How long the slow shadow waits before answering. */
  readonly slowMs: number;
  /** Body size of the huge-body shadow. */
  readonly hugeBytes: number;
  /** One line per sample and phase change; `() => {}` to stay quiet. */
  readonly log: (line: string) => void;
}

export const DEFAULT_SOAK: SoakOptions = {
  durationS: 600,
  phaseS: 60,
  concurrency: 8,
  sampleS: 5,
  slowMs: 2000,
  hugeBytes: 50 * 1024 * 1024,
  log: (line) => console.log(line),
};

export interface SoakSample extends ProcessUsage {
  /** Seconds since the load started. */
  readonly atS: number;
  readonly phase: ShadowPhase;
  /** Primary answers per second since the previous sample. */
  readonly rps: number;
  /** The gateway's CPU use since the previous sample, in percent of one core. */
  readonly cpuPercent: number;
}

export interface MirrorTotals {
  readonly sampled: number;
  readonly completed: number;
  readonly failed: number;
  readonly dropped: number;
  readonly inFlight: number;
  /** By counter name, for the report (failedConnect, droppedOverflow, ...). */
  readonly byReason: Readonly<Record<string, number>>;
}

export interface SoakReport {
  readonly requests: number;
  readonly failures: number;
  readonly failureSamples: readonly string[];
  /** The child before any traffic, and after the load stopped and its shadows drained. */
  readonly before: ProcessUsage;
  readonly after: ProcessUsage;
  readonly peakRssBytes: number;
  /** Highest RSS during the first cycle (one of each phase), the reference for the leak checks. */
  readonly firstCyclePeakRssBytes: number;
  readonly samples: readonly SoakSample[];
  /**
   * Least-squares slope of RSS in MiB per minute, over the samples after the first cycle when the run
   * has two or more (the first cycle is where the heap grows to its working size), else after the
   * first phase.
   */
  readonly rssSlopeMiBPerMin: number;
  readonly mirror: MirrorTotals;
  /** Why the soak counts as failed; empty when it passed. */
  readonly problems: readonly string[];
}

/**
 * The shadow runs in a process of its own (cycling-shadow.ts), so streaming its huge bodies competes
 * with the gateway for CPU as a remote shadow's network would, not with this process's load loops.
 */
class ShadowProcess {
  phase: ShadowPhase = 'healthy';
  readonly #child: ChildProcess;
  port = 0;

  get pid(): number {
    return this.#child.pid!;
  }

  private constructor(child: ChildProcess) {
    this.#child = child;
  }

  static async start(options: SoakOptions): Promise<ShadowProcess> {
    const child = fork(fileURLToPath(new URL('./cycling-shadow.ts', import.meta.url)), [String(options.slowMs), String(options.hugeBytes)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const shadow = new ShadowProcess(child);
    shadow.port = await shadow.#ask({ phase: 'healthy' });
    return shadow;
  }

  async enter(phase: ShadowPhase): Promise<void> {
    if (phase === this.phase) return;
    await this.#ask({ phase });
    this.phase = phase;
  }

  #ask(message: { phase: ShadowPhase }): Promise<number> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the shadow process exited (${code})`));
      this.#child.once('exit', onExit);
      this.#child.once('message', (reply) => {
        this.#child.off('exit', onExit);
        resolve((reply as { port: number }).port);
      });
      this.#child.send(message);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#child.exitCode !== null) return resolve();
      this.#child.once('exit', () => resolve());
      this.#child.kill('SIGTERM');
    });
  }
}

function config(primaryPort: number, shadowPort: number): string {
  const entry = (name: string, port: number) => `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: ${name} }
spec:
  hosts: [${name}]
  location: MESH_EXTERNAL
  resolution: STATIC
  ports: [{ number: 80, name: http, protocol: HTTP }]
  endpoints: [{ address: 127.0.0.1, ports: { http: ${port} } }]
---`;
  return `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: edge }
spec:
  servers: [{ port: { number: 0, name: http, protocol: HTTP }, bind: 127.0.0.1, hosts: ["*"] }]
---${entry('primary', primaryPort)}${entry('shadow', shadowPort)}
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: soak }
spec:
  hosts: ["*"]
  gateways: [edge]
  http:
    - route: [{ destination: { host: primary } }]
      mirror: { host: shadow }
      mirrorPercentage: { value: 100 }
`;
}

interface Child {
  readonly process: ChildProcess;
  readonly url: string;
  readonly admin: string;
}

/** Starts `shadowgate run` and reads the listener and admin addresses from what it prints. */
async function startGateway(configFile: string): Promise<Child> {
  const child = spawn(process.execPath, [CLI_MAIN, 'run', '-c', configFile, '--admin', '127.0.0.1:0', '--access-log', 'off', '--no-watch'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let url = '';
  let admin = '';
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    url ||= /^listening on (http:\/\/\S+)/.exec(line)?.[1] ?? '';
    admin ||= /^admin on (http:\/\/[^/\s]+)/.exec(line)?.[1] ?? '';
  });
  try {
    await waitFor(() => (url !== '' && admin !== '') || child.exitCode !== null, { timeoutMs: 20_000, description: 'shadowgate printed its addresses' });
  } catch (error) {
    child.kill();
    throw error;
  }
  if (child.exitCode !== null) throw new Error(`shadowgate exited ${child.exitCode}: ${stderr}`);
  return { process: child, url, admin };
}

async function mirrorTotals(admin: string): Promise<MirrorTotals> {
  const stats = (await (await fetch(`${admin}/stats`)).json()) as { mirror: Record<string, unknown>[] };
  const byReason: Record<string, number> = {};
  let sampled = 0;
  let completed = 0;
  let failed = 0;
  let dropped = 0;
  let inFlight = 0;
  for (const m of stats.mirror) {
    sampled += m.sampled as number;
    inFlight += m.inFlight as number;
    for (const n of Object.values(m.completed as Record<string, number>)) completed += n;
    for (const [key, value] of Object.entries(m)) {
      if (typeof value !== 'number') continue;
      if (key.startsWith('failed')) failed += value;
      else if (key.startsWith('dropped')) dropped += value;
      else continue;
      byReason[key] = (byReason[key] ?? 0) + value;
    }
  }
  return { sampled, completed, failed, dropped, inFlight, byReason };
}

/** Least-squares slope of `y` over `x`. */
export function slope(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** User plus system CPU seconds a process has used (/proc/PID/stat, in clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The gateway's V8 heap and external (Buffer) memory, from its Prometheus process metrics. */
async function heapText(admin: string): Promise<string> {
  const text = await (await fetch(`${admin}/stats/prometheus`)).text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
  return `heap used ${mib(value('shadowgate_nodejs_heap_size_used_bytes'))} of ${mib(value('shadowgate_nodejs_heap_size_total_bytes'))} MiB, external ${mib(value('shadowgate_nodejs_external_memory_bytes'))} MiB`;
}

const MiB = 1024 * 1024;
const mib = (bytes: number) => (bytes / MiB).toFixed(1);

/** Runs the soak; resolves with the report (it never throws for a failed soak, see `problems`). */
export async function runSoak(overrides: Partial<SoakOptions> = {}): Promise<SoakReport> {
  const options: SoakOptions = { ...DEFAULT_SOAK, ...overrides };
  const log = options.log;
  const primary = await steadyPrimary();
  const shadow = await ShadowProcess.start(options);
  const { file } = writeConfig(config(primary.port, shadow.port));
  const child = await startGateway(file);
  const pid = child.process.pid!;
  try {
    const before = processUsage(pid);
    log(`soak: ${options.durationS} s, ${options.phaseS} s phases (${PHASES.join(' / ')}), ${options.concurrency} loops; shadowgate pid ${pid}`);
    log(`before: rss ${mib(before.rssBytes)} MiB, fds ${before.fds}; ${await heapText(child.admin)}`);
    const samples: SoakSample[] = [];
    const started = performance.now();
    const elapsedS = () => (performance.now() - started) / 1000;
    const progress = { requests: 0, failures: 0 };
    const load = checkedLoad({
      url: child.url,
      host: 'primary',
      concurrency: options.concurrency,
      durationMs: options.durationS * 1000,
      progress,
    });
    let last = { atS: 0, requests: 0, cpu: cpuSeconds(pid), shadowCpu: cpuSeconds(shadow.pid), ownCpu: cpuSeconds(process.pid) };
    let loadDone = false;
    void load.then(() => (loadDone = true));
    let phaseIndex = 0;
    while (!loadDone) {
      const wanted = PHASES[Math.floor(elapsedS() / options.phaseS) % PHASES.length]!;
      if (wanted !== shadow.phase) {
        await shadow.enter(wanted);
        log(`${elapsedS().toFixed(0).padStart(4)} s  shadow -> ${wanted}`);
        phaseIndex++;
      }
      const usage = processUsage(pid);
      const atS = elapsedS();
      const cpu = cpuSeconds(pid);
      const rps = atS > last.atS ? (progress.requests - last.requests) / (atS - last.atS) : 0;
      const shadowCpu = cpuSeconds(shadow.pid);
      const ownCpu = cpuSeconds(process.pid);
      const percent = (now: number, then: number) => (atS > last.atS ? (100 * (now - then)) / (atS - last.atS) : 0);
      const cpuPercent = percent(cpu, last.cpu);
      const others = `shadow ${percent(shadowCpu, last.shadowCpu).toFixed(0)}%, load ${percent(ownCpu, last.ownCpu).toFixed(0)}%`;
      last = { atS, requests: progress.requests, cpu, shadowCpu, ownCpu };
      samples.push({ ...usage, atS, phase: shadow.phase, rps, cpuPercent });
      log(
        `${atS.toFixed(0).padStart(4)} s  ${shadow.phase.padEnd(9)} rss ${mib(usage.rssBytes).padStart(6)} MiB  fds ${String(usage.fds).padStart(5)}` +
          `  ${rps.toFixed(0).padStart(6)} req/s  cpu ${cpuPercent.toFixed(0).padStart(3)}% (${others})  failures ${progress.failures}`,
      );
      await Promise.race([sleep(options.sampleS * 1000), load]);
    }
    const result = await load;
    // Shadows still in flight (the slow or huge phase) finish or time out before the after reading.
    await shadow.enter('healthy');
    await waitFor(async () => (await mirrorTotals(child.admin)).inFlight === 0, { timeoutMs: 30_000, intervalMs: 200 });
    await sleep(Math.min(5000, options.sampleS * 1000));
    const after = processUsage(pid);
    const mirror = await mirrorTotals(child.admin);
    const cycles = options.durationS / (options.phaseS * PHASES.length);
    const warmFrom = cycles >= 2 ? options.phaseS * PHASES.length : options.phaseS;
    const warm = samples.filter((s) => s.atS >= warmFrom);
    const rssSlopeMiBPerMin = slope(warm.map((s) => [s.atS / 60, s.rssBytes / MiB]));
    const peakRssBytes = Math.max(before.rssBytes, ...samples.map((s) => s.rssBytes));
    const problems: string[] = [];
    if (result.failures > 0) problems.push(`${result.failures} primary failures: ${result.failureSamples.join('; ')}`);
    const accounted = mirror.completed + mirror.failed + mirror.dropped + mirror.inFlight;
    if (accounted !== mirror.sampled) problems.push(`mirror counters do not add up: sampled ${mirror.sampled}, accounted ${accounted}`);
    // The first cycle (one of each phase) is the reference: under load V8's heap grows to a working
    // size once and stays (RSS does not fall back to the idle reading before the load), so a leak
    // shows as memory beyond what the first cycle needed. The margins are generous on purpose:
    // a leak of shadows' buffers or sockets over minutes is far past them.
    const cycleS = options.phaseS * PHASES.length;
    const firstCyclePeak = Math.max(before.rssBytes, ...samples.filter((s) => s.atS < cycleS).map((s) => s.rssBytes));
    const lastCycle = samples.filter((s) => s.atS >= cycleS * Math.max(1, Math.floor(options.durationS / cycleS) - 1));
    const lastCyclePeak = lastCycle.length === 0 ? firstCyclePeak : Math.max(...lastCycle.map((s) => s.rssBytes));
    if (after.rssBytes > firstCyclePeak + 64 * MiB) problems.push(`RSS after the load is ${mib(after.rssBytes - firstCyclePeak)} MiB above the first cycle's peak`);
    if (options.durationS >= 2 * cycleS && lastCyclePeak > firstCyclePeak + 64 * MiB) {
      problems.push(`the last cycle peaked ${mib(lastCyclePeak - firstCyclePeak)} MiB above the first`);
    }
    if (after.fds > before.fds + 20) problems.push(`${after.fds - before.fds} more descriptors open after the load than before`);
    if (options.durationS >= 300 && rssSlopeMiBPerMin > 10) problems.push(`RSS grows ${rssSlopeMiBPerMin.toFixed(1)} MiB per minute`);
    const report: SoakReport = {
      requests: result.requests,
      failures: result.failures,
      failureSamples: result.failureSamples,
      before,
      after,
      peakRssBytes,
      firstCyclePeakRssBytes: firstCyclePeak,
      samples,
      rssSlopeMiBPerMin,
      mirror,
      problems,
    };
    log(`primary: ${result.requests} requests, ${result.failures} failures, slowest ${result.maxLatencyMs.toFixed(0)} ms (${phaseIndex} phase changes)`);
    log(`mirror: sampled ${mirror.sampled} = completed ${mirror.completed} + failed ${mirror.failed} + dropped ${mirror.dropped} + in flight ${mirror.inFlight}`);
    log(`mirror reasons: ${Object.entries(mirror.byReason).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`);
    log(
      `rss: before ${mib(before.rssBytes)} MiB, first-cycle peak ${mib(firstCyclePeak)} MiB, last-cycle peak ${mib(lastCyclePeak)} MiB, ` +
        `peak ${mib(peakRssBytes)} MiB, after ${mib(after.rssBytes)} MiB; slope from ${warmFrom} s on ${rssSlopeMiBPerMin.toFixed(2)} MiB/min`,
    );
    log(`fds: before ${before.fds}, after ${after.fds}; after: ${await heapText(child.admin)}`);
    const byPhase = PHASES.filter((phase) => samples.some((s) => s.phase === phase && s.rps > 0)).map((phase) => {
      const during = samples.filter((s) => s.phase === phase && s.rps > 0);
      const mean = during.reduce((sum, s) => sum + s.rps, 0) / Math.max(1, during.length);
      const cpu = during.reduce((sum, s) => sum + s.cpuPercent, 0) / Math.max(1, during.length);
      return `${phase} ${mean.toFixed(0)} (gateway cpu ${cpu.toFixed(0)}%)`;
    });
    log(`primary req/s by shadow phase (mean of samples): ${byPhase.join(', ')}`);
    log(problems.length === 0 ? 'soak passed' : `soak FAILED:\n  ${problems.join('\n  ')}`);
    return report;
  } finally {
    child.process.kill('SIGTERM');
    await new Promise<void>((resolve) => (child.process.exitCode !== null ? resolve() : child.process.once('exit', () => resolve())));
    await shadow.close();
    await primary.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      phase: { type: 'string' },
      concurrency: { type: 'string' },
      sample: { type: 'string' },
    },
  });
  const number = (text: string | undefined, fallback: number) => (text === undefined ? fallback : Number(text));
  const report = await runSoak({
    durationS: number(values.duration, DEFAULT_SOAK.durationS),
    phaseS: number(values.phase, DEFAULT_SOAK.phaseS),
    concurrency: number(values.concurrency, DEFAULT_SOAK.concurrency),
    sampleS: number(values.sample, DEFAULT_SOAK.sampleS),
  });
  process.exitCode = report.problems.length === 0 ? 0 : 1;
}
