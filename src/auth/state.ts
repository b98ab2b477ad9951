/**
 * {@linkcode AuthState}: the auth rows held in memory, in two layers.
 *
 * - **Committed**: the durable rows, loaded at open and then changed only by the store's
 *   `onMeta` notifications (live batches, and on followers the leader's entries). Permission
 *   checks and reads use this layer, so every node answers from the same applied state.
 * - **Pending**: rows written by jobs of the group-commit batch being evaluated. Jobs read the
 *   *head* (pending over committed), so two jobs in one batch see each other (a second
 *   UserAdd of the same name fails). The pending layer is dropped when the batch commits
 *   (its rows arrive through `onMeta`) or aborts (through the store's undo hook).
 *
 * @module
 */

import type { MetaChange } from "../mvcc/mod.ts";
import { PermissionSet } from "./permissions.ts";
import {
  AUTH_PREFIX,
  decodeRow,
  encodeJson,
  type MetaRow,
  REVISION_KEY,
  roleKey,
  type RoleRecord,
  tokenKey,
  userKey,
  type UserRecord,
} from "./records.ts";
import type { TokenTable } from "./tokens.ts";

/** What a job may do to the store: write meta rows, and undo its own state on abort. */
export interface MetaWriter {
  putMeta(rows: readonly MetaRow[]): void;
  addUndo(undo: () => void): void;
}

const ROOT_ROLE = "root";

/** The auth state; see the module doc. */
export class AuthState {
  /** Committed tokens with their idle clocks. */
  readonly tokens: TokenTable;
  readonly #users = new Map<string, UserRecord>();
  readonly #roles = new Map<string, RoleRecord>();
  readonly #permissions = new Map<string, PermissionSet>();
  readonly #pending = new Map<string, Uint8Array | undefined>();
  #undoArmed = false;
  #enabled = false;
  #revision = 0;

  /** Creates an empty state over `tokens`. */
  constructor(tokens: TokenTable) {
    this.tokens = tokens;
  }

  // ------------------------------------------------------------ committed layer

  /**
   * Applies committed rows (at open, or from `onMeta`) and drops the pending layer, which
   * those rows include. Rows outside the auth prefix are ignored.
   */
  apply(changes: readonly MetaChange[]): void {
    for (const c of changes) {
      if (!c.key.startsWith(AUTH_PREFIX)) continue;
      const row = decodeRow(c.key, c.value);
      if (!row) continue;
      switch (row.kind) {
        case "enabled":
          this.#enabled = row.on;
          break;
        case "revision":
          this.#revision = row.revision;
          break;
        case "user":
          if (row.record) this.#users.set(row.name, row.record);
          else this.#users.delete(row.name);
          this.#permissions.clear();
          break;
        case "role":
          if (row.record) this.#roles.set(row.name, row.record);
          else this.#roles.delete(row.name);
          this.#permissions.clear();
          break;
        case "token":
          if (row.record) this.tokens.put(row.hash, row.record);
          else this.tokens.delete(row.hash);
          break;
      }
    }
    this.#pending.clear();
    this.#undoArmed = false;
  }

  /** Whether auth is enabled (committed). */
  get enabled(): boolean {
    return this.#enabled;
  }

  /** The auth revision (committed). */
  get revision(): number {
    return this.#revision;
  }

  /** A committed user. */
  user(name: string): UserRecord | undefined {
    return this.#users.get(name);
  }

  /** A committed role. */
  role(name: string): RoleRecord | undefined {
    return this.#roles.get(name);
  }

  /** Committed user names, sorted. */
  userNames(): string[] {
    return [...this.#users.keys()].sort();
  }

  /** Committed role names, sorted. */
  roleNames(): string[] {
    return [...this.#roles.keys()].sort();
  }

  /** Whether committed user `name` holds the root role. */
  isRoot(name: string): boolean {
    return this.#users.get(name)?.roles.includes(ROOT_ROLE) ?? false;
  }

  /** The merged permissions of committed user `name` (cached until a user or role changes). */
  permissions(name: string): PermissionSet {
    let set = this.#permissions.get(name);
    if (!set) {
      const roles = this.#users.get(name)?.roles ?? [];
      set = PermissionSet.of(roles.flatMap((r) => this.#roles.get(r)?.perms ?? []));
      this.#permissions.set(name, set);
    }
    return set;
  }

  // ------------------------------------------------------------ head (pending over committed)

  #headRow(key: string): { value: Uint8Array | undefined } | undefined {
    return this.#pending.has(key) ? { value: this.#pending.get(key) } : undefined;
  }

  /** Whether auth is enabled at the head. */
  headEnabled(): boolean {
    const p = this.#headRow("auth/enabled");
    return p ? p.value !== undefined : this.#enabled;
  }

  /** The auth revision at the head. */
  headRevision(): number {
    const p = this.#headRow(REVISION_KEY);
    const row = p && decodeRow(REVISION_KEY, p.value);
    return row?.kind === "revision" ? row.revision : this.#revision;
  }

  /** A user at the head. */
  headUser(name: string): UserRecord | undefined {
    const key = userKey(name);
    const p = this.#headRow(key);
    if (!p) return this.#users.get(name);
    const row = decodeRow(key, p.value);
    return row?.kind === "user" ? row.record : undefined;
  }

  /** A role at the head. */
  headRole(name: string): RoleRecord | undefined {
    const key = roleKey(name);
    const p = this.#headRow(key);
    if (!p) return this.#roles.get(name);
    const row = decodeRow(key, p.value);
    return row?.kind === "role" ? row.record : undefined;
  }

  /** Every user at the head. */
  headUsers(): UserRecord[] {
    const names = new Set(this.#users.keys());
    for (const key of this.#pending.keys()) {
      const row = decodeRow(key, undefined);
      if (row?.kind === "user") names.add(row.name);
    }
    return [...names].map((n) => this.headUser(n)).filter((u) => u !== undefined);
  }

  /** Hashes of the tokens at the head, of `user` only if given. */
  headTokens(user?: string): string[] {
    const out: string[] = [];
    for (const [hash, owner] of this.tokens.entries()) {
      if (this.#pending.has(tokenKey(hash))) continue;
      if (user === undefined || owner === user) out.push(hash);
    }
    for (const [key, value] of this.#pending) {
      const row = value && decodeRow(key, value);
      if (row?.kind !== "token" || !row.record) continue;
      if (user === undefined || row.record.user === user) out.push(row.hash);
    }
    return out;
  }

  /** Whether the token with `hash` exists at the head. */
  headHasToken(hash: string): boolean {
    const p = this.#headRow(tokenKey(hash));
    return p ? p.value !== undefined : this.tokens.owner(hash) !== undefined;
  }

  /**
   * Writes `rows` as one meta entry of the open batch and adds them to the pending layer;
   * `bump` also advances the auth revision. Call it once per job, after every check passed
   * (a job that throws after writing would leave its rows in the batch).
   */
  write(store: MetaWriter, rows: MetaRow[], bump: boolean): void {
    if (bump) rows.push({ key: REVISION_KEY, value: encodeJson(this.headRevision() + 1) });
    store.putMeta(rows);
    if (!this.#undoArmed) {
      this.#undoArmed = true;
      store.addUndo(() => {
        this.#pending.clear();
        this.#undoArmed = false;
      });
    }
    for (const r of rows) this.#pending.set(r.key, r.value);
  }
}
