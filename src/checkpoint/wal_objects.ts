/**
 * Remote WAL objects: `wal/<term %010d>/<first seq %020d>`, each exactly a WAL segment (the
 * 28-byte header with the term and first seq, then whole frames). In single-node sync mode
 * every group-commit batch becomes one object; in cluster async mode sealed local segment files
 * are uploaded as they are (trailing zero padding is allowed, as in local files).
 *
 * Objects are never rewritten with different records, but they may overlap: a sealed segment
 * uploaded after some of its batches were uploaded as objects, or a retried upload. Overlapping
 * records of one term must be identical.
 *
 * **Per-term cutoffs** (as in T4): an object of term t is ignored from the first seq at which an
 * object of a newer term starts, `cutoff(t) = min firstSeq over objects with term > t`; so at
 * the same seq the higher term wins.
 *
 * @module
 */

import { WalCorruptError } from "../errors.ts";
import type { ObjectStore } from "../objstore/mod.ts";
import {
  encodeFrames,
  encodeSegmentHeader,
  type ParsedSegment,
  parseSegment,
  SEGMENT_HEADER_BYTES,
  type WalRecord,
} from "../wal/mod.ts";
import { describeError } from "./errors.ts";
import { pad, WAL_PREFIX } from "./layout.ts";

/** The smallest frame (a record with empty data): bounds how many records an object holds. */
const MIN_FRAME_BYTES = 32;
const WAL_KEY = /^wal\/(\d{10,})\/(\d{20,})$/;

/** A WAL object found by `list("wal/")`, with what its key and size say. */
export interface WalObjectInfo {
  /** `wal/<term>/<first seq>`. */
  key: string;
  /** The term in the key (and header): the writer's term. */
  term: number;
  /** The seq of its first record. */
  firstSeq: number;
  /** Its length in bytes. */
  size: number;
  /**
   * The highest seq it may contribute: below the newer terms' cutoff, and no more records than
   * its size can hold (but at least `firstSeq`). Below `firstSeq` when a newer term cuts it off
   * entirely.
   */
  maxSeq: number;
}

/** `wal/<term %010d>/<first seq %020d>`. */
export function walObjectKey(term: number, firstSeq: number): string {
  return `${WAL_PREFIX}${pad(term, 10)}/${pad(firstSeq, 20)}`;
}

/** Parses a key made by {@linkcode walObjectKey}; `undefined` for any other key. */
export function parseWalObjectKey(key: string): { term: number; firstSeq: number } | undefined {
  const m = WAL_KEY.exec(key);
  if (!m) return undefined;
  const term = Number(m[1]);
  const firstSeq = Number(m[2]);
  if (!Number.isSafeInteger(term) || !Number.isSafeInteger(firstSeq) || firstSeq < 1) {
    return undefined;
  }
  return walObjectKey(term, firstSeq) === key ? { term, firstSeq } : undefined;
}

/**
 * Encodes records as one WAL object: a segment header with `term` and the first record's seq,
 * then their frames. Upload it to `walObjectKey(term, records[0].seq)`.
 *
 * @throws {RangeError} for no records, seqs that are not dense, or a record term above `term`.
 */
export function encodeWalObject(records: readonly WalRecord[], term: number): Uint8Array {
  const first = records[0];
  if (first === undefined) throw new RangeError("Cannot encode a WAL object with no records");
  records.forEach((r, i) => {
    if (r.seq !== first.seq + i) {
      throw new RangeError(
        `Cannot encode a WAL object: record ${i} has seq ${r.seq}, expected ${first.seq + i}`,
      );
    }
    if (r.term > term) {
      throw new RangeError(
        `Cannot encode a WAL object of term ${term}: record seq ${r.seq} has term ${r.term}`,
      );
    }
  });
  const header = encodeSegmentHeader(term, first.seq);
  const frames = encodeFrames(records);
  const out = new Uint8Array(header.length + frames.length);
  out.set(header);
  out.set(frames, header.length);
  return out;
}

/**
 * Lists `wal/` and applies the per-term cutoffs: every object with a well-formed key, sorted by
 * (first seq, term), each with its `maxSeq`. Other keys under `wal/` are ignored.
 */
export async function listWalObjects(store: ObjectStore): Promise<WalObjectInfo[]> {
  const found: Omit<WalObjectInfo, "maxSeq">[] = [];
  for (const { key, size } of await store.list(WAL_PREFIX)) {
    const parsed = parseWalObjectKey(key);
    if (parsed) found.push({ key, size, ...parsed });
  }
  // cutoff(t) = min firstSeq over objects of a higher term: walk terms from the highest down.
  const terms = [...new Set(found.map((o) => o.term))].sort((a, b) => b - a);
  const cutoff = new Map<number, number>();
  let lowestAbove = Infinity;
  for (const t of terms) {
    cutoff.set(t, lowestAbove);
    for (const o of found) if (o.term === t) lowestAbove = Math.min(lowestAbove, o.firstSeq);
  }
  return found
    .map((o) => {
      // At least firstSeq: an object too small for one record is damaged, and must be read
      // (and refused) rather than skipped.
      const frames = Math.floor((o.size - SEGMENT_HEADER_BYTES) / MIN_FRAME_BYTES);
      const bySize = o.firstSeq + Math.max(1, frames) - 1;
      const maxSeq = Math.min((cutoff.get(o.term) ?? Infinity) - 1, bySize);
      return { ...o, maxSeq };
    })
    .sort((a, b) => a.firstSeq - b.firstSeq || a.term - b.term);
}

/** Options of {@linkcode parseWalObject}. */
export interface ParseWalObjectOptions {
  /** The store it came from, named in messages. */
  store?: ObjectStore;
  /** Largest acceptable record payload; default 64 MiB. */
  maxRecordBytes?: number;
}

/**
 * Parses the bytes of the WAL object at `key`: CRC-checked frames, dense seqs, a header that
 * agrees with the key; a truncated or damaged object is an error, never a shorter object.
 * Records' `data` are views into `bytes`.
 *
 * @throws {WalCorruptError} with `segment` = the key and the offset of the damage.
 * @throws {RangeError} when `key` is not a WAL object key.
 */
export function parseWalObject(
  key: string,
  bytes: Uint8Array,
  options: ParseWalObjectOptions = {},
): ParsedSegment {
  const info = parseWalObjectKey(key);
  if (!info) throw new RangeError(`Invalid WAL object key ${JSON.stringify(key)}`);
  const from = options.store ? ` from ${options.store.describe()}` : "";
  const what = `Cannot read remote WAL object "${key}"${from}`;
  let parsed: ParsedSegment;
  try {
    parsed = parseSegment(key, bytes, {
      isLast: false,
      ...(options.maxRecordBytes === undefined ? {} : { maxRecordBytes: options.maxRecordBytes }),
    });
  } catch (err: unknown) {
    const offset = err instanceof WalCorruptError ? err.offset : 0;
    throw new WalCorruptError(key, offset, `${what}: ${describeError(err)}`, { cause: err });
  }
  if (parsed.term !== info.term || parsed.firstSeq !== info.firstSeq) {
    throw new WalCorruptError(
      key,
      0,
      `${what}: its header says term ${parsed.term}, first seq ${parsed.firstSeq}, which ` +
        `does not match its key`,
    );
  }
  if (parsed.records.length === 0) {
    throw new WalCorruptError(key, SEGMENT_HEADER_BYTES, `${what}: it holds no records`);
  }
  return parsed;
}
