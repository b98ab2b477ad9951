/**
 * etcd-compatible authentication and role-based access control.
 *
 * State (users, roles, the enabled flag, issued tokens) lives in the store's non-revisioned
 * meta keyspace, so every change is a WAL entry that followers and checkpoints carry and that
 * never advances the store revision; each node mirrors it in memory from applied entries
 * ({@linkcode AuthStore}). Passwords are salted scrypt hashes; tokens are stored only as
 * SHA-256 hashes. Permission checks ({@linkcode Authorizer}) cover the whole key range of a
 * request ({@linkcode PermissionSet}); keys under `\x00auth/` are refused to everyone.
 * Repeated failed logins lock a user for a while ({@linkcode Lockout}).
 *
 * @module
 */

export { Authorizer, type Credentials, type LeaseKeys } from "./authorizer.ts";
export { Lockout, type LockoutOptions } from "./lockout.ts";
export { ROOT } from "./management.ts";
export { DEFAULT_SCRYPT, hashPassword, type ScryptParams, verifyPassword } from "./password.ts";
export {
  isReservedKey,
  type KeyPermission,
  PermissionSet,
  type PermissionType,
  RESERVED_PREFIX,
} from "./permissions.ts";
export { AuthState, type MetaWriter } from "./state.ts";
export { type AuthAttemptResult, type AuthNode, Login, type LoginOptions } from "./login.ts";
export { AuthStore, type AuthStoreOptions } from "./store.ts";
