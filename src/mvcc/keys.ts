/**
 * Key representation.
 *
 * Inside the MVCC layer a key is a *binary string*: one UTF-16 code unit per byte, each in
 * 0..255. JavaScript compares strings by code unit, so `a < b` on binary strings is exactly
 * etcd's byte order, `Map` lookups hash them natively, and V8 stores them in one byte per char.
 * Keys cross into and out of the layer as `Uint8Array` (or text, which is UTF-8 encoded).
 *
 * @module
 */

const encoder = new TextEncoder();
// deno-lint-ignore no-control-regex -- the whole ASCII range, NUL included, is the point
const ASCII_ONLY = /^[\x00-\x7f]*$/;

/** Anything a caller may pass as a key or value. */
export type Bytes = Uint8Array | string;

/** Converts bytes to the binary-string form. */
export function bytesToKey(bytes: Uint8Array): string {
  const n = bytes.length;
  if (n <= 64) {
    let s = "";
    for (let i = 0; i < n; i++) s += String.fromCharCode(bytes[i]!);
    return s;
  }
  let s = "";
  for (let i = 0; i < n; i += 8192) {
    s += String.fromCharCode.apply(
      null,
      bytes.subarray(i, Math.min(n, i + 8192)) as unknown as number[],
    );
  }
  return s;
}

/** Converts a binary string back to bytes. */
export function keyToBytes(key: string): Uint8Array {
  const out = new Uint8Array(key.length);
  for (let i = 0; i < key.length; i++) out[i] = key.charCodeAt(i);
  return out;
}

/** Writes a binary string into `out` at `offset`; returns the offset after it. */
export function writeKey(key: string, out: Uint8Array, offset: number): number {
  for (let i = 0; i < key.length; i++) out[offset + i] = key.charCodeAt(i);
  return offset + key.length;
}

/** Converts caller input (bytes, or text encoded as UTF-8) to the binary-string form. */
export function toKey(input: Bytes): string {
  if (typeof input !== "string") return bytesToKey(input);
  if (ASCII_ONLY.test(input)) return input;
  return bytesToKey(encoder.encode(input));
}

/** Converts caller input to bytes (text is UTF-8 encoded). */
export function toBytes(input: Bytes): Uint8Array {
  return typeof input === "string" ? encoder.encode(input) : input;
}

/**
 * The end of the range that holds every key starting with `prefix`, as etcd computes it: the
 * prefix with its last non-0xff byte incremented and what follows dropped. A prefix of only
 * 0xff bytes (or an empty one) has no end: the result is `"\0"`, etcd's "to the end" marker.
 */
export function prefixEnd(prefix: string): string {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const c = prefix.charCodeAt(i);
    if (c < 0xff) return prefix.slice(0, i) + String.fromCharCode(c + 1);
  }
  return "\0";
}

/**
 * A key interval as the index scans it: `[start, end)`, with `end === undefined` meaning
 * "to the end of the keyspace" and a single key written as `end === null`.
 */
export interface KeyRange {
  start: string;
  end: string | null | undefined;
}

/**
 * Turns etcd's `(key, range_end)` pair into a {@linkcode KeyRange}: an empty `range_end` is the
 * single key, `"\0"` means every key ≥ key, anything else is `[key, range_end)`.
 */
export function toKeyRange(key: string, rangeEnd: string | undefined): KeyRange {
  if (rangeEnd === undefined || rangeEnd.length === 0) return { start: key, end: null };
  if (rangeEnd === "\0") return { start: key, end: undefined };
  return { start: key, end: rangeEnd };
}

/** Whether `key` lies in `range`. */
export function inRange(range: KeyRange, key: string): boolean {
  if (range.end === null) return key === range.start;
  return key >= range.start && (range.end === undefined || key < range.end);
}
