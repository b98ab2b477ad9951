/**
 * KV.Put, KV.DeleteRange and KV.Compact messages.
 *
 * @module
 */

import { bigintSize, EMPTY_BYTES, int64Size, lenSize, type PartialMessage } from "./_wire.ts";
import { decodeMessage, type Reader, readNested } from "./_reader.ts";
import { encodeMessage, type Writer } from "./_writer.ts";
import {
  decodeHeaderResponse,
  encodeHeaderResponse,
  type HeaderResponse,
  readResponseHeader,
  type ResponseHeader,
  sizeResponseHeader,
  writeResponseHeader,
} from "./header.ts";
import { type KeyValue, readKeyValue, sizeKeyValue, writeKeyValue } from "./mvcc.ts";

/** etcdserverpb.PutRequest. */
export interface PutRequest {
  /** 1 */
  key: Uint8Array;
  /** 2 */
  value: Uint8Array;
  /** 3: lease ID to attach, 0n for none. */
  lease: bigint;
  /** 4 */
  prevKv: boolean;
  /** 5 */
  ignoreValue: boolean;
  /** 6 */
  ignoreLease: boolean;
}

/** etcdserverpb.PutResponse. */
export interface PutResponse {
  /** 1 */
  header: ResponseHeader | undefined;
  /** 2: present when the request asked for it and the key existed. */
  prevKv: KeyValue | undefined;
}

/** etcdserverpb.DeleteRangeRequest. */
export interface DeleteRangeRequest {
  /** 1 */
  key: Uint8Array;
  /** 2 */
  rangeEnd: Uint8Array;
  /** 3 */
  prevKv: boolean;
}

/** etcdserverpb.DeleteRangeResponse. */
export interface DeleteRangeResponse {
  /** 1 */
  header: ResponseHeader | undefined;
  /** 2 */
  deleted: number;
  /** 3 */
  prevKvs: KeyValue[];
}

/** etcdserverpb.CompactionRequest. */
export interface CompactionRequest {
  /** 1 */
  revision: number;
  /** 2 */
  physical: boolean;
}

/** etcdserverpb.CompactionResponse. */
export type CompactionResponse = HeaderResponse;

/** Size pass of PutRequest. */
export function sizePutRequest(_w: Writer, m: PartialMessage<PutRequest>): number {
  let n = 0;
  if (m.key?.length) n += 1 + lenSize(m.key.length);
  if (m.value?.length) n += 1 + lenSize(m.value.length);
  if (m.lease) n += 1 + bigintSize(m.lease);
  if (m.prevKv) n += 2;
  if (m.ignoreValue) n += 2;
  if (m.ignoreLease) n += 2;
  return n;
}

/** Write pass of PutRequest. */
export function writePutRequest(w: Writer, m: PartialMessage<PutRequest>): void {
  if (m.key?.length) w.bytesField(10, m.key);
  if (m.value?.length) w.bytesField(18, m.value);
  if (m.lease) w.bigintField(24, m.lease);
  if (m.prevKv) w.trueField(32);
  if (m.ignoreValue) w.trueField(40);
  if (m.ignoreLease) w.trueField(48);
}

/** Reads a PutRequest up to the end of the current message. */
export function readPutRequest(r: Reader): PutRequest {
  let key = EMPTY_BYTES;
  let value = EMPTY_BYTES;
  let lease = 0n;
  let prevKv = false;
  let ignoreValue = false;
  let ignoreLease = false;
  while (r.more()) {
    const tag = r.tag();
    switch (tag) {
      case 10:
        key = r.bytes();
        break;
      case 18:
        value = r.bytes();
        break;
      case 24:
        lease = r.int64Id();
        break;
      case 32:
        prevKv = r.bool();
        break;
      case 40:
        ignoreValue = r.bool();
        break;
      case 48:
        ignoreLease = r.bool();
        break;
      default:
        r.skip(tag);
    }
  }
  return { key, value, lease, prevKv, ignoreValue, ignoreLease };
}

/** Size pass of PutResponse. */
export function sizePutResponse(w: Writer, m: PartialMessage<PutResponse>): number {
  let n = 0;
  if (m.header) n += 1 + w.sizeOf(m.header, sizeResponseHeader);
  if (m.prevKv) n += 1 + w.sizeOf(m.prevKv, sizeKeyValue);
  return n;
}

/** Write pass of PutResponse. */
export function writePutResponse(w: Writer, m: PartialMessage<PutResponse>): void {
  if (m.header) w.message(10, m.header, writeResponseHeader);
  if (m.prevKv) w.message(18, m.prevKv, writeKeyValue);
}

/** Reads a PutResponse up to the end of the current message. */
export function readPutResponse(r: Reader): PutResponse {
  let header: ResponseHeader | undefined;
  let prevKv: KeyValue | undefined;
  while (r.more()) {
    const tag = r.tag();
    if (tag === 10) header = readNested(r, readResponseHeader);
    else if (tag === 18) prevKv = readNested(r, readKeyValue);
    else r.skip(tag);
  }
  return { header, prevKv };
}

/** Size pass of DeleteRangeRequest. */
export function sizeDeleteRangeRequest(_w: Writer, m: PartialMessage<DeleteRangeRequest>): number {
  let n = 0;
  if (m.key?.length) n += 1 + lenSize(m.key.length);
  if (m.rangeEnd?.length) n += 1 + lenSize(m.rangeEnd.length);
  if (m.prevKv) n += 2;
  return n;
}

/** Write pass of DeleteRangeRequest. */
export function writeDeleteRangeRequest(w: Writer, m: PartialMessage<DeleteRangeRequest>): void {
  if (m.key?.length) w.bytesField(10, m.key);
  if (m.rangeEnd?.length) w.bytesField(18, m.rangeEnd);
  if (m.prevKv) w.trueField(24);
}

/** Reads a DeleteRangeRequest up to the end of the current message. */
export function readDeleteRangeRequest(r: Reader): DeleteRangeRequest {
  let key = EMPTY_BYTES;
  let rangeEnd = EMPTY_BYTES;
  let prevKv = false;
  while (r.more()) {
    const tag = r.tag();
    if (tag === 10) key = r.bytes();
    else if (tag === 18) rangeEnd = r.bytes();
    else if (tag === 24) prevKv = r.bool();
    else r.skip(tag);
  }
  return { key, rangeEnd, prevKv };
}

/** Size pass of DeleteRangeResponse. */
export function sizeDeleteRangeResponse(w: Writer, m: PartialMessage<DeleteRangeResponse>): number {
  let n = 0;
  if (m.header) n += 1 + w.sizeOf(m.header, sizeResponseHeader);
  if (m.deleted) n += 1 + int64Size(m.deleted);
  const kvs = m.prevKvs;
  if (kvs) { for (let i = 0; i < kvs.length; i++) n += 1 + w.sizeOf(kvs[i]!, sizeKeyValue); }
  return n;
}

/** Write pass of DeleteRangeResponse. */
export function writeDeleteRangeResponse(w: Writer, m: PartialMessage<DeleteRangeResponse>): void {
  if (m.header) w.message(10, m.header, writeResponseHeader);
  if (m.deleted) w.int64Field(16, m.deleted);
  const kvs = m.prevKvs;
  if (kvs) { for (let i = 0; i < kvs.length; i++) w.message(26, kvs[i]!, writeKeyValue); }
}

/** Reads a DeleteRangeResponse up to the end of the current message. */
export function readDeleteRangeResponse(r: Reader): DeleteRangeResponse {
  let header: ResponseHeader | undefined;
  let deleted = 0;
  const prevKvs: KeyValue[] = [];
  while (r.more()) {
    const tag = r.tag();
    if (tag === 10) header = readNested(r, readResponseHeader);
    else if (tag === 16) deleted = r.int64();
    else if (tag === 26) prevKvs.push(readNested(r, readKeyValue));
    else r.skip(tag);
  }
  return { header, deleted, prevKvs };
}

/** Size pass of CompactionRequest. */
export function sizeCompactionRequest(_w: Writer, m: PartialMessage<CompactionRequest>): number {
  return (m.revision ? 1 + int64Size(m.revision) : 0) + (m.physical ? 2 : 0);
}

/** Write pass of CompactionRequest. */
export function writeCompactionRequest(w: Writer, m: PartialMessage<CompactionRequest>): void {
  if (m.revision) w.int64Field(8, m.revision);
  if (m.physical) w.trueField(16);
}

/** Reads a CompactionRequest up to the end of the current message. */
export function readCompactionRequest(r: Reader): CompactionRequest {
  let revision = 0;
  let physical = false;
  while (r.more()) {
    const tag = r.tag();
    if (tag === 8) revision = r.int64();
    else if (tag === 16) physical = r.bool();
    else r.skip(tag);
  }
  return { revision, physical };
}

/** Encodes an etcdserverpb.PutRequest. */
export function encodePutRequest(m: PartialMessage<PutRequest>): Uint8Array {
  return encodeMessage(m, sizePutRequest, writePutRequest);
}

/** Decodes an etcdserverpb.PutRequest; `key` and `value` are views of `bytes`. */
export function decodePutRequest(bytes: Uint8Array): PutRequest {
  return decodeMessage(bytes, readPutRequest);
}

/** Encodes an etcdserverpb.PutResponse. */
export function encodePutResponse(m: PartialMessage<PutResponse>): Uint8Array {
  return encodeMessage(m, sizePutResponse, writePutResponse);
}

/** Decodes an etcdserverpb.PutResponse. */
export function decodePutResponse(bytes: Uint8Array): PutResponse {
  return decodeMessage(bytes, readPutResponse);
}

/** Encodes an etcdserverpb.DeleteRangeRequest. */
export function encodeDeleteRangeRequest(m: PartialMessage<DeleteRangeRequest>): Uint8Array {
  return encodeMessage(m, sizeDeleteRangeRequest, writeDeleteRangeRequest);
}

/** Decodes an etcdserverpb.DeleteRangeRequest; `key` and `rangeEnd` are views of `bytes`. */
export function decodeDeleteRangeRequest(bytes: Uint8Array): DeleteRangeRequest {
  return decodeMessage(bytes, readDeleteRangeRequest);
}

/** Encodes an etcdserverpb.DeleteRangeResponse. */
export function encodeDeleteRangeResponse(m: PartialMessage<DeleteRangeResponse>): Uint8Array {
  return encodeMessage(m, sizeDeleteRangeResponse, writeDeleteRangeResponse);
}

/** Decodes an etcdserverpb.DeleteRangeResponse. */
export function decodeDeleteRangeResponse(bytes: Uint8Array): DeleteRangeResponse {
  return decodeMessage(bytes, readDeleteRangeResponse);
}

/** Encodes an etcdserverpb.CompactionRequest. */
export function encodeCompactionRequest(m: PartialMessage<CompactionRequest>): Uint8Array {
  return encodeMessage(m, sizeCompactionRequest, writeCompactionRequest);
}

/** Decodes an etcdserverpb.CompactionRequest. */
export function decodeCompactionRequest(bytes: Uint8Array): CompactionRequest {
  return decodeMessage(bytes, readCompactionRequest);
}

/** Encodes an etcdserverpb.CompactionResponse. */
export const encodeCompactionResponse: (m: PartialMessage<CompactionResponse>) => Uint8Array =
  encodeHeaderResponse;

/** Decodes an etcdserverpb.CompactionResponse. */
export const decodeCompactionResponse: (bytes: Uint8Array) => CompactionResponse =
  decodeHeaderResponse;
