/**
 * etcdserverpb.ResponseHeader, and two shapes many messages share: responses that carry only a
 * header, and messages with no fields at all (StatusRequest, AuthEnableRequest, …).
 *
 * A server answers every request with the same cluster and member IDs, so it can encode the
 * header once per revision ({@linkcode encodeResponseHeader}) and pass the bytes as `header`
 * to any response encoder.
 *
 * @module
 */

import { bigintSize, int64Size, type PartialMessage, uint64Size } from "./_wire.ts";
import { decodeMessage, type Reader, readNested } from "./_reader.ts";
import { encodeMessage, type Writer } from "./_writer.ts";

/** etcdserverpb.ResponseHeader. */
export interface ResponseHeader {
  /** 1 (uint64): the cluster's random ID. */
  clusterId: bigint;
  /** 2 (uint64): the answering member's random ID. */
  memberId: bigint;
  /** 3: the store revision when the request was applied (progress, for watch responses). */
  revision: number;
  /** 4 (uint64): the raft term (T4: the leader term). */
  raftTerm: number;
}

/** A response whose only field is `ResponseHeader header = 1`. */
export interface HeaderResponse {
  /** 1: the response header. */
  header: ResponseHeader | undefined;
}

/** Size pass of ResponseHeader. */
export function sizeResponseHeader(_w: Writer, m: PartialMessage<ResponseHeader>): number {
  let n = 0;
  if (m.clusterId) n += 1 + bigintSize(m.clusterId);
  if (m.memberId) n += 1 + bigintSize(m.memberId);
  if (m.revision) n += 1 + int64Size(m.revision);
  if (m.raftTerm) n += 1 + uint64Size(m.raftTerm);
  return n;
}

/** Write pass of ResponseHeader. */
export function writeResponseHeader(w: Writer, m: PartialMessage<ResponseHeader>): void {
  if (m.clusterId) w.bigintField(8, m.clusterId);
  if (m.memberId) w.bigintField(16, m.memberId);
  if (m.revision) w.int64Field(24, m.revision);
  if (m.raftTerm) w.int64Field(32, m.raftTerm);
}

/** Reads a ResponseHeader up to the end of the current message. */
export function readResponseHeader(r: Reader): ResponseHeader {
  let clusterId = 0n;
  let memberId = 0n;
  let revision = 0;
  let raftTerm = 0;
  while (r.more()) {
    const tag = r.tag();
    switch (tag) {
      case 8:
        clusterId = r.uint64Id();
        break;
      case 16:
        memberId = r.uint64Id();
        break;
      case 24:
        revision = r.int64();
        break;
      case 32:
        raftTerm = r.uint64();
        break;
      default:
        r.skip(tag);
    }
  }
  return { clusterId, memberId, revision, raftTerm };
}

/** Size pass of a header-only response. */
export function sizeHeaderResponse(w: Writer, m: PartialMessage<HeaderResponse>): number {
  return m.header ? 1 + w.sizeOf(m.header, sizeResponseHeader) : 0;
}

/** Write pass of a header-only response. */
export function writeHeaderResponse(w: Writer, m: PartialMessage<HeaderResponse>): void {
  if (m.header) w.message(10, m.header, writeResponseHeader);
}

/** Reads a header-only response up to the end of the current message. */
export function readHeaderResponse(r: Reader): HeaderResponse {
  let header: ResponseHeader | undefined;
  while (r.more()) {
    const tag = r.tag();
    if (tag === 10) header = readNested(r, readResponseHeader);
    else r.skip(tag);
  }
  return { header };
}

/** A message without fields. */
export type EmptyMessage = Record<PropertyKey, never>;

/** Size pass of any message without fields. */
export function sizeEmpty(_w: Writer, _m: unknown): number {
  return 0;
}

/** Write pass of any message without fields. */
export function writeEmpty(_w: Writer, _m: unknown): void {}

/** Reads (and checks) a message without fields: every field in it is unknown and skipped. */
export function readEmpty(r: Reader): EmptyMessage {
  while (r.more()) r.skip(r.tag());
  return {};
}

/** Encodes an etcdserverpb.ResponseHeader (to pass pre-encoded as any response's `header`). */
export function encodeResponseHeader(m: PartialMessage<ResponseHeader>): Uint8Array {
  return encodeMessage(m, sizeResponseHeader, writeResponseHeader);
}

/** Decodes an etcdserverpb.ResponseHeader. */
export function decodeResponseHeader(bytes: Uint8Array): ResponseHeader {
  return decodeMessage(bytes, readResponseHeader);
}

/** Encodes any header-only response (CompactionResponse, LeaseRevokeResponse, …). */
export function encodeHeaderResponse(m: PartialMessage<HeaderResponse>): Uint8Array {
  return encodeMessage(m, sizeHeaderResponse, writeHeaderResponse);
}

/** Decodes any header-only response. */
export function decodeHeaderResponse(bytes: Uint8Array): HeaderResponse {
  return decodeMessage(bytes, readHeaderResponse);
}

/** Encodes any message without fields (always zero bytes). */
export function encodeEmpty(m: PartialMessage<EmptyMessage>): Uint8Array {
  return encodeMessage(m, sizeEmpty, writeEmpty);
}

/** Decodes any message without fields, checking that its (unknown) fields are well-formed. */
export function decodeEmpty(bytes: Uint8Array): EmptyMessage {
  return decodeMessage(bytes, readEmpty);
}
