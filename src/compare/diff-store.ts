/**
 * Where comparison results go: counts per route and mirror, the most frequent differing fields, and a
 * bounded set of samples (the request, both responses, the differences) for each kind of difference.
 * An embedded SQLite database through Node's built-in `node:sqlite` (no native build to install): a
 * file when a path is configured, else in memory. Samples past `maxSamples` are evicted oldest first.
 *
 * Writes are queued and committed in one transaction per turn of the event loop, off the request path:
 * comparisons run after both responses ended, and a burst of them costs one commit, not one each.
 */
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { ResponseDifference } from './response-compare.ts';

export type CompareResult = 'match' | 'differ' | 'noise' | 'skipped';

/** One comparison's outcome, as the comparator reports it. */
export interface ComparisonRecord {
  readonly time: number;
  readonly routeId: string;
  readonly mirrorCluster: string;
  readonly result: CompareResult;
  /** Why a comparison was skipped (`body_too_large`, `streaming`, `memory`, ...). */
  readonly reason?: string;
  /** Real differences (`differ`) and those the baseline explains (`noise`). */
  readonly differences?: readonly ResponseDifference[];
  readonly noise?: readonly ResponseDifference[];
  /** What a sample shows; kept only for `differ` and `noise`. */
  readonly sample?: { readonly request: unknown; readonly primary: unknown; readonly shadow: unknown; readonly baseline?: unknown };
}

export interface DiffStoreOptions {
  /** A database file, or null for memory. */
  readonly path: string | null;
  readonly maxSamples: number;
  /** Samples kept per route, mirror and kind of difference (the set of differing fields). */
  readonly samplesPerKind: number;
}

export interface RouteDiffSummary {
  readonly routeId: string;
  readonly mirrorCluster: string;
  readonly counts: Readonly<Record<CompareResult, number>>;
  readonly skipped: Readonly<Record<string, number>>;
  readonly topPaths: readonly { readonly path: string; readonly class: 'real' | 'noise'; readonly count: number }[];
  readonly samples: readonly { readonly id: number; readonly time: number; readonly result: CompareResult; readonly signature: string }[];
}

export interface DiffSample {
  readonly id: number;
  readonly time: number;
  readonly routeId: string;
  readonly mirrorCluster: string;
  readonly result: CompareResult;
  readonly signature: string;
  readonly differences: readonly ResponseDifference[];
  readonly noise: readonly ResponseDifference[];
  readonly request: unknown;
  readonly primary: unknown;
  readonly shadow: unknown;
  readonly baseline?: unknown;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS counts (route TEXT, mirror TEXT, result TEXT, reason TEXT, n INTEGER, PRIMARY KEY (route, mirror, result, reason));
CREATE TABLE IF NOT EXISTS paths (route TEXT, mirror TEXT, path TEXT, class TEXT, n INTEGER, PRIMARY KEY (route, mirror, path, class));
CREATE TABLE IF NOT EXISTS samples (id INTEGER PRIMARY KEY AUTOINCREMENT, time INTEGER, route TEXT, mirror TEXT, result TEXT, signature TEXT, body TEXT);
CREATE INDEX IF NOT EXISTS samples_by_kind ON samples (route, mirror, signature, id);
`;

/** The field a difference is grouped by: JSON array indexes generalised (`$.items[*].price`). */
function fieldOf(d: ResponseDifference): string {
  const path = d.where === 'body' ? d.path.replace(/\[\d+\]/g, '[*]') : d.path;
  return d.where === 'header' ? `header ${path}` : path;
}

export class DiffStore {
  readonly #db: DatabaseSync;
  readonly #options: DiffStoreOptions;
  readonly #queue: ComparisonRecord[] = [];
  #scheduled = false;
  #failedBatches = 0;
  readonly #statements: Record<'count' | 'path' | 'insert' | 'kindCount' | 'evictKind' | 'total' | 'evictOldest', StatementSync>;

  constructor(options: DiffStoreOptions) {
    this.#options = options;
    this.#db = new DatabaseSync(options.path ?? ':memory:');
    // Workers (`--workers N`) share one file: wait for another process's short write instead of failing.
    this.#db.exec('PRAGMA busy_timeout = 2000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
    this.#db.exec(SCHEMA);
    this.#statements = {
      count: this.#db.prepare('INSERT INTO counts VALUES (?, ?, ?, ?, 1) ON CONFLICT DO UPDATE SET n = n + 1'),
      path: this.#db.prepare('INSERT INTO paths VALUES (?, ?, ?, ?, 1) ON CONFLICT DO UPDATE SET n = n + 1'),
      insert: this.#db.prepare('INSERT INTO samples (time, route, mirror, result, signature, body) VALUES (?, ?, ?, ?, ?, ?)'),
      kindCount: this.#db.prepare('SELECT count(*) AS n FROM samples WHERE route = ? AND mirror = ? AND signature = ?'),
      evictKind: this.#db.prepare(
        'DELETE FROM samples WHERE id = (SELECT min(id) FROM samples WHERE route = ? AND mirror = ? AND signature = ?)',
      ),
      total: this.#db.prepare('SELECT count(*) AS n FROM samples'),
      evictOldest: this.#db.prepare('DELETE FROM samples WHERE id IN (SELECT id FROM samples ORDER BY id LIMIT ?)'),
    };
  }

  /** Queues a result; it is written at the end of this turn of the event loop. */
  record(record: ComparisonRecord): void {
    this.#queue.push(record);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        try {
          this.flush();
        } catch {
          // A write that failed (disk full, a lock held too long) loses that batch, counted; never the process.
          this.#failedBatches++;
        }
      });
    }
  }

  /** Batches of results that could not be written (their counters in metrics are still right). */
  get failedBatches(): number {
    return this.#failedBatches;
  }

  /** Writes what is queued now (tests and shutdown call it directly). */
  flush(): void {
    this.#scheduled = false;
    if (this.#queue.length === 0) return;
    const batch = this.#queue.splice(0);
    const s = this.#statements;
    // IMMEDIATE: take the write lock up front, so two processes cannot both read and then fail to upgrade.
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      for (const r of batch) {
        s.count.run(r.routeId, r.mirrorCluster, r.result, r.reason ?? '');
        for (const field of new Set((r.differences ?? []).map(fieldOf))) s.path.run(r.routeId, r.mirrorCluster, field, 'real');
        for (const field of new Set((r.noise ?? []).map(fieldOf))) s.path.run(r.routeId, r.mirrorCluster, field, 'noise');
        if ((r.result === 'differ' || r.result === 'noise') && r.sample !== undefined) this.#keepSample(r);
      }
      const over = Number((s.total.get() as { n: number }).n) - this.#options.maxSamples;
      if (over > 0) s.evictOldest.run(over);
      this.#db.exec('COMMIT');
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  #keepSample(r: ComparisonRecord): void {
    const s = this.#statements;
    const signature = [...new Set([...(r.differences ?? []), ...(r.noise ?? [])].map(fieldOf))].sort().join(' ');
    const held = Number((s.kindCount.get(r.routeId, r.mirrorCluster, signature) as { n: number }).n);
    if (held >= this.#options.samplesPerKind) s.evictKind.run(r.routeId, r.mirrorCluster, signature);
    const body = JSON.stringify({ differences: r.differences ?? [], noise: r.noise ?? [], ...r.sample });
    s.insert.run(r.time, r.routeId, r.mirrorCluster, r.result, signature, body);
  }

  /** Per route and mirror: counts, skip reasons, the most frequent fields, and the samples held. */
  summary(filter: { routeId?: string } = {}, topPaths = 10): RouteDiffSummary[] {
    this.flush();
    const where = filter.routeId === undefined ? '' : ' WHERE route = ?';
    const args = filter.routeId === undefined ? [] : [filter.routeId];
    const out = new Map<string, { routeId: string; mirrorCluster: string; counts: Record<CompareResult, number>; skipped: Record<string, number> }>();
    for (const row of this.#db.prepare(`SELECT route, mirror, result, reason, n FROM counts${where} ORDER BY route, mirror`).all(...args) as {
      route: string;
      mirror: string;
      result: CompareResult;
      reason: string;
      n: number;
    }[]) {
      const key = `${row.route}\n${row.mirror}`;
      let entry = out.get(key);
      if (entry === undefined) {
        entry = { routeId: row.route, mirrorCluster: row.mirror, counts: { match: 0, differ: 0, noise: 0, skipped: 0 }, skipped: {} };
        out.set(key, entry);
      }
      entry.counts[row.result] += Number(row.n);
      if (row.result === 'skipped') entry.skipped[row.reason] = (entry.skipped[row.reason] ?? 0) + Number(row.n);
    }
    const paths = this.#db.prepare('SELECT path, class, n FROM paths WHERE route = ? AND mirror = ? ORDER BY n DESC, path LIMIT ?');
    const samples = this.#db.prepare('SELECT id, time, result, signature FROM samples WHERE route = ? AND mirror = ? ORDER BY id DESC LIMIT 50');
    return [...out.values()].map((entry) => ({
      ...entry,
      topPaths: (paths.all(entry.routeId, entry.mirrorCluster, topPaths) as { path: string; class: 'real' | 'noise'; n: number }[]).map((p) => ({
        path: p.path,
        class: p.class,
        count: Number(p.n),
      })),
      samples: (samples.all(entry.routeId, entry.mirrorCluster) as { id: number; time: number; result: CompareResult; signature: string }[]).map((s) => ({
        id: Number(s.id),
        time: Number(s.time),
        result: s.result,
        signature: s.signature,
      })),
    }));
  }

  /** One sample, or null when it is unknown or was evicted. */
  sample(id: number): DiffSample | null {
    this.flush();
    const row = this.#db.prepare('SELECT id, time, route, mirror, result, signature, body FROM samples WHERE id = ?').get(id) as
      | { id: number; time: number; route: string; mirror: string; result: CompareResult; signature: string; body: string }
      | undefined;
    if (row === undefined) return null;
    return {
      id: Number(row.id),
      time: Number(row.time),
      routeId: row.route,
      mirrorCluster: row.mirror,
      result: row.result,
      signature: row.signature,
      ...(JSON.parse(row.body) as Pick<DiffSample, 'differences' | 'noise' | 'request' | 'primary' | 'shadow' | 'baseline'>),
    };
  }

  close(): void {
    this.flush();
    this.#db.close();
  }
}
