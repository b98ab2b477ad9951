/**
 * Conversions between wire messages (`pb/`, byte keys) and the MVCC layer's requests and
 * responses (binary-string keys). Values are copied on the way in, so a stored value never
 * pins the request buffer it arrived in.
 *
 * @module
 */

import { bytesToKey, keyToBytes } from "../mvcc/mod.ts";
import type * as mvcc from "../mvcc/mod.ts";
import type * as pb from "./pb/mod.ts";
import { CompareResult, CompareTarget, SortOrder, SortTarget } from "./pb/mod.ts";

const SORT_ORDERS: readonly mvcc.SortOrder[] = ["none", "ascend", "descend"];
const SORT_TARGETS: readonly mvcc.SortTarget[] = ["key", "version", "create", "mod", "value"];
const COMPARE_RESULTS: Record<number, mvcc.CompareResult> = {
  [CompareResult.EQUAL]: "equal",
  [CompareResult.GREATER]: "greater",
  [CompareResult.LESS]: "less",
  [CompareResult.NOT_EQUAL]: "not-equal",
};
const COMPARE_TARGETS: Record<number, mvcc.CompareTarget> = {
  [CompareTarget.VERSION]: "version",
  [CompareTarget.CREATE]: "create",
  [CompareTarget.MOD]: "mod",
  [CompareTarget.VALUE]: "value",
  [CompareTarget.LEASE]: "lease",
};

/** A wire RangeRequest as an MVCC one; `serializable` forces a local read. */
export function rangeFromPb(r: pb.RangeRequest, serializable = false): mvcc.RangeRequest {
  const out: mvcc.RangeRequest = { key: bytesToKey(r.key) };
  if (r.rangeEnd.length > 0) out.rangeEnd = bytesToKey(r.rangeEnd);
  if (r.limit) out.limit = r.limit;
  if (r.revision) out.revision = r.revision;
  if (r.sortOrder) out.sortOrder = SORT_ORDERS[r.sortOrder] ?? "none";
  if (r.sortTarget) out.sortTarget = SORT_TARGETS[r.sortTarget] ?? "key";
  if (r.serializable || serializable) out.serializable = true;
  if (r.keysOnly) out.keysOnly = true;
  if (r.countOnly) out.countOnly = true;
  if (r.minModRevision) out.minModRevision = r.minModRevision;
  if (r.maxModRevision) out.maxModRevision = r.maxModRevision;
  if (r.minCreateRevision) out.minCreateRevision = r.minCreateRevision;
  if (r.maxCreateRevision) out.maxCreateRevision = r.maxCreateRevision;
  return out;
}

/** A wire PutRequest as an MVCC one (the value is copied). */
export function putFromPb(r: pb.PutRequest): mvcc.PutRequest {
  const out: mvcc.PutRequest = { key: bytesToKey(r.key), value: r.value.slice() };
  if (r.lease) out.lease = r.lease;
  if (r.prevKv) out.prevKv = true;
  if (r.ignoreValue) out.ignoreValue = true;
  if (r.ignoreLease) out.ignoreLease = true;
  return out;
}

/** A wire DeleteRangeRequest as an MVCC one. */
export function deleteFromPb(r: pb.DeleteRangeRequest): mvcc.DeleteRangeRequest {
  const out: mvcc.DeleteRangeRequest = { key: bytesToKey(r.key) };
  if (r.rangeEnd.length > 0) out.rangeEnd = bytesToKey(r.rangeEnd);
  if (r.prevKv) out.prevKv = true;
  return out;
}

function compareFromPb(c: pb.Compare): mvcc.Compare {
  const out: mvcc.Compare = {
    key: bytesToKey(c.key),
    target: COMPARE_TARGETS[c.target] ?? "version",
    result: COMPARE_RESULTS[c.result] ?? "equal",
  };
  if (c.rangeEnd.length > 0) out.rangeEnd = bytesToKey(c.rangeEnd);
  const u = c.targetUnion;
  if (u) {
    // etcd reads the operand that matches `target`; a mismatched oneof reads as zero.
    const matches = (u.case === "version" && out.target === "version") ||
      (u.case === "createRevision" && out.target === "create") ||
      (u.case === "modRevision" && out.target === "mod") ||
      (u.case === "value" && out.target === "value") ||
      (u.case === "lease" && out.target === "lease");
    if (matches) out.operand = u.case === "value" ? bytesToKey(u.value) : u.value;
  }
  return out;
}

function opFromPb(op: pb.RequestOp, serializable: boolean): mvcc.RequestOp {
  const r = op.request;
  if (!r) return {};
  switch (r.case) {
    case "requestRange":
      return { range: rangeFromPb(r.value, serializable) };
    case "requestPut":
      return { put: putFromPb(r.value) };
    case "requestDeleteRange":
      return { deleteRange: deleteFromPb(r.value) };
    case "requestTxn":
      return { txn: txnFromPb(r.value, serializable) };
  }
}

/** A wire TxnRequest as an MVCC one. */
export function txnFromPb(r: pb.TxnRequest, serializable = false): mvcc.TxnRequest {
  return {
    compare: r.compare.map(compareFromPb),
    success: r.success.map((op) => opFromPb(op, serializable)),
    failure: r.failure.map((op) => opFromPb(op, serializable)),
  };
}

/** An MVCC key-value as a wire one. */
export function kvToPb(kv: mvcc.Kv): pb.KeyValue {
  return {
    key: keyToBytes(kv.key),
    createRevision: kv.createRevision,
    modRevision: kv.modRevision,
    version: kv.version,
    value: kv.value,
    lease: kv.lease,
  };
}

/** An MVCC range response as a wire one (without the header). */
export function rangeToPb(r: mvcc.RangeResponse): Omit<pb.RangeResponse, "header"> {
  return { kvs: r.kvs.map(kvToPb), more: r.more, count: r.count };
}

/** An MVCC put response as a wire one (without the header). */
export function putToPb(r: mvcc.PutResponse): Omit<pb.PutResponse, "header"> {
  return { prevKv: r.prevKv ? kvToPb(r.prevKv) : undefined };
}

/** An MVCC delete response as a wire one (without the header). */
export function deleteToPb(r: mvcc.DeleteRangeResponse): Omit<pb.DeleteRangeResponse, "header"> {
  return { deleted: r.deleted, prevKvs: r.prevKvs ? r.prevKvs.map(kvToPb) : [] };
}

/** An MVCC txn response as a wire one; `header` builds each nested response's header. */
export function txnToPb(
  r: mvcc.TxnResponse,
  header: (revision: number) => pb.ResponseHeader,
): pb.TxnResponse {
  return {
    header: header(r.revision),
    succeeded: r.succeeded,
    responses: r.responses.map((op): pb.ResponseOp => {
      if (op.range) {
        return {
          response: {
            case: "responseRange",
            value: { header: header(op.range.revision), ...rangeToPb(op.range) },
          },
        };
      }
      if (op.put) {
        return {
          response: {
            case: "responsePut",
            value: { header: header(op.put.revision), ...putToPb(op.put) },
          },
        };
      }
      if (op.deleteRange) {
        return {
          response: {
            case: "responseDeleteRange",
            value: { header: header(op.deleteRange.revision), ...deleteToPb(op.deleteRange) },
          },
        };
      }
      return { response: { case: "responseTxn", value: txnToPb(op.txn!, header) } };
    }),
  };
}

/** Wire enum values, re-exported for the services. */
export { SortOrder, SortTarget };
