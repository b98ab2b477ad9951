/**
 * Between the checker's shapes (`src/verify/types.ts`: string keys, `type` tags) and the etcd
 * wire messages (`src/server/pb/`): a chaos client builds a request as the checker will read
 * it, sends its wire form, and records the answer converted back. Keys and values are binary
 * strings, one char per byte, as the checker expects.
 *
 * @module
 */

import * as pb from "../server/pb/mod.ts";
import type {
  Compare,
  KeyValue,
  KvRequest,
  KvResponse,
  RangeRequest,
  RangeResponse,
  TxnOp,
  TxnOpResponse,
  WatchEvent,
  WatchRequest,
  WatchResponse,
} from "../verify/mod.ts";

/** The bytes of a binary string. */
export function bytesOf(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/** A binary string of bytes. */
export function stringOf(u: Uint8Array): string {
  let s = "";
  for (let i = 0; i < u.length; i += 4096) {
    s += String.fromCharCode(...u.subarray(i, i + 4096));
  }
  return s;
}

/** A wire KeyValue in the checker's shape. */
export function kvOf(kv: pb.KeyValue): KeyValue {
  return {
    key: stringOf(kv.key),
    value: stringOf(kv.value),
    createRevision: kv.createRevision,
    modRevision: kv.modRevision,
    version: kv.version,
    lease: kv.lease,
  };
}

const TARGETS = {
  version: pb.CompareTarget.VERSION,
  create: pb.CompareTarget.CREATE,
  mod: pb.CompareTarget.MOD,
  value: pb.CompareTarget.VALUE,
  lease: pb.CompareTarget.LEASE,
} as const;

const RESULTS = {
  "equal": pb.CompareResult.EQUAL,
  "not-equal": pb.CompareResult.NOT_EQUAL,
  "greater": pb.CompareResult.GREATER,
  "less": pb.CompareResult.LESS,
} as const;

function compareOf(c: Compare): pb.PartialMessage<pb.Compare> {
  const o = c.operand;
  const targetUnion: pb.CompareTargetUnion = c.target === "value"
    ? { case: "value", value: bytesOf(String(o)) }
    : c.target === "lease"
    ? { case: "lease", value: BigInt(o) }
    : c.target === "version"
    ? { case: "version", value: Number(o) }
    : c.target === "create"
    ? { case: "createRevision", value: Number(o) }
    : { case: "modRevision", value: Number(o) };
  return {
    key: bytesOf(c.key),
    rangeEnd: bytesOf(c.rangeEnd ?? ""),
    target: TARGETS[c.target],
    result: RESULTS[c.result],
    targetUnion,
  };
}

/** The wire form of a range request. */
export function rangeRequestOf(r: RangeRequest): Partial<pb.RangeRequest> {
  return {
    key: bytesOf(r.key),
    rangeEnd: bytesOf(r.rangeEnd ?? ""),
    limit: r.limit ?? 0,
    revision: r.revision ?? 0,
    serializable: r.serializable ?? false,
    keysOnly: r.keysOnly ?? false,
    countOnly: r.countOnly ?? false,
  };
}

function requestOpOf(op: TxnOp): pb.PartialMessage<pb.RequestOp> {
  switch (op.type) {
    case "range":
      return { request: { case: "requestRange", value: rangeRequestOf(op) as pb.RangeRequest } };
    case "put":
      return {
        request: {
          case: "requestPut",
          value: {
            key: bytesOf(op.key),
            value: bytesOf(op.value),
            lease: op.lease ?? 0n,
            prevKv: op.prevKv ?? false,
            ignoreValue: false,
            ignoreLease: false,
          },
        },
      };
    case "delete":
      return {
        request: {
          case: "requestDeleteRange",
          value: {
            key: bytesOf(op.key),
            rangeEnd: bytesOf(op.rangeEnd ?? ""),
            prevKv: op.prevKv ?? false,
          },
        },
      };
  }
}

/** The wire form of a txn request. */
export function txnRequestOf(
  r: Extract<KvRequest, { type: "txn" }>,
): pb.PartialMessage<pb.TxnRequest> {
  return {
    compare: r.compare.map(compareOf),
    success: r.success.map(requestOpOf),
    failure: r.failure.map(requestOpOf),
  };
}

/** A wire range response in the checker's shape. */
export function rangeResponseOf(res: pb.RangeResponse, fallbackRevision = 0): RangeResponse {
  return {
    type: "range",
    revision: res.header?.revision ?? fallbackRevision,
    kvs: res.kvs.map(kvOf),
    count: res.count,
    more: res.more,
  };
}

/** A wire put response; `prevKv` only when the request asked for it. */
export function putResponseOf(
  res: pb.PutResponse,
  askedPrev: boolean,
  fallbackRevision = 0,
): Extract<KvResponse, { type: "put" }> {
  const out: Extract<KvResponse, { type: "put" }> = {
    type: "put",
    revision: res.header?.revision ?? fallbackRevision,
  };
  if (askedPrev && res.prevKv) out.prevKv = kvOf(res.prevKv);
  return out;
}

/** A wire delete response; `prevKvs` only when the request asked for them. */
export function deleteResponseOf(
  res: pb.DeleteRangeResponse,
  askedPrev: boolean,
  fallbackRevision = 0,
): Extract<KvResponse, { type: "delete" }> {
  const out: Extract<KvResponse, { type: "delete" }> = {
    type: "delete",
    revision: res.header?.revision ?? fallbackRevision,
    deleted: res.deleted,
  };
  if (askedPrev) out.prevKvs = res.prevKvs.map(kvOf);
  return out;
}

function responseOpOf(op: TxnOp | undefined, res: pb.ResponseOp, revision: number): TxnOpResponse {
  const r = res.response;
  switch (r?.case) {
    case "responseRange":
      return rangeResponseOf(r.value, revision);
    case "responsePut":
      return putResponseOf(r.value, op?.type === "put" && op.prevKv === true, revision);
    case "responseDeleteRange":
      return deleteResponseOf(r.value, op?.type === "delete" && op.prevKv === true, revision);
    default:
      throw new Error(`Cannot record a txn response op of kind ${r?.case ?? "none"}`);
  }
}

/** A wire txn response in the checker's shape. */
export function txnResponseOf(
  req: Extract<KvRequest, { type: "txn" }>,
  res: pb.TxnResponse,
): Extract<KvResponse, { type: "txn" }> {
  const revision = res.header?.revision ?? 0;
  const branch = res.succeeded ? req.success : req.failure;
  return {
    type: "txn",
    revision,
    succeeded: res.succeeded,
    responses: res.responses.map((r, i) => responseOpOf(branch[i], r, revision)),
  };
}

/** The wire form of a watch create request. */
export function watchCreateOf(w: WatchRequest): pb.PartialMessage<pb.WatchCreateRequest> {
  const filters: number[] = [];
  if (w.noPut) filters.push(pb.FilterType.NOPUT);
  if (w.noDelete) filters.push(pb.FilterType.NODELETE);
  return {
    key: bytesOf(w.key),
    rangeEnd: bytesOf(w.rangeEnd ?? ""),
    startRevision: w.startRevision ?? 0,
    prevKv: w.prevKv ?? false,
    progressNotify: w.progressNotify ?? false,
    fragment: w.fragment ?? false,
    filters,
  };
}

function eventOf(e: pb.Event): WatchEvent {
  const out: WatchEvent = {
    type: e.type === pb.EventType.DELETE ? "delete" : "put",
    kv: e.kv
      ? kvOf(e.kv)
      : { key: "", value: "", createRevision: 0, modRevision: 0, version: 0, lease: 0n },
  };
  if (e.prevKv) out.prevKv = kvOf(e.prevKv);
  return out;
}

/** A wire watch response in the checker's shape. */
export function watchResponseOf(res: pb.WatchResponse): WatchResponse {
  const out: WatchResponse = {
    revision: res.header?.revision ?? 0,
    events: res.events.map(eventOf),
  };
  if (res.created) out.created = true;
  if (res.canceled) out.canceled = true;
  if (res.compactRevision) out.compactRevision = res.compactRevision;
  if (res.fragment) out.fragment = true;
  return out;
}
