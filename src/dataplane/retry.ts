/**
 * Which primary failures a route's retry policy retries, with Envoy's meaning of each `retry_on` value
 * (Istio passes `retries.retryOn` through unchanged): `5xx` covers connect failures, resets (protocol errors included) and per-try
 * timeouts as well as 5xx answers; `gateway-error` the same for 502/503/504; `connect-failure` and
 * `reset` only those; `retriable-status-codes` the listed codes; `retriable-4xx` a 409.
 */
import type { RetryPolicy } from '../snapshot/types.ts';

export type AttemptOutcome =
  | { readonly kind: 'connect' }
  | { readonly kind: 'reset' }
  | { readonly kind: 'protocol' }
  | { readonly kind: 'per-try-timeout' }
  | { readonly kind: 'status'; readonly status: number };

export function isRetriable(policy: RetryPolicy, outcome: AttemptOutcome): boolean {
  const on = policy.retryOn;
  switch (outcome.kind) {
    case 'connect':
      return on.has('connect-failure') || on.has('5xx') || on.has('gateway-error') || on.has('reset');
    // Envoy resets the upstream stream on a protocol error, so `reset` and `5xx` retry it as a reset.
    case 'reset':
    case 'protocol':
      return on.has('reset') || on.has('5xx') || on.has('gateway-error');
    case 'per-try-timeout':
      return on.has('5xx') || on.has('gateway-error');
    case 'status': {
      const status = outcome.status;
      if (on.has('5xx') && status >= 500) return true;
      if (on.has('gateway-error') && (status === 502 || status === 503 || status === 504)) return true;
      if (on.has('retriable-4xx') && status === 409) return true;
      return on.has('retriable-status-codes') && policy.retriableStatusCodes.has(status);
    }
  }
}

/** Envoy's default back-off: a random wait up to 25 ms doubled per retry, capped at 250 ms. */
export function retryBackoffMs(retryNumber: number, random: () => number): number {
  return Math.floor(random() * Math.min(25 * 2 ** retryNumber, 250));
}
