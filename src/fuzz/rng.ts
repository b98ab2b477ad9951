/**
 * {@linkcode Rng}: the fuzzer's only source of randomness, a seeded 32-bit generator
 * (mulberry32), so that a seed names a whole run and any failing input can be generated again.
 *
 * @module
 */

/** A seeded pseudo-random generator; equal seeds give equal sequences. */
export class Rng {
  #s: number;

  /** Creates a generator from a 32-bit seed (other numbers are reduced to 32 bits). */
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }

  /** A 32-bit unsigned integer. */
  u32(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.u32() / 0x1_0000_0000;
  }

  /** An integer in [0, n); 0 when n <= 0. */
  int(n: number): number {
    return n <= 0 ? 0 : Math.floor(this.next() * n);
  }

  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** `n` random bytes. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }

  /** A length that is usually small: 0..8 often, up to `max` sometimes. */
  size(max: number): number {
    if (this.chance(0.6)) return this.int(Math.min(9, max + 1));
    if (this.chance(0.7)) return this.int(Math.min(65, max + 1));
    return this.int(max + 1);
  }

  /** A string of `n` characters drawn from `alphabet` (default: lower-case letters and digits). */
  text(n: number, alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"): string {
    let s = "";
    for (let i = 0; i < n; i++) s += alphabet[this.int(alphabet.length)];
    return s;
  }

  /** A new generator seeded from this one (for a sub-task whose draws must not shift ours). */
  fork(): Rng {
    return new Rng(this.u32());
  }
}
