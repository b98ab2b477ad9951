/**
 * The protobuf writer: one size pass over the message (recording nested sizes), one allocation
 * of the exact size, one write pass.
 *
 * @module
 */

import { big, EMPTY_BYTES, lenSize, splitBig, TWO_32, utf8Size } from "./_wire.ts";

const textEncoder = new TextEncoder();

/**
 * Encoders hand out pieces of a shared slab of this many bytes, as Node's `Buffer` pool does:
 * a fresh `Uint8Array` costs 0.6–1 µs in Deno however small it is, a slab piece ~50 ns. So an
 * encoded message is a view with a `byteOffset`, and it keeps its slab alive while it lives.
 */
export const SLAB_BYTES = 256 * 1024;

/** Messages larger than this get a buffer of their own. */
const SLAB_MAX_PIECE = 16 * 1024;

let slab = new Uint8Array(SLAB_BYTES);
let slabPos = 0;

function slabPiece(size: number): Uint8Array {
  if (slabPos + size > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    slabPos = 0;
  }
  const piece = slab.subarray(slabPos, slabPos + size);
  slabPos = (slabPos + size + 7) & ~7; // keep pieces 8-byte aligned
  return piece;
}

/**
 * Writes one message into an exactly sized buffer. The size pass records each nested message's
 * size in pre-order ({@linkcode Writer.sizeOf}); the write pass takes them back in the same order
 * ({@linkcode Writer.message}), so no size is computed twice and nothing is patched afterwards.
 */
export class Writer {
  #buf: Uint8Array = EMPTY_BYTES;
  #pos = 0;
  #sizes: number[] = [0];
  #count = 0;
  #next = 0;

  /** Starts a size pass. */
  begin(): void {
    this.#count = 0;
    this.#next = 0;
  }

  /** Starts the write pass into a fresh buffer of `size` bytes (see {@linkcode SLAB_BYTES}). */
  alloc(size: number): void {
    this.#buf = size > SLAB_MAX_PIECE ? new Uint8Array(size) : slabPiece(size);
    this.#pos = 0;
  }

  /** Ends the write pass and hands out the buffer. */
  finish(): Uint8Array {
    const buf = this.#buf;
    this.#buf = EMPTY_BYTES;
    if (this.#pos !== buf.length || this.#next !== this.#count) {
      throw new Error(`Encoder bug: wrote ${this.#pos} of ${buf.length} bytes`);
    }
    return buf;
  }

  /**
   * Size pass: the bytes nested message `m` takes after its tag (length prefix and body).
   * `m` may be the message's encoded bytes, which are then copied as they are.
   */
  sizeOf<T>(m: T | Uint8Array, size: (w: Writer, m: T) => number): number {
    if (m instanceof Uint8Array) return lenSize(m.length);
    const i = this.#count++;
    const n = size(this, m);
    this.#sizes[i] = n;
    return lenSize(n);
  }

  /** Write pass: writes nested message `m` as field `tag` (its size comes from the size pass). */
  message<T>(tag: number, m: T | Uint8Array, write: (w: Writer, m: T) => void): void {
    this.varint32(tag);
    if (m instanceof Uint8Array) {
      this.bytes(m);
      return;
    }
    this.varint32(this.#sizes[this.#next++]!);
    write(this, m);
  }

  /** Writes a tag and a `bytes` value. */
  bytesField(tag: number, b: Uint8Array): void {
    this.varint32(tag);
    this.bytes(b);
  }

  /** Writes a tag and a `string` value. */
  stringField(tag: number, s: string): void {
    this.varint32(tag);
    this.string(s);
  }

  /** Writes a tag and an int64/uint64 number. */
  int64Field(tag: number, v: number): void {
    this.varint32(tag);
    this.int64(v);
  }

  /** Writes a tag and an int64/uint64 bigint. */
  bigintField(tag: number, v: bigint): void {
    this.varint32(tag);
    this.bigint(v);
  }

  /** Writes a tag and an enum (int32) value. */
  int32Field(tag: number, v: number): void {
    this.varint32(tag);
    this.int32(v);
  }

  /** Writes a tag and `true` (a false bool is the default, never written). */
  trueField(tag: number): void {
    this.varint32(tag);
    this.varint32(1);
  }

  /** Writes an unsigned 32-bit varint (tags, lengths, uint32, non-negative int32). */
  varint32(v: number): void {
    const buf = this.#buf;
    let pos = this.#pos;
    while (v > 0x7f) {
      buf[pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[pos++] = v;
    this.#pos = pos;
  }

  /** Writes a 64-bit varint from its low and high 32 bits. */
  #varint64(lo: number, hi: number): void {
    const buf = this.#buf;
    let pos = this.#pos;
    while (hi !== 0) {
      buf[pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    while (lo > 0x7f) {
      buf[pos++] = (lo & 0x7f) | 0x80;
      lo >>>= 7;
    }
    buf[pos++] = lo;
    this.#pos = pos;
  }

  /** Writes an int64/uint64 given as a safe-integer number (validated by the size pass). */
  int64(v: number): void {
    if (v >>> 0 === v) this.varint32(v);
    else this.#varint64(v >>> 0, Math.floor(v / TWO_32) >>> 0);
  }

  /** Writes an int32 (enum values): negative ones sign-extend to 10 bytes, as in Go. */
  int32(v: number): void {
    if (v >= 0) this.varint32(v);
    else this.#varint64(v >>> 0, 0xffffffff);
  }

  /** Writes an int64/uint64 given as a bigint. */
  bigint(v: bigint): void {
    splitBig(v);
    if (big.hi === 0) this.varint32(big.lo);
    else this.#varint64(big.lo, big.hi);
  }

  /** Writes a length-prefixed byte string. */
  bytes(b: Uint8Array): void {
    const n = b.length;
    this.varint32(n);
    if (n > 16) this.#buf.set(b, this.#pos);
    else {
      const buf = this.#buf;
      const pos = this.#pos;
      for (let i = 0; i < n; i++) buf[pos + i] = b[i]!;
    }
    this.#pos += n;
  }

  /** Writes a length-prefixed UTF-8 string. */
  string(s: string): void {
    const n = utf8Size(s);
    this.varint32(n);
    const buf = this.#buf;
    let pos = this.#pos;
    if (n === s.length) {
      for (let i = 0; i < n; i++) buf[pos++] = s.charCodeAt(i);
    } else {
      pos += textEncoder.encodeInto(s, buf.subarray(pos, pos + n)).written;
    }
    this.#pos = pos;
  }
}

const WRITER = new Writer();

/**
 * Encodes `m` with a message's size and write functions: one size pass, one allocation of the
 * exact size, one write pass. Encoding is synchronous, so one shared {@linkcode Writer} serves all.
 */
export function encodeMessage<T>(
  m: T,
  size: (w: Writer, m: T) => number,
  write: (w: Writer, m: T) => void,
): Uint8Array {
  const w = WRITER;
  w.begin();
  const n = size(w, m);
  w.alloc(n);
  write(w, m);
  return w.finish();
}
