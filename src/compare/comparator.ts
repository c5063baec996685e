/**
 * Runs comparisons once their responses are in, off the request path (a `setImmediate` after the last
 * party settled), and records each outcome: counters per route and mirror (metrics) and the
 * `DiffStore` (counts, top fields, samples). One per process; the proxy asks it for a `Comparison`
 * when a mirror with `compare` is sampled, and the memory cap is checked there first.
 */
import type { CompareSettings } from '../snapshot/mirror-extensions.ts';
import type { GatewayCounters } from '../stats/counters.ts';
import { CompareMemory } from './compare-memory.ts';
import { type ComparedRequest, Comparison } from './comparison.ts';
import type { CompareResult, ComparisonRecord, DiffStore } from './diff-store.ts';
import { parsePathPattern } from './json-path.ts';
import { separateResponseNoise } from './noise.ts';
import { type CapturedResponse, compareResponses, mediaType, type ResponseCompareRules } from './response-compare.ts';

export const DEFAULT_COMPARE_MAX_MEMORY_BYTES = 64 * 1024 * 1024;

export interface ComparatorOptions {
  readonly counters: GatewayCounters;
  /** The store, opened on first use (a gateway that never compares opens no database). */
  readonly store: () => DiffStore;
  /** Bytes held for comparison across the process (default 64 MiB). */
  readonly maxMemoryBytes?: number;
  /** Whether `close()` closes the store (false when someone else, the admin server, reads it too). */
  readonly ownsStore?: boolean;
}

/** Rules compiled once per compiled settings object (a reload compiles new ones). */
const rulesBySettings = new WeakMap<CompareSettings, ResponseCompareRules>();

export function compareRules(settings: CompareSettings): ResponseCompareRules {
  let rules = rulesBySettings.get(settings);
  if (rules === undefined) {
    rules = {
      json: {
        ignore: settings.ignorePaths.map(parsePathPattern),
        unordered: settings.unorderedArrays.map(parsePathPattern),
        tolerance: settings.tolerance,
        maxDifferences: 100,
      },
      ignoreHeaders: new Set(settings.ignoreHeaders),
      maxBodyBytes: settings.maxBodyBytes,
    };
    rulesBySettings.set(settings, rules);
  }
  return rules;
}

export class Comparator {
  readonly memory: CompareMemory;
  readonly #counters: GatewayCounters;
  readonly #store: () => DiffStore;
  readonly #ownsStore: boolean;
  #opened: DiffStore | null = null;
  #closed = false;

  constructor(options: ComparatorOptions) {
    this.#counters = options.counters;
    this.#store = options.store;
    this.#ownsStore = options.ownsStore ?? true;
    this.memory = new CompareMemory(options.maxMemoryBytes ?? DEFAULT_COMPARE_MAX_MEMORY_BYTES);
  }

  /** The store, if anything opened it yet. */
  get store(): DiffStore {
    return (this.#opened ??= this.#store());
  }

  /** A comparison for one sampled copy, or null (counted as skipped, `memory`) when the cap is reached. */
  begin(routeId: string, mirrorCluster: string, settings: CompareSettings, request: ComparedRequest): Comparison | null {
    if (this.memory.full) {
      this.#record(routeId, mirrorCluster, { result: 'skipped', reason: 'memory' });
      return null;
    }
    return new Comparison({
      routeId,
      mirrorCluster,
      settings,
      request,
      memory: this.memory,
      onSettled: (comparison) => setImmediate(() => this.#run(comparison)),
    });
  }

  #run(comparison: Comparison): void {
    const { routeId, mirrorCluster } = comparison;
    try {
      if (comparison.skipped !== null) {
        this.#record(routeId, mirrorCluster, { result: 'skipped', reason: comparison.skipped });
        return;
      }
      const responses = comparison.responses();
      comparison.release();
      const rules = compareRules(comparison.settings);
      const outcome = compareResponses(responses.primary, responses.shadow, rules);
      if (outcome.result === 'skipped') {
        this.#record(routeId, mirrorCluster, { result: 'skipped', reason: outcome.reason });
        return;
      }
      if (outcome.result === 'match') {
        this.#record(routeId, mirrorCluster, { result: 'match' });
        return;
      }
      let real = outcome.differences;
      let noise: typeof real = [];
      if (responses.baseline !== null) {
        const baseline = compareResponses(responses.primary, responses.baseline, rules);
        if (baseline.result === 'skipped') {
          this.#record(routeId, mirrorCluster, { result: 'skipped', reason: `baseline_${baseline.reason}` });
          return;
        }
        if (baseline.result === 'differ') ({ real, noise } = separateResponseNoise(outcome.differences, baseline.differences));
      }
      this.#record(routeId, mirrorCluster, {
        result: real.length > 0 ? 'differ' : 'noise',
        differences: real,
        noise,
        sample: {
          request: comparison.request,
          primary: sampleOf(responses.primary),
          shadow: sampleOf(responses.shadow),
          ...(responses.baseline !== null && { baseline: sampleOf(responses.baseline) }),
        },
      });
    } finally {
      comparison.release();
    }
  }

  #record(routeId: string, mirrorCluster: string, outcome: Omit<ComparisonRecord, 'time' | 'routeId' | 'mirrorCluster'> & { result: CompareResult }): void {
    const counters = this.#counters.mirror(routeId, mirrorCluster);
    counters.compare[outcome.result]++;
    if (outcome.result === 'skipped') {
      const reason = outcome.reason ?? 'unknown';
      counters.compareSkipped[reason] = (counters.compareSkipped[reason] ?? 0) + 1;
    }
    // A comparison settling during shutdown is counted but not stored once the store is closed.
    if (!this.#closed) this.store.record({ time: Date.now(), routeId, mirrorCluster, ...outcome });
  }

  close(): void {
    this.#closed = true;
    if (this.#ownsStore) this.#opened?.close();
    else this.#opened?.flush();
    this.#opened = null;
  }
}

const TEXT_LIKE = /^(?:text\/|application\/(?:[\w.+-]+\+)?(?:json|xml)$)/;

/** How a sample shows a response: text bodies as text, others as base64 (both already bounded). */
function sampleOf(response: CapturedResponse): unknown {
  const text = TEXT_LIKE.test(mediaType(response.headers)) && response.headers['content-encoding'] === undefined;
  return {
    status: response.status,
    headers: response.headers,
    ...(text ? { body: response.body.toString('utf8') } : { bodyBase64: response.body.toString('base64') }),
  };
}
