/**
 * The write-ahead log: every state change of the store, as records with dense sequence
 * numbers, in segment files that are checksummed, fsynced in groups and replayed at startup.
 *
 * ## Format (big-endian everywhere; `docs/wal-format.md` has the full rules)
 *
 * Segment files are named `<term %010d>-<firstSeq %020d>.wal`, e.g.
 * `0000000003-00000000000000000042.wal`, and live alone in the WAL directory (files ending in
 * `.tmp` are segments being prepared and are deleted when a writer opens).
 *
 * ```
 * header, 28 bytes: [4] "T4WL" [2] version 1 [2] flags 0 [8] term [8] first seq [4] crc32c(0..23)
 * frame:            [4] payload length [4] crc32c(payload) [payload]
 * payload:          [8] seq [8] term [8] rev [data…]
 * ```
 *
 * CRCs are CRC-32C (Castagnoli). Payload length is at least 24 and at most `maxRecordBytes`
 * (64 MiB by default). Unused space at the end of a file is zero bytes (preallocation).
 *
 * ## Invariants
 *
 * - Seqs are dense: each record's seq is the previous one's + 1, within and across segments;
 *   a segment's first record has its header's first seq, and each segment starts right after
 *   the previous one ends.
 * - A segment becomes visible (renamed from `.tmp`) only once its header and every earlier
 *   segment are on disk, so a crash can tear only the tail of the last segment.
 * - Reading: the end of a file or zero padding is a clean end. In the last segment, a bad
 *   frame with no valid frame anywhere after it is a torn tail: a clean end, truncated on
 *   repair. Anything else (a bad frame followed by a valid one, a bad frame in an older
 *   segment, a bad header, a newer format version, a hole in the seqs) throws
 *   `WalCorruptError` naming the segment and offset, after the valid prefix was delivered.
 * - `WalWriter.sync()` is the only caller of fdatasync; when it resolves, every record
 *   appended before the call survives a crash.
 *
 * @example Write, then replay
 * ```ts
 * import { replayWal, WalWriter } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * {
 *   await using wal = await WalWriter.open(dir, { term: 1, nextSeq: 1, segmentBytes: 1 << 20 });
 *   wal.append([
 *     { seq: 1, term: 1, rev: 1, data: new TextEncoder().encode("put a") },
 *     { seq: 2, term: 1, rev: 2, data: new TextEncoder().encode("put b") },
 *   ]);
 *   await wal.sync();
 * }
 * const seen: number[] = [];
 * const result = await replayWal(dir, { afterSeq: 1, repair: true }, (r) => seen.push(r.seq));
 * if (result.lastSeq !== 2 || seen.join() !== "2") throw new Error("unexpected replay");
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */

export { crc32c } from "./crc32c.ts";
export {
  DEFAULT_MAX_RECORD_BYTES,
  encodeFrames,
  encodeSegmentHeader,
  FORMAT_VERSION,
  SEGMENT_HEADER_BYTES,
  type WalRecord,
} from "./frame.ts";
export {
  type ParsedSegment,
  parseSegment,
  parseSegmentName,
  segmentName,
  type TornTail,
} from "./segment.ts";
export {
  listSegmentFiles,
  type ReplayOptions,
  type ReplayResult,
  replayWal,
  type SegmentFile,
} from "./reader.ts";
export { type SegmentInfo, type WalMark, WalWriter, type WalWriterOptions } from "./writer.ts";
