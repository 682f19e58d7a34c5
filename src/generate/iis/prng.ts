// A small, fast, seedable PRNG (sfc32) and the sampling helpers the IIS generator needs.
// Streams are derived from (seed, purpose, index…) so that each device-day has its own stream:
// the same seed gives the same bytes, whatever order the work is done in.

/** 32-bit hash of a list of integers (murmur3 finaliser over a running mix) */
export function hashInts(...xs: number[]): number {
  let h = 0x9e3779b9 ^ xs.length;
  for (const x of xs) {
    h = Math.imul(h ^ (x | 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    h = (h + 0x27d4eb2f) | 0;
  }
  return h >>> 0;
}

const HEX1 = '0123456789abcdef';
const HEX2 = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** a stream for (seed, ...path); different paths give unrelated streams */
  constructor(seed: number, ...path: number[]) {
    this.a = hashInts(seed, 1, ...path);
    this.b = hashInts(seed, 2, ...path);
    this.c = hashInts(seed, 3, ...path);
    this.d = hashInts(seed, 4, ...path) | 1;
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** uniform 32-bit unsigned integer */
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** uniform in [0, 1) */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** uniform integer in [0, n) */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** uniform integer in [lo, hi] */
  range(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.float() * xs.length)]!;
  }

  /** pick by weight: items carry a `w` */
  weighted<T extends { readonly w: number }>(xs: readonly T[]): T {
    let total = 0;
    for (const x of xs) total += x.w;
    let r = this.float() * total;
    for (const x of xs) {
      r -= x.w;
      if (r < 0) return x;
    }
    return xs[xs.length - 1]!;
  }

  /** exponential waiting time for a rate (events per unit) */
  exp(rate: number): number {
    return -Math.log(1 - this.float()) / rate;
  }

  /** Poisson count with mean lambda (Knuth for small means, normal approximation above 30) */
  poisson(lambda: number): number {
    if (lambda <= 0) return 0;
    if (lambda > 30) {
      const u = 1 - this.float();
      const v = this.float();
      const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
      return Math.max(0, Math.round(lambda + z * Math.sqrt(lambda)));
    }
    const l = Math.exp(-lambda);
    let k = 0;
    let p = this.float();
    while (p > l) {
      k++;
      p *= this.float();
    }
    return k;
  }

  /** log-normal with the given median and spread (sigma of the underlying normal) */
  logNormal(median: number, sigma: number): number {
    const u = 1 - this.float();
    const v = this.float();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    return median * Math.exp(sigma * z);
  }

  /** n characters from an alphabet */
  chars(alphabet: string, n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(this.float() * alphabet.length)]!;
    return s;
  }

  /** a GUID in the 8-4-4-4-12 lower-case hex form (version 4) */
  guid(): string {
    const a = this.u32();
    const b = this.u32();
    const c = this.u32();
    const d = this.u32();
    return (
      HEX2[a >>> 24]! +
      HEX2[(a >>> 16) & 255]! +
      HEX2[(a >>> 8) & 255]! +
      HEX2[a & 255]! +
      '-' +
      HEX2[b >>> 24]! +
      HEX2[(b >>> 16) & 255]! +
      '-4' +
      HEX1[(b >>> 8) & 15]! +
      HEX2[b & 255]! +
      '-' +
      HEX1[8 + (c >>> 30)]! +
      HEX1[(c >>> 24) & 15]! +
      HEX2[(c >>> 16) & 255]! +
      '-' +
      HEX2[(c >>> 8) & 255]! +
      HEX2[c & 255]! +
      HEX2[d >>> 24]! +
      HEX2[(d >>> 16) & 255]! +
      HEX2[(d >>> 8) & 255]! +
      HEX2[d & 255]!
    );
  }
}
