/**
 * The Cluster service's messages. Member IDs are random uint64s, so they are `bigint`.
 * T4 answers only MemberList; the other RPCs return Unimplemented, but their messages
 * round-trip here with etcd's field numbers so clients and tools can encode them.
 *
 * @module
 */

import { bigintSize, lenSize, type PartialMessage, utf8Size } from "./_wire.ts";
import { decodeMessage, type Reader, readNested } from "./_reader.ts";
import { encodeMessage, type Writer } from "./_writer.ts";
import {
  readResponseHeader,
  type ResponseHeader,
  sizeResponseHeader,
  writeResponseHeader,
} from "./header.ts";

/** etcdserverpb.Member. */
export interface Member {
  /** 1 (uint64) */
  ID: bigint;
  /** 2 */
  name: string;
  /** 3 */
  peerURLs: string[];
  /** 4 */
  clientURLs: string[];
  /** 5 */
  isLearner: boolean;
}

/** etcdserverpb.MemberAddRequest. */
export interface MemberAddRequest {
  /** 1 */
  peerURLs: string[];
  /** 2 */
  isLearner: boolean;
}

/** etcdserverpb.MemberAddResponse. */
export interface MemberAddResponse {
  /** 1 */
  header: ResponseHeader | undefined;
  /** 2: the added member. */
  member: Member | undefined;
  /** 3: every member after the change. */
  members: Member[];
}

/** MemberRemoveRequest, MemberPromoteRequest: `{ uint64 ID = 1 }`. */
export interface MemberIdRequest {
  /** 1 (uint64) */
  ID: bigint;
}

/** etcdserverpb.MemberRemoveRequest. */
export type MemberRemoveRequest = MemberIdRequest;

/** etcdserverpb.MemberPromoteRequest. */
export type MemberPromoteRequest = MemberIdRequest;

/** etcdserverpb.MemberUpdateRequest. */
export interface MemberUpdateRequest {
  /** 1 (uint64) */
  ID: bigint;
  /** 2 */
  peerURLs: string[];
}

/** etcdserverpb.MemberListRequest. */
export interface MemberListRequest {
  /** 1 (3.5+) */
  linearizable: boolean;
}

/** MemberList/Remove/Update/PromoteResponse: `{ header = 1; repeated Member members = 2 }`. */
export interface MembersResponse {
  /** 1 */
  header: ResponseHeader | undefined;
  /** 2 */
  members: Member[];
}

/** etcdserverpb.MemberRemoveResponse. */
export type MemberRemoveResponse = MembersResponse;

/** etcdserverpb.MemberUpdateResponse. */
export type MemberUpdateResponse = MembersResponse;

/** etcdserverpb.MemberListResponse. */
export type MemberListResponse = MembersResponse;

/** etcdserverpb.MemberPromoteResponse. */
export type MemberPromoteResponse = MembersResponse;

function sizeStrings(tagBytes: number, list: readonly string[] | undefined): number {
  let n = 0;
  if (list) { for (const s of list) n += tagBytes + lenSize(utf8Size(s)); }
  return n;
}

function sizeMember(_w: Writer, m: PartialMessage<Member>): number {
  let n = 0;
  if (m.ID) n += 1 + bigintSize(m.ID);
  if (m.name) n += 1 + lenSize(utf8Size(m.name));
  n += sizeStrings(1, m.peerURLs) + sizeStrings(1, m.clientURLs);
  if (m.isLearner) n += 2;
  return n;
}

function writeMember(w: Writer, m: PartialMessage<Member>): void {
  if (m.ID) w.bigintField(8, m.ID);
  if (m.name) w.stringField(18, m.name);
  for (const s of m.peerURLs ?? []) w.stringField(26, s);
  for (const s of m.clientURLs ?? []) w.stringField(34, s);
  if (m.isLearner) w.trueField(40);
}

function readMember(r: Reader): Member {
  let ID = 0n;
  let name = "";
  const peerURLs: string[] = [];
  const clientURLs: string[] = [];
  let isLearner = false;
  while (r.more()) {
    const tag = r.tag();
    if (tag === 8) ID = r.uint64Id();
    else if (tag === 18) name = r.string();
    else if (tag === 26) peerURLs.push(r.string());
    else if (tag === 34) clientURLs.push(r.string());
    else if (tag === 40) isLearner = r.bool();
    else r.skip(tag);
  }
  return { ID, name, peerURLs, clientURLs, isLearner };
}

function sizeMemberAddRequest(_w: Writer, m: PartialMessage<MemberAddRequest>): number {
  return sizeStrings(1, m.peerURLs) + (m.isLearner ? 2 : 0);
}

function writeMemberAddRequest(w: Writer, m: PartialMessage<MemberAddRequest>): void {
  for (const s of m.peerURLs ?? []) w.stringField(10, s);
  if (m.isLearner) w.trueField(16);
}

function readMemberAddRequest(r: Reader): MemberAddRequest {
  const peerURLs: string[] = [];
  let isLearner = false;
  while (r.more()) {
    const tag = r.tag();
    if (tag === 10) peerURLs.push(r.string());
    else if (tag === 16) isLearner = r.bool();
    else r.skip(tag);
  }
  return { peerURLs, isLearner };
}

function sizeMemberAddResponse(w: Writer, m: PartialMessage<MemberAddResponse>): number {
  let n = 0;
  if (m.header) n += 1 + w.sizeOf(m.header, sizeResponseHeader);
  if (m.member) n += 1 + w.sizeOf(m.member, sizeMember);
  for (const x of m.members ?? []) n += 1 + w.sizeOf(x, sizeMember);
  return n;
}

function writeMemberAddResponse(w: Writer, m: PartialMessage<MemberAddResponse>): void {
  if (m.header) w.message(10, m.header, writeResponseHeader);
  if (m.member) w.message(18, m.member, writeMember);
  for (const x of m.members ?? []) w.message(26, x, writeMember);
}

function readMemberAddResponse(r: Reader): MemberAddResponse {
  let header: ResponseHeader | undefined;
  let member: Member | undefined;
  const members: Member[] = [];
  while (r.more()) {
    const tag = r.tag();
    if (tag === 10) header = readNested(r, readResponseHeader);
    else if (tag === 18) member = readNested(r, readMember);
    else if (tag === 26) members.push(readNested(r, readMember));
    else r.skip(tag);
  }
  return { header, member, members };
}

function sizeMemberIdRequest(_w: Writer, m: PartialMessage<MemberIdRequest>): number {
  return m.ID ? 1 + bigintSize(m.ID) : 0;
}

function writeMemberIdRequest(w: Writer, m: PartialMessage<MemberIdRequest>): void {
  if (m.ID) w.bigintField(8, m.ID);
}

function readMemberIdRequest(r: Reader): MemberIdRequest {
  let ID = 0n;
  while (r.more()) {
    const tag = r.tag();
    if (tag === 8) ID = r.uint64Id();
    else r.skip(tag);
  }
  return { ID };
}

function sizeMemberUpdateRequest(_w: Writer, m: PartialMessage<MemberUpdateRequest>): number {
  return (m.ID ? 1 + bigintSize(m.ID) : 0) + sizeStrings(1, m.peerURLs);
}

function writeMemberUpdateRequest(w: Writer, m: PartialMessage<MemberUpdateRequest>): void {
  if (m.ID) w.bigintField(8, m.ID);
  for (const s of m.peerURLs ?? []) w.stringField(18, s);
}

function readMemberUpdateRequest(r: Reader): MemberUpdateRequest {
  let ID = 0n;
  const peerURLs: string[] = [];
  while (r.more()) {
    const tag = r.tag();
    if (tag === 8) ID = r.uint64Id();
    else if (tag === 18) peerURLs.push(r.string());
    else r.skip(tag);
  }
  return { ID, peerURLs };
}

function sizeMemberListRequest(_w: Writer, m: PartialMessage<MemberListRequest>): number {
  return m.linearizable ? 2 : 0;
}

function writeMemberListRequest(w: Writer, m: PartialMessage<MemberListRequest>): void {
  if (m.linearizable) w.trueField(8);
}

function readMemberListRequest(r: Reader): MemberListRequest {
  let linearizable = false;
  while (r.more()) {
    const tag = r.tag();
    if (tag === 8) linearizable = r.bool();
    else r.skip(tag);
  }
  return { linearizable };
}

function sizeMembersResponse(w: Writer, m: PartialMessage<MembersResponse>): number {
  let n = 0;
  if (m.header) n += 1 + w.sizeOf(m.header, sizeResponseHeader);
  for (const x of m.members ?? []) n += 1 + w.sizeOf(x, sizeMember);
  return n;
}

function writeMembersResponse(w: Writer, m: PartialMessage<MembersResponse>): void {
  if (m.header) w.message(10, m.header, writeResponseHeader);
  for (const x of m.members ?? []) w.message(18, x, writeMember);
}

function readMembersResponse(r: Reader): MembersResponse {
  let header: ResponseHeader | undefined;
  const members: Member[] = [];
  while (r.more()) {
    const tag = r.tag();
    if (tag === 10) header = readNested(r, readResponseHeader);
    else if (tag === 18) members.push(readNested(r, readMember));
    else r.skip(tag);
  }
  return { header, members };
}

/** Encodes an etcdserverpb.Member. */
export function encodeMember(m: PartialMessage<Member>): Uint8Array {
  return encodeMessage(m, sizeMember, writeMember);
}

/** Decodes an etcdserverpb.Member. */
export function decodeMember(bytes: Uint8Array): Member {
  return decodeMessage(bytes, readMember);
}

/** Encodes an etcdserverpb.MemberAddRequest. */
export function encodeMemberAddRequest(m: PartialMessage<MemberAddRequest>): Uint8Array {
  return encodeMessage(m, sizeMemberAddRequest, writeMemberAddRequest);
}

/** Decodes an etcdserverpb.MemberAddRequest. */
export function decodeMemberAddRequest(bytes: Uint8Array): MemberAddRequest {
  return decodeMessage(bytes, readMemberAddRequest);
}

/** Encodes an etcdserverpb.MemberAddResponse. */
export function encodeMemberAddResponse(m: PartialMessage<MemberAddResponse>): Uint8Array {
  return encodeMessage(m, sizeMemberAddResponse, writeMemberAddResponse);
}

/** Decodes an etcdserverpb.MemberAddResponse. */
export function decodeMemberAddResponse(bytes: Uint8Array): MemberAddResponse {
  return decodeMessage(bytes, readMemberAddResponse);
}

/** Encodes an etcdserverpb.MemberRemoveRequest. */
export function encodeMemberRemoveRequest(m: PartialMessage<MemberRemoveRequest>): Uint8Array {
  return encodeMessage(m, sizeMemberIdRequest, writeMemberIdRequest);
}

/** Decodes an etcdserverpb.MemberRemoveRequest. */
export function decodeMemberRemoveRequest(bytes: Uint8Array): MemberRemoveRequest {
  return decodeMessage(bytes, readMemberIdRequest);
}

/** Encodes an etcdserverpb.MemberRemoveResponse. */
export function encodeMemberRemoveResponse(m: PartialMessage<MemberRemoveResponse>): Uint8Array {
  return encodeMessage(m, sizeMembersResponse, writeMembersResponse);
}

/** Decodes an etcdserverpb.MemberRemoveResponse. */
export function decodeMemberRemoveResponse(bytes: Uint8Array): MemberRemoveResponse {
  return decodeMessage(bytes, readMembersResponse);
}

/** Encodes an etcdserverpb.MemberUpdateRequest. */
export function encodeMemberUpdateRequest(m: PartialMessage<MemberUpdateRequest>): Uint8Array {
  return encodeMessage(m, sizeMemberUpdateRequest, writeMemberUpdateRequest);
}

/** Decodes an etcdserverpb.MemberUpdateRequest. */
export function decodeMemberUpdateRequest(bytes: Uint8Array): MemberUpdateRequest {
  return decodeMessage(bytes, readMemberUpdateRequest);
}

/** Encodes an etcdserverpb.MemberUpdateResponse. */
export function encodeMemberUpdateResponse(m: PartialMessage<MemberUpdateResponse>): Uint8Array {
  return encodeMessage(m, sizeMembersResponse, writeMembersResponse);
}

/** Decodes an etcdserverpb.MemberUpdateResponse. */
export function decodeMemberUpdateResponse(bytes: Uint8Array): MemberUpdateResponse {
  return decodeMessage(bytes, readMembersResponse);
}

/** Encodes an etcdserverpb.MemberListRequest. */
export function encodeMemberListRequest(m: PartialMessage<MemberListRequest>): Uint8Array {
  return encodeMessage(m, sizeMemberListRequest, writeMemberListRequest);
}

/** Decodes an etcdserverpb.MemberListRequest. */
export function decodeMemberListRequest(bytes: Uint8Array): MemberListRequest {
  return decodeMessage(bytes, readMemberListRequest);
}

/** Encodes an etcdserverpb.MemberListResponse. */
export function encodeMemberListResponse(m: PartialMessage<MemberListResponse>): Uint8Array {
  return encodeMessage(m, sizeMembersResponse, writeMembersResponse);
}

/** Decodes an etcdserverpb.MemberListResponse. */
export function decodeMemberListResponse(bytes: Uint8Array): MemberListResponse {
  return decodeMessage(bytes, readMembersResponse);
}

/** Encodes an etcdserverpb.MemberPromoteRequest. */
export function encodeMemberPromoteRequest(m: PartialMessage<MemberPromoteRequest>): Uint8Array {
  return encodeMessage(m, sizeMemberIdRequest, writeMemberIdRequest);
}

/** Decodes an etcdserverpb.MemberPromoteRequest. */
export function decodeMemberPromoteRequest(bytes: Uint8Array): MemberPromoteRequest {
  return decodeMessage(bytes, readMemberIdRequest);
}

/** Encodes an etcdserverpb.MemberPromoteResponse. */
export function encodeMemberPromoteResponse(m: PartialMessage<MemberPromoteResponse>): Uint8Array {
  return encodeMessage(m, sizeMembersResponse, writeMembersResponse);
}

/** Decodes an etcdserverpb.MemberPromoteResponse. */
export function decodeMemberPromoteResponse(bytes: Uint8Array): MemberPromoteResponse {
  return decodeMessage(bytes, readMembersResponse);
}
