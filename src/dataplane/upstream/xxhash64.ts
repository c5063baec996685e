/**
 * XXH64, the hash Envoy's ring hash and Maglev load balancers use (`hash_function: XX_HASH`) for both
 * the ring's host entries and the request's hash key, so a key lands where Envoy's would for the same
 * endpoint addresses. Written after the reference algorithm (xxhash.com, spec v0.1.1) on pairs of
 * 32-bit halves rather than BigInt (which allocates on every operation: about 3× slower); checked
 * against libxxhash's outputs in test/dataplane/consistent-hash.test.ts.
 */

// Each 64-bit prime as [high, low] 32-bit halves.
const P1H = 0x9e3779b1, P1L = 0x85ebca87;
const P2H = 0xc2b2ae3d, P2L = 0x27d4eb4f;
const P3H = 0x165667b1, P3L = 0x9e3779f9;
const P4H = 0x85ebca77, P4L = 0xc2b2ae63;
const P5H = 0x27d4eb2f, P5L = 0x165667c5;

// The result of the last operation; module-level so the arithmetic allocates nothing.
let rh = 0;
let rl = 0;

function add(ah: number, al: number, bh: number, bl: number): void {
  const lo = al + bl;
  rl = lo >>> 0;
  rh = (ah + bh + (lo > 0xffffffff ? 1 : 0)) >>> 0;
}

/** The low 64 bits of a × b. */
function mul(ah: number, al: number, bh: number, bl: number): void {
  const a0 = al & 0xffff;
  const a1 = al >>> 16;
  const b0 = bl & 0xffff;
  const b1 = bl >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  rl = (((mid & 0xffff) << 16) | (p00 & 0xffff)) >>> 0;
  const carry = a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
  rh = (carry + Math.imul(al, bh) + Math.imul(ah, bl)) >>> 0;
}

/** Rotate left by 0 < r < 32. */
function rotl(h: number, l: number, r: number): void {
  rh = ((h << r) | (l >>> (32 - r))) >>> 0;
  rl = ((l << r) | (h >>> (32 - r))) >>> 0;
}

/** acc = rotl(acc + input × P2, 31) × P1 */
function round(acch: number, accl: number, inh: number, inl: number): void {
  mul(inh, inl, P2H, P2L);
  add(acch, accl, rh, rl);
  rotl(rh, rl, 31);
  mul(rh, rl, P1H, P1L);
}

const encoder = new TextEncoder();

function read32(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
}

/** XXH64 of a string's UTF-8 bytes (or of raw bytes) with a small `seed`, as an unsigned 64-bit BigInt. */
export function xxhash64(input: string | Uint8Array, seed = 0): bigint {
  const b = typeof input === 'string' ? encoder.encode(input) : input;
  const length = b.length;
  let i = 0;
  let hh: number;
  let hl: number;
  if (length >= 32) {
    add(0, seed, P1H, P1L);
    add(rh, rl, P2H, P2L);
    let v1h = rh, v1l = rl;
    add(0, seed, P2H, P2L);
    let v2h = rh, v2l = rl;
    let v3h = 0, v3l = seed >>> 0;
    // seed - P1: add the two's complement of P1.
    add(~P1H >>> 0, ~P1L >>> 0, 0, 1);
    add(rh, rl, 0, seed);
    let v4h = rh, v4l = rl;
    while (i <= length - 32) {
      round(v1h, v1l, read32(b, i + 4), read32(b, i));
      v1h = rh; v1l = rl;
      round(v2h, v2l, read32(b, i + 12), read32(b, i + 8));
      v2h = rh; v2l = rl;
      round(v3h, v3l, read32(b, i + 20), read32(b, i + 16));
      v3h = rh; v3l = rl;
      round(v4h, v4l, read32(b, i + 28), read32(b, i + 24));
      v4h = rh; v4l = rl;
      i += 32;
    }
    rotl(v1h, v1l, 1);
    let ah = rh, al = rl;
    rotl(v2h, v2l, 7);
    add(ah, al, rh, rl);
    ah = rh; al = rl;
    rotl(v3h, v3l, 12);
    add(ah, al, rh, rl);
    ah = rh; al = rl;
    rotl(v4h, v4l, 18);
    add(ah, al, rh, rl);
    hh = rh; hl = rl;
    for (const [vh, vl] of [[v1h, v1l], [v2h, v2l], [v3h, v3l], [v4h, v4l]] as const) {
      // mergeRound: h = (h ^ round(0, v)) × P1 + P4
      round(0, 0, vh, vl);
      mul((hh ^ rh) >>> 0, (hl ^ rl) >>> 0, P1H, P1L);
      add(rh, rl, P4H, P4L);
      hh = rh; hl = rl;
    }
  } else {
    add(0, seed, P5H, P5L);
    hh = rh; hl = rl;
  }
  add(hh, hl, 0, length);
  hh = rh; hl = rl;
  while (i + 8 <= length) {
    round(0, 0, read32(b, i + 4), read32(b, i));
    rotl((hh ^ rh) >>> 0, (hl ^ rl) >>> 0, 27);
    mul(rh, rl, P1H, P1L);
    add(rh, rl, P4H, P4L);
    hh = rh; hl = rl;
    i += 8;
  }
  if (i + 4 <= length) {
    mul(0, read32(b, i), P1H, P1L);
    rotl((hh ^ rh) >>> 0, (hl ^ rl) >>> 0, 23);
    mul(rh, rl, P2H, P2L);
    add(rh, rl, P3H, P3L);
    hh = rh; hl = rl;
    i += 4;
  }
  while (i < length) {
    mul(0, b[i]!, P5H, P5L);
    rotl((hh ^ rh) >>> 0, (hl ^ rl) >>> 0, 11);
    mul(rh, rl, P1H, P1L);
    hh = rh; hl = rl;
    i++;
  }
  // Avalanche: h ^= h >> 33; h *= P2; h ^= h >> 29; h *= P3; h ^= h >> 32.
  hl = (hl ^ (hh >>> 1)) >>> 0;
  mul(hh, hl, P2H, P2L);
  hh = rh; hl = rl;
  hl = (hl ^ ((hl >>> 29) | (hh << 3))) >>> 0;
  hh = (hh ^ (hh >>> 29)) >>> 0;
  mul(hh, hl, P3H, P3L);
  hh = rh; hl = rl;
  hl = (hl ^ hh) >>> 0;
  return (BigInt(hh) << 32n) | BigInt(hl);
}
