/**
 * Request and response shapes of the MVCC layer. They mirror etcd's `etcdserverpb` messages
 * with keys as binary strings (see `keys.ts`); the library API and the gRPC server convert at
 * their edges.
 *
 * @module
 */

/** A key-value pair at some revision, as etcd's `mvccpb.KeyValue`. */
export interface Kv {
  /** Binary-string key. */
  key: string;
  value: Uint8Array;
  createRevision: number;
  modRevision: number;
  /** Puts since creation: 1 on create, reset by a delete. */
  version: number;
  /** Attached lease ID, 0n for none. */
  lease: bigint;
}

/** Range sort order; `"none"` with a target other than `"key"` sorts ascending, as etcd does. */
export type SortOrder = "none" | "ascend" | "descend";
/** What a range sorts by. */
export type SortTarget = "key" | "version" | "create" | "mod" | "value";

/** etcd's RangeRequest. */
export interface RangeRequest {
  key: string;
  /** Empty or absent: the single key; `"\0"`: every key ≥ key; else `[key, rangeEnd)`. */
  rangeEnd?: string;
  limit?: number;
  /** Read at this revision; 0 or absent: the current one. */
  revision?: number;
  sortOrder?: SortOrder;
  sortTarget?: SortTarget;
  serializable?: boolean;
  keysOnly?: boolean;
  countOnly?: boolean;
  minModRevision?: number;
  maxModRevision?: number;
  minCreateRevision?: number;
  maxCreateRevision?: number;
}

/** etcd's RangeResponse; `revision` is the header revision. */
export interface RangeResponse {
  revision: number;
  kvs: Kv[];
  more: boolean;
  count: number;
}

/** etcd's PutRequest. */
export interface PutRequest {
  key: string;
  value: Uint8Array;
  lease?: bigint;
  prevKv?: boolean;
  ignoreValue?: boolean;
  ignoreLease?: boolean;
}

/** etcd's PutResponse. */
export interface PutResponse {
  revision: number;
  prevKv?: Kv;
}

/** etcd's DeleteRangeRequest. */
export interface DeleteRangeRequest {
  key: string;
  rangeEnd?: string;
  prevKv?: boolean;
}

/** etcd's DeleteRangeResponse. */
export interface DeleteRangeResponse {
  revision: number;
  deleted: number;
  prevKvs?: Kv[];
}

/** What a Compare looks at. */
export type CompareTarget = "version" | "create" | "mod" | "value" | "lease";
/** How a Compare compares. */
export type CompareResult = "equal" | "greater" | "less" | "not-equal";

/**
 * etcd's Compare. `operand` is the target union's value: a number for version/create/mod, a
 * bigint for lease, a binary string for value; absent means etcd's zero value.
 */
export interface Compare {
  key: string;
  rangeEnd?: string;
  target: CompareTarget;
  result: CompareResult;
  operand?: number | bigint | string;
}

/** One operation of a Txn branch. Exactly one field is set; none set is etcd's empty op. */
export interface RequestOp {
  range?: RangeRequest;
  put?: PutRequest;
  deleteRange?: DeleteRangeRequest;
  txn?: TxnRequest;
}

/** etcd's TxnRequest. */
export interface TxnRequest {
  compare: Compare[];
  success: RequestOp[];
  failure: RequestOp[];
}

/** The response to one Txn operation, in the same shape as the request. */
export interface ResponseOp {
  range?: RangeResponse;
  put?: PutResponse;
  deleteRange?: DeleteRangeResponse;
  txn?: TxnResponse;
}

/** etcd's TxnResponse. */
export interface TxnResponse {
  revision: number;
  succeeded: boolean;
  responses: ResponseOp[];
}

/** A lease as etcd's LeaseTimeToLive reports it. */
export interface LeaseInfo {
  id: bigint;
  /** Seconds left, -1 when the lease does not exist. */
  ttl: number;
  grantedTtl: number;
  keys: string[];
}
