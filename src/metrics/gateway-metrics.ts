/**
 * The gateway's Prometheus registry: every counter the data plane keeps, plus config and connection
 * state, read at scrape time. Nothing here is on the request path.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { GatewayCounters, MirrorCounters } from '../stats/counters.ts';
import { CollectedMetric, histogramValues, type MetricValue } from './collected-metric.ts';
import { METRICS } from './names.ts';

/** What the metrics read; the admin server passes the gateway's counters and the controller's state. */
export interface MetricsSource {
  readonly counters: GatewayCounters;
  connections(): readonly { readonly listener: string; readonly count: number }[];
  config(): {
    readonly version: string;
    readonly loadedAt: string;
    readonly reloads: { readonly success: number; readonly failure: number };
    readonly overrides: number;
  };
}

const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;
const COMPARE_RESULTS = ['match', 'differ', 'noise', 'skipped'] as const;

export function createMetricsRegistry(source: MetricsSource, options: { processMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  const { counters } = source;
  const metrics = [
    new CollectedMetric('downstreamRequests', 'counter', () =>
      [...counters.downstreams()].flatMap((c) =>
        STATUS_CLASSES.filter((k) => c.completed[k] > 0).map((k) => ({
          labels: { listener: c.listener, route: c.routeId, status_class: k },
          value: c.completed[k],
        })),
      ),
    ),
    new CollectedMetric('downstreamDuration', 'histogram', () =>
      [...counters.downstreams()].flatMap((c) =>
        histogramValues(METRICS.downstreamDuration.name, c.latency, { listener: c.listener, route: c.routeId }),
      ),
    ),
    new CollectedMetric('downstreamConnections', 'gauge', () =>
      source.connections().map((c) => ({ labels: { listener: c.listener }, value: c.count })),
    ),
    new CollectedMetric('downstreamTimeouts', 'counter', () =>
      [...counters.listeners()].flatMap((c) => [
        { labels: { listener: c.listener, reason: 'request_headers' }, value: c.timeoutRequestHeaders },
        { labels: { listener: c.listener, reason: 'idle' }, value: c.timeoutIdle },
        { labels: { listener: c.listener, reason: 'request_body' }, value: c.timeoutRequestBody },
      ]),
    ),
    new CollectedMetric('downstreamRefused', 'counter', () =>
      [...counters.listeners()].map((c) => ({ labels: { listener: c.listener, reason: 'max_connections' }, value: c.refusedMaxConnections })),
    ),
    new CollectedMetric('upstreamRequests', 'counter', () =>
      [...counters.upstreams()].flatMap((c) =>
        STATUS_CLASSES.filter((k) => c.completed[k] > 0).map((k) => ({
          labels: { cluster: c.cluster, status_class: k },
          value: c.completed[k],
        })),
      ),
    ),
    new CollectedMetric('upstreamDuration', 'histogram', () =>
      [...counters.upstreams()].flatMap((c) => histogramValues(METRICS.upstreamDuration.name, c.latency, { cluster: c.cluster })),
    ),
    new CollectedMetric('upstreamFailures', 'counter', () =>
      [...counters.upstreams()].flatMap((c) => [
        { labels: { cluster: c.cluster, reason: 'connect_failure' }, value: c.connectFailures },
        { labels: { cluster: c.cluster, reason: 'timeout' }, value: c.timeouts },
        { labels: { cluster: c.cluster, reason: 'reset' }, value: c.resets },
        { labels: { cluster: c.cluster, reason: 'protocol_error' }, value: c.protocolErrors },
        { labels: { cluster: c.cluster, reason: 'overflow' }, value: c.overflows },
      ]),
    ),
    new CollectedMetric('upstreamRetries', 'counter', () =>
      [...counters.upstreams()].map((c) => ({ labels: { cluster: c.cluster }, value: c.retries })),
    ),
    new CollectedMetric('upstreamRetryOverflows', 'counter', () =>
      [...counters.upstreams()].map((c) => ({ labels: { cluster: c.cluster }, value: c.retryOverflows })),
    ),
    new CollectedMetric('upstreamEjections', 'counter', () =>
      [...counters.upstreams()].map((c) => ({ labels: { cluster: c.cluster }, value: c.ejections })),
    ),
    new CollectedMetric('upstreamInFlight', 'gauge', () =>
      [...counters.upstreams()].map((c) => ({ labels: { cluster: c.cluster }, value: c.inFlight })),
    ),
    ...mirrorMetrics(counters),
    new CollectedMetric('configReloads', 'counter', () => {
      const { reloads } = source.config();
      return [
        { labels: { result: 'success' }, value: reloads.success },
        { labels: { result: 'failure' }, value: reloads.failure },
      ];
    }),
    new CollectedMetric('configInfo', 'gauge', () => [{ labels: { version: source.config().version }, value: 1 }]),
    new CollectedMetric('configLoadedAt', 'gauge', () => [
      { labels: {}, value: Date.parse(source.config().loadedAt) / 1000 },
    ]),
    new CollectedMetric('mirrorOverrides', 'gauge', () => [{ labels: {}, value: source.config().overrides }]),
  ];
  for (const metric of metrics) metric.register(registry);
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'shadowgate_' });
  return registry;
}

function mirrorMetrics(counters: GatewayCounters): CollectedMetric[] {
  const each = (pick: (c: Readonly<MirrorCounters>) => MetricValue[]) => () => [...counters.mirrors()].flatMap(pick);
  const labels = (c: { routeId: string; cluster: string }) => ({ route: c.routeId, mirror_cluster: c.cluster });
  return [
    new CollectedMetric('mirrorSampled', 'counter', each((c) => [{ labels: labels(c), value: c.sampled }])),
    new CollectedMetric(
      'mirrorStickySampled',
      'counter',
      each((c) =>
        c.sampledByKey + c.sampledRandom === 0
          ? []
          : [
              { labels: { ...labels(c), sampling: 'key' }, value: c.sampledByKey },
              { labels: { ...labels(c), sampling: 'random' }, value: c.sampledRandom },
            ],
      ),
    ),
    new CollectedMetric(
      'captureRecords',
      'counter',
      each((c) =>
        c.captureWritten + c.captureDroppedQueueFull + c.captureDroppedWriteError === 0
          ? []
          : [
              { labels: { ...labels(c), result: 'written' }, value: c.captureWritten },
              { labels: { ...labels(c), result: 'dropped_queue_full' }, value: c.captureDroppedQueueFull },
              { labels: { ...labels(c), result: 'dropped_write_error' }, value: c.captureDroppedWriteError },
            ],
      ),
    ),
    new CollectedMetric('mirrorSent', 'counter', each((c) => [{ labels: labels(c), value: c.sent }])),
    new CollectedMetric(
      'mirrorCompleted',
      'counter',
      each((c) =>
        STATUS_CLASSES.filter((k) => c.completed[k] > 0).map((k) => ({ labels: { ...labels(c), status_class: k }, value: c.completed[k] })),
      ),
    ),
    new CollectedMetric(
      'mirrorFailed',
      'counter',
      each((c) => [
        { labels: { ...labels(c), reason: 'connect_failure' }, value: c.failedConnect },
        { labels: { ...labels(c), reason: 'reset' }, value: c.failedReset },
        { labels: { ...labels(c), reason: 'timeout' }, value: c.failedTimeout },
        { labels: { ...labels(c), reason: 'protocol_error' }, value: c.failedProtocol },
      ]),
    ),
    new CollectedMetric(
      'mirrorDropped',
      'counter',
      each((c) => [
        { labels: { ...labels(c), reason: 'overflow' }, value: c.droppedOverflow },
        { labels: { ...labels(c), reason: 'body_too_large' }, value: c.droppedBodyTooLarge },
        { labels: { ...labels(c), reason: 'no_endpoint' }, value: c.droppedNoEndpoint },
        { labels: { ...labels(c), reason: 'downstream_aborted' }, value: c.droppedAborted },
        { labels: { ...labels(c), reason: 'ejected' }, value: c.droppedEjected },
        { labels: { ...labels(c), reason: 'response_too_large' }, value: c.droppedResponseTooLarge },
      ]),
    ),
    new CollectedMetric('mirrorInFlight', 'gauge', each((c) => [{ labels: labels(c), value: c.inFlight }])),
    // Only mirrors that compare have series: a plain mirror's would all be 0.
    new CollectedMetric(
      'compareTotal',
      'counter',
      each((c) =>
        COMPARE_RESULTS.some((k) => c.compare[k] > 0)
          ? COMPARE_RESULTS.map((k) => ({ labels: { ...labels(c), result: k }, value: c.compare[k] }))
          : [],
      ),
    ),
    new CollectedMetric(
      'compareSkipped',
      'counter',
      each((c) => Object.entries(c.compareSkipped).map(([reason, value]) => ({ labels: { ...labels(c), reason }, value }))),
    ),
  ];
}
