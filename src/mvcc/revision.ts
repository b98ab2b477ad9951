/**
 * Revisions and the log record format.
 *
 * A revision is etcd's `{ main, sub }`: `main` is the store revision a write produced, `sub`
 * numbers the keys one write changed (a Txn touching three keys writes subs 0, 1, 2).
 *
 * The engine's `log` table is keyed by the revision as 12 big-endian bytes, so rows sort by
 * revision and appends only ever touch the right edge of the B-tree:
 *
 * ```
 * [8] main  u64 BE   (< 2^53)
 * [4] sub   u32 BE
 * ```
 *
 * Each row's value is one record:
 *
 * ```
 * [1] flags            bit 0 = tombstone (the key was deleted at this revision)
 * [8] create_revision  main revision of the put that created this generation (0 for tombstones)
 * [8] prev main        the previous record of the same key, in any generation (0 = none)
 * [4] prev sub
 * [8] version          puts since creation, 1 on create (0 for tombstones)
 * [8] lease            i64 lease ID (0 = none)
 * [4] key length
 * [key][value]
 * ```
 *
 * The `prev` pointer chains every record of a key from newest to oldest. Historical reads walk
 * it back from the key's current record, watchers use it for `prev_kv`, and compaction uses it
 * to find the record a newer one supersedes, all without a per-key history in memory.
 *
 * @module
 */

/** Bytes in an encoded revision. */
export const REV_BYTES_LEN = 12;
/** Bytes in a record before the key. */
export const RECORD_HEADER_LEN = 41;

const FLAG_TOMBSTONE = 1;
const TWO_32 = 0x1_0000_0000;

/** A decoded log record. `key` is the binary-string key (see `keys.ts`). */
export interface LogRecord {
  key: string;
  main: number;
  sub: number;
  tombstone: boolean;
  createRevision: number;
  version: number;
  lease: bigint;
  prevMain: number;
  prevSub: number;
  value: Uint8Array;
}

/** Writes `main`/`sub` as 12 big-endian bytes into `out` at `offset`. */
export function writeRevision(out: Uint8Array, offset: number, main: number, sub: number): void {
  const hi = Math.floor(main / TWO_32);
  const lo = main >>> 0;
  out[offset] = hi >>> 24;
  out[offset + 1] = hi >>> 16;
  out[offset + 2] = hi >>> 8;
  out[offset + 3] = hi;
  out[offset + 4] = lo >>> 24;
  out[offset + 5] = lo >>> 16;
  out[offset + 6] = lo >>> 8;
  out[offset + 7] = lo;
  out[offset + 8] = sub >>> 24;
  out[offset + 9] = sub >>> 16;
  out[offset + 10] = sub >>> 8;
  out[offset + 11] = sub;
}

/** Encodes a revision as a new 12-byte key. */
export function encodeRevision(main: number, sub = 0): Uint8Array {
  const out = new Uint8Array(REV_BYTES_LEN);
  writeRevision(out, 0, main, sub);
  return out;
}

function readU32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

function readU64(b: Uint8Array, o: number): number {
  return readU32(b, o) * TWO_32 + readU32(b, o + 4);
}

function writeU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}

function writeU64(b: Uint8Array, o: number, v: number): void {
  writeU32(b, o, Math.floor(v / TWO_32));
  writeU32(b, o + 4, v >>> 0);
}

/** Reads the main part of an encoded revision. */
export function revisionMain(bytes: Uint8Array, offset = 0): number {
  return readU64(bytes, offset);
}

/** Reads the sub part of an encoded revision. */
export function revisionSub(bytes: Uint8Array, offset = 0): number {
  return readU32(bytes, offset + 8);
}

/** Encodes a record into a new buffer. */
export function encodeRecord(r: Omit<LogRecord, "main" | "sub">): Uint8Array {
  const keyLen = r.key.length;
  const out = new Uint8Array(RECORD_HEADER_LEN + keyLen + r.value.length);
  out[0] = r.tombstone ? FLAG_TOMBSTONE : 0;
  writeU64(out, 1, r.createRevision);
  writeU64(out, 9, r.prevMain);
  writeU32(out, 17, r.prevSub);
  writeU64(out, 21, r.version);
  const lease = BigInt.asUintN(64, r.lease);
  writeU32(out, 29, Number(lease >> 32n));
  writeU32(out, 33, Number(lease & 0xffff_ffffn));
  writeU32(out, 37, keyLen);
  for (let i = 0; i < keyLen; i++) out[RECORD_HEADER_LEN + i] = r.key.charCodeAt(i);
  out.set(r.value, RECORD_HEADER_LEN + keyLen);
  return out;
}

function readLease(b: Uint8Array): bigint {
  const hi = readU32(b, 29);
  const lo = readU32(b, 33);
  if (hi === 0 && lo === 0) return 0n;
  return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
}

function readKeyString(b: Uint8Array, len: number): string {
  let s = "";
  const end = RECORD_HEADER_LEN + len;
  if (len <= 64) {
    for (let i = RECORD_HEADER_LEN; i < end; i++) s += String.fromCharCode(b[i]!);
    return s;
  }
  for (let i = RECORD_HEADER_LEN; i < end; i += 8192) {
    s += String.fromCharCode.apply(
      null,
      b.subarray(i, Math.min(end, i + 8192)) as unknown as number[],
    );
  }
  return s;
}

/**
 * Decodes a record. With `copyValue` false the returned `value` is a view into `bytes` (use it
 * only while `bytes` is valid); otherwise it is an owned copy.
 */
export function decodeRecord(
  main: number,
  sub: number,
  bytes: Uint8Array,
  copyValue = true,
): LogRecord {
  if (bytes.length < RECORD_HEADER_LEN) {
    throw new Error(`Cannot decode log record ${main}/${sub}: ${bytes.length} bytes is too short`);
  }
  const keyLen = readU32(bytes, 37);
  if (RECORD_HEADER_LEN + keyLen > bytes.length) {
    throw new Error(`Cannot decode log record ${main}/${sub}: key length ${keyLen} overruns it`);
  }
  const valueStart = RECORD_HEADER_LEN + keyLen;
  return {
    key: readKeyString(bytes, keyLen),
    main,
    sub,
    tombstone: (bytes[0]! & FLAG_TOMBSTONE) !== 0,
    createRevision: readU64(bytes, 1),
    prevMain: readU64(bytes, 9),
    prevSub: readU32(bytes, 17),
    version: readU64(bytes, 21),
    lease: readLease(bytes),
    value: copyValue ? bytes.slice(valueStart) : bytes.subarray(valueStart),
  };
}
