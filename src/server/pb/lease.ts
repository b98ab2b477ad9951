/**
 * The Lease service's messages. Lease IDs are random 63-bit numbers, so they are `bigint`;
 * TTLs are `number` (seconds).
 *
 * @module
 */

import { bigintSize, int64Size, lenSize, type PartialMessage, utf8Size } from "./_wire.ts";
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

/** etcdserverpb.LeaseGrantRequest. */
export interface LeaseGrantRequest {
  /** 1: requested TTL in seconds. */
  TTL: number;
  /** 2: requested ID; 0n = let the server choose. */
  ID: bigint;
}

/** etcdserverpb.LeaseGrantResponse. */
export interface LeaseGrantResponse {
  /** 1 */
  header: ResponseHeader | undefined;
  /** 2 */
  ID: bigint;
  /** 3: granted TTL in seconds. */
  TTL: number;
  /** 4 */
  error: string;
}

/** etcdserverpb.LeaseRevokeRequest, LeaseKeepAliveRequest: `{ int64 ID = 1 }`. */
export interface LeaseIdRequest {
  /** 1 */
  ID: bigint;
}

/** etcdserverpb.LeaseRevokeRequest. */
export type LeaseRevokeRequest = LeaseIdRequest;

/** etcdserverpb.LeaseRevokeResponse. */
export type LeaseRevokeResponse = HeaderResponse;

/** etcdserverpb.LeaseKeepAliveRequest. */
export type LeaseKeepAliveRequest = LeaseIdRequest;

/** etcdserverpb.LeaseStatus. */
export type LeaseStatus = LeaseIdRequest;

/** etcdserverpb.LeaseKeepAliveResponse. */
export interface LeaseKeepAliveResponse {
  /** 1 */
  header: ResponseHeader | undefined;
  /** 2 */
  ID: bigint;
  /** 3: remaining TTL; 0 = the lease does not exist (not an error). */
  TTL: number;
}

/** etcdserverpb.LeaseTimeToLiveRequest. */
export interface LeaseTimeToLiveRequest {
  /** 1 */
  ID: bigint;
  /** 2: also list the attached keys. */
  keys: boolean;
}

/** etcdserverpb.LeaseTimeToLiveResponse. */
export interface LeaseTimeToLiveResponse {
  /** 1 */
  header: ResponseHeader | undefined;
  /** 2 */
  ID: bigint;
  /** 3: remaining TTL; -1 = expired or unknown. */
  TTL: number;
  /** 4 */
  grantedTTL: number;
  /** 5 */
  keys: Uint8Array[];
}

/** etcdserverpb.LeaseLeasesRequest (no fields). */
export type LeaseLeasesRequest = EmptyMessage;

/** etcdserverpb.LeaseLeasesResponse. */
export interface LeaseLeasesResponse {
  /** 1 */
  header: ResponseHeader | undefined;
  /** 2 */
  leases: LeaseStatus[];
}

function sizeLeaseGrantRequest(_w: Writer, m: PartialMessage<LeaseGrantRequest>): number {
  return (m.TTL ? 1 + int64Size(m.TTL) : 0) + (m.ID ? 1 + bigintSize(m.ID) : 0);
}

function writeLeaseGrantRequest(w: Writer, m: PartialMessage<LeaseGrantRequest>): void {
  if (m.TTL) w.int64Field(8, m.TTL);
  if (m.ID) w.bigintField(16, m.ID);
}

function readLeaseGrantRequest(r: Reader): LeaseGrantRequest {
  let TTL = 0;
  let ID = 0n;
  while (r.more()) {
    const tag = r.tag();
    if (tag === 8) TTL = r.int64();
    else if (tag === 16) ID = r.int64Id();
    else r.skip(tag);
  }
  return { TTL, ID };
}

function sizeLeaseGrantResponse(w: Writer, m: PartialMessage<LeaseGrantResponse>): number {
  let n = 0;
  if (m.header) n += 1 + w.sizeOf(m.header, sizeResponseHeader);
  if (m.ID) n += 1 + bigintSize(m.ID);
  if (m.TTL) n += 1 + int64Size(m.TTL);
  if (m.error) n += 1 + lenSize(utf8Size(m.error));
  return n;
}

function writeLeaseGrantResponse(w: Writer, m: PartialMessage<LeaseGrantResponse>): void {
  if (m.header) w.message(10, m.header, writeResponseHeader);
  if (m.ID) w.bigintField(16, m.ID);
  if (m.TTL) w.int64Field(24, m.TTL);
  if (m.error) w.stringField(34, m.error);
}

function readLeaseGrantResponse(r: Reader): LeaseGrantResponse {
  let header: ResponseHeader | undefined;
  let ID = 0n;
  let TTL = 0;
  let error = "";
  while (r.more()) {
    const tag = r.tag();
    if (tag === 10) header = readNested(r, readResponseHeader);
    else if (tag === 16) ID = r.int64Id();
    else if (tag === 24) TTL = r.int64();
    else if (tag === 34) error = r.string();
    else r.skip(tag);
  }
  return { header, ID, TTL, error };
}

function sizeLeaseIdRequest(_w: Writer, m: PartialMessage<LeaseIdRequest>): number {
  return m.ID ? 1 + bigintSize(m.ID) : 0;
}

function writeLeaseIdRequest(w: Writer, m: PartialMessage<LeaseIdRequest>): void {
  if (m.ID) w.bigintField(8, m.ID);
}

function readLeaseIdRequest(r: Reader): LeaseIdRequest {
  let ID = 0n;
  while (r.more()) {
    const tag = r.tag();
    if (tag === 8) ID = r.int64Id();
    else r.skip(tag);
  }
  return { ID };
}

function sizeLeaseKeepAliveResponse(w: Writer, m: PartialMessage<LeaseKeepAliveResponse>): number {
  let n = 0;
  if (m.header) n += 1 + w.sizeOf(m.header, sizeResponseHeader);
  if (m.ID) n += 1 + bigintSize(m.ID);
  if (m.TTL) n += 1 + int64Size(m.TTL);
  return n;
}

function writeLeaseKeepAliveResponse(w: Writer, m: PartialMessage<LeaseKeepAliveResponse>): void {
  if (m.header) w.message(10, m.header, writeResponseHeader);
  if (m.ID) w.bigintField(16, m.ID);
  if (m.TTL) w.int64Field(24, m.TTL);
}

function readLeaseKeepAliveResponse(r: Reader): LeaseKeepAliveResponse {
  let header: ResponseHeader | undefined;
  let ID = 0n;
  let TTL = 0;
  while (r.more()) {
    const tag = r.tag();
    if (tag === 10) header = readNested(r, readResponseHeader);
    else if (tag === 16) ID = r.int64Id();
    else if (tag === 24) TTL = r.int64();
    else r.skip(tag);
  }
  return { header, ID, TTL };
}

function sizeLeaseTimeToLiveRequest(_w: Writer, m: PartialMessage<LeaseTimeToLiveRequest>): number {
  return (m.ID ? 1 + bigintSize(m.ID) : 0) + (m.keys ? 2 : 0);
}

function writeLeaseTimeToLiveRequest(w: Writer, m: PartialMessage<LeaseTimeToLiveRequest>): void {
  if (m.ID) w.bigintField(8, m.ID);
  if (m.keys) w.trueField(16);
}

function readLeaseTimeToLiveRequest(r: Reader): LeaseTimeToLiveRequest {
  let ID = 0n;
  let keys = false;
  while (r.more()) {
    const tag = r.tag();
    if (tag === 8) ID = r.int64Id();
    else if (tag === 16) keys = r.bool();
    else r.skip(tag);
  }
  return { ID, keys };
}

function sizeLeaseTimeToLiveResponse(
  w: Writer,
  m: PartialMessage<LeaseTimeToLiveResponse>,
): number {
  let n = 0;
  if (m.header) n += 1 + w.sizeOf(m.header, sizeResponseHeader);
  if (m.ID) n += 1 + bigintSize(m.ID);
  if (m.TTL) n += 1 + int64Size(m.TTL);
  if (m.grantedTTL) n += 1 + int64Size(m.grantedTTL);
  for (const k of m.keys ?? []) n += 1 + lenSize(k.length);
  return n;
}

function writeLeaseTimeToLiveResponse(
  w: Writer,
  m: PartialMessage<LeaseTimeToLiveResponse>,
): void {
  if (m.header) w.message(10, m.header, writeResponseHeader);
  if (m.ID) w.bigintField(16, m.ID);
  if (m.TTL) w.int64Field(24, m.TTL);
  if (m.grantedTTL) w.int64Field(32, m.grantedTTL);
  for (const k of m.keys ?? []) w.bytesField(42, k);
}

function readLeaseTimeToLiveResponse(r: Reader): LeaseTimeToLiveResponse {
  let header: ResponseHeader | undefined;
  let ID = 0n;
  let TTL = 0;
  let grantedTTL = 0;
  const keys: Uint8Array[] = [];
  while (r.more()) {
    const tag = r.tag();
    if (tag === 10) header = readNested(r, readResponseHeader);
    else if (tag === 16) ID = r.int64Id();
    else if (tag === 24) TTL = r.int64();
    else if (tag === 32) grantedTTL = r.int64();
    else if (tag === 42) keys.push(r.bytes());
    else r.skip(tag);
  }
  return { header, ID, TTL, grantedTTL, keys };
}

function sizeLeaseLeasesResponse(w: Writer, m: PartialMessage<LeaseLeasesResponse>): number {
  let n = 0;
  if (m.header) n += 1 + w.sizeOf(m.header, sizeResponseHeader);
  for (const l of m.leases ?? []) n += 1 + w.sizeOf(l, sizeLeaseIdRequest);
  return n;
}

function writeLeaseLeasesResponse(w: Writer, m: PartialMessage<LeaseLeasesResponse>): void {
  if (m.header) w.message(10, m.header, writeResponseHeader);
  for (const l of m.leases ?? []) w.message(18, l, writeLeaseIdRequest);
}

function readLeaseLeasesResponse(r: Reader): LeaseLeasesResponse {
  let header: ResponseHeader | undefined;
  const leases: LeaseStatus[] = [];
  while (r.more()) {
    const tag = r.tag();
    if (tag === 10) header = readNested(r, readResponseHeader);
    else if (tag === 18) leases.push(readNested(r, readLeaseIdRequest));
    else r.skip(tag);
  }
  return { header, leases };
}

/** Encodes an etcdserverpb.LeaseGrantRequest. */
export function encodeLeaseGrantRequest(m: PartialMessage<LeaseGrantRequest>): Uint8Array {
  return encodeMessage(m, sizeLeaseGrantRequest, writeLeaseGrantRequest);
}

/** Decodes an etcdserverpb.LeaseGrantRequest. */
export function decodeLeaseGrantRequest(bytes: Uint8Array): LeaseGrantRequest {
  return decodeMessage(bytes, readLeaseGrantRequest);
}

/** Encodes an etcdserverpb.LeaseGrantResponse. */
export function encodeLeaseGrantResponse(m: PartialMessage<LeaseGrantResponse>): Uint8Array {
  return encodeMessage(m, sizeLeaseGrantResponse, writeLeaseGrantResponse);
}

/** Decodes an etcdserverpb.LeaseGrantResponse. */
export function decodeLeaseGrantResponse(bytes: Uint8Array): LeaseGrantResponse {
  return decodeMessage(bytes, readLeaseGrantResponse);
}

/** Encodes an etcdserverpb.LeaseRevokeRequest. */
export function encodeLeaseRevokeRequest(m: PartialMessage<LeaseRevokeRequest>): Uint8Array {
  return encodeMessage(m, sizeLeaseIdRequest, writeLeaseIdRequest);
}

/** Decodes an etcdserverpb.LeaseRevokeRequest. */
export function decodeLeaseRevokeRequest(bytes: Uint8Array): LeaseRevokeRequest {
  return decodeMessage(bytes, readLeaseIdRequest);
}

/** Encodes an etcdserverpb.LeaseRevokeResponse. */
export const encodeLeaseRevokeResponse: (m: PartialMessage<LeaseRevokeResponse>) => Uint8Array =
  encodeHeaderResponse;

/** Decodes an etcdserverpb.LeaseRevokeResponse. */
export const decodeLeaseRevokeResponse: (bytes: Uint8Array) => LeaseRevokeResponse =
  decodeHeaderResponse;

/** Encodes an etcdserverpb.LeaseKeepAliveRequest. */
export function encodeLeaseKeepAliveRequest(m: PartialMessage<LeaseKeepAliveRequest>): Uint8Array {
  return encodeMessage(m, sizeLeaseIdRequest, writeLeaseIdRequest);
}

/** Decodes an etcdserverpb.LeaseKeepAliveRequest. */
export function decodeLeaseKeepAliveRequest(bytes: Uint8Array): LeaseKeepAliveRequest {
  return decodeMessage(bytes, readLeaseIdRequest);
}

/** Encodes an etcdserverpb.LeaseKeepAliveResponse. */
export function encodeLeaseKeepAliveResponse(
  m: PartialMessage<LeaseKeepAliveResponse>,
): Uint8Array {
  return encodeMessage(m, sizeLeaseKeepAliveResponse, writeLeaseKeepAliveResponse);
}

/** Decodes an etcdserverpb.LeaseKeepAliveResponse. */
export function decodeLeaseKeepAliveResponse(bytes: Uint8Array): LeaseKeepAliveResponse {
  return decodeMessage(bytes, readLeaseKeepAliveResponse);
}

/** Encodes an etcdserverpb.LeaseTimeToLiveRequest. */
export function encodeLeaseTimeToLiveRequest(
  m: PartialMessage<LeaseTimeToLiveRequest>,
): Uint8Array {
  return encodeMessage(m, sizeLeaseTimeToLiveRequest, writeLeaseTimeToLiveRequest);
}

/** Decodes an etcdserverpb.LeaseTimeToLiveRequest. */
export function decodeLeaseTimeToLiveRequest(bytes: Uint8Array): LeaseTimeToLiveRequest {
  return decodeMessage(bytes, readLeaseTimeToLiveRequest);
}

/** Encodes an etcdserverpb.LeaseTimeToLiveResponse. */
export function encodeLeaseTimeToLiveResponse(
  m: PartialMessage<LeaseTimeToLiveResponse>,
): Uint8Array {
  return encodeMessage(m, sizeLeaseTimeToLiveResponse, writeLeaseTimeToLiveResponse);
}

/** Decodes an etcdserverpb.LeaseTimeToLiveResponse; `keys` are views of `bytes`. */
export function decodeLeaseTimeToLiveResponse(bytes: Uint8Array): LeaseTimeToLiveResponse {
  return decodeMessage(bytes, readLeaseTimeToLiveResponse);
}

/** Encodes an etcdserverpb.LeaseLeasesRequest. */
export const encodeLeaseLeasesRequest: (m: PartialMessage<LeaseLeasesRequest>) => Uint8Array =
  encodeEmpty;

/** Decodes an etcdserverpb.LeaseLeasesRequest. */
export const decodeLeaseLeasesRequest: (bytes: Uint8Array) => LeaseLeasesRequest = decodeEmpty;

/** Encodes an etcdserverpb.LeaseLeasesResponse. */
export function encodeLeaseLeasesResponse(m: PartialMessage<LeaseLeasesResponse>): Uint8Array {
  return encodeMessage(m, sizeLeaseLeasesResponse, writeLeaseLeasesResponse);
}

/** Decodes an etcdserverpb.LeaseLeasesResponse. */
export function decodeLeaseLeasesResponse(bytes: Uint8Array): LeaseLeasesResponse {
  return decodeMessage(bytes, readLeaseLeasesResponse);
}

/** Encodes an etcdserverpb.LeaseStatus. */
export function encodeLeaseStatus(m: PartialMessage<LeaseStatus>): Uint8Array {
  return encodeMessage(m, sizeLeaseIdRequest, writeLeaseIdRequest);
}

/** Decodes an etcdserverpb.LeaseStatus. */
export function decodeLeaseStatus(bytes: Uint8Array): LeaseStatus {
  return decodeMessage(bytes, readLeaseIdRequest);
}
