/**
 * The request and response shapes a history records: etcd's KV, Lease and Watch messages over
 * string keys and string values (binary data as binary strings, one char per byte), with a
 * `type` tag on every request and response so a history is self-describing JSON.
 *
 * Header revisions are plain `revision` fields. Lease IDs are `bigint` (etcd's int64).
 *
 * @module
 */

/** A key-value pair at some revision, as etcd's `mvccpb.KeyValue`. */
export interface KeyValue {
  key: string;
  value: string;
  createRevision: number;
  modRevision: number;
  /** Puts since creation: 1 on create, reset by a delete. */
  version: number;
  /** Attached lease ID, `0n` for none. */
  lease: bigint;
}

/**
 * etcd's RangeRequest. `rangeEnd` absent or empty: the single key; `"\0"`: every key ≥ key;
 * otherwise `[key, rangeEnd)`. Sorting and the min/max revision filters are not modelled.
 */
export interface RangeRequest {
  type: "range";
  key: string;
  rangeEnd?: string;
  /** 0 or absent: no limit. */
  limit?: number;
  /** 0 or absent: the current revision. */
  revision?: number;
  /** A serializable read may be served by a lagging member; it is not checked as linearizable. */
  serializable?: boolean;
  keysOnly?: boolean;
  countOnly?: boolean;
}

/** etcd's PutRequest (`ignore_value` and `ignore_lease` are not modelled). */
export interface PutRequest {
  type: "put";
  key: string;
  value: string;
  /** Absent or `0n`: no lease. */
  lease?: bigint;
  prevKv?: boolean;
}

/** etcd's DeleteRangeRequest, with the same range rules as {@linkcode RangeRequest}. */
export interface DeleteRequest {
  type: "delete";
  key: string;
  rangeEnd?: string;
  prevKv?: boolean;
}

/** What a Compare looks at. */
export type CompareTarget = "version" | "create" | "mod" | "value" | "lease";
/** How a Compare compares the key's field (left) with the operand (right). */
export type CompareResult = "equal" | "not-equal" | "greater" | "less";

/**
 * etcd's Compare. `operand` is a number for version/create/mod, a string for value and a
 * bigint for lease. With `rangeEnd` the compare must hold for every key in the range.
 */
export interface Compare {
  key: string;
  rangeEnd?: string;
  target: CompareTarget;
  result: CompareResult;
  operand: number | string | bigint;
}

/** One operation of a Txn branch (nested Txns are not modelled). */
export type TxnOp = RangeRequest | PutRequest | DeleteRequest;

/** etcd's TxnRequest. */
export interface TxnRequest {
  type: "txn";
  compare: Compare[];
  success: TxnOp[];
  failure: TxnOp[];
}

/** etcd's CompactionRequest. */
export interface CompactRequest {
  type: "compact";
  revision: number;
}

/** etcd's LeaseGrantRequest; `id` `0n` lets the server choose. */
export interface LeaseGrantRequest {
  type: "lease-grant";
  id: bigint;
  ttl: number;
}

/** etcd's LeaseRevokeRequest. */
export interface LeaseRevokeRequest {
  type: "lease-revoke";
  id: bigint;
}

/** Every request a history can hold. */
export type KvRequest =
  | RangeRequest
  | PutRequest
  | DeleteRequest
  | TxnRequest
  | CompactRequest
  | LeaseGrantRequest
  | LeaseRevokeRequest;

/** etcd's RangeResponse; `revision` is the header revision. */
export interface RangeResponse {
  type: "range";
  revision: number;
  kvs: KeyValue[];
  count: number;
  more: boolean;
}

/** etcd's PutResponse; `prevKv` is compared only when the request asked for it. */
export interface PutResponse {
  type: "put";
  revision: number;
  prevKv?: KeyValue;
}

/** etcd's DeleteRangeResponse; `prevKvs` is compared only when the request asked for it. */
export interface DeleteResponse {
  type: "delete";
  revision: number;
  deleted: number;
  prevKvs?: KeyValue[];
}

/** The response to one Txn operation. Its `revision` is not compared (see `model.ts`). */
export type TxnOpResponse = RangeResponse | PutResponse | DeleteResponse;

/** etcd's TxnResponse. */
export interface TxnResponse {
  type: "txn";
  revision: number;
  succeeded: boolean;
  responses: TxnOpResponse[];
}

/** etcd's CompactionResponse. */
export interface CompactResponse {
  type: "compact";
  revision: number;
}

/** etcd's LeaseGrantResponse; the granted TTL is not compared (servers raise small TTLs). */
export interface LeaseGrantResponse {
  type: "lease-grant";
  revision: number;
  id: bigint;
  ttl: number;
}

/** etcd's LeaseRevokeResponse. */
export interface LeaseRevokeResponse {
  type: "lease-revoke";
  revision: number;
}

/** Every response a history can hold. */
export type KvResponse =
  | RangeResponse
  | PutResponse
  | DeleteResponse
  | TxnResponse
  | CompactResponse
  | LeaseGrantResponse
  | LeaseRevokeResponse;

/** etcd's WatchCreateRequest. */
export interface WatchRequest {
  /** An empty key is treated as `"\0"`, as etcd does. */
  key: string;
  rangeEnd?: string;
  /** 0 or absent: from the revision after the created response's header revision. */
  startRevision?: number;
  prevKv?: boolean;
  progressNotify?: boolean;
  noPut?: boolean;
  noDelete?: boolean;
  fragment?: boolean;
}

/** One watch event, as etcd's `mvccpb.Event`. A delete's `kv` carries only key and mod revision. */
export interface WatchEvent {
  type: "put" | "delete";
  kv: KeyValue;
  prevKv?: KeyValue;
}

/**
 * One WatchResponse as received. A response with no events that is neither `created` nor
 * `canceled` is a progress notification: every event up to `revision` has been delivered.
 */
export interface WatchResponse {
  revision: number;
  events: WatchEvent[];
  created?: boolean;
  canceled?: boolean;
  compactRevision?: number;
  /** More fragments of the same response follow. */
  fragment?: boolean;
}
