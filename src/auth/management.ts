/**
 * The bodies of the user and role changes: each runs inside a group-commit job, checks its
 * preconditions against the head of {@linkcode AuthState} (so jobs of one batch see each
 * other), then writes all its rows as one meta entry. The rules and error order are etcd
 * 3.4's `auth/store.go`, checked against a real etcd 3.4.23:
 *
 * - granting a role the user already has is a silent success; granting `root` needs no
 *   `root` role to exist;
 * - deleting a role revokes it from every user; deleting a user or changing its password
 *   invalidates its tokens;
 * - while auth is enabled, user `root` cannot be deleted, role `root` cannot be deleted, and
 *   `root` cannot be revoked from `root` ("invalid auth management");
 * - permissions are kept sorted by key; granting an existing `[key, range_end)` again changes
 *   its type.
 *
 * @module
 */

import { AuthError } from "../errors.ts";
import type { KeyPermission } from "./permissions.ts";
import {
  encodeJson,
  type MetaRow,
  roleKey,
  type RoleRecord,
  tokenKey,
  userKey,
  type UserRecord,
} from "./records.ts";
import type { AuthState, MetaWriter } from "./state.ts";

/** The name of the user and the role with every permission. */
export const ROOT = "root";

function requireUser(state: AuthState, name: string): UserRecord {
  const user = state.headUser(name);
  if (!user) throw new AuthError("user-not-found", "user name not found");
  return user;
}

function requireRole(state: AuthState, name: string): RoleRecord {
  const role = state.headRole(name);
  if (!role) throw new AuthError("role-not-found", "role name not found");
  return role;
}

function userRow(user: UserRecord): MetaRow {
  return { key: userKey(user.name), value: encodeJson(user) };
}

function roleRow(role: RoleRecord): MetaRow {
  return { key: roleKey(role.name), value: encodeJson(role) };
}

function tokenDeletes(state: AuthState, user: string): MetaRow[] {
  return state.headTokens(user).map((hash) => ({ key: tokenKey(hash), value: undefined }));
}

/** UserAdd: `password` is the stored hash, undefined for a user without a password. */
export function addUser(
  state: AuthState,
  store: MetaWriter,
  user: { name: string; password: string | undefined },
): void {
  if (state.headUser(user.name)) throw new AuthError("user-exists", "user name already exists");
  const record: UserRecord = { name: user.name, roles: [] };
  if (user.password === undefined) record.noPassword = true;
  else record.password = user.password;
  state.write(store, [userRow(record)], true);
}

/** UserDelete: removes the user and its tokens. */
export function deleteUser(state: AuthState, store: MetaWriter, name: string): void {
  if (state.headEnabled() && name === ROOT) {
    throw new AuthError("invalid-auth-mgmt", "invalid auth management");
  }
  requireUser(state, name);
  state.write(
    store,
    [{ key: userKey(name), value: undefined }, ...tokenDeletes(state, name)],
    true,
  );
}

/**
 * UserChangePassword: `password` is the new stored hash; the user's tokens stop working. As in
 * etcd, a user created without a password keeps that option (it still cannot log in).
 */
export function changePassword(
  state: AuthState,
  store: MetaWriter,
  user: { name: string; password: string },
): void {
  const record = { ...requireUser(state, user.name), password: user.password };
  state.write(store, [userRow(record), ...tokenDeletes(state, user.name)], true);
}

/** UserGrantRole. */
export function grantRole(state: AuthState, store: MetaWriter, name: string, role: string): void {
  const user = requireUser(state, name);
  if (role !== ROOT) requireRole(state, role);
  if (user.roles.includes(role)) return;
  const roles = [...user.roles, role].sort();
  state.write(store, [userRow({ ...user, roles })], true);
}

/** UserRevokeRole. */
export function revokeRole(state: AuthState, store: MetaWriter, name: string, role: string): void {
  if (state.headEnabled() && name === ROOT && role === ROOT) {
    throw new AuthError("invalid-auth-mgmt", "invalid auth management");
  }
  const user = requireUser(state, name);
  if (!user.roles.includes(role)) {
    throw new AuthError("role-not-granted", "role is not granted to the user");
  }
  const roles = user.roles.filter((r) => r !== role);
  state.write(store, [userRow({ ...user, roles })], true);
}

/** RoleAdd. */
export function addRole(state: AuthState, store: MetaWriter, name: string): void {
  if (state.headRole(name)) throw new AuthError("role-exists", "role name already exists");
  state.write(store, [roleRow({ name, perms: [] })], true);
}

/** RoleDelete: also revokes the role from every user holding it. */
export function deleteRole(state: AuthState, store: MetaWriter, name: string): void {
  if (state.headEnabled() && name === ROOT) {
    throw new AuthError("invalid-auth-mgmt", "invalid auth management");
  }
  requireRole(state, name);
  const rows: MetaRow[] = [{ key: roleKey(name), value: undefined }];
  for (const user of state.headUsers()) {
    if (user.roles.includes(name)) {
      rows.push(userRow({ ...user, roles: user.roles.filter((r) => r !== name) }));
    }
  }
  state.write(store, rows, true);
}

/** RoleGrantPermission: adds `perm`, or changes the type of the same `[key, range_end)`. */
export function grantPermission(
  state: AuthState,
  store: MetaWriter,
  name: string,
  perm: KeyPermission,
): void {
  const role = requireRole(state, name);
  const same = (p: KeyPermission) => p.key === perm.key && p.rangeEnd === perm.rangeEnd;
  const perms = role.perms.some(same)
    ? role.perms.map((p) => (same(p) ? { ...p, type: perm.type } : p))
    : [...role.perms, { ...perm }].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  state.write(store, [roleRow({ name, perms })], true);
}

/** RoleRevokePermission: removes the permission with exactly `[key, rangeEnd)`. */
export function revokePermission(
  state: AuthState,
  store: MetaWriter,
  name: string,
  range: { key: string; rangeEnd: string },
): void {
  const role = requireRole(state, name);
  const perms = role.perms.filter((p) => !(p.key === range.key && p.rangeEnd === range.rangeEnd));
  if (perms.length === role.perms.length) {
    throw new AuthError("permission-not-granted", "permission is not granted to the role");
  }
  state.write(store, [roleRow({ name, perms })], true);
}
