/**
 * The JSON the console's endpoints answer (`GET /api/timeseries`, the `GET /api/stream` events): the
 * contract between the gateway and the dashboard page, which imports these types. Times are epoch
 * seconds; every per-second column has one entry per second of `t`.
 */

export type Role = 'primary' | 'mirror';

/** Status classes the charts show; 1xx is left out (a proxy relays no final 1xx). */
export const STATUS_CLASSES = ['2xx', '3xx', '4xx', '5xx'] as const;
export type ChartStatusClass = (typeof STATUS_CLASSES)[number];

/** Totals over the summary window (the last 60 s; QPS over the last 10 s). */
export interface SeriesSummary {
  /** Requests (primary) or copies sent (mirror) per second over the last 10 seconds. */
  readonly qps: number;
  /** Requests (primary) or copies sent (mirror) in the window. */
  readonly requests: number;
  /** 2xx and 3xx answers among all outcomes (mirror: answers plus failures); null without any. */
  readonly successPct: number | null;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  /** Failures (no usable response): connect failures, resets, timeouts, protocol errors; primary also overflows. */
  readonly failed: number;
  readonly failedReasons: Readonly<Record<string, number>>;
  /** Copies dropped before sending or abandoned midway (mirror only; always 0 for a primary). */
  readonly dropped: number;
  readonly droppedReasons: Readonly<Record<string, number>>;
  readonly windowSeconds: number;
}

/** A mirror's observed share of the route's requests against its configured percentage. */
export interface MirrorShare {
  /** The configured percentage, or null when the route no longer mirrors to this cluster. */
  readonly configuredPct: number | null;
  /** Copies sampled ÷ primary requests, in percent; null without primary requests. */
  readonly observedPct: number | null;
  readonly sampled: number;
  readonly primaryRequests: number;
  /** Within 3 binomial standard deviations of the configured share; null when it cannot be judged. */
  readonly consistent: boolean | null;
  /** First second of the window: the last minute, or since the policy last changed. */
  readonly fromSecond: number;
  readonly windowSeconds: number;
}

export interface SeriesView {
  readonly role: Role;
  /** The cluster name (`outbound|PORT|SUBSET|HOST`); a primary with a weighted split lists them joined by ", ". */
  readonly cluster: string;
  /** Primary: the destination clusters and their weights. */
  readonly destinations: readonly { readonly cluster: string; readonly weight: number }[];
  /** Mirror: where the policy comes from; null when no longer configured (history only). */
  readonly origin: 'config' | 'override' | null;
  /** Primary: other routes sending to the same clusters (the failure counts are per cluster). */
  readonly sharedWith: readonly string[];
  readonly summary: SeriesSummary;
  /** Mirror only. */
  readonly share: MirrorShare | null;
}

/** One second of a series. */
export interface SeriesPoint {
  readonly qps: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly status: Readonly<Record<ChartStatusClass, number>>;
  readonly failed: number;
  readonly dropped: number;
}

export interface SeriesColumns {
  readonly qps: number[];
  readonly p50Ms: (number | null)[];
  readonly p99Ms: (number | null)[];
  readonly status: Readonly<Record<ChartStatusClass, number[]>>;
  readonly failed: number[];
  readonly dropped: number[];
}

export interface GatewayInfo {
  readonly startedAt: string;
  readonly uptimeSeconds: number;
  /** Worker processes serving traffic; 0 when this process serves it. */
  readonly workers: number;
  readonly config: {
    readonly version: string | null;
    readonly loadedAt: string | null;
    readonly lastRejected: {
      readonly at: string;
      readonly errors: readonly { readonly code: string; readonly field: string; readonly message: string; readonly file: string; readonly line: number }[];
    } | null;
  };
  /** True once the history stopped taking new series (see MAX_SERIES). */
  readonly historyFull: boolean;
}

export interface RouteTimeseries {
  readonly route: string;
  /** Per-second timestamps (epoch seconds), oldest first. */
  readonly t: number[];
  readonly series: (SeriesView & { readonly columns: SeriesColumns })[];
}

/** `GET /api/timeseries[?route=ID][&since=EPOCH_SECONDS]`. */
export interface TimeseriesResponse {
  readonly resolutionSeconds: 1;
  readonly historySeconds: number;
  /** The newest complete second. */
  readonly through: number;
  readonly gateway: GatewayInfo;
  readonly routes: RouteTimeseries[];
}

/** One `tick` event of `GET /api/stream`: the second that just completed, for every route. */
export interface StreamTick {
  readonly through: number;
  readonly gateway: GatewayInfo;
  readonly routes: { readonly route: string; readonly series: (SeriesView & { readonly point: SeriesPoint })[] }[];
}
