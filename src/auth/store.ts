/**
 * {@linkcode AuthStore}: users, roles, tokens and the enabled flag of one node, kept in the
 * store's meta keyspace (`records.ts`) and mirrored in memory (`state.ts`).
 *
 * Every change is a group-commit job (`management.ts`) and resolves once it is durable; the
 * in-memory mirror follows the store's `onMeta` notifications, so a restart, a WAL replay or
 * (in cluster mode) a follower applying the leader's entries all end in the same state.
 * Logins, the lockout and the sweep of idle tokens are `login.ts`.
 *
 * Callers check permissions first (`authorizer.ts`); this class only enforces etcd's
 * data rules. Nothing here logs a password or a token.
 *
 * @module
 */

import { AuthError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { LockoutOptions } from "./lockout.ts";
import { type AuthAttemptResult, type AuthNode, Login } from "./login.ts";
import * as jobs from "./management.ts";
import { DEFAULT_SCRYPT, hashPassword, type ScryptParams } from "./password.ts";
import type { KeyPermission } from "./permissions.ts";
import { AUTH_PREFIX, ENABLED_KEY, ENABLED_VALUE, type MetaRow, tokenKey } from "./records.ts";
import { AuthState, type MetaWriter } from "./state.ts";
import { TokenTable } from "./tokens.ts";

/** Options of {@linkcode AuthStore.open}. */
export interface AuthStoreOptions {
  /** A token's idle lifetime in seconds (`--token-ttl`). */
  tokenTtlSec: number;
  logger: Logger;
  /** Wall clock in milliseconds (tests inject one). Default `Date.now`. */
  now?: () => number;
  /** Password hashing cost; default {@linkcode DEFAULT_SCRYPT}. */
  scrypt?: ScryptParams;
  /** Lockout tuning; its clock defaults to `now`. */
  lockout?: LockoutOptions;
  /** Called once per `Authenticate` call with its outcome. */
  onAttempt?: (result: AuthAttemptResult) => void;
  /** How often idle tokens are removed from storage; default half the TTL, within 1–60 s. */
  sweepIntervalMs?: number;
}

/** The auth store; see the module doc. */
export class AuthStore implements Disposable {
  /** The committed and pending state (permission checks read it). */
  readonly state: AuthState;
  readonly #node: AuthNode;
  readonly #logger: Logger;
  readonly #scrypt: ScryptParams;
  readonly #login: Login;
  readonly #timer: ReturnType<typeof setInterval>;

  private constructor(node: AuthNode, options: AuthStoreOptions) {
    this.#node = node;
    this.#logger = options.logger;
    this.#scrypt = options.scrypt ?? DEFAULT_SCRYPT;
    const now = options.now ?? Date.now;
    const ttlMs = options.tokenTtlSec * 1000;
    this.state = new AuthState(new TokenTable({ ttlMs, now }));
    this.#login = new Login(this.state, node, {
      logger: options.logger,
      now,
      scrypt: this.#scrypt,
      lockout: options.lockout,
      onAttempt: options.onAttempt,
    });
    const sweepMs = options.sweepIntervalMs ?? Math.min(60_000, Math.max(1000, ttlMs / 2));
    this.#timer = setInterval(() => this.#login.sweep(), sweepMs);
  }

  /** Loads the auth rows of `node`'s store and follows its changes. */
  static open(node: AuthNode, options: AuthStoreOptions): AuthStore {
    if (!(options.tokenTtlSec >= 1)) {
      throw new RangeError(`Invalid --token-ttl ${options.tokenTtlSec}: at least 1 second`);
    }
    const auth = new AuthStore(node, options);
    const rows: { key: string; value: Uint8Array }[] = [];
    node.store.scanMeta(AUTH_PREFIX, (key, value) => rows.push({ key, value }));
    try {
      auth.state.apply(rows);
    } catch (err: unknown) {
      auth.close();
      throw err;
    }
    node.store.onMeta((changes) => auth.state.apply(changes));
    return auth;
  }

  /** Whether auth is enabled. */
  get enabled(): boolean {
    return this.state.enabled;
  }

  /** Stops the token sweep. */
  close(): void {
    clearInterval(this.#timer);
  }

  /** Same as {@linkcode close}. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * `--auth-enabled`: enables auth, which needs user `root` holding role `root`.
   *
   * @throws {Error} saying what to do when the stored state does not allow it.
   */
  async enableAtStartup(): Promise<void> {
    if (this.state.enabled) return;
    const root = this.state.user(jobs.ROOT);
    const how = "start without --auth-enabled and run `etcdctl user add root` and " +
      "`etcdctl auth enable` (auth then stays enabled across restarts)";
    if (!root) throw new Error(`Cannot enable auth: the root user does not exist; ${how}`);
    if (!root.roles.includes(jobs.ROOT)) {
      throw new Error(`Cannot enable auth: user root does not have role root; ${how}`);
    }
    await this.enable();
  }

  /** etcd's Authenticate: checks the password and issues a token (`login.ts`). */
  authenticate(name: string, password: string): Promise<string> {
    return this.#login.authenticate(name, password);
  }

  // ---------------------------------------------------------------- enable / disable

  /** etcd's AuthEnable (a no-op when enabled). */
  async enable(): Promise<void> {
    const state = this.state;
    const changed = await this.#node.submit((store) => {
      if (state.headEnabled()) return false;
      const root = state.headUser(jobs.ROOT);
      if (!root) throw new AuthError("root-missing", "root user does not exist");
      if (!root.roles.includes(jobs.ROOT)) {
        throw new AuthError("root-role-missing", "root user does not have root role");
      }
      state.write(store, [{ key: ENABLED_KEY, value: ENABLED_VALUE }], true);
      return true;
    });
    if (changed) this.#logger.info("authentication enabled");
  }

  /** etcd's AuthDisable (a no-op when disabled): every token stops working. */
  async disable(): Promise<void> {
    const state = this.state;
    const changed = await this.#node.submit((store) => {
      if (!state.headEnabled()) return false;
      const rows: MetaRow[] = [{ key: ENABLED_KEY, value: undefined }];
      for (const hash of state.headTokens()) rows.push({ key: tokenKey(hash), value: undefined });
      state.write(store, rows, true);
      return true;
    });
    if (changed) this.#logger.info("authentication disabled");
  }

  // ---------------------------------------------------------------- users and roles

  async #change(what: string, fields: Record<string, string>, job: (s: MetaWriter) => void) {
    await this.#node.submit(job);
    this.#logger.info(`auth: ${what}`, fields);
  }

  /** etcd's UserAdd; `password` is ignored with `noPassword`. */
  async addUser(name: string, password: string, noPassword: boolean): Promise<void> {
    if (name === "") throw new AuthError("user-empty", "user name is empty");
    const hash = noPassword ? undefined : await hashPassword(password, this.#scrypt);
    await this.#change("user added", { user: name }, (s) => {
      jobs.addUser(this.state, s, { name, password: hash });
    });
  }

  /** etcd's UserDelete. */
  deleteUser(name: string): Promise<void> {
    return this.#change("user deleted", { user: name }, (s) => {
      jobs.deleteUser(this.state, s, name);
    });
  }

  /** etcd's UserChangePassword. */
  async changePassword(name: string, password: string): Promise<void> {
    const hash = await hashPassword(password, this.#scrypt);
    await this.#change("password changed", { user: name }, (s) => {
      jobs.changePassword(this.state, s, { name, password: hash });
    });
  }

  /** etcd's UserGrantRole. */
  grantRole(user: string, role: string): Promise<void> {
    return this.#change("role granted", { user, role }, (s) => {
      jobs.grantRole(this.state, s, user, role);
    });
  }

  /** etcd's UserRevokeRole. */
  revokeRole(user: string, role: string): Promise<void> {
    return this.#change("role revoked", { user, role }, (s) => {
      jobs.revokeRole(this.state, s, user, role);
    });
  }

  /** etcd's RoleAdd. */
  async addRole(name: string): Promise<void> {
    if (name === "") throw new AuthError("role-empty", "role name is empty");
    await this.#change("role added", { role: name }, (s) => jobs.addRole(this.state, s, name));
  }

  /** etcd's RoleDelete. */
  deleteRole(name: string): Promise<void> {
    return this.#change("role deleted", { role: name }, (s) => {
      jobs.deleteRole(this.state, s, name);
    });
  }

  /** etcd's RoleGrantPermission. */
  grantPermission(role: string, perm: KeyPermission): Promise<void> {
    return this.#change("permission granted", { role, type: perm.type }, (s) => {
      jobs.grantPermission(this.state, s, role, perm);
    });
  }

  /** etcd's RoleRevokePermission. */
  revokePermission(role: string, range: { key: string; rangeEnd: string }): Promise<void> {
    return this.#change("permission revoked", { role }, (s) => {
      jobs.revokePermission(this.state, s, role, range);
    });
  }

  /** etcd's UserGet: the user's roles, sorted. */
  getUser(name: string): string[] {
    const user = this.state.user(name);
    if (!user) throw new AuthError("user-not-found", "user name not found");
    return [...user.roles];
  }

  /** etcd's RoleGet: the role's permissions, sorted by key. */
  getRole(name: string): KeyPermission[] {
    const role = this.state.role(name);
    if (!role) throw new AuthError("role-not-found", "role name not found");
    return role.perms.map((p) => ({ ...p }));
  }

  /** etcd's UserList, sorted. */
  listUsers(): string[] {
    return this.state.userNames();
  }

  /** etcd's RoleList, sorted. */
  listRoles(): string[] {
    return this.state.roleNames();
  }
}
