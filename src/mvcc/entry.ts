/**
 * The data of one WAL entry: the state changes one request made, in order.
 *
 * Entries record *effects*, not requests: compares are already decided and `ignore_value` is
 * already resolved. Replaying an entry's ops against the state the previous entries produced
 * yields exactly the records, revisions and sub-revisions the live write produced; range
 * deletes and lease revokes visit keys in key order so they are deterministic too.
 *
 * Encoding (big-endian):
 *
 * ```
 * [1] format = 1
 * [4] op count
 * per op, [1] code then:
 *   1 put          [8] lease i64 [4] key len [key] [4] value len [value]
 *   2 delete       [4] key len [key]
 *   3 delete range [4] key len [key] [1] has end [4] end len [end]   (no end: to the last key)
 *   4 grant        [8] lease i64 [8] ttl seconds
 *   5 revoke       [8] lease i64
 *   6 compact      [8] revision
 *   7 meta put     [4] key len [key] [4] value len [value]
 *   8 meta delete  [4] key len [key]
 * ```
 *
 * A decoder meeting a newer format or an unknown op code refuses the entry.
 *
 * @module
 */

const FORMAT = 1;
const TWO_32 = 0x1_0000_0000;
/** The high 32 bits of 2^53 - 1. */
const MAX_SAFE_HI = 0x1fffff;

/** One state change. Keys are binary strings. */
export type EntryOp =
  | { op: "put"; key: string; value: Uint8Array; lease: bigint }
  | { op: "delete"; key: string }
  | { op: "deleteRange"; key: string; end: string | undefined }
  | { op: "grant"; lease: bigint; ttl: number }
  | { op: "revoke"; lease: bigint }
  | { op: "compact"; revision: number }
  | { op: "metaPut"; key: string; value: Uint8Array }
  | { op: "metaDelete"; key: string };

function opSize(o: EntryOp): number {
  switch (o.op) {
    case "put":
      return 1 + 8 + 4 + o.key.length + 4 + o.value.length;
    case "delete":
    case "metaDelete":
      return 1 + 4 + o.key.length;
    case "deleteRange":
      return 1 + 4 + o.key.length + 1 + 4 + (o.end?.length ?? 0);
    case "grant":
      return 1 + 16;
    case "revoke":
    case "compact":
      return 1 + 8;
    case "metaPut":
      return 1 + 4 + o.key.length + 4 + o.value.length;
  }
}

class Writer {
  readonly buf: Uint8Array;
  readonly view: DataView;
  pos = 0;
  constructor(size: number) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
  }
  u8(v: number): void {
    this.buf[this.pos++] = v;
  }
  u32(v: number): void {
    this.view.setUint32(this.pos, v);
    this.pos += 4;
  }
  u64(v: number): void {
    this.view.setUint32(this.pos, Math.floor(v / TWO_32));
    this.view.setUint32(this.pos + 4, v >>> 0);
    this.pos += 8;
  }
  i64(v: bigint): void {
    this.view.setBigInt64(this.pos, v);
    this.pos += 8;
  }
  str(s: string): void {
    this.u32(s.length);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < s.length; i++) b[p++] = s.charCodeAt(i);
    this.pos = p;
  }
  bytes(v: Uint8Array): void {
    this.u32(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
  }
}

/** Encodes ops as entry data. */
export function encodeEntry(ops: readonly EntryOp[]): Uint8Array {
  let size = 5;
  for (const o of ops) size += opSize(o);
  const w = new Writer(size);
  w.u8(FORMAT);
  w.u32(ops.length);
  for (const o of ops) {
    switch (o.op) {
      case "put":
        w.u8(1);
        w.i64(o.lease);
        w.str(o.key);
        w.bytes(o.value);
        break;
      case "delete":
        w.u8(2);
        w.str(o.key);
        break;
      case "deleteRange":
        w.u8(3);
        w.str(o.key);
        w.u8(o.end === undefined ? 0 : 1);
        w.str(o.end ?? "");
        break;
      case "grant":
        w.u8(4);
        w.i64(o.lease);
        w.u64(o.ttl);
        break;
      case "revoke":
        w.u8(5);
        w.i64(o.lease);
        break;
      case "compact":
        w.u8(6);
        w.u64(o.revision);
        break;
      case "metaPut":
        w.u8(7);
        w.str(o.key);
        w.bytes(o.value);
        break;
      case "metaDelete":
        w.u8(8);
        w.str(o.key);
        break;
    }
  }
  return w.buf;
}

class Reader {
  readonly view: DataView;
  pos = 0;
  constructor(readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  need(n: number): void {
    if (this.pos + n > this.buf.length) {
      throw new Error(`Cannot decode WAL entry: truncated at byte ${this.pos}`);
    }
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }
  u64(): number {
    this.need(8);
    const hi = this.view.getUint32(this.pos);
    // Above 2^53 a number is no longer exact: a revision or TTL the encoder never wrote.
    if (hi > MAX_SAFE_HI) {
      throw new Error(`Cannot decode WAL entry: number at byte ${this.pos} is beyond 2^53`);
    }
    const v = hi * TWO_32 + this.view.getUint32(this.pos + 4);
    this.pos += 8;
    return v;
  }
  i64(): bigint {
    this.need(8);
    const v = this.view.getBigInt64(this.pos);
    this.pos += 8;
    return v;
  }
  str(): string {
    const n = this.u32();
    this.need(n);
    let s = "";
    const end = this.pos + n;
    for (let i = this.pos; i < end; i += 8192) {
      s += String.fromCharCode.apply(
        null,
        this.buf.subarray(i, Math.min(end, i + 8192)) as unknown as number[],
      );
    }
    this.pos = end;
    return s;
  }
  bytes(): Uint8Array {
    const n = this.u32();
    this.need(n);
    const v = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
}

/** Decodes entry data; throws a descriptive Error on anything malformed or unknown. */
export function decodeEntry(data: Uint8Array): EntryOp[] {
  const r = new Reader(data);
  const format = r.u8();
  if (format !== FORMAT) {
    throw new Error(`Cannot decode WAL entry: format ${format} is not supported (expected 1)`);
  }
  const count = r.u32();
  if (count > data.length) throw new Error(`Cannot decode WAL entry: op count ${count} is bogus`);
  const ops: EntryOp[] = [];
  for (let i = 0; i < count; i++) {
    const code = r.u8();
    switch (code) {
      case 1: {
        const lease = r.i64();
        const key = r.str();
        ops.push({ op: "put", key, value: r.bytes(), lease });
        break;
      }
      case 2:
        ops.push({ op: "delete", key: r.str() });
        break;
      case 3: {
        const key = r.str();
        const hasEnd = r.u8() === 1;
        const end = r.str();
        ops.push({ op: "deleteRange", key, end: hasEnd ? end : undefined });
        break;
      }
      case 4: {
        const lease = r.i64();
        ops.push({ op: "grant", lease, ttl: r.u64() });
        break;
      }
      case 5:
        ops.push({ op: "revoke", lease: r.i64() });
        break;
      case 6:
        ops.push({ op: "compact", revision: r.u64() });
        break;
      case 7: {
        const key = r.str();
        ops.push({ op: "metaPut", key, value: r.bytes() });
        break;
      }
      case 8:
        ops.push({ op: "metaDelete", key: r.str() });
        break;
      default:
        throw new Error(`Cannot decode WAL entry: unknown op code ${code} at byte ${r.pos - 1}`);
    }
  }
  if (r.pos !== data.length) {
    throw new Error(`Cannot decode WAL entry: ${data.length - r.pos} trailing bytes`);
  }
  return ops;
}
