/**
 * etcdserverpb.Compare: one condition of a Txn. Its `target_union` oneof is a `{ case, value }`
 * object (`{ case: "modRevision", value: 41 }`) or `undefined`; a member is written even at its
 * default value, because `version == 0` is a meaningful compare.
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
import { decodeMessage, type Reader } from "./_reader.ts";
import { encodeMessage, type Writer } from "./_writer.ts";

/** etcdserverpb.Compare.CompareResult. */
export const CompareResult = { EQUAL: 0, GREATER: 1, LESS: 2, NOT_EQUAL: 3 } as const;

/** etcdserverpb.Compare.CompareTarget. */
export const CompareTarget = { VERSION: 0, CREATE: 1, MOD: 2, VALUE: 3, LEASE: 4 } as const;

/** The `target_union` oneof of a Compare: the value compared against. */
export type CompareTargetUnion =
  | { readonly case: "version"; readonly value: number }
  | { readonly case: "createRevision"; readonly value: number }
  | { readonly case: "modRevision"; readonly value: number }
  | { readonly case: "value"; readonly value: Uint8Array }
  | { readonly case: "lease"; readonly value: bigint };

/** etcdserverpb.Compare. */
export interface Compare {
  /** 1: {@linkcode CompareResult}. */
  result: number;
  /** 2: {@linkcode CompareTarget}. */
  target: number;
  /** 3 */
  key: Uint8Array;
  /** 4–8: oneof target_union. */
  targetUnion: CompareTargetUnion | undefined;
  /** 64: compare every key in [key, rangeEnd). */
  rangeEnd: Uint8Array;
}

/** Size pass of Compare. */
export function sizeCompare(_w: Writer, m: PartialMessage<Compare>): number {
  let n = 0;
  if (m.result) n += 1 + int32Size(m.result);
  if (m.target) n += 1 + int32Size(m.target);
  if (m.key?.length) n += 1 + lenSize(m.key.length);
  const u = m.targetUnion;
  if (u) {
    switch (u.case) {
      case "version":
      case "createRevision":
      case "modRevision":
        n += 1 + int64Size(u.value);
        break;
      case "value":
        n += 1 + lenSize(u.value.length);
        break;
      case "lease":
        n += 1 + bigintSize(u.value);
        break;
    }
  }
  if (m.rangeEnd?.length) n += 2 + lenSize(m.rangeEnd.length);
  return n;
}

/** Write pass of Compare. */
export function writeCompare(w: Writer, m: PartialMessage<Compare>): void {
  if (m.result) w.int32Field(8, m.result);
  if (m.target) w.int32Field(16, m.target);
  if (m.key?.length) w.bytesField(26, m.key);
  const u = m.targetUnion;
  if (u) {
    switch (u.case) {
      case "version":
        w.int64Field(32, u.value);
        break;
      case "createRevision":
        w.int64Field(40, u.value);
        break;
      case "modRevision":
        w.int64Field(48, u.value);
        break;
      case "value":
        w.bytesField(58, u.value);
        break;
      case "lease":
        w.bigintField(64, u.value);
        break;
    }
  }
  if (m.rangeEnd?.length) w.bytesField(514, m.rangeEnd);
}

/** Reads a Compare up to the end of the current message. */
export function readCompare(r: Reader): Compare {
  let result = 0;
  let target = 0;
  let key = EMPTY_BYTES;
  let targetUnion: CompareTargetUnion | undefined;
  let rangeEnd = EMPTY_BYTES;
  while (r.more()) {
    const tag = r.tag();
    switch (tag) {
      case 8:
        result = r.int32();
        break;
      case 16:
        target = r.int32();
        break;
      case 26:
        key = r.bytes();
        break;
      case 32:
        targetUnion = { case: "version", value: r.int64() };
        break;
      case 40:
        targetUnion = { case: "createRevision", value: r.int64() };
        break;
      case 48:
        targetUnion = { case: "modRevision", value: r.int64() };
        break;
      case 58:
        targetUnion = { case: "value", value: r.bytes() };
        break;
      case 64:
        targetUnion = { case: "lease", value: r.int64Id() };
        break;
      case 514:
        rangeEnd = r.bytes();
        break;
      default:
        r.skip(tag);
    }
  }
  return { result, target, key, targetUnion, rangeEnd };
}

/** Encodes an etcdserverpb.Compare. */
export function encodeCompare(m: PartialMessage<Compare>): Uint8Array {
  return encodeMessage(m, sizeCompare, writeCompare);
}

/** Decodes an etcdserverpb.Compare. */
export function decodeCompare(bytes: Uint8Array): Compare {
  return decodeMessage(bytes, readCompare);
}
