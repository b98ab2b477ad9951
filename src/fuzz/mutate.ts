/**
 * Mutators: how the fuzzer turns a valid input into a hostile one. Byte mutators know nothing
 * of the format (bit flips, inserted and deleted bytes, truncation, splices of two inputs,
 * interesting integers and varints, corrupted length fields); {@linkcode mutateJson} changes a
 * JSON document's structure, so schema checks are reached, not only the JSON parser.
 *
 * Every mutator is a pure function of its input and the {@linkcode Rng}, so a seed reproduces
 * a run.
 *
 * @module
 */

import type { Rng } from "./rng.ts";

/** Turns `input` into a new input; `corpus` supplies material for splices. */
export type Mutator = (input: Uint8Array, rng: Rng, corpus: readonly Uint8Array[]) => Uint8Array;

/** Bytes that often sit on a boundary. */
const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x20, 0x0a, 0x08, 0x0f, 0x10, 0x40];

/** Integers that often sit on a boundary, as unsigned 64-bit values. */
const INTERESTING_INTS: readonly bigint[] = [
  0n,
  1n,
  2n,
  7n,
  8n,
  0x7fn,
  0x80n,
  0xffn,
  0x100n,
  0x3fffn,
  0x4000n,
  0x7fffn,
  0x8000n,
  0xffffn,
  0x10000n,
  0xffffffn,
  0x1000000n,
  0x7fffffffn,
  0x80000000n,
  0xffffffffn,
  0x100000000n,
  0x1fffffffffffffn, // 2^53 - 1
  0x20000000000000n, // 2^53
  0x7fffffffffffffffn,
  0x8000000000000000n,
  0xffffffffffffffffn,
];

/** Varints that decoders must bound: huge lengths, overlong encodings, 64-bit overflow. */
const INTERESTING_VARINTS: readonly number[][] = [
  [0xff, 0xff, 0xff, 0xff, 0x0f], // 2^32 - 1
  [0x80, 0x80, 0x80, 0x80, 0x08], // 2^31
  [0x80, 0x80, 0x80, 0x80, 0x10], // 2^32
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], // 2^64 - 1
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], // overflows 64 bits
  [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], // 11 bytes
  [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80], // never terminated
  [0x80, 0x00], // overlong zero
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f], // 2^53 - 1 and a bit
  [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10], // 2^53
  [0x7f],
  [0x80, 0x01],
];

/** `a` and `b` joined. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function replaceAt(input: Uint8Array, at: number, bytes: ArrayLike<number>): Uint8Array {
  const out = input.slice();
  for (let i = 0; i < bytes.length && at + i < out.length; i++) out[at + i] = bytes[i]!;
  return out;
}

function insertAt(input: Uint8Array, at: number, bytes: Uint8Array): Uint8Array {
  return concat(input.subarray(0, at), bytes, input.subarray(at));
}

/** The low `width` bytes of `v`, big- or little-endian. */
function intBytes(v: bigint, width: number, littleEndian: boolean): number[] {
  const out: number[] = [];
  for (let i = width - 1; i >= 0; i--) out.push(Number((v >> BigInt(8 * i)) & 0xffn));
  return littleEndian ? out.reverse() : out;
}

/** A protobuf-style varint of `n` (`n` below 2^53). */
export function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/** The byte mutators, by name (names appear in failure reports). */
export const BYTE_MUTATORS: Readonly<Record<string, Mutator>> = {
  flipBit(input, rng) {
    if (input.length === 0) return rng.bytes(1);
    const out = input.slice();
    out[rng.int(out.length)]! ^= 1 << rng.int(8);
    return out;
  },
  setByte(input, rng) {
    if (input.length === 0) return new Uint8Array([rng.pick(INTERESTING_BYTES)]);
    const out = input.slice();
    out[rng.int(out.length)] = rng.chance(0.5) ? rng.pick(INTERESTING_BYTES) : rng.int(256);
    return out;
  },
  insertBytes(input, rng) {
    return insertAt(input, rng.int(input.length + 1), rng.bytes(1 + rng.int(8)));
  },
  deleteBytes(input, rng) {
    if (input.length === 0) return input;
    const at = rng.int(input.length);
    const n = 1 + rng.int(Math.min(16, input.length - at));
    return concat(input.subarray(0, at), input.subarray(at + n));
  },
  truncate(input, rng) {
    return input.slice(0, rng.int(input.length + 1));
  },
  splice(input, rng, corpus) {
    const other = corpus.length > 0 ? rng.pick(corpus) : rng.bytes(rng.size(64));
    const a = rng.int(input.length + 1);
    const b = rng.int(other.length + 1);
    return rng.chance(0.5)
      ? concat(input.subarray(0, a), other.subarray(b))
      : concat(other.subarray(0, b), input.subarray(a));
  },
  duplicate(input, rng) {
    if (input.length === 0) return input;
    const from = rng.int(input.length);
    const piece = input.slice(from, from + 1 + rng.int(Math.min(64, input.length - from)));
    let copies: Uint8Array = piece;
    for (let n = rng.int(4); n > 0; n--) copies = concat(copies, piece);
    return insertAt(input, rng.int(input.length + 1), copies);
  },
  interestingInt(input, rng) {
    const width = rng.pick([1, 2, 4, 8]);
    const bytes = intBytes(rng.pick(INTERESTING_INTS), width, rng.chance(0.25));
    if (input.length < width) return insertAt(input, 0, new Uint8Array(bytes));
    return replaceAt(input, rng.int(input.length - width + 1), bytes);
  },
  insertVarint(input, rng) {
    const v = new Uint8Array(rng.pick(INTERESTING_VARINTS));
    const at = rng.int(input.length + 1);
    // Either a new varint, or one written over what was there.
    return rng.chance(0.5)
      ? insertAt(input, at, v)
      : concat(input.subarray(0, at), v, input.subarray(Math.min(input.length, at + v.length)));
  },
  corruptLength(input, rng) {
    // A length field somewhere, set to what is left (+/- a little), twice that, or huge.
    if (input.length === 0) return new Uint8Array(varint(0xffffffff));
    const at = rng.int(input.length);
    const left = input.length - at;
    const value = rng.pick([
      left,
      left + 1,
      left - 1,
      left - 5,
      left * 2,
      0x7fffffff,
      0xffffffff,
      0x40000000,
      64 * 1024 * 1024 + 1,
    ]);
    const v = Math.max(0, value);
    const encoded = rng.chance(0.5)
      ? varint(v)
      : intBytes(BigInt(v), rng.pick([2, 3, 4]), rng.chance(0.2));
    return replaceAt(input, at, encoded);
  },
  swapChunks(input, rng) {
    if (input.length < 4) return input;
    const n = 1 + rng.int(Math.min(32, input.length >> 1));
    const a = rng.int(input.length - n + 1);
    const b = rng.int(input.length - n + 1);
    const out = input.slice();
    out.set(input.subarray(b, b + n), a);
    out.set(input.subarray(a, a + n), b);
    return out;
  },
  repeatChunk(input, rng) {
    // Many copies of one slice: floods of frames, deep nesting, long runs.
    if (input.length === 0) return input;
    const from = rng.int(input.length);
    const piece = input.subarray(from, from + 1 + rng.int(Math.min(32, input.length - from)));
    const copies = 8 + rng.int(Math.max(1, Math.floor(8192 / piece.length)));
    const block = new Uint8Array(piece.length * copies);
    for (let i = 0; i < copies; i++) block.set(piece, i * piece.length);
    return insertAt(input, from, block);
  },
};

const BYTE_MUTATOR_NAMES = Object.keys(BYTE_MUTATORS);

/**
 * Applies one to six byte mutations to `input`; the result is at most `maxBytes` long.
 *
 * @returns The mutated bytes and the names of the mutators applied.
 */
export function mutateBytes(
  input: Uint8Array,
  rng: Rng,
  corpus: readonly Uint8Array[],
  maxBytes: number,
): { bytes: Uint8Array; how: string[] } {
  let out = input;
  const how: string[] = [];
  let n = 1;
  while (n < 6 && rng.chance(0.45)) n++;
  for (let i = 0; i < n; i++) {
    const name = rng.pick(BYTE_MUTATOR_NAMES);
    out = BYTE_MUTATORS[name]!(out, rng, corpus);
    if (out.length > maxBytes) out = out.slice(0, maxBytes);
    how.push(name);
  }
  return { bytes: out, how };
}

// ------------------------------------------------------------------------------------ JSON

const te = new TextEncoder();
const td = new TextDecoder();

const EDGE_NUMBERS = [
  0,
  -1,
  1,
  1.5,
  -0.5,
  2 ** 31,
  2 ** 32,
  2 ** 53,
  2 ** 53 + 2,
  1e21,
  1e308,
  -1e308,
];
const EDGE_STRINGS = ["", "0", "-1", "x".repeat(300), "\u0000", "\ud800", "é", "../..", "null"];

/** A random JSON value, at most `depth` levels deep. */
export function randomJson(rng: Rng, depth = 3): unknown {
  switch (rng.int(depth > 0 ? 8 : 5)) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.chance(0.5) ? rng.pick(EDGE_NUMBERS) : rng.int(1000);
    case 3:
      return rng.chance(0.5) ? rng.pick(EDGE_STRINGS) : rng.text(rng.size(20));
    case 4:
      return rng.chance(0.5) ? [] : {};
    case 5:
    case 6: {
      const out: unknown[] = [];
      for (let n = rng.size(4); n > 0; n--) out.push(randomJson(rng, depth - 1));
      return out;
    }
    default: {
      const out: Record<string, unknown> = {};
      for (let n = rng.size(4); n > 0; n--) {
        out[rng.text(1 + rng.int(8))] = randomJson(rng, depth - 1);
      }
      return out;
    }
  }
}

/** Every container in `doc` (objects and arrays), with `doc` itself first. */
function containers(doc: unknown, out: (Record<string, unknown> | unknown[])[] = []): typeof out {
  if (typeof doc !== "object" || doc === null) return out;
  out.push(doc as Record<string, unknown> | unknown[]);
  for (const v of Object.values(doc)) containers(v, out);
  return out;
}

/** A value of another kind than `v`, or `v` nudged to an edge. */
function edgeOf(v: unknown, rng: Rng): unknown {
  if (typeof v === "number" && rng.chance(0.6)) return rng.pick(EDGE_NUMBERS);
  if (typeof v === "string" && rng.chance(0.5)) {
    return rng.chance(0.5) ? rng.pick(EDGE_STRINGS) : v + rng.text(1 + rng.int(4), "0aZ/.-");
  }
  return randomJson(rng, 2);
}

/**
 * Mutates a JSON document structurally: replaces, removes or adds a member somewhere, or sets a
 * value to an edge (a negative or fractional number, a number beyond 2^53, `null`, a value of
 * another type). Falls back to byte mutation when `input` is not JSON.
 */
export function mutateJson(
  input: Uint8Array,
  rng: Rng,
  corpus: readonly Uint8Array[],
): Uint8Array {
  try {
    return mutateJsonDoc(JSON.parse(td.decode(input)), rng);
  } catch {
    // Not JSON, or nested too deeply to walk: mutate the bytes instead.
    return mutateBytes(input, rng, corpus, 64 * 1024).bytes;
  }
}

const DEEP = "\u0000deep\u0000";

function mutateJsonDoc(doc: unknown, rng: Rng): Uint8Array {
  if (rng.chance(0.05)) {
    // Nesting far deeper than any document has, as the whole document.
    const depth = 1000 + rng.int(100_000);
    return te.encode(rng.chance(0.5) ? "[".repeat(depth) + "]".repeat(depth) : "[".repeat(depth));
  }
  const all = containers(doc);
  if (all.length === 0 || rng.chance(0.05)) return te.encode(JSON.stringify(randomJson(rng)));
  const deep = rng.chance(0.05);
  for (let n = 1 + rng.int(3); n > 0; n--) {
    const c = rng.pick(all);
    // A deeply nested value, or a long one, in place of a member (spliced in as text below).
    const value = (old: unknown) => deep ? DEEP : edgeOf(old, rng);
    if (Array.isArray(c)) {
      if (c.length > 0 && rng.chance(0.7)) {
        const i = rng.int(c.length);
        if (rng.chance(0.3) && !deep) c.splice(i, 1);
        else c[i] = value(c[i]);
      } else c.push(deep ? DEEP : randomJson(rng, 2));
    } else {
      const keys = Object.keys(c);
      const key = keys.length > 0 && rng.chance(0.8) ? rng.pick(keys) : rng.text(1 + rng.int(8));
      if (rng.chance(0.2) && !deep) delete c[key];
      else c[key] = value(c[key]);
    }
  }
  const text = JSON.stringify(doc);
  if (!deep) return te.encode(text);
  const depth = 1000 + rng.int(50_000);
  const filler = rng.chance(0.5)
    ? "[".repeat(depth) + "]".repeat(depth)
    : `"${"x".repeat(depth * 4)}"`;
  return te.encode(text.replaceAll(JSON.stringify(DEEP), filler));
}
