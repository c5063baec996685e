/**
 * The selected route's per-second history in the page: filled from `GET /api/timeseries` once, then
 * one point per stream tick. Kept to the gateway's 15 minutes.
 */
import { STATUS_CLASSES, type RouteTimeseries, type SeriesColumns, type SeriesPoint, type StreamTick } from '../api-types.ts';

export interface ChartSeries {
  readonly role: 'primary' | 'mirror';
  readonly cluster: string;
  readonly columns: SeriesColumns;
}

export class RouteData {
  readonly route: string;
  readonly t: number[];
  readonly series: ChartSeries[];
  readonly #limit: number;

  constructor(data: RouteTimeseries, limit: number) {
    this.route = data.route;
    this.t = [...data.t];
    this.series = data.series.map((s) => ({ role: s.role, cluster: s.cluster, columns: s.columns }));
    this.#limit = limit;
  }

  /** The newest second, or -1. */
  get through(): number {
    return this.t.at(-1) ?? -1;
  }

  /** Identifies the set of series; a tick with another set means the history must be fetched again. */
  get shape(): string {
    return this.series.map((s) => `${s.role}:${s.cluster}`).join(',');
  }

  /** Appends the tick's point for this route. Returns false when the tick does not fit (gap or new series). */
  append(tick: StreamTick): boolean {
    const route = tick.routes.find((r) => r.route === this.route);
    if (route === undefined) return false;
    if (tick.through <= this.through) return true;
    if (this.through >= 0 && tick.through !== this.through + 1) return false;
    if (route.series.map((s) => `${s.role}:${s.cluster}`).join(',') !== this.shape) return false;
    this.t.push(tick.through);
    route.series.forEach((s, i) => push(this.series[i]!.columns, s.point));
    if (this.t.length > this.#limit) this.#trim(this.t.length - this.#limit);
    return true;
  }

  #trim(n: number): void {
    this.t.splice(0, n);
    for (const s of this.series) {
      const c = s.columns;
      for (const column of [c.qps, c.p50Ms, c.p99Ms, c.failed, c.dropped, ...STATUS_CLASSES.map((k) => c.status[k])]) column.splice(0, n);
    }
  }
}

function push(c: SeriesColumns, p: SeriesPoint): void {
  c.qps.push(p.qps);
  c.p50Ms.push(p.p50Ms);
  c.p99Ms.push(p.p99Ms);
  for (const k of STATUS_CLASSES) c.status[k].push(p.status[k]);
  c.failed.push(p.failed);
  c.dropped.push(p.dropped);
}
