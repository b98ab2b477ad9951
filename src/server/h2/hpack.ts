/**
 * {@linkcode HpackDecoder}: HPACK (RFC 7541) decoding of request header blocks — the static
 * table, the dynamic table with its size updates, and Huffman strings.
 *
 * Header names and values become latin1 strings (one char per octet, so a string's length is
 * its octet length, which the table's size accounting uses). Entries of the dynamic table keep
 * their strings, so a header the client sends as an index — most of them, after a connection's
 * first request — costs no allocation. Decoding errors are COMPRESSION_ERROR connection errors,
 * since the table state is then unknown. Fields that HTTP/2 calls malformed (upper-case or
 * control characters in names, CR/LF/NUL in values) set {@linkcode HpackDecoder.malformed} so the
 * caller can reset just that stream.
 *
 * @module
 */

import { ErrorCode, H2ConnectionError } from "./frame.ts";
import { huffmanDecode } from "./huffman.ts";
import { STATIC_NAMES, STATIC_VALUES } from "./hpack_static.ts";

/** The dynamic table size we allow (SETTINGS_HEADER_TABLE_SIZE, left at its default). */
export const HEADER_TABLE_BYTES = 4096;
const ENTRY_OVERHEAD = 32;
const CAPACITY = HEADER_TABLE_BYTES / ENTRY_OVERHEAD;
const STATIC_COUNT = 61;

function compressionError(message: string): H2ConnectionError {
  return new H2ConnectionError(ErrorCode.COMPRESSION_ERROR, message);
}

/** Whether `name` is not a valid lower-case HTTP/2 field name. */
function badName(name: string): boolean {
  if (name.length === 0) return true;
  for (let i = name.charCodeAt(0) === 0x3a ? 1 : 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c <= 0x20 || (c >= 0x41 && c <= 0x5a) || c >= 0x7f || c === 0x3a) return true;
  }
  return false;
}

function badValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0 || c === 0x0a || c === 0x0d) return true;
  }
  return false;
}

/** The decoding side of one connection's HPACK context. */
export class HpackDecoder {
  // The dynamic table as a ring: slot `(#head - i) mod CAPACITY` holds entry i (0 is newest).
  readonly #names: string[] = new Array(CAPACITY).fill("");
  readonly #values: string[] = new Array(CAPACITY).fill("");
  readonly #bad = new Uint8Array(CAPACITY);
  #head = CAPACITY - 1;
  #count = 0;
  #size = 0;
  #maxSize = HEADER_TABLE_BYTES;
  #pos = 0;
  #scratch = new Uint8Array(256);
  /** Set by `decode` when a field of the block is malformed (the stream must be reset). */
  malformed = false;

  /**
   * Decodes `src[start, end)`, appending `name, value` pairs to `out` while the header list
   * stays within `maxListBytes` (decoding continues past it, to keep the table in step).
   * Returns the header list size (RFC 9113 §6.5.2: name + value + 32 per field).
   *
   * @throws {H2ConnectionError} COMPRESSION_ERROR on any decoding error.
   */
  decode(src: Uint8Array, start: number, end: number, out: string[], maxListBytes: number): number {
    this.#pos = start;
    this.malformed = false;
    let listBytes = 0;
    let fields = 0;
    while (this.#pos < end) {
      const b = src[this.#pos]!;
      let name: string;
      let value: string;
      let bad = false;
      if (b & 0x80) {
        const index = this.#int(src, end, 7);
        if (index === 0) throw compressionError("HPACK index 0");
        if (index <= STATIC_COUNT) {
          name = STATIC_NAMES[index - 1]!;
          value = STATIC_VALUES[index - 1]!;
        } else {
          const slot = this.#slot(index);
          name = this.#names[slot]!;
          value = this.#values[slot]!;
          bad = this.#bad[slot] === 1;
        }
      } else if ((b & 0xe0) === 0x20) {
        if (fields > 0) throw compressionError("HPACK table size update after a field");
        const size = this.#int(src, end, 5);
        if (size > HEADER_TABLE_BYTES) throw compressionError(`HPACK table size ${size} too big`);
        this.#maxSize = size;
        this.#evict(size);
        continue;
      } else {
        const indexing = (b & 0x40) !== 0;
        const index = this.#int(src, end, indexing ? 6 : 4);
        if (index === 0) {
          name = this.#string(src, end);
          bad = badName(name);
        } else if (index <= STATIC_COUNT) {
          name = STATIC_NAMES[index - 1]!;
        } else {
          const slot = this.#slot(index);
          name = this.#names[slot]!;
          bad = this.#bad[slot] === 1;
        }
        value = this.#string(src, end);
        bad ||= badValue(value);
        if (indexing) this.#insert(name, value, bad);
      }
      fields++;
      listBytes += name.length + value.length + ENTRY_OVERHEAD;
      if (bad) this.malformed = true;
      if (listBytes <= maxListBytes) out.push(name, value);
    }
    return listBytes;
  }

  #slot(index: number): number {
    const i = index - STATIC_COUNT - 1;
    if (i >= this.#count) throw compressionError(`HPACK index ${index} out of range`);
    return (this.#head - i + CAPACITY) % CAPACITY;
  }

  #insert(name: string, value: string, bad: boolean): void {
    const size = name.length + value.length + ENTRY_OVERHEAD;
    if (size > this.#maxSize) {
      this.#evict(0);
      this.#count = 0;
      this.#size = 0;
      return;
    }
    this.#evict(this.#maxSize - size);
    this.#head = (this.#head + 1) % CAPACITY;
    this.#names[this.#head] = name;
    this.#values[this.#head] = value;
    this.#bad[this.#head] = bad ? 1 : 0;
    this.#count++;
    this.#size += size;
  }

  /** Drops the oldest entries until the table holds at most `limit` bytes. */
  #evict(limit: number): void {
    while (this.#size > Math.min(limit, this.#maxSize) && this.#count > 0) {
      const slot = (this.#head - this.#count + 1 + CAPACITY) % CAPACITY;
      this.#size -= this.#names[slot]!.length + this.#values[slot]!.length + ENTRY_OVERHEAD;
      this.#names[slot] = "";
      this.#values[slot] = "";
      this.#count--;
    }
  }

  /** An integer with an `prefix`-bit prefix (RFC 7541 §5.1). */
  #int(src: Uint8Array, end: number, prefix: number): number {
    const mask = (1 << prefix) - 1;
    let v = src[this.#pos++]! & mask;
    if (v < mask) return v;
    let shift = 0;
    for (;;) {
      if (this.#pos >= end) throw compressionError("HPACK integer truncated");
      const b = src[this.#pos++]!;
      v += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return v;
      shift += 7;
      if (shift > 28) throw compressionError("HPACK integer too big");
    }
  }

  /** A string literal (RFC 7541 §5.2). */
  #string(src: Uint8Array, end: number): string {
    if (this.#pos >= end) throw compressionError("HPACK string truncated");
    const huffman = (src[this.#pos]! & 0x80) !== 0;
    const len = this.#int(src, end, 7);
    const start = this.#pos;
    if (len > end - start) throw compressionError("HPACK string truncated");
    this.#pos = start + len;
    if (!huffman) return latin1(src, start, start + len);
    if (this.#scratch.length < len * 2) this.#scratch = new Uint8Array(len * 2);
    const n = huffmanDecode(src, start, start + len, this.#scratch);
    if (n < 0) throw compressionError("HPACK invalid Huffman string");
    return latin1(this.#scratch, 0, n);
  }
}

const CHUNK = 4096;

/** `src[start, end)` as a latin1 string. */
export function latin1(src: Uint8Array, start: number, end: number): string {
  if (end - start <= CHUNK) {
    return String.fromCharCode.apply(null, src.subarray(start, end) as unknown as number[]);
  }
  let s = "";
  for (let i = start; i < end; i += CHUNK) s += latin1(src, i, Math.min(end, i + CHUNK));
  return s;
}
