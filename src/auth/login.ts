/**
 * {@linkcode Login}: etcd's Authenticate. The password is checked against the committed user
 * with scrypt, off the event loop (an unknown user costs one decoy check, so timing does not
 * reveal names); then a job issues the token and checks the user again at the head of the
 * batch, so a delete or password change that got in first wins and no token outlives it.
 * Failed logins feed the {@linkcode Lockout}; every call reports one outcome for
 * `t4_auth_attempts_total{result}`. Idle tokens are deleted from storage by {@linkcode
 * Login.sweep}. Nothing here logs a password or a token.
 *
 * @module
 */

import { AuthError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { MetaListener } from "../mvcc/mod.ts";
import { Lockout, type LockoutOptions } from "./lockout.ts";
import { type ScryptParams, verifyDecoy, verifyPassword } from "./password.ts";
import { encodeJson, type MetaRow, tokenKey } from "./records.ts";
import type { AuthState, MetaWriter } from "./state.ts";
import { newToken } from "./tokens.ts";

/** What the auth store needs of a node (`T4Node` satisfies it). */
export interface AuthNode {
  readonly store: {
    scanMeta(prefix: string, visit: (key: string, value: Uint8Array) => void): void;
    onMeta(listener: MetaListener): void;
  };
  submit<T>(job: (store: MetaWriter) => T): Promise<T>;
}

/** The outcome of one `Authenticate` call, as `t4_auth_attempts_total{result}` counts it. */
export type AuthAttemptResult = "success" | "fail" | "locked";

/** Options of {@linkcode Login}. */
export interface LoginOptions {
  logger: Logger;
  /** Wall clock in milliseconds. */
  now: () => number;
  scrypt: ScryptParams;
  /** Lockout tuning; its clock defaults to `now`. */
  lockout?: LockoutOptions | undefined;
  onAttempt?: ((result: AuthAttemptResult) => void) | undefined;
}

function authFailed(): AuthError {
  return new AuthError("auth-failed", "authentication failed, invalid user ID or password");
}

/** Logins and token expiry; see the module doc. */
export class Login {
  readonly #state: AuthState;
  readonly #node: AuthNode;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #scrypt: ScryptParams;
  readonly #lockout: Lockout;
  readonly #onAttempt: (result: AuthAttemptResult) => void;
  #sweeping = false;

  /** Creates the login handler over `state`, writing tokens through `node`. */
  constructor(state: AuthState, node: AuthNode, options: LoginOptions) {
    this.#state = state;
    this.#node = node;
    this.#logger = options.logger;
    this.#now = options.now;
    this.#scrypt = options.scrypt;
    this.#lockout = new Lockout({ now: options.now, ...options.lockout });
    this.#onAttempt = options.onAttempt ?? (() => {});
  }

  /** etcd's Authenticate: checks the password and issues a token. */
  async authenticate(name: string, password: string): Promise<string> {
    const state = this.#state;
    if (!state.enabled) {
      this.#onAttempt("fail");
      throw new AuthError("auth-not-enabled", "authentication is not enabled");
    }
    if (this.#lockout.isLocked(name)) {
      this.#onAttempt("locked");
      this.#logger.warn("authentication refused: the user is locked out", { user: name });
      throw authFailed();
    }
    const user = state.user(name);
    const stored = user && !user.noPassword ? user.password : undefined;
    const ok = stored === undefined
      ? await verifyDecoy(password, this.#scrypt)
      : await verifyPassword(password, stored);
    if (!ok) {
      this.#onAttempt("fail");
      this.#logger.warn("authentication failed: invalid user name or password", { user: name });
      if (this.#lockout.recordFailure(name)) {
        this.#logger.warn("user locked out after repeated authentication failures", {
          user: name,
          lockSeconds: this.#lockout.lockMs / 1000,
        });
      }
      throw authFailed();
    }
    const token = newToken(state.revision);
    const row: MetaRow = {
      key: tokenKey(state.tokens.hashOf(token)),
      value: encodeJson({ user: name, issuedAt: this.#now() }),
    };
    try {
      await this.#node.submit((store) => {
        if (!state.headEnabled()) {
          throw new AuthError("auth-not-enabled", "authentication is not enabled");
        }
        // a password change or delete in the meantime wins
        if (state.headUser(name)?.password !== stored) throw authFailed();
        state.write(store, [row], false);
      });
    } catch (err: unknown) {
      this.#onAttempt("fail");
      throw err;
    }
    this.#lockout.recordSuccess(name);
    this.#onAttempt("success");
    this.#logger.debug("authenticated", { user: name });
    return token;
  }

  /** Deletes the rows of tokens idle for longer than the TTL (one WAL entry); never overlaps. */
  sweep(): void {
    if (this.#sweeping) return;
    const dead = this.#state.tokens.expired();
    if (dead.length === 0) return;
    this.#sweeping = true;
    this.#node.submit((store) => {
      const rows = dead.filter((h) => this.#state.headHasToken(h))
        .map((h): MetaRow => ({ key: tokenKey(h), value: undefined }));
      if (rows.length > 0) this.#state.write(store, rows, false);
      return rows.length;
    }).then(
      (n) => n > 0 && this.#logger.debug("removed idle auth tokens", { count: n }),
      () => {/* fenced or closing: the next open sweeps */},
    ).finally(() => (this.#sweeping = false));
  }
}
