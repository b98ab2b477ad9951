/**
 * The storage the MVCC layer needs, as a small interface.
 *
 * The wasm engine (`src/engine/`) satisfies it; so does {@linkcode MemoryBackend}, a sorted
 * in-memory fake, so MVCC tests run without wasm (etcd's mvcc → backend split).
 *
 * @module
 */

import { BTree } from "./btree.ts";
import { bytesToKey, keyToBytes } from "./keys.ts";

/** The revision-keyed log table (must match the engine's `TABLE_LOG`). */
export const LOG = 0;
/** The non-revisioned meta table (must match the engine's `TABLE_META`). */
export const META = 1;
/** A table ID. */
export type TableId = typeof LOG | typeof META;

/** A set of writes applied atomically by {@linkcode Backend.write}. */
export interface BackendBatch {
  put(table: TableId, key: Uint8Array, value: Uint8Array): void;
  delete(table: TableId, key: Uint8Array): void;
  deleteRange(table: TableId, start: Uint8Array, end: Uint8Array): void;
  clear(): void;
  /** Adds every op of `other` (a batch of the same backend) after this batch's ops. */
  append(other: BackendBatch): void;
  readonly size: number;
  /** Encoded bytes (an estimate for fakes). */
  readonly byteLength: number;
}

/** Options of {@linkcode Backend.scan}. */
export interface ScanOptions {
  limit?: number;
  startExclusive?: boolean;
  reverse?: boolean;
}

/** Ordered tables of byte keys and values. */
export interface Backend {
  /** An owned copy of the value under `key`. */
  get(table: TableId, key: Uint8Array): Uint8Array | undefined;
  /**
   * Visits `[start, end)` in key order (`end` undefined: to the end). The views passed to
   * `visit` are valid only during the call; returning false stops. Returns rows visited.
   */
  scan(
    table: TableId,
    start: Uint8Array,
    end: Uint8Array | undefined,
    options: ScanOptions,
    visit: (key: Uint8Array, value: Uint8Array) => boolean | void,
  ): number;
  /**
   * Like `scan`, but `visit` gets a buffer and each row's key/value offsets in it instead of two
   * views per row (bulk reads).
   */
  scanRaw(
    table: TableId,
    start: Uint8Array,
    end: Uint8Array | undefined,
    options: ScanOptions,
    visit: (
      bytes: Uint8Array,
      keyStart: number,
      keyLength: number,
      valueStart: number,
      valueLength: number,
    ) => boolean | void,
  ): number;
  /** Applies a batch atomically. */
  write(batch: BackendBatch): void;
  /** A new empty batch for this backend. */
  createBatch(): BackendBatch;
}

interface Row {
  key: string;
  value: Uint8Array;
}

type Op =
  | { kind: "put"; table: TableId; key: string; value: Uint8Array }
  | { kind: "delete"; table: TableId; key: string }
  | { kind: "deleteRange"; table: TableId; start: string; end: string };

class MemoryBatch implements BackendBatch {
  ops: Op[] = [];
  bytes = 0;
  get size(): number {
    return this.ops.length;
  }
  get byteLength(): number {
    return this.bytes;
  }
  append(other: BackendBatch): void {
    const o = other as MemoryBatch;
    for (const op of o.ops) this.ops.push(op);
    this.bytes += o.bytes;
  }
  put(table: TableId, key: Uint8Array, value: Uint8Array): void {
    this.ops.push({ kind: "put", table, key: bytesToKey(key), value: value.slice() });
    this.bytes += 10 + key.length + value.length;
  }
  delete(table: TableId, key: Uint8Array): void {
    this.ops.push({ kind: "delete", table, key: bytesToKey(key) });
    this.bytes += 10 + key.length;
  }
  deleteRange(table: TableId, start: Uint8Array, end: Uint8Array): void {
    this.ops.push({ kind: "deleteRange", table, start: bytesToKey(start), end: bytesToKey(end) });
    this.bytes += 10 + start.length + end.length;
  }
  clear(): void {
    this.ops = [];
    this.bytes = 0;
  }
}

/** A {@linkcode Backend} held in memory, for tests. `failNextWrite` injects a write error. */
export class MemoryBackend implements Backend {
  readonly #tables = [new BTree<Row>(), new BTree<Row>()];
  /** When set, the next `write` throws this error and applies nothing. */
  failNextWrite: Error | undefined;
  /** Count of successful `write` calls. */
  writes = 0;

  get(table: TableId, key: Uint8Array): Uint8Array | undefined {
    return this.#tables[table]!.get(bytesToKey(key))?.value.slice();
  }

  scan(
    table: TableId,
    start: Uint8Array,
    end: Uint8Array | undefined,
    options: ScanOptions,
    visit: (key: Uint8Array, value: Uint8Array) => boolean | void,
  ): number {
    const s = bytesToKey(start);
    const e = end === undefined ? undefined : bytesToKey(end);
    const limit = options.limit ?? Infinity;
    let n = 0;
    const each = (row: Row): boolean => {
      if (options.startExclusive && row.key === s) return true;
      if (n >= limit) return false;
      n++;
      return visit(keyToBytes(row.key), row.value) !== false;
    };
    if (options.reverse) this.#tables[table]!.scanReverse(s, e, each);
    else this.#tables[table]!.scan(s, e, each);
    return n;
  }

  scanRaw(
    table: TableId,
    start: Uint8Array,
    end: Uint8Array | undefined,
    options: ScanOptions,
    visit: (bytes: Uint8Array, ks: number, kl: number, vs: number, vl: number) => boolean | void,
  ): number {
    return this.scan(table, start, end, options, (k, v) => {
      const both = new Uint8Array(k.length + v.length);
      both.set(k);
      both.set(v, k.length);
      return visit(both, 0, k.length, k.length, v.length);
    });
  }

  write(batch: BackendBatch): void {
    if (this.failNextWrite) {
      const err = this.failNextWrite;
      this.failNextWrite = undefined;
      throw err;
    }
    for (const op of (batch as MemoryBatch).ops) {
      const t = this.#tables[op.table]!;
      if (op.kind === "put") t.set({ key: op.key, value: op.value });
      else if (op.kind === "delete") t.delete(op.key);
      else {
        const doomed: string[] = [];
        t.scan(op.start, op.end, (row) => void doomed.push(row.key));
        for (const k of doomed) t.delete(k);
      }
    }
    this.writes++;
  }

  createBatch(): BackendBatch {
    return new MemoryBatch();
  }

  /** Rows in a table (for tests). */
  rowCount(table: TableId): number {
    return this.#tables[table]!.size;
  }
}
