/** Medians over the measured runs, the markdown table with ratios against nginx, and the targets. */
import type { ContenderResult, RunMeasurement } from './measure.ts';
import { BASELINE_SCENARIO, type ContenderName, type Scenario } from './scenarios.ts';

export interface ScenarioResult {
  readonly scenario: Scenario;
  readonly contenders: ContenderResult[];
}

/** Medians of the measured runs (the warm-up excluded); null fields have no value in this scenario. */
export interface Summary {
  readonly runs: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly cpuMicrosPerRequest: number | null;
  readonly copiesPerRequest: number | null;
  readonly shadowConnections: number | null;
  readonly peakRssMiB: number | null;
  readonly peakRssSumMiB: number | null;
  readonly processes: number | null;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function medianOf(runs: readonly RunMeasurement[], pick: (run: RunMeasurement) => number | null): number | null {
  const values = runs.map(pick).filter((v): v is number => v !== null);
  return values.length === 0 ? null : median(values);
}

export function summarize(result: ContenderResult): Summary | null {
  const { runs } = result;
  if (runs.length === 0 || result.error !== null) return null;
  return {
    runs: runs.length,
    requestsPerSecond: median(runs.map((r) => r.requestsPerSecond)),
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    errors: median(runs.map((r) => r.errors)),
    cpuMicrosPerRequest: medianOf(runs, (r) => r.cpuMicrosPerRequest),
    copiesPerRequest: medianOf(runs, (r) => r.copiesPerRequest),
    shadowConnections: medianOf(runs, (r) => r.shadowConnections),
    peakRssMiB: result.peakRssKiB === null ? null : result.peakRssKiB.maxProcess / 1024,
    peakRssSumMiB: result.peakRssKiB === null ? null : result.peakRssKiB.sum / 1024,
    processes: result.peakRssKiB?.processes ?? null,
  };
}

function find(results: readonly ScenarioResult[], scenario: string, contender: ContenderName): Summary | null {
  const entry = results.find((r) => r.scenario.name === scenario)?.contenders.find((c) => c.contender === contender);
  return entry === undefined ? null : summarize(entry);
}

const dash = '—';
const fixed = (v: number | null, digits: number): string => (v === null || !Number.isFinite(v) ? dash : v.toFixed(digits));
const ratio = (a: number | null | undefined, b: number | null | undefined): string =>
  a == null || b == null || b === 0 ? dash : `${(a / b).toFixed(2)}×`;
const percent = (a: number | null | undefined, b: number | null | undefined): string =>
  a == null || b == null || b === 0 ? dash : `${((a / b) * 100).toFixed(0)}%`;

function rss(s: Summary): string {
  if (s.peakRssMiB === null) return dash;
  if ((s.processes ?? 1) <= 1) return s.peakRssMiB.toFixed(0);
  return `${s.peakRssMiB.toFixed(0)} (Σ${s.peakRssSumMiB!.toFixed(0)}, ${s.processes} procs)`;
}

export const TABLE_HEADER = [
  'scenario',
  'proxy',
  'req/s',
  'p50 ms',
  'p99 ms',
  'errors',
  'CPU µs/req',
  'copies/req',
  'shadow conns',
  'peak RSS MiB',
  'req/s ÷ nginx',
  'CPU ÷ nginx',
  'req/s vs own no-mirror',
];

/** The results table: one row per scenario and contender. */
export function markdownTable(results: readonly ScenarioResult[]): string {
  const rows: string[][] = [];
  for (const { scenario, contenders } of results) {
    for (const result of contenders) {
      const name = [scenario.name, result.contender];
      if (!result.available) {
        rows.push([...name, result.reason ?? 'not available', ...Array<string>(TABLE_HEADER.length - 3).fill('')]);
        continue;
      }
      const s = summarize(result);
      if (s === null) {
        rows.push([...name, `FAILED: ${(result.error ?? 'no runs').split('\n')[0]!.slice(0, 160)}`, ...Array<string>(TABLE_HEADER.length - 3).fill('')]);
        continue;
      }
      const nginx = result.contender === 'shadowgate' ? find(results, scenario.name, 'nginx') : null;
      const own = scenario.name === BASELINE_SCENARIO || result.contender === 'direct' ? null : find(results, BASELINE_SCENARIO, result.contender);
      rows.push([
        ...name,
        s.requestsPerSecond.toFixed(0),
        fixed(s.p50Ms, 2),
        fixed(s.p99Ms, 2),
        s.errors.toFixed(0),
        fixed(s.cpuMicrosPerRequest, 1),
        s.copiesPerRequest === null ? dash : `${(s.copiesPerRequest * 100).toFixed(1)}%`,
        fixed(s.shadowConnections, 0),
        rss(s),
        ratio(s.requestsPerSecond, nginx?.requestsPerSecond),
        ratio(s.cpuMicrosPerRequest, nginx?.cpuMicrosPerRequest),
        percent(s.requestsPerSecond, own?.requestsPerSecond),
      ]);
    }
  }
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(TABLE_HEADER), line(TABLE_HEADER.map(() => '---')), ...rows.map(line)].join('\n');
}

interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  /** null: not measured in this run. */
  readonly pass: boolean | null;
}

/** shadowgate's targets from issue 4, against what this run measured. */
export function targetChecks(results: readonly ScenarioResult[]): TargetCheck[] {
  const sg = (name: string): Summary | null => find(results, name, 'shadowgate');
  const ng = (name: string): Summary | null => find(results, name, 'nginx');
  const checks: TargetCheck[] = [];
  const add = (target: string, measured: string | null, pass: boolean | null): void => {
    checks.push({ target, measured: measured ?? 'not measured', pass: measured === null ? null : pass });
  };
  const none = sg('no-mirror');
  const body = sg('mirror-body');
  const slow = sg('mirror-slow');
  const down = sg('mirror-down');
  add('≤ 55 µs/req, no mirror', none?.cpuMicrosPerRequest == null ? null : `${none.cpuMicrosPerRequest.toFixed(1)} µs/req`, (none?.cpuMicrosPerRequest ?? Infinity) <= 55);
  add('≤ 75 µs/req, 100% mirror', body?.cpuMicrosPerRequest == null ? null : `${body.cpuMicrosPerRequest.toFixed(1)} µs/req`, (body?.cpuMicrosPerRequest ?? Infinity) <= 75);
  const ngBody = ng('mirror-body');
  add(
    'mirror throughput ≥ 1.5× nginx’s',
    body === null || ngBody === null ? null : `${ratio(body.requestsPerSecond, ngBody.requestsPerSecond)} (${body.requestsPerSecond.toFixed(0)} vs ${ngBody.requestsPerSecond.toFixed(0)} req/s)`,
    body !== null && ngBody !== null && body.requestsPerSecond >= 1.5 * ngBody.requestsPerSecond,
  );
  add(
    'slow shadow: req/s ≥ 90% of own no-mirror',
    slow === null || none === null ? null : percent(slow.requestsPerSecond, none.requestsPerSecond),
    slow !== null && none !== null && slow.requestsPerSecond >= 0.9 * none.requestsPerSecond,
  );
  add(
    'slow shadow: p99 ≤ 1.5× own no-mirror',
    slow === null || none === null ? null : `${slow.p99Ms.toFixed(2)} vs ${none.p99Ms.toFixed(2)} ms (${ratio(slow.p99Ms, none.p99Ms)})`,
    slow !== null && none !== null && slow.p99Ms <= 1.5 * none.p99Ms,
  );
  add(
    'dead shadow: req/s ≥ 95% of own no-mirror',
    down === null || none === null ? null : percent(down.requestsPerSecond, none.requestsPerSecond),
    down !== null && none !== null && down.requestsPerSecond >= 0.95 * none.requestsPerSecond,
  );
  const peaks = results
    .flatMap((r) => r.contenders.filter((c) => c.contender === 'shadowgate').map((c) => summarize(c)?.peakRssMiB ?? null))
    .filter((v): v is number => v !== null);
  const peak = peaks.length === 0 ? null : Math.max(...peaks);
  add('peak RSS < 150 MiB (largest process, any scenario)', peak === null ? null : `${peak.toFixed(0)} MiB`, (peak ?? Infinity) < 150);
  return checks;
}

export function targetsMarkdown(results: readonly ScenarioResult[]): string {
  const rows = targetChecks(results).map((c) => `| ${c.target} | ${c.measured} | ${c.pass === null ? dash : c.pass ? 'pass' : 'MISS'} |`);
  return ['| shadowgate target | measured | |', '| --- | --- | --- |', ...rows].join('\n');
}
