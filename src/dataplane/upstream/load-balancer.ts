/**
 * Endpoint pickers for DestinationRule `loadBalancer`: the `simple` policies here, the consistent-hash
 * ones in consistent-hash.ts. Each is built once per endpoint set; `pick` is allocation-free for the
 * simple ones.
 */
import type { ConsistentHashPolicy, LoadBalancerPolicy } from '../../snapshot/types.ts';
import { DEFAULT_MAGLEV_TABLE_SIZE, DEFAULT_MINIMUM_RING_SIZE, Maglev, RingHash } from './consistent-hash.ts';

export interface Balanced {
  readonly weight: number;
  /** Requests in flight, read by LEAST_REQUEST. */
  readonly inFlight: number;
  /** `address:port`, what RING_HASH and MAGLEV place the endpoint by. */
  readonly label: string;
}

export interface LoadBalancer<T extends Balanced> {
  /** `hash` is the request's consistent-hash key; only RING_HASH and MAGLEV read it (`null`: a random point). */
  pick(hash?: bigint | null): T | null;
}

const MAX_SCHEDULE = 4096;

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * Weighted round robin as a precomputed, interleaved schedule (smooth weighted round robin, as nginx
 * does), so consecutive picks spread over endpoints instead of sending bursts to the heaviest one.
 */
class RoundRobin<T extends Balanced> implements LoadBalancer<T> {
  readonly #schedule: readonly T[];
  #next = 0;
  constructor(endpoints: readonly T[]) {
    const divisor = endpoints.reduce((g, e) => gcd(g, e.weight), 0) || 1;
    let weights = endpoints.map((e) => e.weight / divisor);
    const total = weights.reduce((a, b) => a + b, 0);
    if (total > MAX_SCHEDULE) weights = weights.map((w) => Math.max(1, Math.round((w * MAX_SCHEDULE) / total)));
    const schedule: T[] = [];
    const current = weights.map(() => 0);
    const sum = weights.reduce((a, b) => a + b, 0);
    for (let n = 0; n < sum; n++) {
      let best = 0;
      for (let i = 0; i < weights.length; i++) {
        current[i]! += weights[i]!;
        if (current[i]! > current[best]!) best = i;
      }
      current[best]! -= sum;
      schedule.push(endpoints[best]!);
    }
    this.#schedule = schedule;
  }
  pick(): T | null {
    const schedule = this.#schedule;
    if (schedule.length === 0) return null;
    const endpoint = schedule[this.#next]!;
    this.#next = this.#next + 1 === schedule.length ? 0 : this.#next + 1;
    return endpoint;
  }
}

/** Weighted random over cumulative weights. */
class RandomPick<T extends Balanced> implements LoadBalancer<T> {
  readonly #endpoints: readonly T[];
  readonly #cumulative: readonly number[];
  readonly #random: () => number;
  constructor(endpoints: readonly T[], random: () => number) {
    this.#endpoints = endpoints;
    let sum = 0;
    this.#cumulative = endpoints.map((e) => (sum += e.weight));
    this.#random = random;
  }
  pick(): T | null {
    const n = this.#endpoints.length;
    if (n === 0) return null;
    if (n === 1) return this.#endpoints[0]!;
    const target = this.#random() * this.#cumulative[n - 1]!;
    for (let i = 0; i < n; i++) if (target < this.#cumulative[i]!) return this.#endpoints[i]!;
    return this.#endpoints[n - 1]!;
  }
}

/** Envoy's LEAST_REQUEST with equal weights: the less busy of two random choices. */
class LeastRequest<T extends Balanced> implements LoadBalancer<T> {
  readonly #endpoints: readonly T[];
  readonly #random: RandomPick<T>;
  constructor(endpoints: readonly T[], random: () => number) {
    this.#endpoints = endpoints;
    this.#random = new RandomPick(endpoints, random);
  }
  pick(): T | null {
    if (this.#endpoints.length <= 1) return this.#endpoints[0] ?? null;
    const a = this.#random.pick()!;
    const b = this.#random.pick()!;
    return b.inFlight < a.inFlight ? b : a;
  }
}

export function createLoadBalancer<T extends Balanced>(
  policy: LoadBalancerPolicy,
  endpoints: readonly T[],
  random: () => number,
  hash: ConsistentHashPolicy | null = null,
): LoadBalancer<T> {
  const live = endpoints.filter((e) => e.weight > 0);
  switch (policy) {
    case 'RING_HASH': {
      const ring = new RingHash(live, hash?.minimumRingSize ?? DEFAULT_MINIMUM_RING_SIZE, random);
      return { pick: (h) => ring.pick(h ?? null) };
    }
    case 'MAGLEV': {
      const table = new Maglev(live, hash?.tableSize ?? DEFAULT_MAGLEV_TABLE_SIZE, random);
      return { pick: (h) => table.pick(h ?? null) };
    }
    case 'ROUND_ROBIN':
      return new RoundRobin(live);
    case 'RANDOM':
      return new RandomPick(live, random);
    case 'LEAST_REQUEST':
      return new LeastRequest(live, random);
  }
}
