/** The benchmark matrix: each scenario runs for every contender in it, in one run of the bench. */

export type ShadowKind = 'none' | 'body' | '204' | 'slow' | 'down';
export type ContenderName = 'direct' | 'shadowgate' | 'nginx' | 'node-floor';

export interface Scenario {
  /** Used with `--only`. */
  readonly name: string;
  readonly title: string;
  readonly shadow: ShadowKind;
  /** POST bodies of this many bytes; null for GETs. */
  readonly postBytes: number | null;
  readonly workers: number;
  readonly contenders: readonly ContenderName[];
  /** shadowgate only: a MirrorPolicy turns response comparison on for the mirror (nginx has none). */
  readonly compare?: boolean;
}

const PROXIES: readonly ContenderName[] = ['shadowgate', 'nginx'];
/** With the plain node:http + undici proxy (bench/node-floor-server.ts): what any Node gateway costs. */
const WITH_FLOOR: readonly ContenderName[] = ['shadowgate', 'nginx', 'node-floor'];

export const SCENARIOS: readonly Scenario[] = [
  { name: 'direct', title: 'wrk → primary, no proxy (ceiling)', shadow: 'none', postBytes: null, workers: 1, contenders: ['direct'] },
  { name: 'no-mirror', title: 'no mirror', shadow: 'none', postBytes: null, workers: 1, contenders: WITH_FLOOR },
  { name: 'mirror-body', title: '100% mirror, shadow answers 200 with a body', shadow: 'body', postBytes: null, workers: 1, contenders: WITH_FLOOR },
  { name: 'mirror-204', title: '100% mirror, shadow answers 204', shadow: '204', postBytes: null, workers: 1, contenders: PROXIES },
  { name: 'mirror-slow', title: '100% mirror, shadow answers after 200 ms', shadow: 'slow', postBytes: null, workers: 1, contenders: PROXIES },
  { name: 'mirror-down', title: '100% mirror, shadow port closed', shadow: 'down', postBytes: null, workers: 1, contenders: PROXIES },
  { name: 'mirror-post-64k', title: '100% mirror of 64 KiB POST bodies, shadow with a body', shadow: 'body', postBytes: 64 * 1024, workers: 1, contenders: PROXIES },
  {
    name: 'compare-body',
    title: 'as mirror-body, every response compared (MirrorPolicy compare; nginx has no equivalent)',
    shadow: 'body',
    postBytes: null,
    workers: 1,
    contenders: ['shadowgate'],
    compare: true,
  },
  { name: 'workers-2', title: 'as mirror-body, 2 workers (nginx worker_processes 2)', shadow: 'body', postBytes: null, workers: 2, contenders: PROXIES },
];

/** The scenario each one's throughput is compared with ("vs own no-mirror"). */
export const BASELINE_SCENARIO = 'no-mirror';
