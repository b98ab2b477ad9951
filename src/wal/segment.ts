/**
 * Segment names and the frame scanner that decides between a clean end, a torn tail and
 * corruption. `docs/wal-format.md` states the rules in prose; this file is their only
 * implementation, shared by the file reader, the writer's open and {@linkcode parseSegment}.
 *
 * @module
 */

import { WalCorruptError } from "../errors.ts";
import {
  decodeSegmentHeader,
  DEFAULT_MAX_RECORD_BYTES,
  FRAME_HEADER_BYTES,
  getU64,
  MIN_FRAME_BYTES,
  PAYLOAD_FIXED_BYTES,
  SEGMENT_HEADER_BYTES,
  type WalRecord,
} from "./frame.ts";
import { crc32c } from "./crc32c.ts";

/** Where a torn tail began and how much of the file it covers. */
export interface TornTail {
  /** The segment file name. */
  segment: string;
  /** Offset of the first bad frame: the file's valid length. */
  offset: number;
  /** Bytes from `offset` to the end of the file. */
  droppedBytes: number;
}

const NAME_PATTERN = /^(\d{10,})-(\d{20,})\.wal$/;

/**
 * The file name of a segment: `<term %010d>-<firstSeq %020d>.wal`.
 *
 * @example
 * ```ts
 * import { segmentName } from "./segment.ts";
 * if (segmentName(1, 42) !== "0000000001-00000000000000000042.wal") throw new Error();
 * ```
 */
export function segmentName(term: number, firstSeq: number): string {
  return `${String(term).padStart(10, "0")}-${String(firstSeq).padStart(20, "0")}.wal`;
}

/** Parses a name made by {@linkcode segmentName}; returns `undefined` for any other file. */
export function parseSegmentName(name: string): { term: number; firstSeq: number } | undefined {
  const m = NAME_PATTERN.exec(name);
  if (!m) return undefined;
  const term = Number(m[1]);
  const firstSeq = Number(m[2]);
  if (!Number.isSafeInteger(term) || !Number.isSafeInteger(firstSeq) || firstSeq < 1) {
    return undefined;
  }
  // Reject non-canonical spellings (extra leading zeros) so one segment has one name.
  return segmentName(term, firstSeq) === name ? { term, firstSeq } : undefined;
}

/** What {@linkcode scanSegment} found in one segment. */
export interface SegmentScan {
  term: number;
  firstSeq: number;
  /** Seq of the last good record, `firstSeq - 1` when there is none. */
  lastSeq: number;
  /** Term and rev of the last good record; 0 when there is none. */
  lastTerm: number;
  lastRev: number;
  /** Good records in the segment (delivered or not). */
  records: number;
  /** Offset just past the last good frame: where the segment should end. */
  end: number;
  /** Set when the last segment ends in a torn write (a clean end at `end`). */
  tornTail?: TornTail;
  /** Set when the segment is corrupt at `end`; the records before it were delivered. */
  corruption?: WalCorruptError;
}

/** Options of {@linkcode scanSegment}. */
export interface ScanOptions {
  /** Whether this is the newest segment: only there can a bad frame be a torn tail. */
  isLast: boolean;
  /** Largest acceptable payload length. */
  maxRecordBytes: number;
  /** Records with seq at or below this are checked but not delivered. */
  afterSeq: number;
}

/**
 * Checks every frame of a segment held in memory and calls `visit` for each good record with
 * seq > `afterSeq`, in order. Never throws for a bad frame: it stops there and reports a torn
 * tail or a corruption in the result. Throws {@linkcode WalCorruptError} for a bad header.
 * Records' `data` are views into `bytes`.
 */
export function scanSegment(
  name: string,
  bytes: Uint8Array,
  options: ScanOptions,
  visit?: (record: WalRecord) => void,
): SegmentScan {
  const expectedName = parseSegmentName(name);
  const { term, firstSeq } = decodeSegmentHeader(name, bytes, expectedName);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = bytes.length;
  const max = options.maxRecordBytes;
  let pos = SEGMENT_HEADER_BYTES;
  let expected = firstSeq;
  let lastTerm = 0;
  let lastRev = 0;
  let records = 0;
  let reason: string | undefined;
  // A frame with a correct checksum but a seq beyond the expected one proves entries are missing,
  // and one with a term or rev beyond 2^53 was never written by us: no torn write produces
  // either, so it is corruption even at the end of the last segment.
  let missing = false;
  let outOfRange = false;

  while (pos < len) {
    if (len - pos < FRAME_HEADER_BYTES) {
      if (isZero(bytes, pos, len)) break;
      reason = `truncated frame header (${len - pos} bytes before the end of the file)`;
      break;
    }
    const length = view.getUint32(pos);
    if (length === 0) {
      if (isZero(bytes, pos + 4, len)) break; // preallocated space
      reason = "zero-length frame followed by non-zero bytes";
      break;
    }
    if (length < PAYLOAD_FIXED_BYTES || length > max) {
      reason = `impossible frame length ${length}`;
      break;
    }
    const payload = pos + FRAME_HEADER_BYTES;
    if (length > len - payload) {
      reason = `frame of ${length} bytes extends past the end of the file (${len} bytes)`;
      break;
    }
    if (crc32c(bytes.subarray(payload, payload + length)) !== view.getUint32(pos + 4)) {
      reason = "checksum mismatch";
      break;
    }
    const seq = getU64(view, payload);
    if (seq !== expected) {
      reason = `entry seq ${seq} where seq ${expected} was expected`;
      if (seq > expected) {
        reason += ` (entries ${expected}..${seq - 1} are missing)`;
        missing = true;
      }
      break;
    }
    const recordTerm = getU64(view, payload + 8);
    const recordRev = getU64(view, payload + 16);
    if (!Number.isSafeInteger(recordTerm) || !Number.isSafeInteger(recordRev)) {
      // The writer never encodes a value at or above 2^53 (it could not be read back exactly),
      // and a checksummed frame is no torn write: this is corruption wherever it is.
      reason = `entry seq ${seq} has term ${recordTerm} or rev ${recordRev} beyond 2^53`;
      outOfRange = true;
      break;
    }
    lastTerm = recordTerm;
    lastRev = recordRev;
    if (seq > options.afterSeq && visit) {
      visit({
        seq,
        term: lastTerm,
        rev: lastRev,
        data: bytes.subarray(payload + PAYLOAD_FIXED_BYTES, payload + length),
      });
    }
    records++;
    expected++;
    pos = payload + length;
  }

  const scan: SegmentScan = {
    term,
    firstSeq,
    lastSeq: expected - 1,
    lastTerm,
    lastRev,
    records,
    end: pos,
  };
  if (reason === undefined) return scan;

  const resume = findValidFrame(bytes, pos, expected, max);
  if (options.isLast && !resume && !missing && !outOfRange) {
    scan.tornTail = { segment: name, offset: pos, droppedBytes: len - pos };
    return scan;
  }
  const before = records > 0
    ? `last good entry seq ${expected - 1} ends at offset ${pos}`
    : `no good entry before it`;
  const after = resume
    ? `valid entries resume at offset ${resume.offset} with seq ${resume.seq}`
    : outOfRange
    ? "a checksummed entry cannot hold such values"
    : options.isLast
    ? "entries are missing"
    : "it is not the last segment, so this cannot be a torn write";
  scan.corruption = new WalCorruptError(
    name,
    pos,
    `WAL segment "${name}" is corrupt at offset ${pos}: ${reason} (${before}; ${after})`,
  );
  return scan;
}

/**
 * Looks for a valid frame after a bad one at `badOffset` (which should have held seq
 * `expected`). Frames in between take at least {@linkcode MIN_FRAME_BYTES} each, so a real
 * frame at offset q has a seq in [expected, expected + (q - badOffset) / 32]: the cheap
 * length and seq checks reject almost every position before a checksum is computed.
 */
function findValidFrame(
  bytes: Uint8Array,
  badOffset: number,
  expected: number,
  max: number,
): { offset: number; seq: number } | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = bytes.length;
  const last = len - MIN_FRAME_BYTES;
  let q = badOffset + 1;
  while (q <= last) {
    const length = view.getUint32(q);
    if (length === 0) {
      // Skip a run of zeros: a frame's length field holds a non-zero byte.
      const next = nextNonZero(bytes, q + 4);
      q = Math.max(q + 1, next - 3);
      continue;
    }
    if (length >= PAYLOAD_FIXED_BYTES && length <= max && length <= len - q - FRAME_HEADER_BYTES) {
      const seq = getU64(view, q + FRAME_HEADER_BYTES);
      const highest = expected + Math.floor((q - badOffset) / MIN_FRAME_BYTES);
      if (seq >= expected && seq <= highest) {
        const payload = q + FRAME_HEADER_BYTES;
        if (crc32c(bytes.subarray(payload, payload + length)) === view.getUint32(q + 4)) {
          return { offset: q, seq };
        }
      }
    }
    q++;
  }
  return undefined;
}

/** Whether `bytes[from..to)` are all zero. */
export function isZero(bytes: Uint8Array, from: number, to: number): boolean {
  return nextNonZero(bytes.subarray(0, to), from) >= to;
}

/** Index of the first non-zero byte at or after `from`, or `bytes.length`. */
function nextNonZero(bytes: Uint8Array, from: number): number {
  const len = bytes.length;
  let i = from;
  while (i < len && ((bytes.byteOffset + i) & 3) !== 0) {
    if (bytes[i] !== 0) return i;
    i++;
  }
  const words = (len - i) >>> 2;
  if (words > 0) {
    const w = new Uint32Array(bytes.buffer, bytes.byteOffset + i, words);
    let j = 0;
    while (j < words && w[j] === 0) j++;
    i += j * 4;
  }
  while (i < len && bytes[i] === 0) i++;
  return i;
}

/** What {@linkcode parseSegment} returns. */
export interface ParsedSegment {
  term: number;
  firstSeq: number;
  /** Seq of the last record, `firstSeq - 1` when the segment holds none. */
  lastSeq: number;
  records: WalRecord[];
  /** Offset just past the last good frame. */
  end: number;
  tornTail?: TornTail;
}

/**
 * Parses a whole segment held in memory (an S3 object, a peer stream) with the same rules as
 * the file reader; `isLast` decides whether a bad frame at the end is a torn tail or corruption.
 * Records' `data` are views into `bytes`.
 *
 * @throws {WalCorruptError} For a bad header or a corrupt frame.
 *
 * @example
 * ```ts
 * import { encodeFrames, encodeSegmentHeader } from "./frame.ts";
 * import { parseSegment, segmentName } from "./segment.ts";
 * const header = encodeSegmentHeader(1, 5);
 * const frames = encodeFrames([{ seq: 5, term: 1, rev: 9, data: new Uint8Array([1, 2]) }]);
 * const bytes = new Uint8Array([...header, ...frames]);
 * const seg = parseSegment(segmentName(1, 5), bytes, { isLast: false });
 * if (seg.records.length !== 1 || seg.end !== bytes.length) throw new Error();
 * ```
 */
export function parseSegment(
  name: string,
  bytes: Uint8Array,
  options: { isLast: boolean; maxRecordBytes?: number },
): ParsedSegment {
  const records: WalRecord[] = [];
  const scan = scanSegment(name, bytes, {
    isLast: options.isLast,
    maxRecordBytes: options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES,
    afterSeq: 0,
  }, (r) => records.push(r));
  if (scan.corruption) throw scan.corruption;
  const parsed: ParsedSegment = {
    term: scan.term,
    firstSeq: scan.firstSeq,
    lastSeq: scan.lastSeq,
    records,
    end: scan.end,
  };
  if (scan.tornTail) parsed.tornTail = scan.tornTail;
  return parsed;
}
