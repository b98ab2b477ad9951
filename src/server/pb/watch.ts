/**
 * The Watch service's stream messages. WatchResponse with many events is the hot encoder of a
 * busy server (one per revision per watcher); `filters` decodes packed and unpacked encodings.
 *
 * @module
 */

import {
  EMPTY_BYTES,
  int32Size,
  int64Size,
  lenSize,
  type PartialMessage,
  utf8Size,
} from "./_wire.ts";
import { decodeMessage, type Reader, readNested } from "./_reader.ts";
import { encodeMessage, type Writer } from "./_writer.ts";
import {
  decodeEmpty,
  type EmptyMessage,
  encodeEmpty,
  readEmpty,
  readResponseHeader,
  type ResponseHeader,
  sizeEmpty,
  sizeResponseHeader,
  writeEmpty,
  writeResponseHeader,
} from "./header.ts";
import { type Event, readEvent, sizeEvent, writeEvent } from "./mvcc.ts";

/** etcdserverpb.WatchCreateRequest.FilterType. */
export const FilterType = { NOPUT: 0, NODELETE: 1 } as const;

/** etcdserverpb.WatchCreateRequest. */
export interface WatchCreateRequest {
  /** 1 */
  key: Uint8Array;
  /** 2 */
  rangeEnd: Uint8Array;
  /** 3: 0 = from the current revision + 1. */
  startRevision: number;
  /** 4 */
  progressNotify: boolean;
  /** 5: {@linkcode FilterType} values (encoded packed). */
  filters: number[];
  /** 6 */
  prevKv: boolean;
  /** 7: an ID the client proposes; 0 = let the server choose. */
  watchId: number;
  /** 8 */
  fragment: boolean;
}

/** etcdserverpb.WatchCancelRequest. */
export interface WatchCancelRequest {
  /** 1 */
  watchId: number;
}

/** etcdserverpb.WatchProgressRequest (no fields). */
export type WatchProgressRequest = EmptyMessage;

/** The `request_union` oneof of a WatchRequest. */
export type WatchRequestUnion =
  | { readonly case: "createRequest"; readonly value: WatchCreateRequest }
  | { readonly case: "cancelRequest"; readonly value: WatchCancelRequest }
  | { readonly case: "progressRequest"; readonly value: WatchProgressRequest };

/** etcdserverpb.WatchRequest. */
export interface WatchRequest {
  /** 1–3: oneof request_union. */
  requestUnion: WatchRequestUnion | undefined;
}

/** etcdserverpb.WatchResponse. */
export interface WatchResponse {
  /** 1 */
  header: ResponseHeader | undefined;
  /** 2: -1 answers a progress request. */
  watchId: number;
  /** 3 */
  created: boolean;
  /** 4 */
  canceled: boolean;
  /** 5 */
  compactRevision: number;
  /** 6 */
  cancelReason: string;
  /** 7: more fragments of this response follow. */
  fragment: boolean;
  /** 11 */
  events: Event[];
}

/** Size pass of WatchCreateRequest. */
export function sizeWatchCreateRequest(_w: Writer, m: PartialMessage<WatchCreateRequest>): number {
  let n = 0;
  if (m.key?.length) n += 1 + lenSize(m.key.length);
  if (m.rangeEnd?.length) n += 1 + lenSize(m.rangeEnd.length);
  if (m.startRevision) n += 1 + int64Size(m.startRevision);
  if (m.progressNotify) n += 2;
  const filters = m.filters;
  if (filters?.length) {
    let p = 0;
    for (let i = 0; i < filters.length; i++) p += int32Size(filters[i]!);
    n += 1 + lenSize(p);
  }
  if (m.prevKv) n += 2;
  if (m.watchId) n += 1 + int64Size(m.watchId);
  if (m.fragment) n += 2;
  return n;
}

/** Write pass of WatchCreateRequest. */
export function writeWatchCreateRequest(w: Writer, m: PartialMessage<WatchCreateRequest>): void {
  if (m.key?.length) w.bytesField(10, m.key);
  if (m.rangeEnd?.length) w.bytesField(18, m.rangeEnd);
  if (m.startRevision) w.int64Field(24, m.startRevision);
  if (m.progressNotify) w.trueField(32);
  const filters = m.filters;
  if (filters?.length) {
    let p = 0;
    for (let i = 0; i < filters.length; i++) p += int32Size(filters[i]!);
    w.varint32(42);
    w.varint32(p);
    for (let i = 0; i < filters.length; i++) w.int32(filters[i]!);
  }
  if (m.prevKv) w.trueField(48);
  if (m.watchId) w.int64Field(56, m.watchId);
  if (m.fragment) w.trueField(64);
}

/** Reads a WatchCreateRequest up to the end of the current message. */
export function readWatchCreateRequest(r: Reader): WatchCreateRequest {
  let key = EMPTY_BYTES;
  let rangeEnd = EMPTY_BYTES;
  let startRevision = 0;
  let progressNotify = false;
  const filters: number[] = [];
  let prevKv = false;
  let watchId = 0;
  let fragment = false;
  while (r.more()) {
    const tag = r.tag();
    switch (tag) {
      case 10:
        key = r.bytes();
        break;
      case 18:
        rangeEnd = r.bytes();
        break;
      case 24:
        startRevision = r.int64();
        break;
      case 32:
        progressNotify = r.bool();
        break;
      case 40:
      case 42:
        r.int32s(tag, filters);
        break;
      case 48:
        prevKv = r.bool();
        break;
      case 56:
        watchId = r.int64();
        break;
      case 64:
        fragment = r.bool();
        break;
      default:
        r.skip(tag);
    }
  }
  return { key, rangeEnd, startRevision, progressNotify, filters, prevKv, watchId, fragment };
}

/** Size pass of WatchCancelRequest. */
export function sizeWatchCancelRequest(_w: Writer, m: PartialMessage<WatchCancelRequest>): number {
  return m.watchId ? 1 + int64Size(m.watchId) : 0;
}

/** Write pass of WatchCancelRequest. */
export function writeWatchCancelRequest(w: Writer, m: PartialMessage<WatchCancelRequest>): void {
  if (m.watchId) w.int64Field(8, m.watchId);
}

/** Reads a WatchCancelRequest up to the end of the current message. */
export function readWatchCancelRequest(r: Reader): WatchCancelRequest {
  let watchId = 0;
  while (r.more()) {
    const tag = r.tag();
    if (tag === 8) watchId = r.int64();
    else r.skip(tag);
  }
  return { watchId };
}

/** Size pass of WatchRequest. */
export function sizeWatchRequest(w: Writer, m: PartialMessage<WatchRequest>): number {
  const u = m.requestUnion;
  if (!u) return 0;
  switch (u.case) {
    case "createRequest":
      return 1 + w.sizeOf(u.value, sizeWatchCreateRequest);
    case "cancelRequest":
      return 1 + w.sizeOf(u.value, sizeWatchCancelRequest);
    case "progressRequest":
      return 1 + w.sizeOf(u.value, sizeEmpty);
  }
  return 0;
}

/** Write pass of WatchRequest. */
export function writeWatchRequest(w: Writer, m: PartialMessage<WatchRequest>): void {
  const u = m.requestUnion;
  if (!u) return;
  switch (u.case) {
    case "createRequest":
      return w.message(10, u.value, writeWatchCreateRequest);
    case "cancelRequest":
      return w.message(18, u.value, writeWatchCancelRequest);
    case "progressRequest":
      return w.message(26, u.value, writeEmpty);
  }
}

/** Reads a WatchRequest up to the end of the current message. */
export function readWatchRequest(r: Reader): WatchRequest {
  let requestUnion: WatchRequestUnion | undefined;
  while (r.more()) {
    const tag = r.tag();
    if (tag === 10) {
      requestUnion = { case: "createRequest", value: readNested(r, readWatchCreateRequest) };
    } else if (tag === 18) {
      requestUnion = { case: "cancelRequest", value: readNested(r, readWatchCancelRequest) };
    } else if (tag === 26) {
      requestUnion = { case: "progressRequest", value: readNested(r, readEmpty) };
    } else r.skip(tag);
  }
  return { requestUnion };
}

/** Size pass of WatchResponse. */
export function sizeWatchResponse(w: Writer, m: PartialMessage<WatchResponse>): number {
  let n = 0;
  if (m.header) n += 1 + w.sizeOf(m.header, sizeResponseHeader);
  if (m.watchId) n += 1 + int64Size(m.watchId);
  if (m.created) n += 2;
  if (m.canceled) n += 2;
  if (m.compactRevision) n += 1 + int64Size(m.compactRevision);
  if (m.cancelReason) n += 1 + lenSize(utf8Size(m.cancelReason));
  if (m.fragment) n += 2;
  const events = m.events;
  if (events) { for (let i = 0; i < events.length; i++) n += 1 + w.sizeOf(events[i]!, sizeEvent); }
  return n;
}

/** Write pass of WatchResponse. */
export function writeWatchResponse(w: Writer, m: PartialMessage<WatchResponse>): void {
  if (m.header) w.message(10, m.header, writeResponseHeader);
  if (m.watchId) w.int64Field(16, m.watchId);
  if (m.created) w.trueField(24);
  if (m.canceled) w.trueField(32);
  if (m.compactRevision) w.int64Field(40, m.compactRevision);
  if (m.cancelReason) w.stringField(50, m.cancelReason);
  if (m.fragment) w.trueField(56);
  const events = m.events;
  if (events) { for (let i = 0; i < events.length; i++) w.message(90, events[i]!, writeEvent); }
}

/** Reads a WatchResponse up to the end of the current message. */
export function readWatchResponse(r: Reader): WatchResponse {
  let header: ResponseHeader | undefined;
  let watchId = 0;
  let created = false;
  let canceled = false;
  let compactRevision = 0;
  let cancelReason = "";
  let fragment = false;
  const events: Event[] = [];
  while (r.more()) {
    const tag = r.tag();
    switch (tag) {
      case 10:
        header = readNested(r, readResponseHeader);
        break;
      case 16:
        watchId = r.int64();
        break;
      case 24:
        created = r.bool();
        break;
      case 32:
        canceled = r.bool();
        break;
      case 40:
        compactRevision = r.int64();
        break;
      case 50:
        cancelReason = r.string();
        break;
      case 56:
        fragment = r.bool();
        break;
      case 90:
        events.push(readNested(r, readEvent));
        break;
      default:
        r.skip(tag);
    }
  }
  return { header, watchId, created, canceled, compactRevision, cancelReason, fragment, events };
}

/** Encodes an etcdserverpb.WatchRequest. */
export function encodeWatchRequest(m: PartialMessage<WatchRequest>): Uint8Array {
  return encodeMessage(m, sizeWatchRequest, writeWatchRequest);
}

/** Decodes an etcdserverpb.WatchRequest. */
export function decodeWatchRequest(bytes: Uint8Array): WatchRequest {
  return decodeMessage(bytes, readWatchRequest);
}

/** Encodes an etcdserverpb.WatchCreateRequest. */
export function encodeWatchCreateRequest(m: PartialMessage<WatchCreateRequest>): Uint8Array {
  return encodeMessage(m, sizeWatchCreateRequest, writeWatchCreateRequest);
}

/** Decodes an etcdserverpb.WatchCreateRequest. */
export function decodeWatchCreateRequest(bytes: Uint8Array): WatchCreateRequest {
  return decodeMessage(bytes, readWatchCreateRequest);
}

/** Encodes an etcdserverpb.WatchCancelRequest. */
export function encodeWatchCancelRequest(m: PartialMessage<WatchCancelRequest>): Uint8Array {
  return encodeMessage(m, sizeWatchCancelRequest, writeWatchCancelRequest);
}

/** Decodes an etcdserverpb.WatchCancelRequest. */
export function decodeWatchCancelRequest(bytes: Uint8Array): WatchCancelRequest {
  return decodeMessage(bytes, readWatchCancelRequest);
}

/** Encodes an etcdserverpb.WatchProgressRequest. */
export const encodeWatchProgressRequest: (m: PartialMessage<WatchProgressRequest>) => Uint8Array =
  encodeEmpty;

/** Decodes an etcdserverpb.WatchProgressRequest. */
export const decodeWatchProgressRequest: (bytes: Uint8Array) => WatchProgressRequest = decodeEmpty;

/** Encodes an etcdserverpb.WatchResponse. */
export function encodeWatchResponse(m: PartialMessage<WatchResponse>): Uint8Array {
  return encodeMessage(m, sizeWatchResponse, writeWatchResponse);
}

/** Decodes an etcdserverpb.WatchResponse; keys and values of its events are views of `bytes`. */
export function decodeWatchResponse(bytes: Uint8Array): WatchResponse {
  return decodeMessage(bytes, readWatchResponse);
}
