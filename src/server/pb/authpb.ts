/**
 * authpb: users, roles and permissions as etcd's auth store keeps them. `User` and `Role` are
 * not sent by any RPC; the auth state in `src/mvcc/` may persist them in this format.
 *
 * @module
 */

import { EMPTY_BYTES, int32Size, lenSize, type PartialMessage, utf8Size } from "./_wire.ts";
import { decodeMessage, type Reader, readNested } from "./_reader.ts";
import { encodeMessage, type Writer } from "./_writer.ts";

/** authpb.Permission.Type. */
export const PermissionType = { READ: 0, WRITE: 1, READWRITE: 2 } as const;

/** authpb.UserAddOptions. */
export interface UserAddOptions {
  /** 1: the user cannot authenticate with a password. */
  noPassword: boolean;
}

/** authpb.User. */
export interface User {
  /** 1 */
  name: Uint8Array;
  /** 2: the password hash. */
  password: Uint8Array;
  /** 3 */
  roles: string[];
  /** 4 */
  options: UserAddOptions | undefined;
}

/** authpb.Permission: access to a key, or to [key, rangeEnd). */
export interface Permission {
  /** 1: {@linkcode PermissionType}. */
  permType: number;
  /** 2 */
  key: Uint8Array;
  /** 3 */
  rangeEnd: Uint8Array;
}

/** authpb.Role. */
export interface Role {
  /** 1 */
  name: Uint8Array;
  /** 2 */
  keyPermission: Permission[];
}

/** Size pass of UserAddOptions. */
export function sizeUserAddOptions(_w: Writer, m: PartialMessage<UserAddOptions>): number {
  return m.noPassword ? 2 : 0;
}

/** Write pass of UserAddOptions. */
export function writeUserAddOptions(w: Writer, m: PartialMessage<UserAddOptions>): void {
  if (m.noPassword) w.trueField(8);
}

/** Reads a UserAddOptions up to the end of the current message. */
export function readUserAddOptions(r: Reader): UserAddOptions {
  let noPassword = false;
  while (r.more()) {
    const tag = r.tag();
    if (tag === 8) noPassword = r.bool();
    else r.skip(tag);
  }
  return { noPassword };
}

function sizeUser(w: Writer, m: PartialMessage<User>): number {
  let n = 0;
  if (m.name?.length) n += 1 + lenSize(m.name.length);
  if (m.password?.length) n += 1 + lenSize(m.password.length);
  for (const s of m.roles ?? []) n += 1 + lenSize(utf8Size(s));
  if (m.options) n += 1 + w.sizeOf(m.options, sizeUserAddOptions);
  return n;
}

function writeUser(w: Writer, m: PartialMessage<User>): void {
  if (m.name?.length) w.bytesField(10, m.name);
  if (m.password?.length) w.bytesField(18, m.password);
  for (const s of m.roles ?? []) w.stringField(26, s);
  if (m.options) w.message(34, m.options, writeUserAddOptions);
}

function readUser(r: Reader): User {
  let name = EMPTY_BYTES;
  let password = EMPTY_BYTES;
  const roles: string[] = [];
  let options: UserAddOptions | undefined;
  while (r.more()) {
    const tag = r.tag();
    if (tag === 10) name = r.bytes();
    else if (tag === 18) password = r.bytes();
    else if (tag === 26) roles.push(r.string());
    else if (tag === 34) options = readNested(r, readUserAddOptions);
    else r.skip(tag);
  }
  return { name, password, roles, options };
}

/** Size pass of Permission. */
export function sizePermission(_w: Writer, m: PartialMessage<Permission>): number {
  let n = 0;
  if (m.permType) n += 1 + int32Size(m.permType);
  if (m.key?.length) n += 1 + lenSize(m.key.length);
  if (m.rangeEnd?.length) n += 1 + lenSize(m.rangeEnd.length);
  return n;
}

/** Write pass of Permission. */
export function writePermission(w: Writer, m: PartialMessage<Permission>): void {
  if (m.permType) w.int32Field(8, m.permType);
  if (m.key?.length) w.bytesField(18, m.key);
  if (m.rangeEnd?.length) w.bytesField(26, m.rangeEnd);
}

/** Reads a Permission up to the end of the current message. */
export function readPermission(r: Reader): Permission {
  let permType = 0;
  let key = EMPTY_BYTES;
  let rangeEnd = EMPTY_BYTES;
  while (r.more()) {
    const tag = r.tag();
    if (tag === 8) permType = r.int32();
    else if (tag === 18) key = r.bytes();
    else if (tag === 26) rangeEnd = r.bytes();
    else r.skip(tag);
  }
  return { permType, key, rangeEnd };
}

function sizeRole(w: Writer, m: PartialMessage<Role>): number {
  let n = 0;
  if (m.name?.length) n += 1 + lenSize(m.name.length);
  for (const p of m.keyPermission ?? []) n += 1 + w.sizeOf(p, sizePermission);
  return n;
}

function writeRole(w: Writer, m: PartialMessage<Role>): void {
  if (m.name?.length) w.bytesField(10, m.name);
  for (const p of m.keyPermission ?? []) w.message(18, p, writePermission);
}

function readRole(r: Reader): Role {
  let name = EMPTY_BYTES;
  const keyPermission: Permission[] = [];
  while (r.more()) {
    const tag = r.tag();
    if (tag === 10) name = r.bytes();
    else if (tag === 18) keyPermission.push(readNested(r, readPermission));
    else r.skip(tag);
  }
  return { name, keyPermission };
}

/** Encodes an authpb.UserAddOptions. */
export function encodeUserAddOptions(m: PartialMessage<UserAddOptions>): Uint8Array {
  return encodeMessage(m, sizeUserAddOptions, writeUserAddOptions);
}

/** Decodes an authpb.UserAddOptions. */
export function decodeUserAddOptions(bytes: Uint8Array): UserAddOptions {
  return decodeMessage(bytes, readUserAddOptions);
}

/** Encodes an authpb.User. */
export function encodeUser(m: PartialMessage<User>): Uint8Array {
  return encodeMessage(m, sizeUser, writeUser);
}

/** Decodes an authpb.User. */
export function decodeUser(bytes: Uint8Array): User {
  return decodeMessage(bytes, readUser);
}

/** Encodes an authpb.Permission. */
export function encodePermission(m: PartialMessage<Permission>): Uint8Array {
  return encodeMessage(m, sizePermission, writePermission);
}

/** Decodes an authpb.Permission. */
export function decodePermission(bytes: Uint8Array): Permission {
  return decodeMessage(bytes, readPermission);
}

/** Encodes an authpb.Role. */
export function encodeRole(m: PartialMessage<Role>): Uint8Array {
  return encodeMessage(m, sizeRole, writeRole);
}

/** Decodes an authpb.Role. */
export function decodeRole(bytes: Uint8Array): Role {
  return decodeMessage(bytes, readRole);
}
