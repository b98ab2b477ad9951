/**
 * Small non-cryptographic hashes for the checker's caches: a pair of 32-bit lanes with
 * different multipliers, so two different model states share a cache slot only if both lanes
 * collide (about one chance in 2^64 per pair of states).
 *
 * @module
 */

/** Two independent 32-bit hash lanes. */
export interface Hash2 {
  readonly a: number;
  readonly b: number;
}

/** The starting value of a {@linkcode Hash2} chain. */
export const HASH_SEED: Hash2 = { a: 0x811c9dc5, b: 0x9747b28c };

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Folds `s` (and its length, so concatenations stay distinct) into `h`. */
export function mixString(h: Hash2, s: string): Hash2 {
  let a = h.a ^ s.length;
  let b = h.b ^ Math.imul(s.length, 0x27d4eb2f);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return { a: fmix(a), b: fmix(b ^ 0x68e31da4) };
}

/** Folds a number into `h`. */
export function mixNumber(h: Hash2, n: number): Hash2 {
  return mixString(h, String(n));
}

/** A 32-bit hash of one string, for tree priorities. */
export function hashString32(s: string): number {
  return mixString(HASH_SEED, s).a;
}

/** A deterministic 32-bit PRNG (mulberry32): the same seed gives the same sequence. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}
