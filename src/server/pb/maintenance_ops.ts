/**
 * Maintenance.Defragment, Hash, HashKV, Snapshot, MoveLeader and Downgrade messages.
 * T4 answers Defragment (a no-op) and the hashes; Snapshot, MoveLeader and Downgrade are
 * Unimplemented, but their messages round-trip with etcd's field numbers.
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
  uint32Size,
  uint64Size,
  utf8Size,
} from "./_wire.ts";
import { decodeMessage, type Reader, readNested } from "./_reader.ts";
import { encodeMessage, type Writer } from "./_writer.ts";
import {
  decodeEmpty,
  decodeHeaderResponse,
  type EmptyMessage,
  encodeEmpty,
  encodeHeaderResponse,
  type HeaderResponse,
  readResponseHeader,
  type ResponseHeader,
  sizeResponseHeader,
  writeResponseHeader,
} from "./header.ts";

/** etcdserverpb.DowngradeRequest.DowngradeAction. */
export const DowngradeAction = { VALIDATE: 0, ENABLE: 1, CANCEL: 2 } as const;

/** etcdserverpb.DefragmentRequest (no fields). */
export type DefragmentRequest = EmptyMessage;

/** etcdserverpb.DefragmentResponse. */
export type DefragmentResponse = HeaderResponse;

/** etcdserverpb.HashRequest (no fields). */
export type HashRequest = EmptyMessage;

/** etcdserverpb.HashResponse. */
export interface HashResponse {
  /** 1 */
  header: ResponseHeader | undefined;
  /** 2 (uint32) */
  hash: number;
}

/** etcdserverpb.HashKVRequest. */
export interface HashKVRequest {
  /** 1: hash the keyspace up to this revision; 0 = the current one. */
  revision: number;
}

/** etcdserverpb.HashKVResponse. */
export interface HashKVResponse {
  /** 1 */
  header: ResponseHeader | undefined;
  /** 2 (uint32) */
  hash: number;
  /** 3 */
  compactRevision: number;
  /** 4 (3.6) */
  hashRevision: number;
}

/** etcdserverpb.SnapshotRequest (no fields). */
export type SnapshotRequest = EmptyMessage;

/** etcdserverpb.SnapshotResponse: one chunk of a snapshot stream. */
export interface SnapshotResponse {
  /** 1 */
  header: ResponseHeader | undefined;
  /** 2 (uint64) */
  remainingBytes: number;
  /** 3 */
  blob: Uint8Array;
  /** 4 (3.6) */
  version: string;
}

/** etcdserverpb.MoveLeaderRequest. */
export interface MoveLeaderRequest {
  /** 1 (uint64): the member to hand leadership to. */
  targetID: bigint;
}

/** etcdserverpb.MoveLeaderResponse. */
export type MoveLeaderResponse = HeaderResponse;

/** etcdserverpb.DowngradeRequest. */
export interface DowngradeRequest {
  /** 1: {@linkcode DowngradeAction}. */
  action: number;
  /** 2 */
  version: string;
}

/** etcdserverpb.DowngradeResponse. */
export interface DowngradeResponse {
  /** 1 */
  header: ResponseHeader | undefined;
  /** 2 */
  version: string;
}

function sizeHashResponse(w: Writer, m: PartialMessage<HashResponse>): number {
  return (m.header ? 1 + w.sizeOf(m.header, sizeResponseHeader) : 0) +
    (m.hash ? 1 + uint32Size(m.hash) : 0);
}

function writeHashResponse(w: Writer, m: PartialMessage<HashResponse>): void {
  if (m.header) w.message(10, m.header, writeResponseHeader);
  if (m.hash) w.int64Field(16, m.hash);
}

function readHashResponse(r: Reader): HashResponse {
  let header: ResponseHeader | undefined;
  let hash = 0;
  while (r.more()) {
    const tag = r.tag();
    if (tag === 10) header = readNested(r, readResponseHeader);
    else if (tag === 16) hash = r.uint32();
    else r.skip(tag);
  }
  return { header, hash };
}

function sizeHashKVRequest(_w: Writer, m: PartialMessage<HashKVRequest>): number {
  return m.revision ? 1 + int64Size(m.revision) : 0;
}

function writeHashKVRequest(w: Writer, m: PartialMessage<HashKVRequest>): void {
  if (m.revision) w.int64Field(8, m.revision);
}

function readHashKVRequest(r: Reader): HashKVRequest {
  let revision = 0;
  while (r.more()) {
    const tag = r.tag();
    if (tag === 8) revision = r.int64();
    else r.skip(tag);
  }
  return { revision };
}

function sizeHashKVResponse(w: Writer, m: PartialMessage<HashKVResponse>): number {
  let n = 0;
  if (m.header) n += 1 + w.sizeOf(m.header, sizeResponseHeader);
  if (m.hash) n += 1 + uint32Size(m.hash);
  if (m.compactRevision) n += 1 + int64Size(m.compactRevision);
  if (m.hashRevision) n += 1 + int64Size(m.hashRevision);
  return n;
}

function writeHashKVResponse(w: Writer, m: PartialMessage<HashKVResponse>): void {
  if (m.header) w.message(10, m.header, writeResponseHeader);
  if (m.hash) w.int64Field(16, m.hash);
  if (m.compactRevision) w.int64Field(24, m.compactRevision);
  if (m.hashRevision) w.int64Field(32, m.hashRevision);
}

function readHashKVResponse(r: Reader): HashKVResponse {
  let header: ResponseHeader | undefined;
  let hash = 0;
  let compactRevision = 0;
  let hashRevision = 0;
  while (r.more()) {
    const tag = r.tag();
    if (tag === 10) header = readNested(r, readResponseHeader);
    else if (tag === 16) hash = r.uint32();
    else if (tag === 24) compactRevision = r.int64();
    else if (tag === 32) hashRevision = r.int64();
    else r.skip(tag);
  }
  return { header, hash, compactRevision, hashRevision };
}

function sizeSnapshotResponse(w: Writer, m: PartialMessage<SnapshotResponse>): number {
  let n = 0;
  if (m.header) n += 1 + w.sizeOf(m.header, sizeResponseHeader);
  if (m.remainingBytes) n += 1 + uint64Size(m.remainingBytes);
  if (m.blob?.length) n += 1 + lenSize(m.blob.length);
  if (m.version) n += 1 + lenSize(utf8Size(m.version));
  return n;
}

function writeSnapshotResponse(w: Writer, m: PartialMessage<SnapshotResponse>): void {
  if (m.header) w.message(10, m.header, writeResponseHeader);
  if (m.remainingBytes) w.int64Field(16, m.remainingBytes);
  if (m.blob?.length) w.bytesField(26, m.blob);
  if (m.version) w.stringField(34, m.version);
}

function readSnapshotResponse(r: Reader): SnapshotResponse {
  let header: ResponseHeader | undefined;
  let remainingBytes = 0;
  let blob = EMPTY_BYTES;
  let version = "";
  while (r.more()) {
    const tag = r.tag();
    if (tag === 10) header = readNested(r, readResponseHeader);
    else if (tag === 16) remainingBytes = r.uint64();
    else if (tag === 26) blob = r.bytes();
    else if (tag === 34) version = r.string();
    else r.skip(tag);
  }
  return { header, remainingBytes, blob, version };
}

function sizeMoveLeaderRequest(_w: Writer, m: PartialMessage<MoveLeaderRequest>): number {
  return m.targetID ? 1 + bigintSize(m.targetID) : 0;
}

function writeMoveLeaderRequest(w: Writer, m: PartialMessage<MoveLeaderRequest>): void {
  if (m.targetID) w.bigintField(8, m.targetID);
}

function readMoveLeaderRequest(r: Reader): MoveLeaderRequest {
  let targetID = 0n;
  while (r.more()) {
    const tag = r.tag();
    if (tag === 8) targetID = r.uint64Id();
    else r.skip(tag);
  }
  return { targetID };
}

function sizeDowngradeRequest(_w: Writer, m: PartialMessage<DowngradeRequest>): number {
  return (m.action ? 1 + int32Size(m.action) : 0) +
    (m.version ? 1 + lenSize(utf8Size(m.version)) : 0);
}

function writeDowngradeRequest(w: Writer, m: PartialMessage<DowngradeRequest>): void {
  if (m.action) w.int32Field(8, m.action);
  if (m.version) w.stringField(18, m.version);
}

function readDowngradeRequest(r: Reader): DowngradeRequest {
  let action = 0;
  let version = "";
  while (r.more()) {
    const tag = r.tag();
    if (tag === 8) action = r.int32();
    else if (tag === 18) version = r.string();
    else r.skip(tag);
  }
  return { action, version };
}

function sizeDowngradeResponse(w: Writer, m: PartialMessage<DowngradeResponse>): number {
  return (m.header ? 1 + w.sizeOf(m.header, sizeResponseHeader) : 0) +
    (m.version ? 1 + lenSize(utf8Size(m.version)) : 0);
}

function writeDowngradeResponse(w: Writer, m: PartialMessage<DowngradeResponse>): void {
  if (m.header) w.message(10, m.header, writeResponseHeader);
  if (m.version) w.stringField(18, m.version);
}

function readDowngradeResponse(r: Reader): DowngradeResponse {
  let header: ResponseHeader | undefined;
  let version = "";
  while (r.more()) {
    const tag = r.tag();
    if (tag === 10) header = readNested(r, readResponseHeader);
    else if (tag === 18) version = r.string();
    else r.skip(tag);
  }
  return { header, version };
}

/** Encodes an etcdserverpb.DefragmentRequest. */
export const encodeDefragmentRequest: (m: PartialMessage<DefragmentRequest>) => Uint8Array =
  encodeEmpty;

/** Decodes an etcdserverpb.DefragmentRequest. */
export const decodeDefragmentRequest: (bytes: Uint8Array) => DefragmentRequest = decodeEmpty;

/** Encodes an etcdserverpb.DefragmentResponse. */
export const encodeDefragmentResponse: (m: PartialMessage<DefragmentResponse>) => Uint8Array =
  encodeHeaderResponse;

/** Decodes an etcdserverpb.DefragmentResponse. */
export const decodeDefragmentResponse: (bytes: Uint8Array) => DefragmentResponse =
  decodeHeaderResponse;

/** Encodes an etcdserverpb.HashRequest. */
export const encodeHashRequest: (m: PartialMessage<HashRequest>) => Uint8Array = encodeEmpty;

/** Decodes an etcdserverpb.HashRequest. */
export const decodeHashRequest: (bytes: Uint8Array) => HashRequest = decodeEmpty;

/** Encodes an etcdserverpb.HashResponse. */
export function encodeHashResponse(m: PartialMessage<HashResponse>): Uint8Array {
  return encodeMessage(m, sizeHashResponse, writeHashResponse);
}

/** Decodes an etcdserverpb.HashResponse. */
export function decodeHashResponse(bytes: Uint8Array): HashResponse {
  return decodeMessage(bytes, readHashResponse);
}

/** Encodes an etcdserverpb.HashKVRequest. */
export function encodeHashKVRequest(m: PartialMessage<HashKVRequest>): Uint8Array {
  return encodeMessage(m, sizeHashKVRequest, writeHashKVRequest);
}

/** Decodes an etcdserverpb.HashKVRequest. */
export function decodeHashKVRequest(bytes: Uint8Array): HashKVRequest {
  return decodeMessage(bytes, readHashKVRequest);
}

/** Encodes an etcdserverpb.HashKVResponse. */
export function encodeHashKVResponse(m: PartialMessage<HashKVResponse>): Uint8Array {
  return encodeMessage(m, sizeHashKVResponse, writeHashKVResponse);
}

/** Decodes an etcdserverpb.HashKVResponse. */
export function decodeHashKVResponse(bytes: Uint8Array): HashKVResponse {
  return decodeMessage(bytes, readHashKVResponse);
}

/** Encodes an etcdserverpb.SnapshotRequest. */
export const encodeSnapshotRequest: (m: PartialMessage<SnapshotRequest>) => Uint8Array =
  encodeEmpty;

/** Decodes an etcdserverpb.SnapshotRequest. */
export const decodeSnapshotRequest: (bytes: Uint8Array) => SnapshotRequest = decodeEmpty;

/** Encodes an etcdserverpb.SnapshotResponse. */
export function encodeSnapshotResponse(m: PartialMessage<SnapshotResponse>): Uint8Array {
  return encodeMessage(m, sizeSnapshotResponse, writeSnapshotResponse);
}

/** Decodes an etcdserverpb.SnapshotResponse; `blob` is a view of `bytes`. */
export function decodeSnapshotResponse(bytes: Uint8Array): SnapshotResponse {
  return decodeMessage(bytes, readSnapshotResponse);
}

/** Encodes an etcdserverpb.MoveLeaderRequest. */
export function encodeMoveLeaderRequest(m: PartialMessage<MoveLeaderRequest>): Uint8Array {
  return encodeMessage(m, sizeMoveLeaderRequest, writeMoveLeaderRequest);
}

/** Decodes an etcdserverpb.MoveLeaderRequest. */
export function decodeMoveLeaderRequest(bytes: Uint8Array): MoveLeaderRequest {
  return decodeMessage(bytes, readMoveLeaderRequest);
}

/** Encodes an etcdserverpb.MoveLeaderResponse. */
export const encodeMoveLeaderResponse: (m: PartialMessage<MoveLeaderResponse>) => Uint8Array =
  encodeHeaderResponse;

/** Decodes an etcdserverpb.MoveLeaderResponse. */
export const decodeMoveLeaderResponse: (bytes: Uint8Array) => MoveLeaderResponse =
  decodeHeaderResponse;

/** Encodes an etcdserverpb.DowngradeRequest. */
export function encodeDowngradeRequest(m: PartialMessage<DowngradeRequest>): Uint8Array {
  return encodeMessage(m, sizeDowngradeRequest, writeDowngradeRequest);
}

/** Decodes an etcdserverpb.DowngradeRequest. */
export function decodeDowngradeRequest(bytes: Uint8Array): DowngradeRequest {
  return decodeMessage(bytes, readDowngradeRequest);
}

/** Encodes an etcdserverpb.DowngradeResponse. */
export function encodeDowngradeResponse(m: PartialMessage<DowngradeResponse>): Uint8Array {
  return encodeMessage(m, sizeDowngradeResponse, writeDowngradeResponse);
}

/** Decodes an etcdserverpb.DowngradeResponse. */
export function decodeDowngradeResponse(bytes: Uint8Array): DowngradeResponse {
  return decodeMessage(bytes, readDowngradeResponse);
}
