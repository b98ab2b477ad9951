/**
 * KV.Range and KV.RangeStream messages. RangeResponse is the largest message a server sends
 * (a k8s list page is hundreds of kvs); its encoder sizes each KeyValue once.
 *
 * @module
 */

import { EMPTY_BYTES, int32Size, int64Size, lenSize, type PartialMessage } from "./_wire.ts";
import { decodeMessage, type Reader, readNested } from "./_reader.ts";
import { encodeMessage, type Writer } from "./_writer.ts";
import {
  readResponseHeader,
  type ResponseHeader,
  sizeResponseHeader,
  writeResponseHeader,
} from "./header.ts";
import { type KeyValue, readKeyValue, sizeKeyValue, writeKeyValue } from "./mvcc.ts";

/** etcdserverpb.RangeRequest.SortOrder. */
export const SortOrder = { NONE: 0, ASCEND: 1, DESCEND: 2 } as const;

/** etcdserverpb.RangeRequest.SortTarget. */
export const SortTarget = { KEY: 0, VERSION: 1, CREATE: 2, MOD: 3, VALUE: 4 } as const;

/** etcdserverpb.RangeRequest. */
export interface RangeRequest {
  /** 1 */
  key: Uint8Array;
  /** 2: empty = the single key; `\0` = every key ≥ key; otherwise [key, rangeEnd). */
  rangeEnd: Uint8Array;
  /** 3: at most this many kvs; 0 = no limit. */
  limit: number;
  /** 4: read at this revision; 0 = the current one. */
  revision: number;
  /** 5: {@linkcode SortOrder}. */
  sortOrder: number;
  /** 6: {@linkcode SortTarget}. */
  sortTarget: number;
  /** 7 */
  serializable: boolean;
  /** 8 */
  keysOnly: boolean;
  /** 9 */
  countOnly: boolean;
  /** 10 */
  minModRevision: number;
  /** 11 */
  maxModRevision: number;
  /** 12 */
  minCreateRevision: number;
  /** 13 */
  maxCreateRevision: number;
}

/** etcdserverpb.RangeResponse. */
export interface RangeResponse {
  /** 1 */
  header: ResponseHeader | undefined;
  /** 2 */
  kvs: KeyValue[];
  /** 3: more keys exist beyond `limit`. */
  more: boolean;
  /** 4: keys in the range, ignoring `limit`. */
  count: number;
}

/** etcdserverpb.RangeStreamResponse (etcd 3.7): one chunk of a RangeStream answer. */
export interface RangeStreamResponse {
  /** 1 */
  rangeResponse: RangeResponse | undefined;
}

/** Size pass of RangeRequest. */
export function sizeRangeRequest(_w: Writer, m: PartialMessage<RangeRequest>): number {
  let n = 0;
  if (m.key?.length) n += 1 + lenSize(m.key.length);
  if (m.rangeEnd?.length) n += 1 + lenSize(m.rangeEnd.length);
  if (m.limit) n += 1 + int64Size(m.limit);
  if (m.revision) n += 1 + int64Size(m.revision);
  if (m.sortOrder) n += 1 + int32Size(m.sortOrder);
  if (m.sortTarget) n += 1 + int32Size(m.sortTarget);
  if (m.serializable) n += 2;
  if (m.keysOnly) n += 2;
  if (m.countOnly) n += 2;
  if (m.minModRevision) n += 1 + int64Size(m.minModRevision);
  if (m.maxModRevision) n += 1 + int64Size(m.maxModRevision);
  if (m.minCreateRevision) n += 1 + int64Size(m.minCreateRevision);
  if (m.maxCreateRevision) n += 1 + int64Size(m.maxCreateRevision);
  return n;
}

/** Write pass of RangeRequest. */
export function writeRangeRequest(w: Writer, m: PartialMessage<RangeRequest>): void {
  if (m.key?.length) w.bytesField(10, m.key);
  if (m.rangeEnd?.length) w.bytesField(18, m.rangeEnd);
  if (m.limit) w.int64Field(24, m.limit);
  if (m.revision) w.int64Field(32, m.revision);
  if (m.sortOrder) w.int32Field(40, m.sortOrder);
  if (m.sortTarget) w.int32Field(48, m.sortTarget);
  if (m.serializable) w.trueField(56);
  if (m.keysOnly) w.trueField(64);
  if (m.countOnly) w.trueField(72);
  if (m.minModRevision) w.int64Field(80, m.minModRevision);
  if (m.maxModRevision) w.int64Field(88, m.maxModRevision);
  if (m.minCreateRevision) w.int64Field(96, m.minCreateRevision);
  if (m.maxCreateRevision) w.int64Field(104, m.maxCreateRevision);
}

/** Reads a RangeRequest up to the end of the current message. */
export function readRangeRequest(r: Reader): RangeRequest {
  const m: RangeRequest = {
    key: EMPTY_BYTES,
    rangeEnd: EMPTY_BYTES,
    limit: 0,
    revision: 0,
    sortOrder: 0,
    sortTarget: 0,
    serializable: false,
    keysOnly: false,
    countOnly: false,
    minModRevision: 0,
    maxModRevision: 0,
    minCreateRevision: 0,
    maxCreateRevision: 0,
  };
  while (r.more()) {
    const tag = r.tag();
    switch (tag) {
      case 10:
        m.key = r.bytes();
        break;
      case 18:
        m.rangeEnd = r.bytes();
        break;
      case 24:
        m.limit = r.int64();
        break;
      case 32:
        m.revision = r.int64();
        break;
      case 40:
        m.sortOrder = r.int32();
        break;
      case 48:
        m.sortTarget = r.int32();
        break;
      case 56:
        m.serializable = r.bool();
        break;
      case 64:
        m.keysOnly = r.bool();
        break;
      case 72:
        m.countOnly = r.bool();
        break;
      case 80:
        m.minModRevision = r.int64();
        break;
      case 88:
        m.maxModRevision = r.int64();
        break;
      case 96:
        m.minCreateRevision = r.int64();
        break;
      case 104:
        m.maxCreateRevision = r.int64();
        break;
      default:
        r.skip(tag);
    }
  }
  return m;
}

/** Size pass of RangeResponse. */
export function sizeRangeResponse(w: Writer, m: PartialMessage<RangeResponse>): number {
  let n = 0;
  if (m.header) n += 1 + w.sizeOf(m.header, sizeResponseHeader);
  const kvs = m.kvs;
  if (kvs) { for (let i = 0; i < kvs.length; i++) n += 1 + w.sizeOf(kvs[i]!, sizeKeyValue); }
  if (m.more) n += 2;
  if (m.count) n += 1 + int64Size(m.count);
  return n;
}

/** Write pass of RangeResponse. */
export function writeRangeResponse(w: Writer, m: PartialMessage<RangeResponse>): void {
  if (m.header) w.message(10, m.header, writeResponseHeader);
  const kvs = m.kvs;
  if (kvs) { for (let i = 0; i < kvs.length; i++) w.message(18, kvs[i]!, writeKeyValue); }
  if (m.more) w.trueField(24);
  if (m.count) w.int64Field(32, m.count);
}

/** Reads a RangeResponse up to the end of the current message. */
export function readRangeResponse(r: Reader): RangeResponse {
  let header: ResponseHeader | undefined;
  const kvs: KeyValue[] = [];
  let more = false;
  let count = 0;
  while (r.more()) {
    const tag = r.tag();
    switch (tag) {
      case 10:
        header = readNested(r, readResponseHeader);
        break;
      case 18:
        kvs.push(readNested(r, readKeyValue));
        break;
      case 24:
        more = r.bool();
        break;
      case 32:
        count = r.int64();
        break;
      default:
        r.skip(tag);
    }
  }
  return { header, kvs, more, count };
}

/** Size pass of RangeStreamResponse. */
export function sizeRangeStreamResponse(
  w: Writer,
  m: PartialMessage<RangeStreamResponse>,
): number {
  return m.rangeResponse ? 1 + w.sizeOf(m.rangeResponse, sizeRangeResponse) : 0;
}

/** Write pass of RangeStreamResponse. */
export function writeRangeStreamResponse(w: Writer, m: PartialMessage<RangeStreamResponse>): void {
  if (m.rangeResponse) w.message(10, m.rangeResponse, writeRangeResponse);
}

/** Reads a RangeStreamResponse up to the end of the current message. */
export function readRangeStreamResponse(r: Reader): RangeStreamResponse {
  let rangeResponse: RangeResponse | undefined;
  while (r.more()) {
    const tag = r.tag();
    if (tag === 10) rangeResponse = readNested(r, readRangeResponse);
    else r.skip(tag);
  }
  return { rangeResponse };
}

/** Encodes an etcdserverpb.RangeRequest. */
export function encodeRangeRequest(m: PartialMessage<RangeRequest>): Uint8Array {
  return encodeMessage(m, sizeRangeRequest, writeRangeRequest);
}

/** Decodes an etcdserverpb.RangeRequest; `key` and `rangeEnd` are views of `bytes`. */
export function decodeRangeRequest(bytes: Uint8Array): RangeRequest {
  return decodeMessage(bytes, readRangeRequest);
}

/** Encodes an etcdserverpb.RangeResponse. */
export function encodeRangeResponse(m: PartialMessage<RangeResponse>): Uint8Array {
  return encodeMessage(m, sizeRangeResponse, writeRangeResponse);
}

/** Decodes an etcdserverpb.RangeResponse; every kv's `key` and `value` are views of `bytes`. */
export function decodeRangeResponse(bytes: Uint8Array): RangeResponse {
  return decodeMessage(bytes, readRangeResponse);
}

/** Encodes an etcdserverpb.RangeStreamResponse. */
export function encodeRangeStreamResponse(m: PartialMessage<RangeStreamResponse>): Uint8Array {
  return encodeMessage(m, sizeRangeStreamResponse, writeRangeStreamResponse);
}

/** Decodes an etcdserverpb.RangeStreamResponse. */
export function decodeRangeStreamResponse(bytes: Uint8Array): RangeStreamResponse {
  return decodeMessage(bytes, readRangeStreamResponse);
}
