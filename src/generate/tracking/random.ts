// The tracking generator's seedable PRNG (mulberry32) and the sampling helpers it needs.
// Streams are derived from (seed, label) so that the organisation, the traffic plan and the
// rendering of each generation draw from separate streams: the plan, and so the truth, is the same
// whatever generation renders it.

/** 32-bit FNV-1a of a label, mixed with a seed */
function mix(seed: number, label: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return h >>> 0;
}

/** running sums of weights, for Random.cumulative */
export function cumulativeSums(weights: readonly number[]): Float64Array {
  const c = new Float64Array(weights.length);
  let sum = 0;
  weights.forEach((w, i) => {
    sum += w;
    c[i] = sum;
  });
  return c;
}

const HEX = '0123456789abcdef';
const BYTE = Array.from({ length: 256 }, (_, i) => HEX[i >> 4]! + HEX[i & 15]!);

export class Random {
  private s: number;

  constructor(seed: number, label = '') {
    this.s = mix(seed >>> 0, label);
  }

  /** uniform unsigned 32-bit integer (mulberry32) */
  u32(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** uniform in [0, 1) */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** uniform integer in [lo, hi] */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  /** uniform real in [lo, hi) */
  real(lo: number, hi: number): number {
    return lo + this.float() * (hi - lo);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.float() * xs.length)]!;
  }

  /** index into `cumulative` (a running sum of weights) chosen in proportion to the weights */
  cumulative(cumulative: Float64Array | readonly number[]): number {
    const n = cumulative.length;
    const r = this.float() * cumulative[n - 1]!;
    let lo = 0,
      hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid]! > r) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** standard normal (Box–Muller) */
  normal(): number {
    const u = 1 - this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.float());
  }

  /** Poisson-distributed count with mean `lambda` (normal approximation above 40) */
  poisson(lambda: number): number {
    if (lambda <= 0) return 0;
    if (lambda > 40) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * this.normal()));
    const l = Math.exp(-lambda);
    let k = 0,
      p = 1;
    for (;;) {
      p *= this.float();
      if (p <= l) return k;
      k++;
    }
  }

  /** Fisher–Yates, in place */
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = Math.floor(this.float() * (i + 1));
      const t = xs[i]!;
      xs[i] = xs[j]!;
      xs[j] = t;
    }
    return xs;
  }

  /** 8 lowercase hex digits */
  hex8(): string {
    const x = this.u32();
    return BYTE[x >>> 24]! + BYTE[(x >>> 16) & 255]! + BYTE[(x >>> 8) & 255]! + BYTE[x & 255]!;
  }

  /** `n` lowercase hex digits */
  hex(n: number): string {
    let s = '';
    while (s.length < n) s += this.hex8();
    return s.length === n ? s : s.slice(0, n);
  }

  /** a version-4 GUID as Exchange writes it: 8-4-4-4-12 lowercase hex */
  guid(): string {
    const a = this.hex8(),
      b = this.hex8(),
      c = this.hex8(),
      d = this.hex8();
    return `${a}-${b.slice(0, 4)}-4${b.slice(5)}-${HEX[8 + (this.u32() & 3)]}${c.slice(1, 4)}-${c.slice(4)}${d}`;
  }

  /** `n` random bytes as upper-case hex pairs joined with '-' (MAPI entry ids) */
  bytesDashed(n: number): string {
    const h = this.hex(n * 2).toUpperCase();
    let s = h.slice(0, 2);
    for (let i = 2; i < h.length; i += 2) s += '-' + h.slice(i, i + 2);
    return s;
  }
}
