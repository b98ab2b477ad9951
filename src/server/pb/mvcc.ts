/**
 * mvccpb: `KeyValue` and `Event`, the records every Range answer and watch stream carries.
 * These are the hottest encoders of the server, so they avoid all per-field allocation.
 *
 * @module
 */

import {
  bigintSize,
  EMPTY_BYTES,
  int32Size,
  int64Size,
  lenSize,
  type PartialMessage,
} from "./_wire.ts";
import { decodeMessage, type Reader, readNested } from "./_reader.ts";
import { encodeMessage, type Writer } from "./_writer.ts";

/** mvccpb.Event.EventType. */
export const EventType = { PUT: 0, DELETE: 1 } as const;

/** mvccpb.KeyValue: one version of one key. */
export interface KeyValue {
  /** 1: the key. */
  key: Uint8Array;
  /** 2: revision of the put that created this generation of the key. */
  createRevision: number;
  /** 3: revision of the last put (or, in a DELETE event, of the delete). */
  modRevision: number;
  /** 4: puts since creation, 1 on create. */
  version: number;
  /** 5: the value (empty for keys_only). */
  value: Uint8Array;
  /** 6: the attached lease ID, 0n for none. */
  lease: bigint;
}

/** mvccpb.Event: a PUT or DELETE seen by a watcher. */
export interface Event {
  /** 1: {@linkcode EventType}. */
  type: number;
  /** 2: the key after the put, or the deleted key. */
  kv: KeyValue | undefined;
  /** 3: the key before the event, when the watcher asked for it. */
  prevKv: KeyValue | undefined;
}

/** Size pass of KeyValue. */
export function sizeKeyValue(_w: Writer, m: PartialMessage<KeyValue>): number {
  let n = 0;
  if (m.key?.length) n += 1 + lenSize(m.key.length);
  if (m.createRevision) n += 1 + int64Size(m.createRevision);
  if (m.modRevision) n += 1 + int64Size(m.modRevision);
  if (m.version) n += 1 + int64Size(m.version);
  if (m.value?.length) n += 1 + lenSize(m.value.length);
  if (m.lease) n += 1 + bigintSize(m.lease);
  return n;
}

/** Write pass of KeyValue. */
export function writeKeyValue(w: Writer, m: PartialMessage<KeyValue>): void {
  if (m.key?.length) w.bytesField(10, m.key);
  if (m.createRevision) w.int64Field(16, m.createRevision);
  if (m.modRevision) w.int64Field(24, m.modRevision);
  if (m.version) w.int64Field(32, m.version);
  if (m.value?.length) w.bytesField(42, m.value);
  if (m.lease) w.bigintField(48, m.lease);
}

/** Reads a KeyValue up to the end of the current message. */
export function readKeyValue(r: Reader): KeyValue {
  let key = EMPTY_BYTES;
  let createRevision = 0;
  let modRevision = 0;
  let version = 0;
  let value = EMPTY_BYTES;
  let lease = 0n;
  while (r.more()) {
    const tag = r.tag();
    switch (tag) {
      case 10:
        key = r.bytes();
        break;
      case 16:
        createRevision = r.int64();
        break;
      case 24:
        modRevision = r.int64();
        break;
      case 32:
        version = r.int64();
        break;
      case 42:
        value = r.bytes();
        break;
      case 48:
        lease = r.int64Id();
        break;
      default:
        r.skip(tag);
    }
  }
  return { key, createRevision, modRevision, version, value, lease };
}

/** Size pass of Event. */
export function sizeEvent(w: Writer, m: PartialMessage<Event>): number {
  let n = 0;
  if (m.type) n += 1 + int32Size(m.type);
  if (m.kv) n += 1 + w.sizeOf(m.kv, sizeKeyValue);
  if (m.prevKv) n += 1 + w.sizeOf(m.prevKv, sizeKeyValue);
  return n;
}

/** Write pass of Event. */
export function writeEvent(w: Writer, m: PartialMessage<Event>): void {
  if (m.type) w.int32Field(8, m.type);
  if (m.kv) w.message(18, m.kv, writeKeyValue);
  if (m.prevKv) w.message(26, m.prevKv, writeKeyValue);
}

/** Reads an Event up to the end of the current message. */
export function readEvent(r: Reader): Event {
  let type = 0;
  let kv: KeyValue | undefined;
  let prevKv: KeyValue | undefined;
  while (r.more()) {
    const tag = r.tag();
    switch (tag) {
      case 8:
        type = r.int32();
        break;
      case 18:
        kv = readNested(r, readKeyValue);
        break;
      case 26:
        prevKv = readNested(r, readKeyValue);
        break;
      default:
        r.skip(tag);
    }
  }
  return { type, kv, prevKv };
}

/** Encodes an mvccpb.KeyValue. */
export function encodeKeyValue(m: PartialMessage<KeyValue>): Uint8Array {
  return encodeMessage(m, sizeKeyValue, writeKeyValue);
}

/** Decodes an mvccpb.KeyValue; `key` and `value` are views of `bytes`. */
export function decodeKeyValue(bytes: Uint8Array): KeyValue {
  return decodeMessage(bytes, readKeyValue);
}

/** Encodes an mvccpb.Event. */
export function encodeEvent(m: PartialMessage<Event>): Uint8Array {
  return encodeMessage(m, sizeEvent, writeEvent);
}

/** Decodes an mvccpb.Event. */
export function decodeEvent(bytes: Uint8Array): Event {
  return decodeMessage(bytes, readEvent);
}
