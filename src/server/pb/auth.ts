/**
 * The Auth service's requests that enable auth, authenticate and manage users. Names and
 * passwords are `string`s on this service's wire (authpb stores them as bytes). Role requests
 * live in `auth_role.ts`, responses in `auth_response.ts`.
 *
 * @module
 */

import { lenSize, type PartialMessage, utf8Size } from "./_wire.ts";
import { decodeMessage, type Reader, readNested } from "./_reader.ts";
import { encodeMessage, type Writer } from "./_writer.ts";
import { decodeEmpty, type EmptyMessage, encodeEmpty } from "./header.ts";
import {
  readUserAddOptions,
  sizeUserAddOptions,
  type UserAddOptions,
  writeUserAddOptions,
} from "./authpb.ts";

/** etcdserverpb.AuthEnableRequest (no fields). */
export type AuthEnableRequest = EmptyMessage;
/** etcdserverpb.AuthDisableRequest (no fields). */
export type AuthDisableRequest = EmptyMessage;
/** etcdserverpb.AuthStatusRequest (no fields). */
export type AuthStatusRequest = EmptyMessage;
/** etcdserverpb.AuthUserListRequest (no fields). */
export type AuthUserListRequest = EmptyMessage;
/** etcdserverpb.AuthenticateRequest. */
export interface AuthenticateRequest {
  /** 1 */
  name: string;
  /** 2 */
  password: string;
}

/** etcdserverpb.AuthUserAddRequest. */
export interface AuthUserAddRequest {
  /** 1 */
  name: string;
  /** 2 */
  password: string;
  /** 3 */
  options: UserAddOptions | undefined;
  /** 4 (3.5): a bcrypt hash clients may send instead of `password`. */
  hashedPassword: string;
}

/** AuthUserGetRequest, AuthUserDeleteRequest (and AuthRoleAddRequest): `{ string name = 1 }`. */
export interface AuthNameRequest {
  /** 1 */
  name: string;
}

/** etcdserverpb.AuthUserGetRequest. */
export type AuthUserGetRequest = AuthNameRequest;
/** etcdserverpb.AuthUserDeleteRequest. */
export type AuthUserDeleteRequest = AuthNameRequest;
/** etcdserverpb.AuthUserChangePasswordRequest. */
export interface AuthUserChangePasswordRequest {
  /** 1 */
  name: string;
  /** 2 */
  password: string;
  /** 3 (3.5) */
  hashedPassword: string;
}

/** etcdserverpb.AuthUserGrantRoleRequest. */
export interface AuthUserGrantRoleRequest {
  /** 1 */
  user: string;
  /** 2 */
  role: string;
}

/** etcdserverpb.AuthUserRevokeRoleRequest. */
export interface AuthUserRevokeRoleRequest {
  /** 1 */
  name: string;
  /** 2 */
  role: string;
}

/** Bytes of string field `s` with a one-byte tag (0 when empty). */
function str(s: string | undefined): number {
  return s ? 1 + lenSize(utf8Size(s)) : 0;
}

function sizeAuthenticateRequest(_w: Writer, m: PartialMessage<AuthenticateRequest>): number {
  return str(m.name) + str(m.password);
}

function writeAuthenticateRequest(w: Writer, m: PartialMessage<AuthenticateRequest>): void {
  if (m.name) w.stringField(10, m.name);
  if (m.password) w.stringField(18, m.password);
}

function readAuthenticateRequest(r: Reader): AuthenticateRequest {
  let name = "";
  let password = "";
  while (r.more()) {
    const tag = r.tag();
    if (tag === 10) name = r.string();
    else if (tag === 18) password = r.string();
    else r.skip(tag);
  }
  return { name, password };
}

function sizeAuthUserAddRequest(w: Writer, m: PartialMessage<AuthUserAddRequest>): number {
  return str(m.name) + str(m.password) + str(m.hashedPassword) +
    (m.options ? 1 + w.sizeOf(m.options, sizeUserAddOptions) : 0);
}

function writeAuthUserAddRequest(w: Writer, m: PartialMessage<AuthUserAddRequest>): void {
  if (m.name) w.stringField(10, m.name);
  if (m.password) w.stringField(18, m.password);
  if (m.options) w.message(26, m.options, writeUserAddOptions);
  if (m.hashedPassword) w.stringField(34, m.hashedPassword);
}

function readAuthUserAddRequest(r: Reader): AuthUserAddRequest {
  let name = "";
  let password = "";
  let options: UserAddOptions | undefined;
  let hashedPassword = "";
  while (r.more()) {
    const tag = r.tag();
    if (tag === 10) name = r.string();
    else if (tag === 18) password = r.string();
    else if (tag === 26) options = readNested(r, readUserAddOptions);
    else if (tag === 34) hashedPassword = r.string();
    else r.skip(tag);
  }
  return { name, password, options, hashedPassword };
}

/** Size pass of a `{ string name = 1 }` request. */
export function sizeAuthNameRequest(_w: Writer, m: PartialMessage<AuthNameRequest>): number {
  return str(m.name);
}

/** Write pass of a `{ string name = 1 }` request. */
export function writeAuthNameRequest(w: Writer, m: PartialMessage<AuthNameRequest>): void {
  if (m.name) w.stringField(10, m.name);
}

/** Reads a `{ string name = 1 }` request up to the end of the current message. */
export function readAuthNameRequest(r: Reader): AuthNameRequest {
  let name = "";
  while (r.more()) {
    const tag = r.tag();
    if (tag === 10) name = r.string();
    else r.skip(tag);
  }
  return { name };
}

function sizeAuthUserChangePasswordRequest(
  _w: Writer,
  m: PartialMessage<AuthUserChangePasswordRequest>,
): number {
  return str(m.name) + str(m.password) + str(m.hashedPassword);
}

function writeAuthUserChangePasswordRequest(
  w: Writer,
  m: PartialMessage<AuthUserChangePasswordRequest>,
): void {
  if (m.name) w.stringField(10, m.name);
  if (m.password) w.stringField(18, m.password);
  if (m.hashedPassword) w.stringField(26, m.hashedPassword);
}

function readAuthUserChangePasswordRequest(r: Reader): AuthUserChangePasswordRequest {
  let name = "";
  let password = "";
  let hashedPassword = "";
  while (r.more()) {
    const tag = r.tag();
    if (tag === 10) name = r.string();
    else if (tag === 18) password = r.string();
    else if (tag === 26) hashedPassword = r.string();
    else r.skip(tag);
  }
  return { name, password, hashedPassword };
}

function sizeAuthUserGrantRoleRequest(
  _w: Writer,
  m: PartialMessage<AuthUserGrantRoleRequest>,
): number {
  return str(m.user) + str(m.role);
}

function writeAuthUserGrantRoleRequest(
  w: Writer,
  m: PartialMessage<AuthUserGrantRoleRequest>,
): void {
  if (m.user) w.stringField(10, m.user);
  if (m.role) w.stringField(18, m.role);
}

function readAuthUserGrantRoleRequest(r: Reader): AuthUserGrantRoleRequest {
  let user = "";
  let role = "";
  while (r.more()) {
    const tag = r.tag();
    if (tag === 10) user = r.string();
    else if (tag === 18) role = r.string();
    else r.skip(tag);
  }
  return { user, role };
}

function sizeAuthUserRevokeRoleRequest(
  _w: Writer,
  m: PartialMessage<AuthUserRevokeRoleRequest>,
): number {
  return str(m.name) + str(m.role);
}

function writeAuthUserRevokeRoleRequest(
  w: Writer,
  m: PartialMessage<AuthUserRevokeRoleRequest>,
): void {
  if (m.name) w.stringField(10, m.name);
  if (m.role) w.stringField(18, m.role);
}

function readAuthUserRevokeRoleRequest(r: Reader): AuthUserRevokeRoleRequest {
  let name = "";
  let role = "";
  while (r.more()) {
    const tag = r.tag();
    if (tag === 10) name = r.string();
    else if (tag === 18) role = r.string();
    else r.skip(tag);
  }
  return { name, role };
}

/** Encodes an etcdserverpb.AuthEnableRequest. */
export const encodeAuthEnableRequest: (m: PartialMessage<AuthEnableRequest>) => Uint8Array =
  encodeEmpty;

/** Decodes an etcdserverpb.AuthEnableRequest. */
export const decodeAuthEnableRequest: (bytes: Uint8Array) => AuthEnableRequest = decodeEmpty;

/** Encodes an etcdserverpb.AuthDisableRequest. */
export const encodeAuthDisableRequest: (m: PartialMessage<AuthDisableRequest>) => Uint8Array =
  encodeEmpty;

/** Decodes an etcdserverpb.AuthDisableRequest. */
export const decodeAuthDisableRequest: (bytes: Uint8Array) => AuthDisableRequest = decodeEmpty;

/** Encodes an etcdserverpb.AuthStatusRequest. */
export const encodeAuthStatusRequest: (m: PartialMessage<AuthStatusRequest>) => Uint8Array =
  encodeEmpty;

/** Decodes an etcdserverpb.AuthStatusRequest. */
export const decodeAuthStatusRequest: (bytes: Uint8Array) => AuthStatusRequest = decodeEmpty;

/** Encodes an etcdserverpb.AuthUserListRequest. */
export const encodeAuthUserListRequest: (m: PartialMessage<AuthUserListRequest>) => Uint8Array =
  encodeEmpty;

/** Decodes an etcdserverpb.AuthUserListRequest. */
export const decodeAuthUserListRequest: (bytes: Uint8Array) => AuthUserListRequest = decodeEmpty;

/** Encodes an etcdserverpb.AuthenticateRequest. */
export function encodeAuthenticateRequest(m: PartialMessage<AuthenticateRequest>): Uint8Array {
  return encodeMessage(m, sizeAuthenticateRequest, writeAuthenticateRequest);
}

/** Decodes an etcdserverpb.AuthenticateRequest. */
export function decodeAuthenticateRequest(bytes: Uint8Array): AuthenticateRequest {
  return decodeMessage(bytes, readAuthenticateRequest);
}

/** Encodes an etcdserverpb.AuthUserAddRequest. */
export function encodeAuthUserAddRequest(m: PartialMessage<AuthUserAddRequest>): Uint8Array {
  return encodeMessage(m, sizeAuthUserAddRequest, writeAuthUserAddRequest);
}

/** Decodes an etcdserverpb.AuthUserAddRequest. */
export function decodeAuthUserAddRequest(bytes: Uint8Array): AuthUserAddRequest {
  return decodeMessage(bytes, readAuthUserAddRequest);
}

/** Encodes an etcdserverpb.AuthUserGetRequest. */
export function encodeAuthUserGetRequest(m: PartialMessage<AuthUserGetRequest>): Uint8Array {
  return encodeMessage(m, sizeAuthNameRequest, writeAuthNameRequest);
}

/** Decodes an etcdserverpb.AuthUserGetRequest. */
export function decodeAuthUserGetRequest(bytes: Uint8Array): AuthUserGetRequest {
  return decodeMessage(bytes, readAuthNameRequest);
}

/** Encodes an etcdserverpb.AuthUserDeleteRequest. */
export function encodeAuthUserDeleteRequest(m: PartialMessage<AuthUserDeleteRequest>): Uint8Array {
  return encodeMessage(m, sizeAuthNameRequest, writeAuthNameRequest);
}

/** Decodes an etcdserverpb.AuthUserDeleteRequest. */
export function decodeAuthUserDeleteRequest(bytes: Uint8Array): AuthUserDeleteRequest {
  return decodeMessage(bytes, readAuthNameRequest);
}

/** Encodes an etcdserverpb.AuthUserChangePasswordRequest. */
export function encodeAuthUserChangePasswordRequest(
  m: PartialMessage<AuthUserChangePasswordRequest>,
): Uint8Array {
  return encodeMessage(m, sizeAuthUserChangePasswordRequest, writeAuthUserChangePasswordRequest);
}

/** Decodes an etcdserverpb.AuthUserChangePasswordRequest. */
export function decodeAuthUserChangePasswordRequest(
  bytes: Uint8Array,
): AuthUserChangePasswordRequest {
  return decodeMessage(bytes, readAuthUserChangePasswordRequest);
}

/** Encodes an etcdserverpb.AuthUserGrantRoleRequest. */
export function encodeAuthUserGrantRoleRequest(
  m: PartialMessage<AuthUserGrantRoleRequest>,
): Uint8Array {
  return encodeMessage(m, sizeAuthUserGrantRoleRequest, writeAuthUserGrantRoleRequest);
}

/** Decodes an etcdserverpb.AuthUserGrantRoleRequest. */
export function decodeAuthUserGrantRoleRequest(bytes: Uint8Array): AuthUserGrantRoleRequest {
  return decodeMessage(bytes, readAuthUserGrantRoleRequest);
}

/** Encodes an etcdserverpb.AuthUserRevokeRoleRequest. */
export function encodeAuthUserRevokeRoleRequest(
  m: PartialMessage<AuthUserRevokeRoleRequest>,
): Uint8Array {
  return encodeMessage(m, sizeAuthUserRevokeRoleRequest, writeAuthUserRevokeRoleRequest);
}

/** Decodes an etcdserverpb.AuthUserRevokeRoleRequest. */
export function decodeAuthUserRevokeRoleRequest(bytes: Uint8Array): AuthUserRevokeRoleRequest {
  return decodeMessage(bytes, readAuthUserRevokeRoleRequest);
}
