/**
 * `retries.retryOn` as Istio reads it. Validation (`validateHTTPRetry`) splits on commas and accepts an
 * entry that is an HTTP status code Go knows (`http.StatusText`) or one of Envoy's `x-envoy-retry-on` /
 * `x-envoy-retry-grpc-on` policies; the translation (`parseRetryOn`) then turns codes into
 * `retriable_status_codes` and adds `retriable-status-codes` when codes are listed.
 */

/** Policies Istio's validation accepts (`supportedRetryOnPolicies`). */
export const RETRY_ON_POLICIES: ReadonlySet<string> = new Set([
  '5xx',
  'gateway-error',
  'reset',
  'reset-before-request',
  'connect-failure',
  'retriable-4xx',
  'refused-stream',
  'retriable-status-codes',
  'retriable-headers',
  'envoy-ratelimited',
  'http3-post-connect-failure',
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
]);

/**
 * Policies Envoy would act on that shadowgate does not evaluate: `envoy-ratelimited` (a response
 * header) and `reset-before-request`. The others that are not in `isRetriable` cannot fire where
 * shadowgate proxies, in Envoy either: the gRPC ones need gRPC (HTTP/2), `refused-stream` an HTTP/2
 * upstream, `http3-post-connect-failure` HTTP/3, `retriable-headers` headers Istio never configures.
 */
const NOT_EVALUATED: ReadonlySet<string> = new Set(['envoy-ratelimited', 'reset-before-request']);

/** The status codes Go's `http.StatusText` names, which is what Istio accepts as a numeric entry. */
const KNOWN_STATUS_CODES: ReadonlySet<number> = new Set([
  100, 101, 102, 103,
  200, 201, 202, 203, 204, 205, 206, 207, 208, 226,
  300, 301, 302, 303, 304, 305, 307, 308,
  400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418,
  421, 422, 423, 424, 425, 426, 428, 429, 431, 451,
  500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
]);

export interface RetryOnSink {
  error(message: string): void;
  /** An accepted entry that shadowgate does not act on. */
  ignored(message: string): void;
}

export interface CompiledRetryOn {
  /** Envoy `retry_on` conditions, `retriable-status-codes` included when codes are listed. */
  readonly retryOn: readonly string[];
  readonly statusCodes: readonly number[];
}

/** Validates and splits a `retryOn` string; invalid entries are reported and left out. */
export function compileRetryOn(text: string, sink: RetryOnSink): CompiledRetryOn {
  const retryOn: string[] = [];
  const statusCodes: number[] = [];
  const ignored: string[] = [];
  for (const entry of text.split(',')) {
    if (/^\d+$/.test(entry) && KNOWN_STATUS_CODES.has(Number(entry))) {
      if (!statusCodes.includes(Number(entry))) statusCodes.push(Number(entry));
    } else if (RETRY_ON_POLICIES.has(entry)) {
      if (!retryOn.includes(entry)) retryOn.push(entry);
      if (NOT_EVALUATED.has(entry)) ignored.push(entry);
    } else {
      sink.error(`${JSON.stringify(entry)} is not a valid retryOn policy: use an HTTP status code or one of ${[...RETRY_ON_POLICIES].join(', ')} (comma-separated, no spaces)`);
    }
  }
  if (statusCodes.length > 0 && !retryOn.includes('retriable-status-codes')) retryOn.push('retriable-status-codes');
  if (ignored.length > 0) {
    sink.ignored(`retryOn ${ignored.join(', ')}: accepted, but shadowgate does not evaluate ${ignored.length === 1 ? 'this condition' : 'these conditions'}, so no retry happens on ${ignored.length === 1 ? 'it' : 'them'}`);
  }
  return { retryOn, statusCodes };
}
