/**
 * The etcd KV service: Range, Put, DeleteRange, Txn, Compact. Each handler reads like etcd's:
 * decode, check permissions (the whole key range, every op of a Txn), call the node, encode
 * with a header.
 *
 * @module
 */

import type { ServiceContext } from "./context.ts";
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
        const res = await s.node.put(req);
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
        const res = await s.node.deleteRange(req);
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
        const res = await s.node.txn(req);
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
        const res = await s.node.compact(req.revision);
        return encodeCompactionResponse({ header: s.header(res.revision) });
      },
    },
  };
}
