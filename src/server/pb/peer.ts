/**
 * The peer protocol's messages (`proto/peer.proto`, package `t4.peer`), encoded from small
 * field tables: each message is a list of `[field number, name, kind]`. Peer traffic is one
 * message per WAL batch, so a table-driven codec is fast enough and keeps the wire format in
 * one readable place. A oneof is a message whose fields are all optional messages; exactly one
 * is set.
 *
 * @module
 */

import {
  bigintSize,
  int64Size,
  lenSize,
  type PartialMessage,
  utf8Size,
  varintSize,
} from "./_wire.ts";
import { decodeMessage, type Reader, readNested } from "./_reader.ts";
import { encodeMessage, type Writer } from "./_writer.ts";

type Scalar = "u64" | "id" | "bytes" | "string" | "bool";
interface Table {
  readonly fields: readonly (readonly [number, string, Scalar | Table, "repeated"?])[];
}

const WIRE: Record<Scalar, number> = { u64: 0, id: 0, bool: 0, bytes: 2, string: 2 };

function tagOf(no: number, kind: Scalar | Table): number {
  return (no << 3) | (typeof kind === "string" ? WIRE[kind] : 2);
}

type Msg = Record<string, unknown>;

function sizeValue(w: Writer, kind: Scalar | Table, v: unknown): number {
  switch (kind) {
    case "u64":
      return int64Size(v as number);
    case "id":
      return bigintSize(v as bigint);
    case "bool":
      return 1;
    case "bytes":
      return lenSize((v as Uint8Array).length);
    case "string":
      return lenSize(utf8Size(v as string));
    default:
      return w.sizeOf(v as Msg, (w2, m) => sizeTable(w2, kind, m));
  }
}

function isDefault(kind: Scalar | Table, v: unknown): boolean {
  if (v === undefined) return true;
  if (kind === "u64") return v === 0;
  if (kind === "id") return v === 0n;
  if (kind === "bool") return v === false;
  if (kind === "bytes") return (v as Uint8Array).length === 0;
  if (kind === "string") return v === "";
  return false;
}

function sizeTable(w: Writer, t: Table, m: Msg): number {
  let n = 0;
  for (const [no, name, kind, repeated] of t.fields) {
    const v = m[name];
    const tagBytes = varintSize(tagOf(no, kind));
    if (repeated) {
      for (const item of (v as unknown[] | undefined) ?? []) {
        n += tagBytes + sizeValue(w, kind, item);
      }
    } else if (!isDefault(kind, v)) n += tagBytes + sizeValue(w, kind, v);
  }
  return n;
}

function writeValue(w: Writer, no: number, kind: Scalar | Table, v: unknown): void {
  const tag = tagOf(no, kind);
  switch (kind) {
    case "u64":
      w.int64Field(tag, v as number);
      return;
    case "id":
      w.bigintField(tag, v as bigint);
      return;
    case "bool":
      w.trueField(tag);
      return;
    case "bytes":
      w.bytesField(tag, v as Uint8Array);
      return;
    case "string":
      w.stringField(tag, v as string);
      return;
    default:
      w.message(tag, v as Msg, (w2, m) => writeTable(w2, kind, m));
  }
}

function writeTable(w: Writer, t: Table, m: Msg): void {
  for (const [no, name, kind, repeated] of t.fields) {
    const v = m[name];
    if (repeated) {
      for (const item of (v as unknown[] | undefined) ?? []) writeValue(w, no, kind, item);
    } else if (!isDefault(kind, v)) writeValue(w, no, kind, v);
  }
}

function readTable(r: Reader, t: Table): Msg {
  const out: Msg = {};
  for (const [, name, kind, repeated] of t.fields) {
    if (repeated) out[name] = [];
    else if (typeof kind === "string") {
      out[name] = kind === "u64"
        ? 0
        : kind === "id"
        ? 0n
        : kind === "bool"
        ? false
        : kind === "string"
        ? ""
        : new Uint8Array(0);
    }
  }
  while (r.more()) {
    const tag = r.tag();
    const field = t.fields.find(([no, , kind]) => tagOf(no, kind) === tag);
    if (!field) {
      r.skip(tag);
      continue;
    }
    const [, name, kind, repeated] = field;
    let v: unknown;
    switch (kind) {
      case "u64":
        v = r.uint64();
        break;
      case "id":
        v = r.uint64Id();
        break;
      case "bool":
        v = r.bool();
        break;
      case "bytes":
        v = r.bytes();
        break;
      case "string":
        v = r.string();
        break;
      default:
        v = readNested(r, (r2) => readTable(r2, kind));
    }
    if (repeated) (out[name] as unknown[]).push(v);
    else out[name] = v;
  }
  return out;
}

function codec<T>(
  t: Table,
): { encode(m: PartialMessage<T>): Uint8Array; decode(b: Uint8Array): T } {
  return {
    encode: (m) =>
      encodeMessage(m as Msg, (w, x) => sizeTable(w, t, x), (w, x) => writeTable(w, t, x)),
    decode: (b) => decodeMessage(b, (r) => readTable(r, t)) as T,
  };
}

/** t4.peer.Record: one WAL entry. */
export interface PeerRecord {
  seq: number;
  term: number;
  rev: number;
  data: Uint8Array;
}
/** t4.peer.Member. */
export interface PeerMember {
  nodeId: string;
  memberId: bigint;
  peerAddr: string;
  clientUrl: string;
}
/** t4.peer.Hello. */
export interface PeerHello {
  nodeId: string;
  memberId: bigint;
  lastSeq: number;
  lastTerm: number;
  appliedSeq: number;
  peerAddr: string;
  clientUrl: string;
  version: number;
}
/** t4.peer.FollowRequest (oneof). */
export interface FollowRequest {
  hello?: PeerHello;
  ack?: { durableSeq: number; appliedSeq: number };
}
/** t4.peer.FollowResponse (oneof). */
export interface FollowResponse {
  start?: {
    term: number;
    truncateAfter: number;
    commitSeq: number;
    leaderId: string;
    members: PeerMember[];
  };
  entries?: { records: PeerRecord[]; commitSeq: number };
  commit?: { commitSeq: number; members: PeerMember[] };
  resync?: { reason: string };
  shutdown?: { reason: string; successor: string };
}
/** t4.peer.ReadIndexResponse. */
export interface ReadIndexResponse {
  commitSeq: number;
  term: number;
}
/** t4.peer.ForwardRequest. */
export interface ForwardRequest {
  method: string;
  request: Uint8Array;
  metadata: { key: string; value: string }[];
}
/** t4.peer.ForwardResponse. */
export interface ForwardResponse {
  response: Uint8Array;
  code: number;
  details: string;
  commitSeq: number;
}
/** t4.peer.PeerStatusResponse. */
export interface PeerStatusResponse {
  nodeId: string;
  lastSeq: number;
  lastTerm: number;
  appliedSeq: number;
  role: string;
  term: number;
}

const RECORD: Table = {
  fields: [[1, "seq", "u64"], [2, "term", "u64"], [3, "rev", "u64"], [4, "data", "bytes"]],
};
const MEMBER: Table = {
  fields: [[1, "nodeId", "string"], [2, "memberId", "id"], [3, "peerAddr", "string"], [
    4,
    "clientUrl",
    "string",
  ]],
};
const HELLO: Table = {
  fields: [
    [1, "nodeId", "string"],
    [2, "memberId", "id"],
    [3, "lastSeq", "u64"],
    [4, "lastTerm", "u64"],
    [5, "appliedSeq", "u64"],
    [6, "peerAddr", "string"],
    [7, "clientUrl", "string"],
    [8, "version", "u64"],
  ],
};
const ACK: Table = { fields: [[1, "durableSeq", "u64"], [2, "appliedSeq", "u64"]] };
const START: Table = {
  fields: [
    [1, "term", "u64"],
    [2, "truncateAfter", "u64"],
    [3, "commitSeq", "u64"],
    [4, "leaderId", "string"],
    [5, "members", MEMBER, "repeated"],
  ],
};
const ENTRIES: Table = { fields: [[1, "records", RECORD, "repeated"], [2, "commitSeq", "u64"]] };
const COMMIT: Table = { fields: [[1, "commitSeq", "u64"], [2, "members", MEMBER, "repeated"]] };
const REASON: Table = { fields: [[1, "reason", "string"]] };

const followRequest = codec<FollowRequest>({ fields: [[1, "hello", HELLO], [2, "ack", ACK]] });
const followResponse = codec<FollowResponse>({
  fields: [[1, "start", START], [2, "entries", ENTRIES], [3, "commit", COMMIT], [
    4,
    "resync",
    REASON,
  ], [
    5,
    "shutdown",
    { fields: [[1, "reason", "string"], [2, "successor", "string"]] },
  ]],
});
const readIndexResponse = codec<ReadIndexResponse>({
  fields: [[1, "commitSeq", "u64"], [2, "term", "u64"]],
});
const forwardRequest = codec<ForwardRequest>({
  fields: [[1, "method", "string"], [2, "request", "bytes"], [3, "metadata", {
    fields: [[1, "key", "string"], [2, "value", "string"]],
  }, "repeated"]],
});
const forwardResponse = codec<ForwardResponse>({
  fields: [[1, "response", "bytes"], [2, "code", "u64"], [3, "details", "string"], [
    4,
    "commitSeq",
    "u64",
  ]],
});
const peerStatus = codec<PeerStatusResponse>({
  fields: [
    [1, "nodeId", "string"],
    [2, "lastSeq", "u64"],
    [3, "lastTerm", "u64"],
    [4, "appliedSeq", "u64"],
    [5, "role", "string"],
    [6, "term", "u64"],
  ],
});

/** Encodes a t4.peer.FollowRequest. */
export const encodeFollowRequest = followRequest.encode;
/** Decodes a t4.peer.FollowRequest. */
export const decodeFollowRequest = followRequest.decode;
/** Encodes a t4.peer.FollowResponse. */
export const encodeFollowResponse = followResponse.encode;
/** Decodes a t4.peer.FollowResponse. */
export const decodeFollowResponse = followResponse.decode;
/** Encodes a t4.peer.ReadIndexResponse. */
export const encodeReadIndexResponse = readIndexResponse.encode;
/** Decodes a t4.peer.ReadIndexResponse. */
export const decodeReadIndexResponse = readIndexResponse.decode;
/** Encodes a t4.peer.ForwardRequest. */
export const encodeForwardRequest = forwardRequest.encode;
/** Decodes a t4.peer.ForwardRequest. */
export const decodeForwardRequest = forwardRequest.decode;
/** Encodes a t4.peer.ForwardResponse. */
export const encodeForwardResponse = forwardResponse.encode;
/** Decodes a t4.peer.ForwardResponse. */
export const decodeForwardResponse = forwardResponse.decode;
/** Encodes a t4.peer.PeerStatusResponse. */
export const encodePeerStatusResponse = peerStatus.encode;
/** Decodes a t4.peer.PeerStatusResponse. */
export const decodePeerStatusResponse = peerStatus.decode;
