/**
 * The Auth service's responses. Most carry only a header; the rest list names or permissions.
 *
 * @module
 */

import { lenSize, type PartialMessage, uint64Size, utf8Size } from "./_wire.ts";
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
import { type Permission, readPermission, sizePermission, writePermission } from "./authpb.ts";

/** etcdserverpb.AuthEnableResponse. */
export type AuthEnableResponse = HeaderResponse;
/** etcdserverpb.AuthDisableResponse. */
export type AuthDisableResponse = HeaderResponse;
/** etcdserverpb.AuthUserAddResponse. */
export type AuthUserAddResponse = HeaderResponse;
/** etcdserverpb.AuthUserDeleteResponse. */
export type AuthUserDeleteResponse = HeaderResponse;
/** etcdserverpb.AuthUserChangePasswordResponse. */
export type AuthUserChangePasswordResponse = HeaderResponse;
/** etcdserverpb.AuthUserGrantRoleResponse. */
export type AuthUserGrantRoleResponse = HeaderResponse;
/** etcdserverpb.AuthUserRevokeRoleResponse. */
export type AuthUserRevokeRoleResponse = HeaderResponse;
/** etcdserverpb.AuthRoleAddResponse. */
export type AuthRoleAddResponse = HeaderResponse;
/** etcdserverpb.AuthRoleDeleteResponse. */
export type AuthRoleDeleteResponse = HeaderResponse;
/** etcdserverpb.AuthRoleGrantPermissionResponse. */
export type AuthRoleGrantPermissionResponse = HeaderResponse;
/** etcdserverpb.AuthRoleRevokePermissionResponse. */
export type AuthRoleRevokePermissionResponse = HeaderResponse;

/** etcdserverpb.AuthStatusResponse (3.5). */
export interface AuthStatusResponse {
  /** 1 */
  header: ResponseHeader | undefined;
  /** 2 */
  enabled: boolean;
  /** 3 (uint64) */
  authRevision: number;
}

/** etcdserverpb.AuthenticateResponse. */
export interface AuthenticateResponse {
  /** 1 */
  header: ResponseHeader | undefined;
  /** 2: the token to send as gRPC metadata `token`. */
  token: string;
}

/** AuthUserGetResponse, AuthRoleListResponse: `{ header = 1; repeated string roles = 2 }`. */
export interface AuthRolesResponse {
  /** 1 */
  header: ResponseHeader | undefined;
  /** 2 */
  roles: string[];
}

/** etcdserverpb.AuthUserGetResponse. */
export type AuthUserGetResponse = AuthRolesResponse;
/** etcdserverpb.AuthRoleListResponse. */
export type AuthRoleListResponse = AuthRolesResponse;

/** etcdserverpb.AuthUserListResponse. */
export interface AuthUserListResponse {
  /** 1 */
  header: ResponseHeader | undefined;
  /** 2 */
  users: string[];
}

/** etcdserverpb.AuthRoleGetResponse. */
export interface AuthRoleGetResponse {
  /** 1 */
  header: ResponseHeader | undefined;
  /** 2 */
  perm: Permission[];
}

function sizeHeader(w: Writer, h: PartialMessage<ResponseHeader> | Uint8Array | undefined): number {
  return h ? 1 + w.sizeOf(h, sizeResponseHeader) : 0;
}

function sizeAuthStatusResponse(w: Writer, m: PartialMessage<AuthStatusResponse>): number {
  return sizeHeader(w, m.header) + (m.enabled ? 2 : 0) +
    (m.authRevision ? 1 + uint64Size(m.authRevision) : 0);
}

function writeAuthStatusResponse(w: Writer, m: PartialMessage<AuthStatusResponse>): void {
  if (m.header) w.message(10, m.header, writeResponseHeader);
  if (m.enabled) w.trueField(16);
  if (m.authRevision) w.int64Field(24, m.authRevision);
}

function readAuthStatusResponse(r: Reader): AuthStatusResponse {
  let header: ResponseHeader | undefined;
  let enabled = false;
  let authRevision = 0;
  while (r.more()) {
    const tag = r.tag();
    if (tag === 10) header = readNested(r, readResponseHeader);
    else if (tag === 16) enabled = r.bool();
    else if (tag === 24) authRevision = r.uint64();
    else r.skip(tag);
  }
  return { header, enabled, authRevision };
}

function sizeAuthenticateResponse(w: Writer, m: PartialMessage<AuthenticateResponse>): number {
  return sizeHeader(w, m.header) + (m.token ? 1 + lenSize(utf8Size(m.token)) : 0);
}

function writeAuthenticateResponse(w: Writer, m: PartialMessage<AuthenticateResponse>): void {
  if (m.header) w.message(10, m.header, writeResponseHeader);
  if (m.token) w.stringField(18, m.token);
}

function readAuthenticateResponse(r: Reader): AuthenticateResponse {
  let header: ResponseHeader | undefined;
  let token = "";
  while (r.more()) {
    const tag = r.tag();
    if (tag === 10) header = readNested(r, readResponseHeader);
    else if (tag === 18) token = r.string();
    else r.skip(tag);
  }
  return { header, token };
}

function sizeStrings(list: readonly string[] | undefined): number {
  let n = 0;
  if (list) { for (const s of list) n += 1 + lenSize(utf8Size(s)); }
  return n;
}

function sizeAuthRolesResponse(w: Writer, m: PartialMessage<AuthRolesResponse>): number {
  return sizeHeader(w, m.header) + sizeStrings(m.roles);
}

function writeAuthRolesResponse(w: Writer, m: PartialMessage<AuthRolesResponse>): void {
  if (m.header) w.message(10, m.header, writeResponseHeader);
  for (const s of m.roles ?? []) w.stringField(18, s);
}

function readAuthRolesResponse(r: Reader): AuthRolesResponse {
  let header: ResponseHeader | undefined;
  const roles: string[] = [];
  while (r.more()) {
    const tag = r.tag();
    if (tag === 10) header = readNested(r, readResponseHeader);
    else if (tag === 18) roles.push(r.string());
    else r.skip(tag);
  }
  return { header, roles };
}

function sizeAuthUserListResponse(w: Writer, m: PartialMessage<AuthUserListResponse>): number {
  return sizeHeader(w, m.header) + sizeStrings(m.users);
}

function writeAuthUserListResponse(w: Writer, m: PartialMessage<AuthUserListResponse>): void {
  if (m.header) w.message(10, m.header, writeResponseHeader);
  for (const s of m.users ?? []) w.stringField(18, s);
}

function readAuthUserListResponse(r: Reader): AuthUserListResponse {
  let header: ResponseHeader | undefined;
  const users: string[] = [];
  while (r.more()) {
    const tag = r.tag();
    if (tag === 10) header = readNested(r, readResponseHeader);
    else if (tag === 18) users.push(r.string());
    else r.skip(tag);
  }
  return { header, users };
}

function sizeAuthRoleGetResponse(w: Writer, m: PartialMessage<AuthRoleGetResponse>): number {
  let n = sizeHeader(w, m.header);
  for (const p of m.perm ?? []) n += 1 + w.sizeOf(p, sizePermission);
  return n;
}

function writeAuthRoleGetResponse(w: Writer, m: PartialMessage<AuthRoleGetResponse>): void {
  if (m.header) w.message(10, m.header, writeResponseHeader);
  for (const p of m.perm ?? []) w.message(18, p, writePermission);
}

function readAuthRoleGetResponse(r: Reader): AuthRoleGetResponse {
  let header: ResponseHeader | undefined;
  const perm: Permission[] = [];
  while (r.more()) {
    const tag = r.tag();
    if (tag === 10) header = readNested(r, readResponseHeader);
    else if (tag === 18) perm.push(readNested(r, readPermission));
    else r.skip(tag);
  }
  return { header, perm };
}

/** Encodes an etcdserverpb.AuthEnableResponse. */
export const encodeAuthEnableResponse: (m: PartialMessage<AuthEnableResponse>) => Uint8Array =
  encodeHeaderResponse;

/** Decodes an etcdserverpb.AuthEnableResponse. */
export const decodeAuthEnableResponse: (bytes: Uint8Array) => AuthEnableResponse =
  decodeHeaderResponse;

/** Encodes an etcdserverpb.AuthDisableResponse. */
export const encodeAuthDisableResponse: (m: PartialMessage<AuthDisableResponse>) => Uint8Array =
  encodeHeaderResponse;

/** Decodes an etcdserverpb.AuthDisableResponse. */
export const decodeAuthDisableResponse: (bytes: Uint8Array) => AuthDisableResponse =
  decodeHeaderResponse;

/** Encodes an etcdserverpb.AuthUserAddResponse. */
export const encodeAuthUserAddResponse: (m: PartialMessage<AuthUserAddResponse>) => Uint8Array =
  encodeHeaderResponse;

/** Decodes an etcdserverpb.AuthUserAddResponse. */
export const decodeAuthUserAddResponse: (bytes: Uint8Array) => AuthUserAddResponse =
  decodeHeaderResponse;

/** Encodes an etcdserverpb.AuthUserDeleteResponse. */
export const encodeAuthUserDeleteResponse: (
  m: PartialMessage<AuthUserDeleteResponse>,
) => Uint8Array = encodeHeaderResponse;

/** Decodes an etcdserverpb.AuthUserDeleteResponse. */
export const decodeAuthUserDeleteResponse: (bytes: Uint8Array) => AuthUserDeleteResponse =
  decodeHeaderResponse;

/** Encodes an etcdserverpb.AuthUserChangePasswordResponse. */
export const encodeAuthUserChangePasswordResponse: (
  m: PartialMessage<AuthUserChangePasswordResponse>,
) => Uint8Array = encodeHeaderResponse;

/** Decodes an etcdserverpb.AuthUserChangePasswordResponse. */
export const decodeAuthUserChangePasswordResponse: (
  bytes: Uint8Array,
) => AuthUserChangePasswordResponse = decodeHeaderResponse;

/** Encodes an etcdserverpb.AuthUserGrantRoleResponse. */
export const encodeAuthUserGrantRoleResponse: (
  m: PartialMessage<AuthUserGrantRoleResponse>,
) => Uint8Array = encodeHeaderResponse;

/** Decodes an etcdserverpb.AuthUserGrantRoleResponse. */
export const decodeAuthUserGrantRoleResponse: (bytes: Uint8Array) => AuthUserGrantRoleResponse =
  decodeHeaderResponse;

/** Encodes an etcdserverpb.AuthUserRevokeRoleResponse. */
export const encodeAuthUserRevokeRoleResponse: (
  m: PartialMessage<AuthUserRevokeRoleResponse>,
) => Uint8Array = encodeHeaderResponse;

/** Decodes an etcdserverpb.AuthUserRevokeRoleResponse. */
export const decodeAuthUserRevokeRoleResponse: (bytes: Uint8Array) => AuthUserRevokeRoleResponse =
  decodeHeaderResponse;

/** Encodes an etcdserverpb.AuthRoleAddResponse. */
export const encodeAuthRoleAddResponse: (m: PartialMessage<AuthRoleAddResponse>) => Uint8Array =
  encodeHeaderResponse;

/** Decodes an etcdserverpb.AuthRoleAddResponse. */
export const decodeAuthRoleAddResponse: (bytes: Uint8Array) => AuthRoleAddResponse =
  decodeHeaderResponse;

/** Encodes an etcdserverpb.AuthRoleDeleteResponse. */
export const encodeAuthRoleDeleteResponse: (
  m: PartialMessage<AuthRoleDeleteResponse>,
) => Uint8Array = encodeHeaderResponse;

/** Decodes an etcdserverpb.AuthRoleDeleteResponse. */
export const decodeAuthRoleDeleteResponse: (bytes: Uint8Array) => AuthRoleDeleteResponse =
  decodeHeaderResponse;

/** Encodes an etcdserverpb.AuthRoleGrantPermissionResponse. */
export const encodeAuthRoleGrantPermissionResponse: (
  m: PartialMessage<AuthRoleGrantPermissionResponse>,
) => Uint8Array = encodeHeaderResponse;

/** Decodes an etcdserverpb.AuthRoleGrantPermissionResponse. */
export const decodeAuthRoleGrantPermissionResponse: (
  bytes: Uint8Array,
) => AuthRoleGrantPermissionResponse = decodeHeaderResponse;

/** Encodes an etcdserverpb.AuthRoleRevokePermissionResponse. */
export const encodeAuthRoleRevokePermissionResponse: (
  m: PartialMessage<AuthRoleRevokePermissionResponse>,
) => Uint8Array = encodeHeaderResponse;

/** Decodes an etcdserverpb.AuthRoleRevokePermissionResponse. */
export const decodeAuthRoleRevokePermissionResponse: (
  bytes: Uint8Array,
) => AuthRoleRevokePermissionResponse = decodeHeaderResponse;

/** Encodes an etcdserverpb.AuthStatusResponse. */
export function encodeAuthStatusResponse(m: PartialMessage<AuthStatusResponse>): Uint8Array {
  return encodeMessage(m, sizeAuthStatusResponse, writeAuthStatusResponse);
}

/** Decodes an etcdserverpb.AuthStatusResponse. */
export function decodeAuthStatusResponse(bytes: Uint8Array): AuthStatusResponse {
  return decodeMessage(bytes, readAuthStatusResponse);
}

/** Encodes an etcdserverpb.AuthenticateResponse. */
export function encodeAuthenticateResponse(m: PartialMessage<AuthenticateResponse>): Uint8Array {
  return encodeMessage(m, sizeAuthenticateResponse, writeAuthenticateResponse);
}

/** Decodes an etcdserverpb.AuthenticateResponse. */
export function decodeAuthenticateResponse(bytes: Uint8Array): AuthenticateResponse {
  return decodeMessage(bytes, readAuthenticateResponse);
}

/** Encodes an etcdserverpb.AuthUserGetResponse. */
export function encodeAuthUserGetResponse(m: PartialMessage<AuthUserGetResponse>): Uint8Array {
  return encodeMessage(m, sizeAuthRolesResponse, writeAuthRolesResponse);
}

/** Decodes an etcdserverpb.AuthUserGetResponse. */
export function decodeAuthUserGetResponse(bytes: Uint8Array): AuthUserGetResponse {
  return decodeMessage(bytes, readAuthRolesResponse);
}

/** Encodes an etcdserverpb.AuthRoleListResponse. */
export function encodeAuthRoleListResponse(m: PartialMessage<AuthRoleListResponse>): Uint8Array {
  return encodeMessage(m, sizeAuthRolesResponse, writeAuthRolesResponse);
}

/** Decodes an etcdserverpb.AuthRoleListResponse. */
export function decodeAuthRoleListResponse(bytes: Uint8Array): AuthRoleListResponse {
  return decodeMessage(bytes, readAuthRolesResponse);
}

/** Encodes an etcdserverpb.AuthUserListResponse. */
export function encodeAuthUserListResponse(m: PartialMessage<AuthUserListResponse>): Uint8Array {
  return encodeMessage(m, sizeAuthUserListResponse, writeAuthUserListResponse);
}

/** Decodes an etcdserverpb.AuthUserListResponse. */
export function decodeAuthUserListResponse(bytes: Uint8Array): AuthUserListResponse {
  return decodeMessage(bytes, readAuthUserListResponse);
}

/** Encodes an etcdserverpb.AuthRoleGetResponse. */
export function encodeAuthRoleGetResponse(m: PartialMessage<AuthRoleGetResponse>): Uint8Array {
  return encodeMessage(m, sizeAuthRoleGetResponse, writeAuthRoleGetResponse);
}

/** Decodes an etcdserverpb.AuthRoleGetResponse. */
export function decodeAuthRoleGetResponse(bytes: Uint8Array): AuthRoleGetResponse {
  return decodeMessage(bytes, readAuthRoleGetResponse);
}
