/**
 * The auth state's rows in the store's non-revisioned meta keyspace, and their encoding. Every
 * row is written through `MvccStore.putMeta`, so it is a WAL entry (followers and checkpoints
 * carry it, replay restores it) that never advances the store revision.
 *
 * | key | value (UTF-8 JSON unless noted) |
 * |---|---|
 * | `auth/enabled` | `1`; absent while auth is off |
 * | `auth/revision` | the auth revision, decimal; +1 per user, role or enable/disable change |
 * | `auth/user/<name>` | `{"name","roles":[…],"password":"scrypt$…"}` or `…,"noPassword":true}` |
 * | `auth/role/<name>` | `{"name","perms":[{"type":"read","key":"…","rangeEnd":"…"}]}` |
 * | `auth/token/<sha256 of the token, hex>` | `{"user","issuedAt":<ms since epoch>}` |
 *
 * Names in keys are UTF-8 bytes. Permission keys are binary strings (one char per byte), which
 * JSON carries exactly. Tokens are stored only as hashes: the meta keyspace (and the WAL, and
 * checkpoints) never holds a usable token or a password.
 *
 * @module
 */

import { bytesToKey, keyToBytes } from "../mvcc/mod.ts";
import type { KeyPermission, PermissionType } from "./permissions.ts";

/** A user. */
export interface UserRecord {
  name: string;
  /** Role names, sorted. */
  roles: string[];
  /** The scrypt hash (`password.ts`); absent for a user created with `--no-password`. */
  password?: string;
  noPassword?: boolean;
}

/** A role and its permissions, sorted by key. */
export interface RoleRecord {
  name: string;
  perms: KeyPermission[];
}

/** An issued token: who it belongs to and when it was issued (wall clock, ms). */
export interface TokenRecord {
  user: string;
  issuedAt: number;
}

/** A meta row to write; `value` undefined deletes it. */
export interface MetaRow {
  key: string;
  value: Uint8Array | undefined;
}

/** The prefix of every auth row. */
export const AUTH_PREFIX = "auth/";
/** Present (value `1`) while auth is enabled. */
export const ENABLED_KEY = "auth/enabled";
/** The auth revision. */
export const REVISION_KEY = "auth/revision";
const USER_PREFIX = "auth/user/";
const ROLE_PREFIX = "auth/role/";
const TOKEN_PREFIX = "auth/token/";

const te = new TextEncoder();
const td = new TextDecoder();
const PERMISSION_TYPES: readonly PermissionType[] = ["read", "write", "readwrite"];

/** The key of user `name`'s row. */
export function userKey(name: string): string {
  return USER_PREFIX + bytesToKey(te.encode(name));
}

/** The key of role `name`'s row. */
export function roleKey(name: string): string {
  return ROLE_PREFIX + bytesToKey(te.encode(name));
}

/** The key of the row of the token whose hash is `hash`. */
export function tokenKey(hash: string): string {
  return TOKEN_PREFIX + hash;
}

/** Encodes a row value as JSON. */
export function encodeJson(value: UserRecord | RoleRecord | TokenRecord | number): Uint8Array {
  return te.encode(JSON.stringify(value));
}

/** The value of the enabled flag's row. */
export const ENABLED_VALUE: Uint8Array = te.encode("1");

/** A decoded auth row; a record is undefined when the row was deleted. */
export type AuthRow =
  | { kind: "enabled"; on: boolean }
  | { kind: "revision"; revision: number }
  | { kind: "user"; name: string; record: UserRecord | undefined }
  | { kind: "role"; name: string; record: RoleRecord | undefined }
  | { kind: "token"; hash: string; record: TokenRecord | undefined };

function isStrings(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === "string");
}

function parse(key: string, value: Uint8Array): Record<string, unknown> {
  let out: unknown;
  try {
    out = JSON.parse(td.decode(value));
  } catch (err: unknown) {
    throw new Error(`Cannot read auth row ${JSON.stringify(key)}: not JSON`, { cause: err });
  }
  if (typeof out !== "object" || out === null) {
    throw new Error(`Cannot read auth row ${JSON.stringify(key)}: not an object`);
  }
  return out as Record<string, unknown>;
}

function bad(key: string): Error {
  return new Error(`Cannot read auth row ${JSON.stringify(key)}: unexpected fields`);
}

function decodeUser(key: string, value: Uint8Array): UserRecord {
  const o = parse(key, value);
  if (typeof o.name !== "string" || !isStrings(o.roles)) throw bad(key);
  const user: UserRecord = { name: o.name, roles: o.roles };
  if (typeof o.password === "string") user.password = o.password;
  if (o.noPassword === true) user.noPassword = true;
  return user;
}

function decodeRole(key: string, value: Uint8Array): RoleRecord {
  const o = parse(key, value);
  if (typeof o.name !== "string" || !Array.isArray(o.perms)) throw bad(key);
  const perms = o.perms.map((item: unknown) => {
    // A null or non-object entry would otherwise fail with a bare TypeError.
    if (typeof item !== "object" || item === null) throw bad(key);
    const p = item as Record<string, unknown>;
    const type = PERMISSION_TYPES.find((t) => t === p.type);
    if (!type || typeof p.key !== "string" || typeof p.rangeEnd !== "string") throw bad(key);
    return { type, key: p.key, rangeEnd: p.rangeEnd };
  });
  return { name: o.name, perms };
}

function decodeToken(key: string, value: Uint8Array): TokenRecord {
  const o = parse(key, value);
  // JSON reads a number too long for a double as Infinity, which would never expire.
  if (typeof o.user !== "string" || !Number.isFinite(o.issuedAt)) throw bad(key);
  return { user: o.user, issuedAt: o.issuedAt as number };
}

/**
 * Decodes an auth row; undefined for a key outside the auth rows.
 *
 * @throws {Error} naming the key when a value is damaged.
 */
export function decodeRow(key: string, value: Uint8Array | undefined): AuthRow | undefined {
  if (key === ENABLED_KEY) return { kind: "enabled", on: value !== undefined };
  if (key === REVISION_KEY) {
    return { kind: "revision", revision: value ? Number(td.decode(value)) || 0 : 0 };
  }
  if (key.startsWith(USER_PREFIX)) {
    const name = td.decode(keyToBytes(key.slice(USER_PREFIX.length)));
    return { kind: "user", name, record: value && decodeUser(key, value) };
  }
  if (key.startsWith(ROLE_PREFIX)) {
    const name = td.decode(keyToBytes(key.slice(ROLE_PREFIX.length)));
    return { kind: "role", name, record: value && decodeRole(key, value) };
  }
  if (key.startsWith(TOKEN_PREFIX)) {
    const hash = key.slice(TOKEN_PREFIX.length);
    return { kind: "token", hash, record: value && decodeToken(key, value) };
  }
  return undefined;
}
