/**
 * KV.Txn's request side: RequestOp and TxnRequest (Compare lives in `compare.ts`, the response
 * side in `txn_response.ts`).
 *
 * RequestOp's `request` oneof is `{ case, value }` named after the proto field (`request.case
 * === "requestPut"`), or `undefined`. Txns nest through RequestOp; decoders refuse more than
 * {@linkcode MAX_TXN_DEPTH} levels, so hostile input cannot exhaust the stack.
 *
 * @module
 */

import { MAX_TXN_DEPTH, type PartialMessage } from "./_wire.ts";
import { decodeMessage, type Reader, readNested } from "./_reader.ts";
import { encodeMessage, type Writer } from "./_writer.ts";
import { type Compare, readCompare, sizeCompare, writeCompare } from "./compare.ts";
import {
  type DeleteRangeRequest,
  type PutRequest,
  readDeleteRangeRequest,
  readPutRequest,
  sizeDeleteRangeRequest,
  sizePutRequest,
  writeDeleteRangeRequest,
  writePutRequest,
} from "./kv.ts";
import {
  type RangeRequest,
  readRangeRequest,
  sizeRangeRequest,
  writeRangeRequest,
} from "./range.ts";

/** The `request` oneof of a RequestOp. */
export type RequestOpRequest =
  | { readonly case: "requestRange"; readonly value: RangeRequest }
  | { readonly case: "requestPut"; readonly value: PutRequest }
  | { readonly case: "requestDeleteRange"; readonly value: DeleteRangeRequest }
  | { readonly case: "requestTxn"; readonly value: TxnRequest };

/** etcdserverpb.RequestOp: one operation of a Txn branch. */
export interface RequestOp {
  /** 1–4: oneof request. */
  request: RequestOpRequest | undefined;
}

/** etcdserverpb.TxnRequest. */
export interface TxnRequest {
  /** 1 */
  compare: Compare[];
  /** 2: run when every compare holds. */
  success: RequestOp[];
  /** 3: run otherwise. */
  failure: RequestOp[];
}

/** Size pass of RequestOp. */
export function sizeRequestOp(w: Writer, m: PartialMessage<RequestOp>): number {
  const u = m.request;
  if (!u) return 0;
  switch (u.case) {
    case "requestRange":
      return 1 + w.sizeOf(u.value, sizeRangeRequest);
    case "requestPut":
      return 1 + w.sizeOf(u.value, sizePutRequest);
    case "requestDeleteRange":
      return 1 + w.sizeOf(u.value, sizeDeleteRangeRequest);
    case "requestTxn":
      return 1 + w.sizeOf(u.value, sizeTxnRequest);
  }
  return 0;
}

/** Write pass of RequestOp. */
export function writeRequestOp(w: Writer, m: PartialMessage<RequestOp>): void {
  const u = m.request;
  if (!u) return;
  switch (u.case) {
    case "requestRange":
      return w.message(10, u.value, writeRangeRequest);
    case "requestPut":
      return w.message(18, u.value, writePutRequest);
    case "requestDeleteRange":
      return w.message(26, u.value, writeDeleteRangeRequest);
    case "requestTxn":
      return w.message(34, u.value, writeTxnRequest);
  }
}

function readRequestOp(r: Reader, depth: number): RequestOp {
  let request: RequestOpRequest | undefined;
  while (r.more()) {
    const tag = r.tag();
    switch (tag) {
      case 10:
        request = { case: "requestRange", value: readNested(r, readRangeRequest) };
        break;
      case 18:
        request = { case: "requestPut", value: readNested(r, readPutRequest) };
        break;
      case 26:
        request = { case: "requestDeleteRange", value: readNested(r, readDeleteRangeRequest) };
        break;
      case 34: {
        const outer = r.enter();
        request = { case: "requestTxn", value: readTxnRequestAt(r, depth + 1) };
        r.leave(outer);
        break;
      }
      default:
        r.skip(tag);
    }
  }
  return { request };
}

/** Size pass of TxnRequest. */
export function sizeTxnRequest(w: Writer, m: PartialMessage<TxnRequest>): number {
  let n = 0;
  const { compare, success, failure } = m;
  if (compare) {
    for (let i = 0; i < compare.length; i++) n += 1 + w.sizeOf(compare[i]!, sizeCompare);
  }
  if (success) {
    for (let i = 0; i < success.length; i++) n += 1 + w.sizeOf(success[i]!, sizeRequestOp);
  }
  if (failure) {
    for (let i = 0; i < failure.length; i++) n += 1 + w.sizeOf(failure[i]!, sizeRequestOp);
  }
  return n;
}

/** Write pass of TxnRequest. */
export function writeTxnRequest(w: Writer, m: PartialMessage<TxnRequest>): void {
  const { compare, success, failure } = m;
  if (compare) {
    for (let i = 0; i < compare.length; i++) {
      w.message(10, compare[i]!, writeCompare);
    }
  }
  if (success) {
    for (let i = 0; i < success.length; i++) {
      w.message(18, success[i]!, writeRequestOp);
    }
  }
  if (failure) {
    for (let i = 0; i < failure.length; i++) {
      w.message(26, failure[i]!, writeRequestOp);
    }
  }
}

function readTxnRequestAt(r: Reader, depth: number): TxnRequest {
  if (depth > MAX_TXN_DEPTH) throw r.fail(`TxnRequest nested deeper than ${MAX_TXN_DEPTH} levels`);
  const compare: Compare[] = [];
  const success: RequestOp[] = [];
  const failure: RequestOp[] = [];
  while (r.more()) {
    const tag = r.tag();
    if (tag === 10) compare.push(readNested(r, readCompare));
    else if (tag === 18 || tag === 26) {
      const outer = r.enter();
      (tag === 18 ? success : failure).push(readRequestOp(r, depth));
      r.leave(outer);
    } else r.skip(tag);
  }
  return { compare, success, failure };
}

/** Reads a TxnRequest up to the end of the current message. */
export function readTxnRequest(r: Reader): TxnRequest {
  return readTxnRequestAt(r, 1);
}

/** Reads a RequestOp (outside any Txn) up to the end of the current message. */
function readTopRequestOp(r: Reader): RequestOp {
  return readRequestOp(r, 0);
}

/** Encodes an etcdserverpb.RequestOp. */
export function encodeRequestOp(m: PartialMessage<RequestOp>): Uint8Array {
  return encodeMessage(m, sizeRequestOp, writeRequestOp);
}

/** Decodes an etcdserverpb.RequestOp. */
export function decodeRequestOp(bytes: Uint8Array): RequestOp {
  return decodeMessage(bytes, readTopRequestOp);
}

/** Encodes an etcdserverpb.TxnRequest. */
export function encodeTxnRequest(m: PartialMessage<TxnRequest>): Uint8Array {
  return encodeMessage(m, sizeTxnRequest, writeTxnRequest);
}

/** Decodes an etcdserverpb.TxnRequest (at most {@linkcode MAX_TXN_DEPTH} nested Txns). */
export function decodeTxnRequest(bytes: Uint8Array): TxnRequest {
  return decodeMessage(bytes, readTxnRequest);
}
