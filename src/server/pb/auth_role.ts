/**
 * The Auth service's role requests: list, add, get, delete, grant and revoke permissions.
 *
 * @module
 */

import { EMPTY_BYTES, lenSize, type PartialMessage, utf8Size } from "./_wire.ts";
import { decodeMessage, type Reader, readNested } from "./_reader.ts";
import { encodeMessage, type Writer } from "./_writer.ts";
import { decodeEmpty, type EmptyMessage, encodeEmpty } from "./header.ts";
import { type Permission, readPermission, sizePermission, writePermission } from "./authpb.ts";
import {
  type AuthNameRequest,
  readAuthNameRequest,
  sizeAuthNameRequest,
  writeAuthNameRequest,
} from "./auth.ts";

/** Bytes of string field `s` with a one-byte tag (0 when empty). */
function str(s: string | undefined): number {
  return s ? 1 + lenSize(utf8Size(s)) : 0;
}

/** etcdserverpb.AuthRoleListRequest (no fields). */
export type AuthRoleListRequest = EmptyMessage;

/** etcdserverpb.AuthRoleAddRequest. */
export type AuthRoleAddRequest = AuthNameRequest;

/** AuthRoleGetRequest, AuthRoleDeleteRequest: `{ string role = 1 }`. */
export interface AuthRoleRequest {
  /** 1 */
  role: string;
}

/** etcdserverpb.AuthRoleGetRequest. */
export type AuthRoleGetRequest = AuthRoleRequest;
/** etcdserverpb.AuthRoleDeleteRequest. */
export type AuthRoleDeleteRequest = AuthRoleRequest;

/** etcdserverpb.AuthRoleGrantPermissionRequest. */
export interface AuthRoleGrantPermissionRequest {
  /** 1: the role. */
  name: string;
  /** 2 */
  perm: Permission | undefined;
}

/** etcdserverpb.AuthRoleRevokePermissionRequest. */
export interface AuthRoleRevokePermissionRequest {
  /** 1 */
  role: string;
  /** 2 */
  key: Uint8Array;
  /** 3 */
  rangeEnd: Uint8Array;
}

function sizeAuthRoleRequest(_w: Writer, m: PartialMessage<AuthRoleRequest>): number {
  return str(m.role);
}

function writeAuthRoleRequest(w: Writer, m: PartialMessage<AuthRoleRequest>): void {
  if (m.role) w.stringField(10, m.role);
}

function readAuthRoleRequest(r: Reader): AuthRoleRequest {
  let role = "";
  while (r.more()) {
    const tag = r.tag();
    if (tag === 10) role = r.string();
    else r.skip(tag);
  }
  return { role };
}

function sizeAuthRoleGrantPermissionRequest(
  w: Writer,
  m: PartialMessage<AuthRoleGrantPermissionRequest>,
): number {
  return str(m.name) + (m.perm ? 1 + w.sizeOf(m.perm, sizePermission) : 0);
}

function writeAuthRoleGrantPermissionRequest(
  w: Writer,
  m: PartialMessage<AuthRoleGrantPermissionRequest>,
): void {
  if (m.name) w.stringField(10, m.name);
  if (m.perm) w.message(18, m.perm, writePermission);
}

function readAuthRoleGrantPermissionRequest(r: Reader): AuthRoleGrantPermissionRequest {
  let name = "";
  let perm: Permission | undefined;
  while (r.more()) {
    const tag = r.tag();
    if (tag === 10) name = r.string();
    else if (tag === 18) perm = readNested(r, readPermission);
    else r.skip(tag);
  }
  return { name, perm };
}

function sizeAuthRoleRevokePermissionRequest(
  _w: Writer,
  m: PartialMessage<AuthRoleRevokePermissionRequest>,
): number {
  return str(m.role) + (m.key?.length ? 1 + lenSize(m.key.length) : 0) +
    (m.rangeEnd?.length ? 1 + lenSize(m.rangeEnd.length) : 0);
}

function writeAuthRoleRevokePermissionRequest(
  w: Writer,
  m: PartialMessage<AuthRoleRevokePermissionRequest>,
): void {
  if (m.role) w.stringField(10, m.role);
  if (m.key?.length) w.bytesField(18, m.key);
  if (m.rangeEnd?.length) w.bytesField(26, m.rangeEnd);
}

function readAuthRoleRevokePermissionRequest(r: Reader): AuthRoleRevokePermissionRequest {
  let role = "";
  let key = EMPTY_BYTES;
  let rangeEnd = EMPTY_BYTES;
  while (r.more()) {
    const tag = r.tag();
    if (tag === 10) role = r.string();
    else if (tag === 18) key = r.bytes();
    else if (tag === 26) rangeEnd = r.bytes();
    else r.skip(tag);
  }
  return { role, key, rangeEnd };
}

/** Encodes an etcdserverpb.AuthRoleListRequest. */
export const encodeAuthRoleListRequest: (m: PartialMessage<AuthRoleListRequest>) => Uint8Array =
  encodeEmpty;

/** Decodes an etcdserverpb.AuthRoleListRequest. */
export const decodeAuthRoleListRequest: (bytes: Uint8Array) => AuthRoleListRequest = decodeEmpty;

/** Encodes an etcdserverpb.AuthRoleAddRequest. */
export function encodeAuthRoleAddRequest(m: PartialMessage<AuthRoleAddRequest>): Uint8Array {
  return encodeMessage(m, sizeAuthNameRequest, writeAuthNameRequest);
}

/** Decodes an etcdserverpb.AuthRoleAddRequest. */
export function decodeAuthRoleAddRequest(bytes: Uint8Array): AuthRoleAddRequest {
  return decodeMessage(bytes, readAuthNameRequest);
}

/** Encodes an etcdserverpb.AuthRoleGetRequest. */
export function encodeAuthRoleGetRequest(m: PartialMessage<AuthRoleGetRequest>): Uint8Array {
  return encodeMessage(m, sizeAuthRoleRequest, writeAuthRoleRequest);
}

/** Decodes an etcdserverpb.AuthRoleGetRequest. */
export function decodeAuthRoleGetRequest(bytes: Uint8Array): AuthRoleGetRequest {
  return decodeMessage(bytes, readAuthRoleRequest);
}

/** Encodes an etcdserverpb.AuthRoleDeleteRequest. */
export function encodeAuthRoleDeleteRequest(m: PartialMessage<AuthRoleDeleteRequest>): Uint8Array {
  return encodeMessage(m, sizeAuthRoleRequest, writeAuthRoleRequest);
}

/** Decodes an etcdserverpb.AuthRoleDeleteRequest. */
export function decodeAuthRoleDeleteRequest(bytes: Uint8Array): AuthRoleDeleteRequest {
  return decodeMessage(bytes, readAuthRoleRequest);
}

/** Encodes an etcdserverpb.AuthRoleGrantPermissionRequest. */
export function encodeAuthRoleGrantPermissionRequest(
  m: PartialMessage<AuthRoleGrantPermissionRequest>,
): Uint8Array {
  return encodeMessage(m, sizeAuthRoleGrantPermissionRequest, writeAuthRoleGrantPermissionRequest);
}

/** Decodes an etcdserverpb.AuthRoleGrantPermissionRequest. */
export function decodeAuthRoleGrantPermissionRequest(
  bytes: Uint8Array,
): AuthRoleGrantPermissionRequest {
  return decodeMessage(bytes, readAuthRoleGrantPermissionRequest);
}

/** Encodes an etcdserverpb.AuthRoleRevokePermissionRequest. */
export function encodeAuthRoleRevokePermissionRequest(
  m: PartialMessage<AuthRoleRevokePermissionRequest>,
): Uint8Array {
  return encodeMessage(
    m,
    sizeAuthRoleRevokePermissionRequest,
    writeAuthRoleRevokePermissionRequest,
  );
}

/** Decodes an etcdserverpb.AuthRoleRevokePermissionRequest. */
export function decodeAuthRoleRevokePermissionRequest(
  bytes: Uint8Array,
): AuthRoleRevokePermissionRequest {
  return decodeMessage(bytes, readAuthRoleRevokePermissionRequest);
}
