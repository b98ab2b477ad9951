/**
 * KV.Txn's response side: ResponseOp and TxnResponse. ResponseOp's `response` oneof is
 * `{ case, value }` (`"responseRange"`, …) or `undefined`; nested TxnResponses are bounded by
 * {@linkcode MAX_TXN_DEPTH} like requests.
 *
 * @module
 */

import { MAX_TXN_DEPTH, type PartialMessage } from "./_wire.ts";
import { decodeMessage, type Reader, readNested } from "./_reader.ts";
import { encodeMessage, type Writer } from "./_writer.ts";
import {
  readResponseHeader,
  type ResponseHeader,
  sizeResponseHeader,
  writeResponseHeader,
} from "./header.ts";
import {
  type DeleteRangeResponse,
  type PutResponse,
  readDeleteRangeResponse,
  readPutResponse,
  sizeDeleteRangeResponse,
  sizePutResponse,
  writeDeleteRangeResponse,
  writePutResponse,
} from "./kv.ts";
import {
  type RangeResponse,
  readRangeResponse,
  sizeRangeResponse,
  writeRangeResponse,
} from "./range.ts";

/** The `response` oneof of a ResponseOp. */
export type ResponseOpResponse =
  | { readonly case: "responseRange"; readonly value: RangeResponse }
  | { readonly case: "responsePut"; readonly value: PutResponse }
  | { readonly case: "responseDeleteRange"; readonly value: DeleteRangeResponse }
  | { readonly case: "responseTxn"; readonly value: TxnResponse };

/** etcdserverpb.ResponseOp: the result of one RequestOp. */
export interface ResponseOp {
  /** 1–4: oneof response. */
  response: ResponseOpResponse | undefined;
}

/** etcdserverpb.TxnResponse. */
export interface TxnResponse {
  /** 1 */
  header: ResponseHeader | undefined;
  /** 2 */
  succeeded: boolean;
  /** 3: one per op of the branch that ran. */
  responses: ResponseOp[];
}

/** Size pass of ResponseOp. */
export function sizeResponseOp(w: Writer, m: PartialMessage<ResponseOp>): number {
  const u = m.response;
  if (!u) return 0;
  switch (u.case) {
    case "responseRange":
      return 1 + w.sizeOf(u.value, sizeRangeResponse);
    case "responsePut":
      return 1 + w.sizeOf(u.value, sizePutResponse);
    case "responseDeleteRange":
      return 1 + w.sizeOf(u.value, sizeDeleteRangeResponse);
    case "responseTxn":
      return 1 + w.sizeOf(u.value, sizeTxnResponse);
  }
  return 0;
}

/** Write pass of ResponseOp. */
export function writeResponseOp(w: Writer, m: PartialMessage<ResponseOp>): void {
  const u = m.response;
  if (!u) return;
  switch (u.case) {
    case "responseRange":
      return w.message(10, u.value, writeRangeResponse);
    case "responsePut":
      return w.message(18, u.value, writePutResponse);
    case "responseDeleteRange":
      return w.message(26, u.value, writeDeleteRangeResponse);
    case "responseTxn":
      return w.message(34, u.value, writeTxnResponse);
  }
}

function readResponseOp(r: Reader, depth: number): ResponseOp {
  let response: ResponseOpResponse | undefined;
  while (r.more()) {
    const tag = r.tag();
    switch (tag) {
      case 10:
        response = { case: "responseRange", value: readNested(r, readRangeResponse) };
        break;
      case 18:
        response = { case: "responsePut", value: readNested(r, readPutResponse) };
        break;
      case 26:
        response = { case: "responseDeleteRange", value: readNested(r, readDeleteRangeResponse) };
        break;
      case 34: {
        const outer = r.enter();
        response = { case: "responseTxn", value: readTxnResponseAt(r, depth + 1) };
        r.leave(outer);
        break;
      }
      default:
        r.skip(tag);
    }
  }
  return { response };
}

/** Size pass of TxnResponse. */
export function sizeTxnResponse(w: Writer, m: PartialMessage<TxnResponse>): number {
  let n = 0;
  if (m.header) n += 1 + w.sizeOf(m.header, sizeResponseHeader);
  if (m.succeeded) n += 2;
  const ops = m.responses;
  if (ops) { for (let i = 0; i < ops.length; i++) n += 1 + w.sizeOf(ops[i]!, sizeResponseOp); }
  return n;
}

/** Write pass of TxnResponse. */
export function writeTxnResponse(w: Writer, m: PartialMessage<TxnResponse>): void {
  if (m.header) w.message(10, m.header, writeResponseHeader);
  if (m.succeeded) w.trueField(16);
  const ops = m.responses;
  if (ops) { for (let i = 0; i < ops.length; i++) w.message(26, ops[i]!, writeResponseOp); }
}

function readTxnResponseAt(r: Reader, depth: number): TxnResponse {
  if (depth > MAX_TXN_DEPTH) throw r.fail(`TxnResponse nested deeper than ${MAX_TXN_DEPTH} levels`);
  let header: ResponseHeader | undefined;
  let succeeded = false;
  const responses: ResponseOp[] = [];
  while (r.more()) {
    const tag = r.tag();
    if (tag === 10) header = readNested(r, readResponseHeader);
    else if (tag === 16) succeeded = r.bool();
    else if (tag === 26) {
      const outer = r.enter();
      responses.push(readResponseOp(r, depth));
      r.leave(outer);
    } else r.skip(tag);
  }
  return { header, succeeded, responses };
}

/** Reads a TxnResponse up to the end of the current message. */
export function readTxnResponse(r: Reader): TxnResponse {
  return readTxnResponseAt(r, 1);
}

/** Reads a ResponseOp (outside any Txn) up to the end of the current message. */
function readTopResponseOp(r: Reader): ResponseOp {
  return readResponseOp(r, 0);
}

/** Encodes an etcdserverpb.ResponseOp. */
export function encodeResponseOp(m: PartialMessage<ResponseOp>): Uint8Array {
  return encodeMessage(m, sizeResponseOp, writeResponseOp);
}

/** Decodes an etcdserverpb.ResponseOp. */
export function decodeResponseOp(bytes: Uint8Array): ResponseOp {
  return decodeMessage(bytes, readTopResponseOp);
}

/** Encodes an etcdserverpb.TxnResponse. */
export function encodeTxnResponse(m: PartialMessage<TxnResponse>): Uint8Array {
  return encodeMessage(m, sizeTxnResponse, writeTxnResponse);
}

/** Decodes an etcdserverpb.TxnResponse (at most {@linkcode MAX_TXN_DEPTH} nested Txns). */
export function decodeTxnResponse(bytes: Uint8Array): TxnResponse {
  return decodeMessage(bytes, readTxnResponse);
}
