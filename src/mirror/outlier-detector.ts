/**
 * Outlier detection for mirror endpoints: the data plane's detector (dataplane/upstream/
 * outlier-detector.ts) set up the way shadows need it, after Envoy's consecutive local-origin
 * failures. After `threshold` consecutive failures to reach an endpoint (connect failure, reset,
 * timeout) it is ejected for a back-off that doubles with each ejection; copies meanwhile are dropped
 * and counted without a connect attempt. When the back-off ends one copy goes through as a probe: an
 * answer (any status) restores the endpoint, a failure ejects it again for longer. A dead shadow
 * therefore costs the gateway one attempt per back-off period instead of one per request.
 */
import { OutlierDetector as EndpointOutlierDetector } from '../dataplane/upstream/outlier-detector.ts';

export interface OutlierSettings {
  /** Consecutive failures that eject an endpoint (Envoy's default is 5). */
  readonly threshold: number;
  readonly baseEjectionMs: number;
  readonly maxEjectionMs: number;
}

export const DEFAULT_OUTLIER_SETTINGS: OutlierSettings = { threshold: 5, baseEjectionMs: 1000, maxEjectionMs: 30_000 };

/** The shadow detector: `admit`, `succeeded`, `failed`, `inconclusive` and `ejected` as before the generalisation. */
export class OutlierDetector<E extends object> extends EndpointOutlierDetector<E> {
  constructor(settings: OutlierSettings = DEFAULT_OUTLIER_SETTINGS, now: () => number = Date.now) {
    super(
      {
        consecutive5xx: 0,
        consecutiveGatewayFailure: 0,
        consecutiveLocalOriginFailure: Math.max(1, settings.threshold),
        baseEjectionMs: settings.baseEjectionMs,
        maxEjectionMs: settings.maxEjectionMs,
        backoff: 'doubling',
        // Shadows across every mirror cluster share one detector; no share of them is protected.
        maxEjectionPercent: 100,
        intervalMs: 0,
        probe: true,
      },
      now,
    );
  }
}
