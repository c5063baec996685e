/**
 * Envoy's two consistent-hash load balancers, built once per endpoint set: RING_HASH (ketama, as in
 * Envoy's ring_hash_lb.cc) and MAGLEV (Google's Maglev table, as in maglev_lb.cc). Both place each
 * endpoint by XXH64 of its `address:port`, as Envoy does, so the same key reaches the same endpoint
 * for as long as the endpoint set stays the same, and adding or removing one endpoint moves only
 * about 1/N of the keys. A request without a hash key gets a random point, as in Envoy.
 */
import { xxhash64 } from './xxhash64.ts';

/** What a consistent-hash balancer needs of an endpoint. */
export interface HashedEndpoint {
  readonly weight: number;
  /** `address:port` (`[v6]:port`), Envoy's `Address::asString()`, which is what the ring hashes. */
  readonly label: string;
}

/** Envoy's defaults and bounds (`RingHashLbConfig`, `MaglevLbConfig`). */
export const DEFAULT_MINIMUM_RING_SIZE = 1024;
export const MAXIMUM_RING_SIZE = 8 * 1024 * 1024;
export const DEFAULT_MAGLEV_TABLE_SIZE = 65537;

const TWO_POW_53 = 2 ** 53;

/** A random 64-bit point, for requests without a hash key. */
export function randomHash(random: () => number): bigint {
  return BigInt(Math.floor(random() * TWO_POW_53)) << 11n;
}

/** Ketama ring: `minimumRingSize` points at least, shared out by weight; a key goes to the next point clockwise. */
export class RingHash<T extends HashedEndpoint> {
  readonly #hashes: BigUint64Array;
  readonly #endpoints: readonly T[];
  readonly #random: () => number;

  constructor(endpoints: readonly T[], minimumRingSize: number, random: () => number) {
    this.#random = random;
    const live = endpoints.filter((e) => e.weight > 0);
    const total = live.reduce((sum, e) => sum + e.weight, 0);
    if (live.length === 0) {
      this.#hashes = new BigUint64Array(0);
      this.#endpoints = [];
      return;
    }
    const minWeight = Math.min(...live.map((e) => e.weight / total));
    // Scale so the lightest endpoint gets a whole number of points (Envoy's rule), within the maximum.
    const scale = Math.min(Math.ceil(minWeight * minimumRingSize) / minWeight, MAXIMUM_RING_SIZE);
    const hashes: bigint[] = [];
    const owner = new Map<bigint, T>();
    let current = 0;
    let target = 0;
    for (const endpoint of live) {
      target += scale * (endpoint.weight / total);
      for (let i = 0; current < target; i++, current++) {
        const hash = xxhash64(`${endpoint.label}_${i}`);
        hashes.push(hash);
        // Two points with one hash (vanishingly rare): the first keeps it, as a stable sort would.
        if (!owner.has(hash)) owner.set(hash, endpoint);
      }
    }
    this.#hashes = BigUint64Array.from(hashes).sort();
    this.#endpoints = Array.from(this.#hashes, (h) => owner.get(h)!);
  }

  get size(): number {
    return this.#hashes.length;
  }

  pick(hash: bigint | null): T | null {
    const hashes = this.#hashes;
    if (hashes.length === 0) return null;
    const h = hash ?? randomHash(this.#random);
    // The first point at or after h, wrapping past the top of the ring.
    let low = 0;
    let high = hashes.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (hashes[mid]! < h) low = mid + 1;
      else high = mid;
    }
    return this.#endpoints[low === hashes.length ? 0 : low]!;
  }
}

/** Maglev lookup table of a prime `tableSize`; each endpoint fills slots in proportion to its weight. */
export class Maglev<T extends HashedEndpoint> {
  readonly #table: readonly T[];
  readonly #size: bigint;
  readonly #random: () => number;

  constructor(endpoints: readonly T[], tableSize: number, random: () => number) {
    this.#random = random;
    this.#size = BigInt(tableSize);
    const live = endpoints.filter((e) => e.weight > 0);
    if (live.length === 0) {
      this.#table = [];
      return;
    }
    const size = BigInt(tableSize);
    const n = live.length;
    // Each endpoint's place in its permutation (offset + skip × next) mod size, advanced by adding skip.
    const position = new Int32Array(n);
    const skip = new Int32Array(n);
    const target = new Float64Array(n);
    const weight = Float64Array.from(live, (e) => e.weight);
    live.forEach((e, i) => {
      position[i] = Number(xxhash64(e.label) % size);
      skip[i] = Number(xxhash64(e.label, 1) % (size - 1n)) + 1;
    });
    const maxWeight = Math.max(...weight);
    const slots = new Int32Array(tableSize).fill(-1);
    let filled = 0;
    // An endpoint of the largest weight takes a slot every round, one of a third of it every third round.
    for (let round = 1; filled < tableSize; round++) {
      for (let i = 0; i < n && filled < tableSize; i++) {
        if (round * weight[i]! < target[i]!) continue;
        target[i]! += maxWeight;
        const step = skip[i]!;
        let slot = position[i]!;
        while (slots[slot] !== -1) {
          slot += step;
          if (slot >= tableSize) slot -= tableSize;
        }
        slots[slot] = i;
        slot += step;
        position[i] = slot >= tableSize ? slot - tableSize : slot;
        filled++;
      }
    }
    this.#table = Array.from(slots, (i) => live[i]!);
  }

  pick(hash: bigint | null): T | null {
    if (this.#table.length === 0) return null;
    const h = hash ?? randomHash(this.#random);
    return this.#table[Number(h % this.#size)]!;
  }
}
