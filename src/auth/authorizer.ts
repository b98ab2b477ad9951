/**
 * {@linkcode Authorizer}: who is calling, and may they do this. The server's services call it
 * before they touch the node.
 *
 * Identity (only while auth is enabled): the `token` metadata if present (unknown or idle for
 * longer than the TTL → "invalid auth token"), else the common name of a verified client
 * certificate (only with mTLS, where the transport verified it against the CA, as etcd does),
 * else "user name is empty". Using a token renews it.
 *
 * Checks read the committed state, so a role change takes effect for the next request:
 * - user `root`-role holders may do anything, except touch `\x00auth/` (below);
 * - Range, Watch and every compare of a Txn need READ, Put and DeleteRange need WRITE, over the
 *   whole `[key, range_end)` (`permissions.ts`); a `prev_kv` also needs READ; a Put with a
 *   lease needs WRITE on the lease's keys; Txn checks both branches and nested Txns;
 * - LeaseRevoke needs WRITE on every key attached to the lease;
 * - no request may start inside `\x00auth/` — refused to everyone, root included and auth
 *   off or on, so no key can ever be written there (T4's reserved namespace);
 * - an empty key is left to request validation, which refuses it with etcd's error.
 *
 * @module
 */

import { AuthError } from "../errors.ts";
import type { DeleteRangeRequest, PutRequest, RequestOp, TxnRequest } from "../mvcc/mod.ts";
import { isReservedKey, type PermissionSet } from "./permissions.ts";
import type { AuthState } from "./state.ts";

/** What the authorizer reads from a call (the server's `CallContext` satisfies it). */
export interface Credentials {
  /** A request metadata value, e.g. `token`. */
  metadata(key: string): string | undefined;
  /** The common name of the client's verified certificate, if any. */
  readonly commonName: string | undefined;
}

/** The keys attached to a lease (empty for an unknown one). */
export type LeaseKeys = (lease: bigint) => Iterable<string>;

/** An authenticated caller; `perms` undefined means root (everything). */
interface Caller {
  user: string;
  perms: PermissionSet | undefined;
}

function denied(): AuthError {
  return new AuthError("permission-denied", "permission denied");
}

/** The Maintenance service's admin check answers with the auth store's bare errors. */
const RAW_TEXT: Partial<Record<string, string>> = {
  "user-empty": "auth: user name is empty",
  "invalid-token": "auth: invalid auth token",
  "user-not-found": "auth: user name not found",
  "permission-denied": "auth: permission denied",
};

/** The permission checks; see the module doc. */
export class Authorizer {
  readonly #state: AuthState;
  readonly #trustCommonName: boolean;

  /**
   * Creates an authorizer over `state`. `trustCommonName`: clients must present certificates
   * the transport verified (mTLS), so a certificate's common name may name the user.
   */
  constructor(state: AuthState, options: { trustCommonName: boolean }) {
    this.#state = state;
    this.#trustCommonName = options.trustCommonName;
  }

  /** Whether auth is enabled. */
  get enabled(): boolean {
    return this.#state.enabled;
  }

  /**
   * The calling user; undefined while auth is off.
   *
   * @throws {AuthError} "user-empty" without credentials, "invalid-token" for a bad token.
   */
  user(creds: Credentials): string | undefined {
    if (!this.#state.enabled) return undefined;
    const token = creds.metadata("token");
    if (token !== undefined) {
      const user = this.#state.tokens.use(token);
      if (user === undefined) throw new AuthError("invalid-token", "invalid auth token");
      return user;
    }
    const cn = this.#trustCommonName ? creds.commonName : undefined;
    if (cn) return cn;
    throw new AuthError("user-empty", "user name is empty");
  }

  #caller(creds: Credentials): Caller | undefined {
    const user = this.user(creds);
    if (user === undefined) return undefined;
    if (this.#state.isRoot(user)) return { user, perms: undefined };
    if (!this.#state.user(user)) throw denied(); // e.g. a certificate naming no user
    return { user, perms: this.#state.permissions(user) };
  }

  #need(c: Caller | undefined, kind: "read" | "write", key: string, rangeEnd = ""): void {
    if (key === "") return;
    if (isReservedKey(key)) throw denied();
    if (c?.perms && !c.perms.allows(kind, key, rangeEnd)) throw denied();
  }

  #put(c: Caller | undefined, r: PutRequest, leaseKeys: LeaseKeys): void {
    this.#need(c, "write", r.key);
    if (r.prevKv) this.#need(c, "read", r.key);
    if (c?.perms && r.lease) {
      for (const key of leaseKeys(r.lease)) this.#need(c, "write", key);
    }
  }

  #delete(c: Caller | undefined, r: DeleteRangeRequest): void {
    this.#need(c, "write", r.key, r.rangeEnd);
    if (r.prevKv) this.#need(c, "read", r.key, r.rangeEnd);
  }

  #txn(c: Caller | undefined, r: TxnRequest, leaseKeys: LeaseKeys): void {
    for (const cmp of r.compare) this.#need(c, "read", cmp.key, cmp.rangeEnd);
    const op = (o: RequestOp) => {
      if (o.range) this.#need(c, "read", o.range.key, o.range.rangeEnd);
      else if (o.put) this.#put(c, o.put, leaseKeys);
      else if (o.deleteRange) this.#delete(c, o.deleteRange);
      else if (o.txn) this.#txn(c, o.txn, leaseKeys);
    };
    r.success.forEach(op);
    r.failure.forEach(op);
  }

  /** Range or Watch: READ on `[key, rangeEnd)`. */
  range(creds: Credentials, key: string, rangeEnd = ""): void {
    if (isReservedKey(key)) throw denied();
    this.#need(this.#caller(creds), "read", key, rangeEnd);
  }

  /** Put: WRITE on the key (and READ for `prev_kv`, WRITE on the lease's keys). */
  put(creds: Credentials, r: PutRequest, leaseKeys: LeaseKeys): void {
    if (isReservedKey(r.key)) throw denied();
    this.#put(this.#caller(creds), r, leaseKeys);
  }

  /** DeleteRange: WRITE on the range (and READ for `prev_kv`). */
  deleteRange(creds: Credentials, r: DeleteRangeRequest): void {
    if (isReservedKey(r.key)) throw denied();
    this.#delete(this.#caller(creds), r);
  }

  /** Txn: every compare and every op of both branches, nested Txns included. */
  txn(creds: Credentials, r: TxnRequest, leaseKeys: LeaseKeys): void {
    this.#txn(undefined, r, leaseKeys); // the reserved namespace, before any identity check
    const c = this.#caller(creds);
    if (c?.perms) this.#txn(c, r, leaseKeys);
  }

  /** `kind` access to each of `keys` (LeaseRevoke: WRITE; LeaseTimeToLive with keys: READ). */
  keys(creds: Credentials, kind: "read" | "write", keys: Iterable<string>): void {
    const c = this.#caller(creds);
    if (!c?.perms) return;
    for (const key of keys) this.#need(c, kind, key);
  }

  /** Any existing user (Compact, leases): T4 refuses these to anonymous callers. */
  authenticated(creds: Credentials): void {
    this.#caller(creds);
  }

  #admin(user: string | undefined): void {
    if (user === undefined) return;
    if (!this.#state.user(user)) throw new AuthError("user-not-found", "user name not found");
    if (!this.#state.isRoot(user)) throw denied();
  }

  /** The root role (user and role management, AuthEnable/AuthDisable). */
  admin(creds: Credentials): void {
    this.#admin(this.user(creds));
  }

  /** UserGet: root, or the user asking about themselves. */
  adminOrSelf(creds: Credentials, name: string): void {
    const user = this.user(creds);
    if (user !== name) this.#admin(user);
  }

  /** RoleGet: root, or a holder of the role. */
  adminOrHolder(creds: Credentials, role: string): void {
    const user = this.user(creds);
    if (user === undefined || this.#state.user(user)?.roles.includes(role)) return;
    this.#admin(user);
  }

  /**
   * Maintenance (Alarm, Defragment, Hash, HashKV, Snapshot): root, refused with the bare auth
   * error etcd 3.4 sends there (`Unknown` "auth: permission denied").
   */
  maintenance(creds: Credentials): void {
    try {
      this.admin(creds);
    } catch (err: unknown) {
      const text = err instanceof AuthError ? RAW_TEXT[err.code] : undefined;
      if (text) throw new AuthError("auth-raw", text);
      throw err;
    }
  }
}
