/**
 * {@linkcode Store}: the embedded API, etcd's data model for a Deno program. Keys and values go
 * in as `string` (UTF-8) or `Uint8Array` and come out as `Uint8Array`; every method maps to one
 * etcd request with etcd's semantics (revisions, versions, leases, compaction).
 *
 * @module
 */

import { type Bytes, type Kv, prefixEnd, toBytes, toKey } from "../mvcc/mod.ts";
import type * as mvcc from "../mvcc/mod.ts";
import type { NodeConfig } from "./config.ts";
import { T4Node } from "./node.ts";
import { Watch, type WatchOptions } from "./embedded_watch.ts";

/** A key-value pair at some revision (etcd's `mvccpb.KeyValue`). */
export interface KeyValue {
  key: Uint8Array;
  value: Uint8Array;
  /** Revision of the put that created this generation of the key. */
  createRevision: number;
  /** Revision of the last put. */
  modRevision: number;
  /** Puts since creation (1 on create; a delete starts over). */
  version: number;
  /** Attached lease ID, `0n` for none. */
  lease: bigint;
}

/** Which keys a range, delete or watch covers, besides the key itself. */
export interface KeySpan {
  /** Every key starting with the key (etcd's `--prefix`). */
  prefix?: boolean;
  /** Every key greater than or equal to the key (etcd's `--from-key`). */
  fromKey?: boolean;
  /** Keys in `[key, end)`. */
  end?: Bytes;
}

/** Options of {@linkcode Store.get}. */
export interface GetOptions {
  /** Read at this revision (0 or absent: the current one). */
  revision?: number;
}

/** Options of {@linkcode Store.range}. */
export interface RangeOptions extends KeySpan, GetOptions {
  limit?: number;
  sortOrder?: mvcc.SortOrder;
  sortTarget?: mvcc.SortTarget;
  keysOnly?: boolean;
  countOnly?: boolean;
  minModRevision?: number;
  maxModRevision?: number;
  minCreateRevision?: number;
  maxCreateRevision?: number;
}

/** What {@linkcode Store.range} returns. */
export interface RangeResult {
  /** The store revision the read ran at (the header revision). */
  revision: number;
  kvs: KeyValue[];
  /** More keys matched than `limit` allowed. */
  more: boolean;
  /** Keys in the range, ignoring `limit`. */
  count: number;
}

/** Options of {@linkcode Store.put}. */
export interface PutOptions {
  lease?: bigint;
  /** Return the previous key-value. */
  prevKv?: boolean;
  /** Keep the current value (the key must exist; pass an empty value). */
  ignoreValue?: boolean;
  /** Keep the current lease (the key must exist). */
  ignoreLease?: boolean;
}

/** What {@linkcode Store.put} returns. */
export interface PutResult {
  revision: number;
  prevKv?: KeyValue;
}

/** Options of {@linkcode Store.delete}. */
export interface DeleteOptions extends KeySpan {
  prevKv?: boolean;
}

/** What {@linkcode Store.delete} returns. */
export interface DeleteResult {
  revision: number;
  deleted: number;
  prevKvs?: KeyValue[];
}

/** One condition of a {@linkcode TxnSpec}; `value` is the operand (absent: etcd's zero). */
export interface TxnCompare extends Omit<KeySpan, "prefix" | "fromKey"> {
  key: Bytes;
  target: mvcc.CompareTarget;
  result: mvcc.CompareResult;
  value?: number | bigint | Bytes;
  /** Compare every key with this prefix. */
  prefix?: boolean;
}

/** One operation of a transaction branch. */
export type TxnOp =
  | { put: { key: Bytes; value: Bytes } & PutOptions }
  | { get: { key: Bytes } & RangeOptions }
  | { delete: { key: Bytes } & DeleteOptions }
  | { txn: TxnSpec };

/** A transaction: if every compare holds run `success`, else `failure`. */
export interface TxnSpec {
  compare?: TxnCompare[];
  success?: TxnOp[];
  failure?: TxnOp[];
}

/** The result of one transaction operation, in the shape of the op. */
export type TxnOpResult =
  | { put: PutResult }
  | { get: RangeResult }
  | { delete: DeleteResult }
  | { txn: TxnResult };

/** What {@linkcode Store.txn} returns. */
export interface TxnResult {
  revision: number;
  succeeded: boolean;
  responses: TxnOpResult[];
}

/** A lease as {@linkcode Store.leaseTimeToLive} reports it. */
export interface LeaseStatus {
  id: bigint;
  /** Seconds left; -1 when the lease does not exist. */
  ttl: number;
  grantedTtl: number;
  keys: Uint8Array[];
}

/**
 * The key and range end of a span, as etcd's clients send them: an empty key with `prefix` or
 * `fromKey` means every key (`"\0"` to `"\0"`).
 */
function keySpan(key: Bytes, span: KeySpan): { key: string; end: string | undefined } {
  const k = toKey(key);
  if (span.prefix) return k.length === 0 ? { key: "\0", end: "\0" } : { key: k, end: prefixEnd(k) };
  if (span.fromKey) return { key: k.length === 0 ? "\0" : k, end: "\0" };
  return { key: k, end: span.end === undefined ? undefined : toKey(span.end) };
}

function keyValue(kv: Kv): KeyValue {
  return {
    key: mvccKeyBytes(kv.key),
    value: kv.value,
    createRevision: kv.createRevision,
    modRevision: kv.modRevision,
    version: kv.version,
    lease: kv.lease,
  };
}

function mvccKeyBytes(key: string): Uint8Array {
  const out = new Uint8Array(key.length);
  for (let i = 0; i < key.length; i++) out[i] = key.charCodeAt(i);
  return out;
}

function rangeRequest(key: Bytes, o: RangeOptions): mvcc.RangeRequest {
  const { key: k, end } = keySpan(key, o);
  const r: mvcc.RangeRequest = { key: k };
  if (end !== undefined) r.rangeEnd = end;
  for (
    const f of [
      "limit",
      "revision",
      "sortOrder",
      "sortTarget",
      "keysOnly",
      "countOnly",
      "minModRevision",
      "maxModRevision",
      "minCreateRevision",
      "maxCreateRevision",
    ] as const
  ) {
    if (o[f] !== undefined) (r as unknown as Record<string, unknown>)[f] = o[f];
  }
  return r;
}

function rangeResult(r: mvcc.RangeResponse): RangeResult {
  return { revision: r.revision, kvs: r.kvs.map(keyValue), more: r.more, count: r.count };
}

function putRequest(key: Bytes, value: Bytes, o: PutOptions): mvcc.PutRequest {
  const r: mvcc.PutRequest = { key: toKey(key), value: toBytes(value) };
  if (o.lease !== undefined) r.lease = o.lease;
  if (o.prevKv) r.prevKv = true;
  if (o.ignoreValue) r.ignoreValue = true;
  if (o.ignoreLease) r.ignoreLease = true;
  return r;
}

function putResult(r: mvcc.PutResponse): PutResult {
  return r.prevKv ? { revision: r.revision, prevKv: keyValue(r.prevKv) } : { revision: r.revision };
}

function deleteRequest(key: Bytes, o: DeleteOptions): mvcc.DeleteRangeRequest {
  const { key: k, end } = keySpan(key, o);
  const r: mvcc.DeleteRangeRequest = { key: k };
  if (end !== undefined) r.rangeEnd = end;
  if (o.prevKv) r.prevKv = true;
  return r;
}

function deleteResult(r: mvcc.DeleteRangeResponse): DeleteResult {
  const out: DeleteResult = { revision: r.revision, deleted: r.deleted };
  if (r.prevKvs) out.prevKvs = r.prevKvs.map(keyValue);
  return out;
}

function txnRequest(t: TxnSpec): mvcc.TxnRequest {
  const compare = (t.compare ?? []).map((c): mvcc.Compare => {
    const { key, end } = keySpan(c.key, c);
    const out: mvcc.Compare = { key, target: c.target, result: c.result };
    if (end !== undefined) out.rangeEnd = end;
    if (c.value !== undefined) {
      if (c.target === "value") out.operand = toKey(c.value as Bytes);
      else if (c.target === "lease") out.operand = BigInt(c.value as number | bigint);
      else out.operand = Number(c.value);
    }
    return out;
  });
  const ops = (list: TxnOp[] | undefined) =>
    (list ?? []).map((op): mvcc.RequestOp => {
      if ("put" in op) return { put: putRequest(op.put.key, op.put.value, op.put) };
      if ("get" in op) return { range: rangeRequest(op.get.key, op.get) };
      if ("delete" in op) return { deleteRange: deleteRequest(op.delete.key, op.delete) };
      return { txn: txnRequest(op.txn) };
    });
  return { compare, success: ops(t.success), failure: ops(t.failure) };
}

function txnResult(r: mvcc.TxnResponse): TxnResult {
  return {
    revision: r.revision,
    succeeded: r.succeeded,
    responses: r.responses.map((op): TxnOpResult => {
      if (op.put) return { put: putResult(op.put) };
      if (op.range) return { get: rangeResult(op.range) };
      if (op.deleteRange) return { delete: deleteResult(op.deleteRange) };
      return { txn: txnResult(op.txn!) };
    }),
  };
}

/**
 * An embedded T4 store. Open one with {@linkcode Store.open} (or `open` from `mod.ts`); close it
 * with `close()` or `await using`.
 */
export class Store implements AsyncDisposable {
  readonly #node: T4Node;

  private constructor(node: T4Node) {
    this.#node = node;
  }

  /** Opens (creating if needed) the store in `config.dataDir` and recovers it. */
  static async open(config: NodeConfig): Promise<Store> {
    return new Store(await T4Node.open(config));
  }

  /** The node underneath (for the server and tools). */
  get node(): T4Node {
    return this.#node;
  }

  /** The current store revision (1 for an empty store). */
  get revision(): number {
    return this.#node.store.revision;
  }

  /** The compact revision (0 when never compacted). */
  get compactRevision(): number {
    return this.#node.store.compactRevision;
  }

  /** Writes `value` under `key`; resolves once it is durable. */
  async put(key: Bytes, value: Bytes, options: PutOptions = {}): Promise<PutResult> {
    return putResult(await this.#node.put(putRequest(key, value, options)));
  }

  /** The key's current value (or at `options.revision`), or `undefined`. */
  get(key: Bytes, options: GetOptions = {}): Promise<KeyValue | undefined> {
    try {
      const kv = this.#node.get(toKey(key), options.revision ?? 0);
      return Promise.resolve(kv && keyValue(kv));
    } catch (err: unknown) {
      return Promise.reject(err);
    }
  }

  /** Reads a key, a prefix or a range with etcd's Range options. */
  range(key: Bytes, options: RangeOptions = {}): Promise<RangeResult> {
    try {
      return Promise.resolve(rangeResult(this.#node.range(rangeRequest(key, options))));
    } catch (err: unknown) {
      return Promise.reject(err);
    }
  }

  /** Deletes a key, a prefix or a range at one revision. */
  async delete(key: Bytes, options: DeleteOptions = {}): Promise<DeleteResult> {
    return deleteResult(await this.#node.deleteRange(deleteRequest(key, options)));
  }

  /** Runs a transaction atomically at one revision. */
  async txn(spec: TxnSpec): Promise<TxnResult> {
    return txnResult(await this.#node.txn(txnRequest(spec)));
  }

  /** Discards history below `revision` (reads there fail with `compacted` from then on). */
  compact(revision: number): Promise<{ revision: number }> {
    return this.#node.compact(revision);
  }

  /** Watches a key, prefix or range; iterate the result for batches of events. */
  watch(key: Bytes, options: WatchOptions = {}): Watch {
    const { key: k, end } = keySpan(key, options);
    return new Watch(this.#node.hub, k, end, options);
  }

  /** Grants a lease of `ttl` seconds (raised to etcd's 2 s minimum). */
  grantLease(ttl: number, options: { id?: bigint } = {}): Promise<{ id: bigint; ttl: number }> {
    return this.#node.leaseGrant(options.id ?? 0n, ttl);
  }

  /** Revokes a lease, deleting its keys at one revision. */
  revokeLease(id: bigint): Promise<{ revision: number }> {
    return this.#node.leaseRevoke(id);
  }

  /** Renews a lease; returns its TTL, or 0 when it does not exist. */
  keepAlive(id: bigint): number {
    return this.#node.leaseKeepAlive(id);
  }

  /** A lease's remaining and granted TTL, and optionally its keys. */
  leaseTimeToLive(id: bigint, options: { keys?: boolean } = {}): LeaseStatus {
    const info = this.#node.leaseTimeToLive(id, options.keys ?? false);
    return { ...info, keys: info.keys.map(mvccKeyBytes) };
  }

  /** Every lease ID. */
  leases(): bigint[] {
    return this.#node.leases();
  }

  /** Closes the store: pending writes finish, then files are closed and the lock released. */
  close(): Promise<void> {
    return this.#node.close();
  }

  /** Same as {@linkcode Store.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
