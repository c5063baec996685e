/**
 * Outlier detection after Envoy's consecutive-error detectors (outlier_detection_impl.cc), one
 * implementation for both users:
 *
 * - primary clusters with a DestinationRule `outlierDetection` (Envoy's behaviour as Istio configures
 *   it): consecutive 5xx answers, or consecutive 502/503/504 answers, eject an endpoint; a local-origin
 *   failure (connect failure, reset, timeout) counts as a 503. An ejection lasts `baseEjectionMs` times
 *   the endpoint's ejection count (capped at `maxEjectionMs`), the endpoint comes back at the first
 *   `intervalMs` sweep after that, and each interval it then stays healthy takes one off the count.
 *   No ejection may take the ejected share of the endpoints to `maxEjectionPercent` or beyond.
 * - shadows (src/mirror/outlier-detector.ts): local-origin failures only, counted apart from answers
 *   (Envoy's `split_external_local_origin_errors`), a back-off that doubles, and one probe when an
 *   ejection ends whose answer restores the endpoint and whose failure ejects it again at once.
 *
 * State is per endpoint object; time is injected.
 */

export interface OutlierPolicy {
  /** Consecutive 5xx answers (local-origin failures included unless split) that eject; 0 = off. */
  readonly consecutive5xx: number;
  /** Consecutive 502/503/504 answers (local-origin failures included unless split) that eject; 0 = off. */
  readonly consecutiveGatewayFailure: number;
  /**
   * When positive, local-origin failures are counted on their own against this threshold and answers
   * never count as failures (Envoy's `split_external_local_origin_errors` with
   * `consecutive_local_origin_failure`).
   */
  readonly consecutiveLocalOriginFailure: number;
  readonly baseEjectionMs: number;
  readonly maxEjectionMs: number;
  /** `linear`: base × ejections (Envoy); `doubling`: base × 2^(ejections-1). */
  readonly backoff: 'linear' | 'doubling';
  /** Ejections are refused while this share (0-100) of the endpoints is ejected or more. */
  readonly maxEjectionPercent: number;
  /** Sweep period: returns (and the ejection count's decay) happen on these ticks; 0 = at once. */
  readonly intervalMs: number;
  /** When an ejection ends, one request probes before the endpoint is fully back. */
  readonly probe: boolean;
}

interface Health {
  consecutive5xx: number;
  consecutiveGateway: number;
  consecutiveLocal: number;
  /** The ejection count the next back-off is computed from. */
  ejections: number;
  /** 0 when not ejected. */
  ejectedUntil: number;
  /** When the endpoint last came back (for the count's decay); 0 when never ejected. */
  returnedAt: number;
  probing: boolean;
}

export class OutlierDetector<E extends object> {
  readonly #policy: OutlierPolicy;
  readonly #now: () => number;
  readonly #endpointCount: () => number;
  readonly #health = new WeakMap<E, Health>();
  /** Ejected endpoints, so sweeps and the percentage cap need no walk over all of them (not kept in probe mode). */
  readonly #ejected = new Set<E>();
  readonly #epoch: number;
  /** Ejections enforced so far. */
  ejectionsTotal = 0;
  /** Ejections the percentage cap refused. */
  ejectionsOverflow = 0;

  constructor(policy: OutlierPolicy, now: () => number = Date.now, endpointCount: () => number = () => 0) {
    this.#policy = policy;
    this.#now = now;
    this.#endpointCount = endpointCount;
    this.#epoch = now();
  }

  /** Endpoints ejected right now (after returning the ones whose time is up). */
  get ejectedCount(): number {
    this.sweep();
    return this.#ejected.size;
  }

  /**
   * Whether a request may go to `endpoint` now. In probe mode the first caller after an ejection ends
   * gets `true` and becomes the probe; the others get `false` until the probe has an outcome.
   */
  admit(endpoint: E): boolean {
    const health = this.#health.get(endpoint);
    if (health === undefined || health.ejectedUntil === 0) return true;
    if (!this.#policy.probe) return !this.#stillEjected(endpoint, health);
    if (health.probing || this.#now() < health.ejectedUntil) return false;
    health.probing = true;
    return true;
  }

  /** Whether `endpoint` is out of load balancing now. */
  ejected(endpoint: E): boolean {
    const health = this.#health.get(endpoint);
    if (health === undefined || health.ejectedUntil === 0) return false;
    if (!this.#policy.probe) return this.#stillEjected(endpoint, health);
    return health.probing || this.#now() < health.ejectedUntil;
  }

  /** Drops the ejected set, for when the endpoint objects are replaced (their state goes with them). */
  forget(): void {
    this.#ejected.clear();
  }

  /** Returns endpoints whose ejection is over; `true` when any came back. */
  sweep(): boolean {
    let changed = false;
    for (const endpoint of this.#ejected) {
      const health = this.#health.get(endpoint);
      if (health === undefined || !this.#stillEjected(endpoint, health)) changed = true;
    }
    return changed;
  }

  /** The endpoint answered with `status`. Returns `true` when this ejected it. */
  responded(endpoint: E, status: number): boolean {
    const policy = this.#policy;
    if (policy.consecutiveLocalOriginFailure > 0 || policy.probe) {
      // Split mode: an answer says the endpoint is reachable, whatever its status.
      this.succeeded(endpoint);
      return false;
    }
    if (status < 500) {
      const health = this.#health.get(endpoint);
      if (health !== undefined) {
        health.consecutive5xx = 0;
        health.consecutiveGateway = 0;
      }
      return false;
    }
    return this.#countError(endpoint, status === 502 || status === 503 || status === 504);
  }

  /** The endpoint answered (mirror wording: any status is a success). Resets the failure streaks. */
  succeeded(endpoint: E): void {
    const health = this.#health.get(endpoint);
    if (health === undefined) return;
    health.consecutive5xx = 0;
    health.consecutiveGateway = 0;
    health.consecutiveLocal = 0;
    if (this.#policy.probe) {
      health.ejections = 0;
      health.ejectedUntil = 0;
      health.probing = false;
    }
  }

  /** A local-origin failure: connect failure, reset or timeout. Returns `true` when this ejected it. */
  failed(endpoint: E): boolean {
    const policy = this.#policy;
    if (policy.consecutiveLocalOriginFailure > 0) {
      const health = this.#healthOf(endpoint);
      health.consecutiveLocal++;
      if (health.probing || health.consecutiveLocal >= policy.consecutiveLocalOriginFailure) return this.#eject(endpoint, health);
      return false;
    }
    // Not split: Envoy maps the failure to a 503, a gateway error.
    return this.#countError(endpoint, true);
  }

  /** The request ended without saying anything about the endpoint: a probe can go again. */
  inconclusive(endpoint: E): void {
    const health = this.#health.get(endpoint);
    if (health !== undefined) health.probing = false;
  }

  #countError(endpoint: E, gateway: boolean): boolean {
    const policy = this.#policy;
    const health = this.#healthOf(endpoint);
    if (health.ejectedUntil !== 0) return false;
    if (gateway) health.consecutiveGateway++;
    else health.consecutiveGateway = 0;
    health.consecutive5xx++;
    // Envoy fires each detector when its count reaches the threshold exactly.
    const gatewayHit = policy.consecutiveGatewayFailure > 0 && gateway && health.consecutiveGateway === policy.consecutiveGatewayFailure;
    const fiveHit = policy.consecutive5xx > 0 && health.consecutive5xx === policy.consecutive5xx;
    return gatewayHit || fiveHit ? this.#eject(endpoint, health) : false;
  }

  #eject(endpoint: E, health: Health): boolean {
    const policy = this.#policy;
    const now = this.#now();
    if (!policy.probe) {
      this.sweep();
      const total = this.#endpointCount();
      if (total > 0 && (100 * this.#ejected.size) / total >= policy.maxEjectionPercent) {
        this.ejectionsOverflow++;
        return false;
      }
      if (health.returnedAt !== 0 && policy.intervalMs > 0) {
        const healthyIntervals = Math.floor((now - health.returnedAt) / policy.intervalMs);
        health.ejections = Math.max(0, health.ejections - healthyIntervals);
      }
    }
    health.ejections++;
    const factor = policy.backoff === 'linear' ? health.ejections : 2 ** (health.ejections - 1);
    health.ejectedUntil = now + Math.min(policy.baseEjectionMs * factor, policy.maxEjectionMs);
    health.probing = false;
    health.consecutive5xx = 0;
    health.consecutiveGateway = 0;
    if (!policy.probe) {
      // Envoy returns hosts at interval sweeps: the first tick at or after the ejection's end.
      if (policy.intervalMs > 0) {
        const ticks = Math.ceil((health.ejectedUntil - this.#epoch) / policy.intervalMs);
        health.ejectedUntil = this.#epoch + ticks * policy.intervalMs;
      }
      this.#ejected.add(endpoint);
    }
    this.ejectionsTotal++;
    return true;
  }

  /** Non-probe mode: returns the endpoint when its time is up. */
  #stillEjected(endpoint: E, health: Health): boolean {
    const now = this.#now();
    if (now < health.ejectedUntil) return true;
    health.ejectedUntil = 0;
    health.returnedAt = now;
    // As Envoy does on return, so a nearly full streak from before cannot eject it on the next error.
    health.consecutive5xx = 0;
    health.consecutiveGateway = 0;
    health.consecutiveLocal = 0;
    this.#ejected.delete(endpoint);
    return false;
  }

  #healthOf(endpoint: E): Health {
    let health = this.#health.get(endpoint);
    if (health === undefined) {
      health = { consecutive5xx: 0, consecutiveGateway: 0, consecutiveLocal: 0, ejections: 0, ejectedUntil: 0, returnedAt: 0, probing: false };
      this.#health.set(endpoint, health);
    }
    return health;
  }
}
