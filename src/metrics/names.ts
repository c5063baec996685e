/**
 * Every metric and label name the gateway exports, in one place; the README's metrics table is written
 * from this list. Names follow Prometheus conventions (`_total` counters, `_seconds` histograms).
 */
export const METRICS = {
  downstreamRequests: { name: 'shadowgate_downstream_requests_total', help: 'Downstream requests answered, by listener, route and status class', labels: ['listener', 'route', 'status_class'] },
  downstreamDuration: { name: 'shadowgate_downstream_request_duration_seconds', help: 'Downstream request duration, arrival to last byte sent', labels: ['listener', 'route'] },
  downstreamConnections: { name: 'shadowgate_downstream_connections_active', help: 'Open downstream connections', labels: ['listener'] },
  downstreamTimeouts: { name: 'shadowgate_downstream_timeouts_total', help: 'Downstream connections the gateway closed on a timeout, by reason (request_headers, idle, request_body)', labels: ['listener', 'reason'] },
  downstreamRefused: { name: 'shadowgate_downstream_connections_refused_total', help: 'Downstream connections closed on accept, by reason (max_connections)', labels: ['listener', 'reason'] },
  upstreamRequests: { name: 'shadowgate_upstream_requests_total', help: 'Primary upstream responses, by cluster and status class (each attempt counts)', labels: ['cluster', 'status_class'] },
  upstreamDuration: { name: 'shadowgate_upstream_request_duration_seconds', help: 'Primary upstream attempt duration', labels: ['cluster'] },
  upstreamFailures: { name: 'shadowgate_upstream_failures_total', help: 'Primary upstream attempts that failed, by reason (connect_failure, timeout, reset, protocol_error, overflow)', labels: ['cluster', 'reason'] },
  upstreamRetries: { name: 'shadowgate_upstream_retries_total', help: 'Primary upstream retries', labels: ['cluster'] },
  upstreamRetryOverflows: { name: 'shadowgate_upstream_retry_overflows_total', help: 'Primary retries not attempted because the cluster\'s maxRetries were in flight', labels: ['cluster'] },
  upstreamEjections: { name: 'shadowgate_upstream_ejections_total', help: 'Primary endpoints ejected by outlier detection', labels: ['cluster'] },
  upstreamInFlight: { name: 'shadowgate_upstream_requests_in_flight', help: 'Primary upstream requests in flight', labels: ['cluster'] },
  mirrorSampled: { name: 'shadowgate_mirror_sampled_total', help: 'Requests the mirror sampling picked, by route and mirror cluster', labels: ['route', 'mirror_cluster'] },
  mirrorStickySampled: { name: 'shadowgate_mirror_sticky_sampled_total', help: 'Requests a sticky-sampling mirror picked, by how: sampling="key" (the key\'s hash) or "random" (no key in the request)', labels: ['route', 'mirror_cluster', 'sampling'] },
  captureRecords: { name: 'shadowgate_capture_records_total', help: 'Capture records of mirrored requests, by result (written, dropped_queue_full, dropped_write_error)', labels: ['route', 'mirror_cluster', 'result'] },
  mirrorSent: { name: 'shadowgate_mirror_sent_total', help: 'Copies handed to a shadow connection', labels: ['route', 'mirror_cluster'] },
  mirrorCompleted: { name: 'shadowgate_mirror_completed_total', help: 'Copies the shadow answered in full, by status class', labels: ['route', 'mirror_cluster', 'status_class'] },
  mirrorFailed: { name: 'shadowgate_mirror_failed_total', help: 'Copies that failed after sending, by reason (connect_failure, reset, timeout, protocol_error)', labels: ['route', 'mirror_cluster', 'reason'] },
  mirrorDropped: { name: 'shadowgate_mirror_dropped_total', help: 'Copies dropped or abandoned, by reason (overflow, body_too_large, no_endpoint, downstream_aborted, ejected, response_too_large)', labels: ['route', 'mirror_cluster', 'reason'] },
  mirrorInFlight: { name: 'shadowgate_mirror_in_flight', help: 'Copies in flight', labels: ['route', 'mirror_cluster'] },
  compareTotal: { name: 'shadowgate_compare_total', help: 'Response comparisons of a mirror with compare on, by result (match, differ, noise, skipped)', labels: ['route', 'mirror_cluster', 'result'] },
  compareSkipped: { name: 'shadowgate_compare_skipped_total', help: 'Skipped response comparisons by reason (body_too_large, streaming, memory, invalid_json, undecodable, too_deep, primary_aborted, primary_failed, shadow_failed, shadow_timeout, shadow_dropped, baseline_*)', labels: ['route', 'mirror_cluster', 'reason'] },
  configReloads: { name: 'shadowgate_config_reloads_total', help: 'Config loads by result (success, failure)', labels: ['result'] },
  configInfo: { name: 'shadowgate_config_info', help: 'The serving config: always 1, labelled with its version', labels: ['version'] },
  configLoadedAt: { name: 'shadowgate_config_last_success_timestamp_seconds', help: 'When the serving config was loaded', labels: [] },
  mirrorOverrides: { name: 'shadowgate_mirror_overrides', help: 'Routes whose mirror policy is a runtime override', labels: [] },
} as const;

export type MetricKey = keyof typeof METRICS;
