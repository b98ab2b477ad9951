/**
 * The protobuf reader: bounds-checked reads of every wire type, zero-copy `bytes`, numbers
 * checked against the safe-integer range, unknown fields skipped, groups rejected.
 *
 * @module
 */

import { EMPTY_BYTES, ProtoDecodeError, TWO_32 } from "./_wire.ts";

const MAX_HI = 0x1fffff; // the high 32 bits of 2^53 - 1

const textDecoder = new TextDecoder(); // not fatal: invalid UTF-8 becomes U+FFFD, as gogoproto accepts it

/**
 * Reads one message. Every read is checked against the end of the message being read, so a
 * nested message cannot run past its parent and a length prefix larger than what is left is an
 * error, never an allocation. `bytes` fields come back as views of the input (no copy).
 */
export class Reader {
  #buf: Uint8Array;
  #ab: ArrayBufferLike;
  #offset: number;
  #pos = 0;
  #end: number;
  #lo = 0;
  #hi = 0;

  /** Creates a reader over all of `buf`. */
  constructor(buf: Uint8Array) {
    this.#buf = buf;
    this.#ab = buf.buffer;
    this.#offset = buf.byteOffset;
    this.#end = buf.length;
  }

  /** True while the message being read has bytes left. */
  more(): boolean {
    return this.#pos < this.#end;
  }

  /** Builds the error for `reason` at the current offset. */
  fail(reason: string): ProtoDecodeError {
    return new ProtoDecodeError(reason, this.#pos);
  }

  /** Reads a field tag; rejects field number 0 and tags beyond 32 bits. */
  tag(): number {
    const pos = this.#pos;
    const b = this.#buf[pos]!; // callers check more() first
    if (b < 0x80) {
      if (b < 8) throw this.fail("field number 0");
      this.#pos = pos + 1;
      return b;
    }
    this.#read();
    if (this.#hi !== 0 || this.#lo < 8) throw this.fail("invalid field tag");
    return this.#lo;
  }

  /** Fast path: reads a varint of at most 4 bytes (< 2^28); returns -1, reading nothing, if not. */
  #small(): number {
    const buf = this.#buf;
    const end = this.#end;
    let pos = this.#pos;
    let v = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (pos >= end) return -1;
      const b = buf[pos++]!;
      v |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.#pos = pos;
        return v;
      }
    }
    return -1;
  }

  /** Reads a varint into #lo/#hi: at most 10 bytes, and a 10th byte above 1 overflows 64 bits. */
  #read(): void {
    const buf = this.#buf;
    const end = this.#end;
    let pos = this.#pos;
    let lo = 0;
    let b = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (pos >= end) throw this.fail("truncated varint");
      b = buf[pos++]!;
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.#pos = pos;
        this.#lo = lo >>> 0;
        this.#hi = 0;
        return;
      }
    }
    if (pos >= end) throw this.fail("truncated varint");
    b = buf[pos++]!;
    lo |= (b & 0x0f) << 28;
    let hi = (b & 0x7f) >> 4;
    if (b >= 0x80) {
      for (let shift = 3;; shift += 7) {
        if (pos >= end) throw this.fail("truncated varint");
        b = buf[pos++]!;
        if (shift === 31 && b > 1) throw this.fail("varint overflows 64 bits");
        hi |= (b & 0x7f) << shift;
        if (b < 0x80) break;
      }
    }
    this.#pos = pos;
    this.#lo = lo >>> 0;
    this.#hi = hi >>> 0;
  }

  /** Reads an int64 as a number; rejects values outside ±(2^53 − 1). */
  int64(): number {
    const small = this.#small();
    if (small >= 0) return small;
    this.#read();
    const hi = this.#hi | 0;
    if (hi > MAX_HI || hi < -MAX_HI - 1) throw this.fail("int64 beyond ±2^53");
    const v = hi * TWO_32 + this.#lo;
    if (v === -(2 ** 53)) throw this.fail("int64 beyond ±2^53");
    return v;
  }

  /** Reads a uint64 as a number; rejects values above 2^53 − 1. */
  uint64(): number {
    const small = this.#small();
    if (small >= 0) return small;
    this.#read();
    if (this.#hi > MAX_HI) throw this.fail("uint64 beyond 2^53");
    return this.#hi * TWO_32 + this.#lo;
  }

  /** Reads a signed 64-bit identifier (lease IDs) as a bigint. */
  int64Id(): bigint {
    this.#read();
    const hi = this.#hi | 0;
    if (hi === 0) return BigInt(this.#lo);
    if (hi <= MAX_HI && hi >= -MAX_HI) return BigInt(hi * TWO_32 + this.#lo);
    return (BigInt(hi) << 32n) + BigInt(this.#lo);
  }

  /** Reads an unsigned 64-bit identifier (cluster, member IDs) as a bigint. */
  uint64Id(): bigint {
    this.#read();
    const hi = this.#hi;
    if (hi === 0) return BigInt(this.#lo);
    if (hi <= MAX_HI) return BigInt(hi * TWO_32 + this.#lo);
    return (BigInt(hi) << 32n) + BigInt(this.#lo);
  }

  /** Reads an int32 (enum values): the low 32 bits of the varint, signed. */
  int32(): number {
    const small = this.#small();
    if (small >= 0) return small;
    this.#read();
    return this.#lo | 0;
  }

  /** Reads a uint32: the low 32 bits of the varint. */
  uint32(): number {
    const small = this.#small();
    if (small >= 0) return small;
    this.#read();
    return this.#lo;
  }

  /** Reads a bool: any non-zero varint is true. */
  bool(): boolean {
    const small = this.#small();
    if (small >= 0) return small !== 0;
    this.#read();
    return (this.#lo | this.#hi) !== 0;
  }

  /** Reads a length prefix and checks it against what is left of the current message. */
  #len(): number {
    let n = this.#small();
    if (n < 0) {
      this.#read();
      if (this.#hi !== 0) throw this.fail("length beyond 2^32");
      n = this.#lo;
    }
    if (n > this.#end - this.#pos) {
      throw this.fail(`length ${n} exceeds the ${this.#end - this.#pos} bytes left`);
    }
    return n;
  }

  /** Reads a `bytes` field as a view of the input. */
  bytes(): Uint8Array {
    const n = this.#len();
    if (n === 0) return EMPTY_BYTES;
    const pos = this.#pos;
    this.#pos = pos + n;
    return new Uint8Array(this.#ab, this.#offset + pos, n); // cheaper than subarray()
  }

  /** Reads a `string` field (invalid UTF-8 becomes U+FFFD). */
  string(): string {
    const n = this.#len();
    const buf = this.#buf;
    const pos = this.#pos;
    this.#pos = pos + n;
    if (n <= 32) {
      let s = "";
      for (let i = pos; i < pos + n; i++) {
        const c = buf[i]!;
        if (c >= 0x80) return textDecoder.decode(buf.subarray(pos, pos + n));
        s += String.fromCharCode(c);
      }
      return s;
    }
    return textDecoder.decode(buf.subarray(pos, pos + n));
  }

  /** Enters a length-delimited nested message; pass the result to {@linkcode Reader.leave}. */
  enter(): number {
    const n = this.#len();
    const outer = this.#end;
    this.#end = this.#pos + n;
    return outer;
  }

  /** Leaves a nested message entered with {@linkcode Reader.enter}. */
  leave(outer: number): void {
    this.#end = outer;
  }

  /** Reads a repeated enum field, packed (wire type 2) or not (wire type 0), into `into`. */
  int32s(tag: number, into: number[]): void {
    if ((tag & 7) === 0) {
      into.push(this.int32());
      return;
    }
    const outer = this.enter();
    while (this.#pos < this.#end) into.push(this.int32());
    this.leave(outer);
  }

  /** Skips an unknown field of any wire type; rejects groups and the reserved wire types. */
  skip(tag: number): void {
    let n: number;
    switch (tag & 7) {
      case 0:
        this.#read();
        return;
      case 1:
        n = 8;
        break;
      case 2:
        n = this.#len();
        break;
      case 5:
        n = 4;
        break;
      case 3:
      case 4:
        throw this.fail(`group (wire type ${tag & 7}) in field ${tag >>> 3}`);
      default:
        throw this.fail(`invalid wire type ${tag & 7} in field ${tag >>> 3}`);
    }
    if (n > this.#end - this.#pos) throw this.fail(`field ${tag >>> 3} is truncated`);
    this.#pos += n;
  }
}

/** Decodes a whole buffer with a message's read function. */
export function decodeMessage<T>(bytes: Uint8Array, read: (r: Reader) => T): T {
  return read(new Reader(bytes));
}

/** Reads a nested (length-delimited) message with `read`. */
export function readNested<T>(r: Reader, read: (r: Reader) => T): T {
  const outer = r.enter();
  const v = read(r);
  r.leave(outer);
  return v;
}
