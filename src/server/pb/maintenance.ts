/**
 * Maintenance.Status and Maintenance.Alarm messages. kube-apiserver reads `StatusResponse.version`
 * to decide whether watch progress requests work, so Status is answered on every endpoint.
 * (Defragment, Hash, HashKV, Snapshot, MoveLeader and Downgrade live in `maintenance_ops.ts`.)
 *
 * @module
 */

import {
  bigintSize,
  int32Size,
  int64Size,
  lenSize,
  type PartialMessage,
  uint64Size,
  utf8Size,
} from "./_wire.ts";
import { decodeMessage, type Reader, readNested } from "./_reader.ts";
import { encodeMessage, type Writer } from "./_writer.ts";
import {
  decodeEmpty,
  type EmptyMessage,
  encodeEmpty,
  readResponseHeader,
  type ResponseHeader,
  sizeResponseHeader,
  writeResponseHeader,
} from "./header.ts";

/** etcdserverpb.AlarmType. */
export const AlarmType = { NONE: 0, NOSPACE: 1, CORRUPT: 2 } as const;

/** etcdserverpb.AlarmRequest.AlarmAction. */
export const AlarmAction = { GET: 0, ACTIVATE: 1, DEACTIVATE: 2 } as const;

/** etcdserverpb.AlarmRequest. */
export interface AlarmRequest {
  /** 1: {@linkcode AlarmAction}. */
  action: number;
  /** 2 (uint64): 0n = every member. */
  memberID: bigint;
  /** 3: {@linkcode AlarmType}. */
  alarm: number;
}

/** etcdserverpb.AlarmMember. */
export interface AlarmMember {
  /** 1 (uint64) */
  memberID: bigint;
  /** 2: {@linkcode AlarmType}. */
  alarm: number;
}

/** etcdserverpb.AlarmResponse. */
export interface AlarmResponse {
  /** 1 */
  header: ResponseHeader | undefined;
  /** 2 */
  alarms: AlarmMember[];
}

/** etcdserverpb.StatusRequest (no fields). */
export type StatusRequest = EmptyMessage;

/** etcdserverpb.DowngradeInfo (3.6). */
export interface DowngradeInfo {
  /** 1 */
  enabled: boolean;
  /** 2 */
  targetVersion: string;
}

/** etcdserverpb.StatusResponse. */
export interface StatusResponse {
  /** 1 */
  header: ResponseHeader | undefined;
  /** 2: the server version clients gate features on. */
  version: string;
  /** 3 */
  dbSize: number;
  /** 4 (uint64): the leader's member ID. */
  leader: bigint;
  /** 5 (uint64) */
  raftIndex: number;
  /** 6 (uint64) */
  raftTerm: number;
  /** 7 (uint64) */
  raftAppliedIndex: number;
  /** 8 */
  errors: string[];
  /** 9 */
  dbSizeInUse: number;
  /** 10 */
  isLearner: boolean;
  /** 11 (3.6) */
  storageVersion: string;
  /** 12 (3.6) */
  dbSizeQuota: number;
  /** 13 (3.6) */
  downgradeInfo: DowngradeInfo | undefined;
}

function sizeAlarmRequest(_w: Writer, m: PartialMessage<AlarmRequest>): number {
  let n = 0;
  if (m.action) n += 1 + int32Size(m.action);
  if (m.memberID) n += 1 + bigintSize(m.memberID);
  if (m.alarm) n += 1 + int32Size(m.alarm);
  return n;
}

function writeAlarmRequest(w: Writer, m: PartialMessage<AlarmRequest>): void {
  if (m.action) w.int32Field(8, m.action);
  if (m.memberID) w.bigintField(16, m.memberID);
  if (m.alarm) w.int32Field(24, m.alarm);
}

function readAlarmRequest(r: Reader): AlarmRequest {
  let action = 0;
  let memberID = 0n;
  let alarm = 0;
  while (r.more()) {
    const tag = r.tag();
    if (tag === 8) action = r.int32();
    else if (tag === 16) memberID = r.uint64Id();
    else if (tag === 24) alarm = r.int32();
    else r.skip(tag);
  }
  return { action, memberID, alarm };
}

function sizeAlarmMember(_w: Writer, m: PartialMessage<AlarmMember>): number {
  return (m.memberID ? 1 + bigintSize(m.memberID) : 0) + (m.alarm ? 1 + int32Size(m.alarm) : 0);
}

function writeAlarmMember(w: Writer, m: PartialMessage<AlarmMember>): void {
  if (m.memberID) w.bigintField(8, m.memberID);
  if (m.alarm) w.int32Field(16, m.alarm);
}

function readAlarmMember(r: Reader): AlarmMember {
  let memberID = 0n;
  let alarm = 0;
  while (r.more()) {
    const tag = r.tag();
    if (tag === 8) memberID = r.uint64Id();
    else if (tag === 16) alarm = r.int32();
    else r.skip(tag);
  }
  return { memberID, alarm };
}

function sizeAlarmResponse(w: Writer, m: PartialMessage<AlarmResponse>): number {
  let n = 0;
  if (m.header) n += 1 + w.sizeOf(m.header, sizeResponseHeader);
  for (const a of m.alarms ?? []) n += 1 + w.sizeOf(a, sizeAlarmMember);
  return n;
}

function writeAlarmResponse(w: Writer, m: PartialMessage<AlarmResponse>): void {
  if (m.header) w.message(10, m.header, writeResponseHeader);
  for (const a of m.alarms ?? []) w.message(18, a, writeAlarmMember);
}

function readAlarmResponse(r: Reader): AlarmResponse {
  let header: ResponseHeader | undefined;
  const alarms: AlarmMember[] = [];
  while (r.more()) {
    const tag = r.tag();
    if (tag === 10) header = readNested(r, readResponseHeader);
    else if (tag === 18) alarms.push(readNested(r, readAlarmMember));
    else r.skip(tag);
  }
  return { header, alarms };
}

function sizeDowngradeInfo(_w: Writer, m: PartialMessage<DowngradeInfo>): number {
  return (m.enabled ? 2 : 0) + (m.targetVersion ? 1 + lenSize(utf8Size(m.targetVersion)) : 0);
}

function writeDowngradeInfo(w: Writer, m: PartialMessage<DowngradeInfo>): void {
  if (m.enabled) w.trueField(8);
  if (m.targetVersion) w.stringField(18, m.targetVersion);
}

function readDowngradeInfo(r: Reader): DowngradeInfo {
  let enabled = false;
  let targetVersion = "";
  while (r.more()) {
    const tag = r.tag();
    if (tag === 8) enabled = r.bool();
    else if (tag === 18) targetVersion = r.string();
    else r.skip(tag);
  }
  return { enabled, targetVersion };
}

function sizeStatusResponse(w: Writer, m: PartialMessage<StatusResponse>): number {
  let n = 0;
  if (m.header) n += 1 + w.sizeOf(m.header, sizeResponseHeader);
  if (m.version) n += 1 + lenSize(utf8Size(m.version));
  if (m.dbSize) n += 1 + int64Size(m.dbSize);
  if (m.leader) n += 1 + bigintSize(m.leader);
  if (m.raftIndex) n += 1 + uint64Size(m.raftIndex);
  if (m.raftTerm) n += 1 + uint64Size(m.raftTerm);
  if (m.raftAppliedIndex) n += 1 + uint64Size(m.raftAppliedIndex);
  for (const e of m.errors ?? []) n += 1 + lenSize(utf8Size(e));
  if (m.dbSizeInUse) n += 1 + int64Size(m.dbSizeInUse);
  if (m.isLearner) n += 2;
  if (m.storageVersion) n += 1 + lenSize(utf8Size(m.storageVersion));
  if (m.dbSizeQuota) n += 1 + int64Size(m.dbSizeQuota);
  if (m.downgradeInfo) n += 1 + w.sizeOf(m.downgradeInfo, sizeDowngradeInfo);
  return n;
}

function writeStatusResponse(w: Writer, m: PartialMessage<StatusResponse>): void {
  if (m.header) w.message(10, m.header, writeResponseHeader);
  if (m.version) w.stringField(18, m.version);
  if (m.dbSize) w.int64Field(24, m.dbSize);
  if (m.leader) w.bigintField(32, m.leader);
  if (m.raftIndex) w.int64Field(40, m.raftIndex);
  if (m.raftTerm) w.int64Field(48, m.raftTerm);
  if (m.raftAppliedIndex) w.int64Field(56, m.raftAppliedIndex);
  for (const e of m.errors ?? []) w.stringField(66, e);
  if (m.dbSizeInUse) w.int64Field(72, m.dbSizeInUse);
  if (m.isLearner) w.trueField(80);
  if (m.storageVersion) w.stringField(90, m.storageVersion);
  if (m.dbSizeQuota) w.int64Field(96, m.dbSizeQuota);
  if (m.downgradeInfo) w.message(106, m.downgradeInfo, writeDowngradeInfo);
}

function readStatusResponse(r: Reader): StatusResponse {
  const m: StatusResponse = {
    header: undefined,
    version: "",
    dbSize: 0,
    leader: 0n,
    raftIndex: 0,
    raftTerm: 0,
    raftAppliedIndex: 0,
    errors: [],
    dbSizeInUse: 0,
    isLearner: false,
    storageVersion: "",
    dbSizeQuota: 0,
    downgradeInfo: undefined,
  };
  while (r.more()) {
    const tag = r.tag();
    if (tag === 10) m.header = readNested(r, readResponseHeader);
    else if (tag === 18) m.version = r.string();
    else if (tag === 24) m.dbSize = r.int64();
    else if (tag === 32) m.leader = r.uint64Id();
    else if (tag === 40) m.raftIndex = r.uint64();
    else if (tag === 48) m.raftTerm = r.uint64();
    else if (tag === 56) m.raftAppliedIndex = r.uint64();
    else if (tag === 66) m.errors.push(r.string());
    else if (tag === 72) m.dbSizeInUse = r.int64();
    else if (tag === 80) m.isLearner = r.bool();
    else if (tag === 90) m.storageVersion = r.string();
    else if (tag === 96) m.dbSizeQuota = r.int64();
    else if (tag === 106) m.downgradeInfo = readNested(r, readDowngradeInfo);
    else r.skip(tag);
  }
  return m;
}

/** Encodes an etcdserverpb.AlarmRequest. */
export function encodeAlarmRequest(m: PartialMessage<AlarmRequest>): Uint8Array {
  return encodeMessage(m, sizeAlarmRequest, writeAlarmRequest);
}

/** Decodes an etcdserverpb.AlarmRequest. */
export function decodeAlarmRequest(bytes: Uint8Array): AlarmRequest {
  return decodeMessage(bytes, readAlarmRequest);
}

/** Encodes an etcdserverpb.AlarmMember. */
export function encodeAlarmMember(m: PartialMessage<AlarmMember>): Uint8Array {
  return encodeMessage(m, sizeAlarmMember, writeAlarmMember);
}

/** Decodes an etcdserverpb.AlarmMember. */
export function decodeAlarmMember(bytes: Uint8Array): AlarmMember {
  return decodeMessage(bytes, readAlarmMember);
}

/** Encodes an etcdserverpb.AlarmResponse. */
export function encodeAlarmResponse(m: PartialMessage<AlarmResponse>): Uint8Array {
  return encodeMessage(m, sizeAlarmResponse, writeAlarmResponse);
}

/** Decodes an etcdserverpb.AlarmResponse. */
export function decodeAlarmResponse(bytes: Uint8Array): AlarmResponse {
  return decodeMessage(bytes, readAlarmResponse);
}

/** Encodes an etcdserverpb.StatusRequest. */
export const encodeStatusRequest: (m: PartialMessage<StatusRequest>) => Uint8Array = encodeEmpty;

/** Decodes an etcdserverpb.StatusRequest. */
export const decodeStatusRequest: (bytes: Uint8Array) => StatusRequest = decodeEmpty;

/** Encodes an etcdserverpb.StatusResponse. */
export function encodeStatusResponse(m: PartialMessage<StatusResponse>): Uint8Array {
  return encodeMessage(m, sizeStatusResponse, writeStatusResponse);
}

/** Decodes an etcdserverpb.StatusResponse. */
export function decodeStatusResponse(bytes: Uint8Array): StatusResponse {
  return decodeMessage(bytes, readStatusResponse);
}

/** Encodes an etcdserverpb.DowngradeInfo. */
export function encodeDowngradeInfo(m: PartialMessage<DowngradeInfo>): Uint8Array {
  return encodeMessage(m, sizeDowngradeInfo, writeDowngradeInfo);
}

/** Decodes an etcdserverpb.DowngradeInfo. */
export function decodeDowngradeInfo(bytes: Uint8Array): DowngradeInfo {
  return decodeMessage(bytes, readDowngradeInfo);
}
