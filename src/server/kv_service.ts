/**
 * The etcd KV service: Range, Put, DeleteRange, Txn, Compact. Each handler reads like etcd's:
 * decode, check permissions (the whole key range, every op of a Txn), call the node, encode
 * with a header.
 *
 * @module
 */

import type { ServiceContext, WriteKind } from "./context.ts";
import {
  deleteFromPb,
  deleteToPb,
  putFromPb,
  putToPb,
  rangeFromPb,
  rangeToPb,
  txnFromPb,
  txnToPb,
} from "./convert.ts";
import type { Method } from "./grpc.ts";
import {
  decodeCompactionRequest,
  decodeDeleteRangeRequest,
  decodePutRequest,
  decodeRangeRequest,
  decodeTxnRequest,
  encodeCompactionResponse,
  encodeDeleteRangeResponse,
  encodePutResponse,
  encodeRangeResponse,
  encodeTxnResponse,
} from "./pb/mod.ts";
import { decode } from "./decode.ts";
import type { ResponseOp } from "../mvcc/mod.ts";

/** Runs write `fn`, reporting its kind (decided from the result), duration and outcome. */
async function timedWrite<T>(
  s: ServiceContext,
  kind: WriteKind | ((result: T) => WriteKind),
  fn: () => Promise<T>,
): Promise<T> {
  const report = s.observer.write;
  if (!report) return await fn();
  const started = performance.now();
  try {
    const result = await fn();
    report(
      typeof kind === "function" ? kind(result) : kind,
      (performance.now() - started) / 1000,
      true,
    );
    return result;
  } catch (err: unknown) {
    report(
      typeof kind === "function" ? "update" : kind,
      (performance.now() - started) / 1000,
      false,
    );
    throw err;
  }
}

/** Counts the operations a Txn ran (the branch taken, nested Txns included). */
function countOps(ops: readonly ResponseOp[], n: [number, number, number, number]): void {
  for (const op of ops) {
    if (op.put) n[0]++;
    else if (op.deleteRange) n[1]++;
    else if (op.range) n[2]++;
    else if (op.txn) {
      n[3]++;
      countOps(op.txn.responses, n);
    }
  }
}

/** The KV service's methods. */
export function kvService(s: ServiceContext): Record<string, Method> {
  return {
    Range: {
      kind: "unary",
      handler(bytes, ctx) {
        s.checkLeader(ctx);
        const req = rangeFromPb(decode(bytes, decodeRangeRequest), s.serializableOnly);
        s.authz.range(ctx, req.key, req.rangeEnd);
        const res = s.node.range(req);
        s.observer.mvcc?.(0, 0, 1, 0);
        return encodeRangeResponse({ header: s.header(res.revision), ...rangeToPb(res) });
      },
    },
    Put: {
      kind: "unary",
      async handler(bytes, ctx) {
        s.checkLeader(ctx);
        s.checkWriteSize(bytes);
        const req = putFromPb(decode(bytes, decodePutRequest));
        s.authz.put(ctx, req, s.leaseKeys);
        const res = await timedWrite(
          s,
          // A put that began the key's current generation created it.
          (r) =>
            s.node.store.index.get(req.key)?.createRevision === r.revision ? "create" : "update",
          () => s.node.put(req),
        );
        s.observer.mvcc?.(1, 0, 0, 0);
        return encodePutResponse({ header: s.header(res.revision), ...putToPb(res) });
      },
    },
    DeleteRange: {
      kind: "unary",
      async handler(bytes, ctx) {
        s.checkLeader(ctx);
        s.checkWriteSize(bytes);
        const req = deleteFromPb(decode(bytes, decodeDeleteRangeRequest));
        s.authz.deleteRange(ctx, req);
        const res = await timedWrite(s, "delete", () => s.node.deleteRange(req));
        s.observer.mvcc?.(0, 1, 0, 0);
        return encodeDeleteRangeResponse({ header: s.header(res.revision), ...deleteToPb(res) });
      },
    },
    Txn: {
      kind: "unary",
      async handler(bytes, ctx) {
        s.checkLeader(ctx);
        s.checkWriteSize(bytes);
        const req = txnFromPb(decode(bytes, decodeTxnRequest), s.serializableOnly);
        s.authz.txn(ctx, req, s.leaseKeys);
        const res = await timedWrite(s, "txn", () => s.node.txn(req));
        if (s.observer.mvcc) {
          const n: [number, number, number, number] = [0, 0, 0, 1];
          countOps(res.responses, n);
          s.observer.mvcc(...n);
        }
        // etcd fills only the revision in the headers of a txn's inner responses
        const out = txnToPb(
          res,
          (revision) => ({ clusterId: 0n, memberId: 0n, revision, raftTerm: 0 }),
        );
        out.header = s.header(res.revision);
        return encodeTxnResponse(out);
      },
    },
    Compact: {
      kind: "unary",
      async handler(bytes, ctx) {
        s.checkLeader(ctx);
        const req = decode(bytes, decodeCompactionRequest);
        s.authz.authenticated(ctx);
        const res = await timedWrite(s, "compact", () => s.node.compact(req.revision));
        return encodeCompactionResponse({ header: s.header(res.revision) });
      },
    },
  };
}
