/**
 * The byte layout of WAL segments: the segment header and the record frames.
 *
 * Everything is big-endian. 64-bit numbers are written and read as two 32-bit halves so the
 * hot path never touches `BigInt`; every value must stay below 2^53.
 *
 * ```
 * segment header (28 bytes)
 *   [4] magic "T4WL"  [2] format version = 1  [2] flags = 0
 *   [8] term  [8] first seq  [4] crc32c of bytes 0..23
 * frame (8 + payload length bytes)
 *   [4] payload length  [4] crc32c of payload
 *   payload: [8] seq  [8] term  [8] rev  [data…]
 * ```
 *
 * @module
 */

import { WalCorruptError } from "../errors.ts";
import { crc32c } from "./crc32c.ts";

/** One WAL entry as the rest of the system sees it. `data` is opaque to the WAL. */
export interface WalRecord {
  /** Dense sequence number: every record's seq is the previous record's seq + 1. */
  seq: number;
  /** The leader term that wrote the entry. */
  term: number;
  /** Informational: the revision the entry produces, or the current revision. */
  rev: number;
  /** The encoded entry (another module defines its bytes). */
  data: Uint8Array;
}

/** `"T4WL"`, the first four bytes of every segment. */
export const SEGMENT_MAGIC = 0x5434574c;
/** The only format version this build writes and reads. */
export const FORMAT_VERSION = 1;
/** Size of the segment header. */
export const SEGMENT_HEADER_BYTES = 28;
/** Size of a frame's length and checksum fields. */
export const FRAME_HEADER_BYTES = 8;
/** Size of the fixed part of a payload (seq, term, rev). */
export const PAYLOAD_FIXED_BYTES = 24;
/** The smallest possible frame: a record with empty data. */
export const MIN_FRAME_BYTES = FRAME_HEADER_BYTES + PAYLOAD_FIXED_BYTES;
/** Default limit on a frame's payload length (fixed part plus data). */
export const DEFAULT_MAX_RECORD_BYTES = 64 * 1024 * 1024;

const TWO_POW_32 = 0x1_0000_0000;

/** Reads an unsigned 64-bit big-endian number; values at or above 2^53 come back inexact. */
export function getU64(view: DataView, offset: number): number {
  return view.getUint32(offset) * TWO_POW_32 + view.getUint32(offset + 4);
}

function putU64(view: DataView, offset: number, value: number): void {
  view.setUint32(offset, Math.floor(value / TWO_POW_32));
  view.setUint32(offset + 4, value >>> 0);
}

function checkU64(what: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`Cannot encode WAL ${what} ${value}: expected an integer in [0, 2^53)`);
  }
}

/**
 * Encodes a segment header.
 *
 * @param term The term of the writer that creates the segment.
 * @param firstSeq The seq of the first record the segment will hold.
 * @returns The 28-byte header.
 */
export function encodeSegmentHeader(term: number, firstSeq: number): Uint8Array {
  checkU64("term", term);
  checkU64("first seq", firstSeq);
  const bytes = new Uint8Array(SEGMENT_HEADER_BYTES);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, SEGMENT_MAGIC);
  view.setUint16(4, FORMAT_VERSION);
  view.setUint16(6, 0);
  putU64(view, 8, term);
  putU64(view, 16, firstSeq);
  view.setUint32(24, crc32c(bytes.subarray(0, 24)));
  return bytes;
}

/**
 * Decodes and checks a segment header; `name` is the file name, which must agree with it.
 *
 * @throws {WalCorruptError} When the file is too short, the magic, version, flags or checksum is
 *   wrong, or the header disagrees with the file name.
 */
export function decodeSegmentHeader(
  name: string,
  bytes: Uint8Array,
  expected?: { term: number; firstSeq: number },
): { term: number; firstSeq: number } {
  const fail = (message: string) =>
    new WalCorruptError(name, 0, `WAL segment "${name}" has a bad header: ${message}`);
  if (bytes.length < SEGMENT_HEADER_BYTES) {
    throw fail(`the file is ${bytes.length} bytes, shorter than the 28-byte header`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, SEGMENT_HEADER_BYTES);
  const magic = view.getUint32(0);
  if (magic !== SEGMENT_MAGIC) {
    throw fail(`bad magic 0x${hex(magic)} (expected "T4WL"); this is not a T4 WAL segment`);
  }
  const version = view.getUint16(4);
  if (version > FORMAT_VERSION) {
    throw fail(
      `it was written in format version ${version}, newer than this build reads (${FORMAT_VERSION})`,
    );
  }
  if (version !== FORMAT_VERSION) throw fail(`unknown format version ${version}`);
  const crc = view.getUint32(24);
  const actual = crc32c(bytes.subarray(0, 24));
  if (crc !== actual) {
    throw fail(`checksum mismatch (stored 0x${hex(crc)}, computed 0x${hex(actual)})`);
  }
  const flags = view.getUint16(6);
  if (flags !== 0) throw fail(`unsupported flags 0x${flags.toString(16)}`);
  const term = getU64(view, 8);
  const firstSeq = getU64(view, 16);
  if (!Number.isSafeInteger(term) || !Number.isSafeInteger(firstSeq) || firstSeq < 1) {
    throw fail(`term ${term} or first seq ${firstSeq} is out of range`);
  }
  if (expected && (expected.term !== term || expected.firstSeq !== firstSeq)) {
    throw fail(
      `it says term ${term}, first seq ${firstSeq}, but the file name says term ${expected.term}, first seq ${expected.firstSeq}`,
    );
  }
  return { term, firstSeq };
}

/** The number of bytes {@linkcode encodeFrames} produces for `records`. */
export function framesByteLength(records: readonly WalRecord[]): number {
  let n = 0;
  for (const r of records) n += MIN_FRAME_BYTES + r.data.length;
  return n;
}

/**
 * Encodes records as consecutive frames into `out` at `offset`; returns the end offset.
 * `out` must have room for {@linkcode framesByteLength} bytes.
 */
export function encodeFramesInto(
  records: readonly WalRecord[],
  out: Uint8Array,
  offset: number,
): number {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let pos = offset;
  for (const r of records) {
    checkU64("seq", r.seq);
    checkU64("term", r.term);
    checkU64("rev", r.rev);
    const payloadLength = PAYLOAD_FIXED_BYTES + r.data.length;
    const payload = pos + FRAME_HEADER_BYTES;
    view.setUint32(pos, payloadLength);
    putU64(view, payload, r.seq);
    putU64(view, payload + 8, r.term);
    putU64(view, payload + 16, r.rev);
    out.set(r.data, payload + PAYLOAD_FIXED_BYTES);
    view.setUint32(pos + 4, crc32c(out.subarray(payload, payload + payloadLength)));
    pos = payload + payloadLength;
  }
  return pos;
}

/**
 * Encodes records as consecutive frames (no segment header). Seqs are not checked here; the
 * writer checks that they are dense.
 *
 * @example Encode one record
 * ```ts
 * import { encodeFrames } from "./frame.ts";
 * const bytes = encodeFrames([{ seq: 1, term: 1, rev: 2, data: new Uint8Array([7]) }]);
 * if (bytes.length !== 8 + 24 + 1) throw new Error("unexpected length");
 * ```
 */
export function encodeFrames(records: readonly WalRecord[]): Uint8Array {
  const out = new Uint8Array(framesByteLength(records));
  encodeFramesInto(records, out, 0);
  return out;
}

function hex(n: number): string {
  return n.toString(16).padStart(8, "0");
}
