/**
 * Outlier detection for mirror endpoints, after Envoy's consecutive local-origin failures: after
 * `threshold` consecutive failures to reach an endpoint (connect failure, reset, timeout) it is ejected
 * for a back-off that doubles with each ejection; copies meanwhile are dropped and counted without a
 * connect attempt. When the back-off ends one copy goes through as a probe: an answer (any status)
 * restores the endpoint, a failure ejects it again for longer. A dead shadow therefore costs the
 * gateway one attempt per back-off period instead of one per request.
 */

export interface OutlierSettings {
  /** Consecutive failures that eject an endpoint (Envoy's default is 5). */
  readonly threshold: number;
  readonly baseEjectionMs: number;
  readonly maxEjectionMs: number;
}

export const DEFAULT_OUTLIER_SETTINGS: OutlierSettings = { threshold: 5, baseEjectionMs: 1000, maxEjectionMs: 30_000 };

interface Health {
  consecutiveFailures: number;
  ejections: number;
  ejectedUntil: number;
  probing: boolean;
}

export class OutlierDetector<E extends object> {
  readonly #settings: OutlierSettings;
  readonly #now: () => number;
  readonly #health = new WeakMap<E, Health>();

  constructor(settings: OutlierSettings = DEFAULT_OUTLIER_SETTINGS, now: () => number = Date.now) {
    this.#settings = settings;
    this.#now = now;
  }

  /**
   * Whether a copy may go to `endpoint` now. After an ejection ends, the first caller gets `true` and
   * becomes the probe; the others get `false` until the probe has an outcome.
   */
  admit(endpoint: E): boolean {
    const health = this.#health.get(endpoint);
    if (health === undefined || health.ejectedUntil === 0) return true;
    if (health.probing || this.#now() < health.ejectedUntil) return false;
    health.probing = true;
    return true;
  }

  succeeded(endpoint: E): void {
    const health = this.#health.get(endpoint);
    if (health === undefined) return;
    health.consecutiveFailures = 0;
    health.ejections = 0;
    health.ejectedUntil = 0;
    health.probing = false;
  }

  failed(endpoint: E): void {
    let health = this.#health.get(endpoint);
    if (health === undefined) {
      health = { consecutiveFailures: 0, ejections: 0, ejectedUntil: 0, probing: false };
      this.#health.set(endpoint, health);
    }
    health.consecutiveFailures++;
    if (health.probing || health.consecutiveFailures >= this.#settings.threshold) {
      const backoff = Math.min(this.#settings.baseEjectionMs * 2 ** health.ejections, this.#settings.maxEjectionMs);
      health.ejections++;
      health.ejectedUntil = this.#now() + backoff;
      health.probing = false;
    }
  }

  /** The copy ended without saying anything about the endpoint (its body was abandoned): a probe can go again. */
  inconclusive(endpoint: E): void {
    const health = this.#health.get(endpoint);
    if (health !== undefined) health.probing = false;
  }

  ejected(endpoint: E): boolean {
    const health = this.#health.get(endpoint);
    return health !== undefined && health.ejectedUntil !== 0 && (health.probing || this.#now() < health.ejectedUntil);
  }
}
