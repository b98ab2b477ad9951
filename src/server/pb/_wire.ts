/**
 * The protobuf wire format shared by the writer (`_writer.ts`) and the reader (`_reader.ts`):
 * the decode error, the size arithmetic of the size pass, and the input types of encoders.
 * Message codecs in this folder are hand-written on top of these.
 *
 * Wire types: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32; 3/4 (groups) are rejected.
 * A tag is `field << 3 | wireType`, written as a varint; int64 and int32 values below zero are
 * sign-extended to 10 bytes (two's complement), as Go and protobufjs write them.
 *
 * @module
 */

import { KvError } from "../../errors.ts";

/** How many TxnRequest (or TxnResponse) levels a decoder accepts before it gives up. */
export const MAX_TXN_DEPTH = 64;

/** The shared default of every `bytes` field after decode (length 0, so nothing can write it). */
export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);

/** 2^32, to combine the two 32-bit halves of a varint. */
export const TWO_32 = 4294967296;

/** A protobuf message could not be decoded: truncated, malformed, or out of the ranges we accept. */
export class ProtoDecodeError extends KvError {
  /** Creates the error; `offset` is the byte offset in the input where decoding failed. */
  constructor(reason: string, readonly offset: number) {
    super("malformed-request", `Cannot decode protobuf message: ${reason} at offset ${offset}`);
    this.name = "ProtoDecodeError";
  }
}

// ---- size arithmetic (the size pass) ----

/** Bytes of an unsigned 32-bit varint. */
export function varintSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

/** Bytes of a length-delimited payload of `n` bytes, with its length prefix but not its tag. */
export function lenSize(n: number): number {
  return varintSize(n) + n;
}

/** Bytes of an int64 carried as a JS number; throws RangeError unless it is a safe integer. */
export function int64Size(v: number): number {
  if (v >>> 0 === v) return varintSize(v);
  if (!Number.isSafeInteger(v)) {
    throw new RangeError(`Cannot encode ${v} as int64: not a safe integer`);
  }
  if (v < 0) return 10;
  return v < 2 ** 35 ? 5 : v < 2 ** 42 ? 6 : v < 2 ** 49 ? 7 : 8;
}

/** Bytes of a uint32; throws RangeError unless `v` is an integer in [0, 2^32). */
export function uint32Size(v: number): number {
  if (v >>> 0 !== v) throw new RangeError(`Cannot encode ${v} as uint32`);
  return varintSize(v);
}

/** Bytes of an int32 (enum values): negative ones take 10 bytes. */
export function int32Size(v: number): number {
  return v >= 0 ? varintSize(v) : 10;
}

/** Bytes of a uint64 carried as a JS number; throws RangeError unless it is a safe integer ≥ 0. */
export function uint64Size(v: number): number {
  if (v < 0) throw new RangeError(`Cannot encode ${v} as uint64: negative`);
  return int64Size(v);
}

/** The two 32-bit halves of the last bigint given to {@linkcode splitBig}. */
export const big = { lo: 0, hi: 0 };

const bigView = new DataView(new ArrayBuffer(8));

/**
 * Splits a 64-bit bigint (signed or unsigned; two's complement) into `big.lo` / `big.hi`.
 * A DataView converts without the intermediate bigints that `&` and `>>` allocate (~20 ns
 * instead of ~130 ns).
 */
export function splitBig(v: bigint): void {
  bigView.setBigUint64(0, v, true); // wraps modulo 2^64, so negative int64 values work too
  big.lo = bigView.getUint32(0, true);
  big.hi = bigView.getUint32(4, true);
}

/** Bytes of an int64/uint64 carried as a bigint (negative values take 10 bytes). */
export function bigintSize(v: bigint): number {
  splitBig(v);
  const hi = big.hi;
  if (hi === 0) return varintSize(big.lo);
  return hi < 0x8
    ? 5
    : hi < 0x400
    ? 6
    : hi < 0x20000
    ? 7
    : hi < 0x1000000
    ? 8
    : hi < 0x80000000
    ? 9
    : 10;
}

/** Bytes of `s` in UTF-8; lone surrogates count as U+FFFD (3 bytes), as TextEncoder writes them. */
export function utf8Size(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 2; // 2 UTF-16 units → 4 bytes
        i++;
      } else n += 2;
    } else n += 2;
  }
  return n;
}

// ---- encoder input ----

type Scalar = Uint8Array | string | number | bigint | boolean | null | undefined;

/**
 * What an encoder accepts for a field of type `T`: scalars as they are, repeated fields as
 * read-only arrays, oneofs as `{ case, value }`, and nested messages either as (partial)
 * objects or as their already encoded bytes (e.g. a {@linkcode ResponseHeader} encoded once).
 */
export type FieldInit<T> = T extends Scalar ? T
  : T extends readonly (infer E)[] ? readonly FieldInit<E>[]
  : T extends { readonly case: string; readonly value: unknown }
    ? { readonly case: T["case"]; readonly value: FieldInit<T["value"]> }
  : PartialMessage<T> | Uint8Array;

/**
 * What an encoder accepts for a message: any subset of its fields; a missing or `undefined`
 * field encodes as its proto3 default (that is, not at all).
 */
export type PartialMessage<T> = { readonly [K in keyof T]?: FieldInit<T[K]> | undefined };
