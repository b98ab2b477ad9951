/**
 * {@linkcode WriteBatch}: the ops of one engine transaction, encoded for `kv_write`.
 *
 * @module
 */

import { OP_DELETE, OP_DELETE_RANGE, OP_HEADER_BYTES, OP_PUT } from "./_exports.ts";
import type { Table } from "./table.ts";

const INITIAL_BYTES = 4096;
/** `clear()` drops a buffer grown past this size instead of keeping it for reuse. */
const KEEP_MAX_BYTES = 8 * 1024 * 1024;
const EMPTY = new Uint8Array(0);

/**
 * Ops for one {@linkcode Engine.write} call, encoded as they are added into one growable buffer
 * that is reused after {@linkcode WriteBatch.clear}. Each op is
 * `[u8 op][u8 table][u32 klen][u32 vlen][key][value]`, lengths little-endian; `deleteRange`
 * stores its start as the key and its end as the value. Keys and values are copied, so the
 * caller may reuse its arrays right after adding an op.
 *
 * @example Write two rows in one transaction
 * ```ts ignore
 * const batch = new WriteBatch();
 * batch.put(TABLE_META, key, value);
 * batch.delete(TABLE_LOG, oldKey);
 * engine.write(batch);
 * batch.clear();
 * ```
 */
export class WriteBatch {
  #bytes = new Uint8Array(INITIAL_BYTES);
  #view = new DataView(this.#bytes.buffer);
  #byteLength = 0;
  #size = 0;

  /** Sets `key` to `value` in `table` (insert or replace). */
  put(table: Table, key: Uint8Array, value: Uint8Array): void {
    this.#add(OP_PUT, table, key, value);
  }

  /** Deletes `key` from `table` (nothing happens if it is absent). */
  delete(table: Table, key: Uint8Array): void {
    this.#add(OP_DELETE, table, key, EMPTY);
  }

  /** Deletes every key `k` of `table` with `start <= k < end`. */
  deleteRange(table: Table, start: Uint8Array, end: Uint8Array): void {
    this.#add(OP_DELETE_RANGE, table, start, end);
  }

  /** Removes every op, keeping the buffer for reuse (unless it grew very large). */
  clear(): void {
    this.#byteLength = 0;
    this.#size = 0;
    if (this.#bytes.length > KEEP_MAX_BYTES) this.#resize(INITIAL_BYTES);
  }

  /** Adds every op of `other` after this batch's ops (a copy of its bytes). */
  append(other: WriteBatch): void {
    const n = other.#byteLength;
    if (n === 0) return;
    const end = this.#byteLength + n;
    if (end > this.#bytes.length) {
      let capacity = this.#bytes.length * 2;
      while (capacity < end) capacity *= 2;
      this.#resize(capacity);
    }
    this.#bytes.set(other.#bytes.subarray(0, n), this.#byteLength);
    this.#byteLength = end;
    this.#size += other.#size;
  }

  /** The number of ops. */
  get size(): number {
    return this.#size;
  }

  /** The number of encoded bytes. */
  get byteLength(): number {
    return this.#byteLength;
  }

  /** The encoded ops: a view of the internal buffer, valid until the batch next changes. */
  bytes(): Uint8Array {
    return this.#bytes.subarray(0, this.#byteLength);
  }

  #add(op: number, table: Table, key: Uint8Array, value: Uint8Array): void {
    const at = this.#byteLength;
    const end = at + OP_HEADER_BYTES + key.length + value.length;
    if (end > this.#bytes.length) {
      let capacity = this.#bytes.length * 2;
      while (capacity < end) capacity *= 2;
      this.#resize(capacity);
    }
    this.#bytes[at] = op;
    this.#bytes[at + 1] = table;
    this.#view.setUint32(at + 2, key.length, true);
    this.#view.setUint32(at + 6, value.length, true);
    this.#bytes.set(key, at + OP_HEADER_BYTES);
    this.#bytes.set(value, at + OP_HEADER_BYTES + key.length);
    this.#byteLength = end;
    this.#size++;
  }

  #resize(capacity: number): void {
    const bytes = new Uint8Array(capacity);
    bytes.set(this.#bytes.subarray(0, this.#byteLength));
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer);
  }
}
