/**
 * The comparison charts of the selected route, drawn with uPlot: requests per second, latency (p50 and
 * p99) and responses by status class, primary against each mirror on one time axis. The primary is
 * always blue and solid; mirrors are orange (then purple, teal) and dashed, so where the lines coincide
 * (100% mirroring) both stay visible.
 */
import uPlot from 'uplot';
import { clusterLabel } from './format.ts';
import type { ChartSeries, RouteData } from './route-data.ts';

const PRIMARY_COLOUR = '#1d4ed8';
const MIRROR_COLOURS = ['#ea580c', '#9333ea', '#0d9488', '#be185d'];
const STATUS_COLOURS = { '2xx': '#16a34a', '4xx': '#d97706', '5xx': '#dc2626', failed: '#7c3aed', dropped: '#6b7280' } as const;
const MIRROR_DASH = [7, 4];
const HEIGHT = 200;
const TIME: uPlot.Series = { label: 'time', value: (_u, v) => (v == null ? '' : new Date(v * 1000).toLocaleTimeString('en-GB')) };

function colour(s: ChartSeries, index: number): string {
  return s.role === 'primary' ? PRIMARY_COLOUR : MIRROR_COLOURS[(index - 1) % MIRROR_COLOURS.length]!;
}

function name(s: ChartSeries): string {
  return `${s.role} ${clusterLabel(s.cluster.split(', ')[0] ?? s.cluster)}${s.cluster.includes(', ') ? ' +' : ''}`;
}

function line(label: string, stroke: string, role: ChartSeries['role'], extra: Partial<uPlot.Series> = {}): uPlot.Series {
  return {
    label,
    stroke,
    width: role === 'primary' ? 2.5 : 2,
    ...(role === 'mirror' && { dash: MIRROR_DASH }),
    points: { show: false },
    // Blank rather than "--" while the cursor is off the chart, so the legend reads as a legend.
    value: (_u, v) => (v == null ? '' : v.toFixed(v < 10 ? 2 : 1)),
    ...extra,
  };
}

function axes(unit: string): uPlot.Axis[] {
  const grid = { stroke: '#e5e7eb', width: 1 };
  const font = '12px system-ui, sans-serif';
  return [
    { label: 'time (local)', labelSize: 18, labelFont: font, font, grid, ticks: grid },
    { label: unit, labelSize: 20, labelFont: font, font, grid, ticks: grid, size: 56 },
  ];
}

interface Built {
  readonly series: uPlot.Series[];
  readonly data: uPlot.AlignedData;
  readonly unit: string;
  /** Latency spans sub-millisecond p50s to p99 spikes of seconds: a log axis shows both. */
  readonly log?: boolean;
}

function qps(route: RouteData): Built {
  return {
    unit: 'requests / s',
    series: [TIME, ...route.series.map((s, i) => line(`${name(s)} QPS`, colour(s, i), s.role))],
    data: [route.t, ...route.series.map((s) => s.columns.qps)],
  };
}

function latency(route: RouteData): Built {
  const series: uPlot.Series[] = [TIME];
  const data: (number | null)[][] = [];
  route.series.forEach((s, i) => {
    series.push(line(`${name(s)} p50`, colour(s, i), s.role));
    data.push(s.columns.p50Ms);
    series.push(line(`${name(s)} p99`, colour(s, i), s.role, { width: 1.25, dash: s.role === 'mirror' ? [2, 3] : [10, 3, 2, 3] }));
    data.push(s.columns.p99Ms);
  });
  return { unit: 'ms (log scale)', series, data: [route.t, ...data] as uPlot.AlignedData, log: true };
}

function status(route: RouteData): Built {
  const series: uPlot.Series[] = [TIME];
  const data: number[][] = [];
  for (const s of route.series) {
    const kinds = s.role === 'mirror' ? (['2xx', '4xx', '5xx', 'failed', 'dropped'] as const) : (['2xx', '4xx', '5xx', 'failed'] as const);
    for (const kind of kinds) {
      series.push(line(`${s.role} ${kind}`, STATUS_COLOURS[kind], s.role));
      data.push(kind === 'failed' ? s.columns.failed : kind === 'dropped' ? s.columns.dropped : s.columns.status[kind]);
    }
  }
  return { unit: 'responses / s', series, data: [route.t, ...data] };
}

const BUILDERS = { qps, latency, status } as const;
type ChartName = keyof typeof BUILDERS;

/** The three charts; rebuilt when the route or its set of series changes, fed new data every second. */
export class ComparisonCharts {
  readonly #hosts: Record<ChartName, HTMLElement>;
  #plots: Partial<Record<ChartName, uPlot>> = {};
  #shape = '';

  constructor(hosts: Record<ChartName, HTMLElement>) {
    this.#hosts = hosts;
    new ResizeObserver(() => this.#resize()).observe(hosts.qps);
  }

  show(route: RouteData): void {
    const shape = `${route.route}|${route.shape}`;
    if (shape !== this.#shape) {
      this.#shape = shape;
      for (const plot of Object.values(this.#plots)) plot.destroy();
      this.#plots = {};
      for (const chart of Object.keys(BUILDERS) as ChartName[]) {
        const built = BUILDERS[chart](route);
        const host = this.#hosts[chart];
        host.replaceChildren();
        this.#plots[chart] = new uPlot(
          {
            width: Math.max(320, host.clientWidth),
            height: HEIGHT,
            series: built.series,
            axes: axes(built.unit),
            scales: {
              x: { time: true },
              y: built.log ? { distr: 3, log: 10 } : { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
            },
            legend: { live: true },
            cursor: { drag: { x: false, y: false } },
          },
          built.data,
          host,
        );
      }
      return;
    }
    for (const chart of Object.keys(BUILDERS) as ChartName[]) this.#plots[chart]?.setData(BUILDERS[chart](route).data);
  }

  #resize(): void {
    for (const chart of Object.keys(this.#plots) as ChartName[]) {
      const width = Math.max(320, this.#hosts[chart].clientWidth);
      this.#plots[chart]?.setSize({ width, height: HEIGHT });
    }
  }
}
