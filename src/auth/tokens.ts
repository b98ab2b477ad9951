/**
 * Simple tokens, etcd-style (`<random letters>.<number>`), with an idle TTL.
 *
 * A token is known by the SHA-256 of its text: that hash names its meta row (issuance is
 * persisted, so a token outlives a restart) and keys {@linkcode TokenTable}. The idle clock
 * lives in memory only: each use renews it; a token not used for `ttlMs` is dead. A token
 * learned from storage (at open, or from another node's WAL) starts its idle clock at its
 * issuance time, so a restart never extends a token's life beyond what one TTL of idleness
 * after issuance allows; clients re-authenticate on "invalid auth token" as they do with etcd.
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { TokenRecord } from "./records.ts";

const LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const TOKEN_LETTERS = 32;
const HASH_CACHE_MAX = 4096;

/** A fresh token: 32 random letters (182 bits), a dot and `suffix` (etcd's shape). */
export function newToken(suffix: number): string {
  const bytes = new Uint8Array(TOKEN_LETTERS);
  let out = "";
  while (out.length < TOKEN_LETTERS) {
    crypto.getRandomValues(bytes);
    for (const b of bytes) {
      // 208 = 4 × 52: rejecting the rest keeps every letter equally likely
      if (b < 208 && out.length < TOKEN_LETTERS) out += LETTERS[b % 52];
    }
  }
  return `${out}.${suffix}`;
}

/** A live token. */
interface Entry {
  user: string;
  issuedAt: number;
  lastUsed: number;
}

/** The committed tokens with their idle clocks; see the module doc. */
export class TokenTable {
  readonly #entries = new Map<string, Entry>();
  readonly #hashes = new Map<string, string>();
  readonly #now: () => number;
  readonly #ttlMs: number;

  /** Creates an empty table; `now` is a wall clock in milliseconds. */
  constructor(options: { ttlMs: number; now: () => number }) {
    this.#ttlMs = options.ttlMs;
    this.#now = options.now;
  }

  /** The idle lifetime in milliseconds. */
  get ttlMs(): number {
    return this.#ttlMs;
  }

  /** How many tokens are known (live or not yet swept). */
  get size(): number {
    return this.#entries.size;
  }

  /** The SHA-256 (hex) of `token`; recently seen tokens are answered from a small cache. */
  hashOf(token: string): string {
    let hash = this.#hashes.get(token);
    if (hash === undefined) {
      hash = createHash("sha256").update(token).digest("hex");
      if (this.#hashes.size >= HASH_CACHE_MAX) this.#hashes.clear();
      this.#hashes.set(token, hash);
    }
    return hash;
  }

  /** Records a committed token row. */
  put(hash: string, record: TokenRecord): void {
    const lastUsed = Math.min(record.issuedAt, this.#now());
    this.#entries.set(hash, { user: record.user, issuedAt: record.issuedAt, lastUsed });
  }

  /** Forgets a token whose row was deleted. */
  delete(hash: string): void {
    this.#entries.delete(hash);
  }

  /** The owner of the token with `hash`, if it is known (alive or not). */
  owner(hash: string): string | undefined {
    return this.#entries.get(hash)?.user;
  }

  /**
   * The user `token` authenticates, renewing its idle clock; undefined for an unknown token
   * or one idle for longer than the TTL (which stays dead until it is swept).
   */
  use(token: string): string | undefined {
    const entry = this.#entries.get(this.hashOf(token));
    if (!entry) return undefined;
    const now = this.#now();
    if (now - entry.lastUsed > this.#ttlMs) return undefined;
    if (now > entry.lastUsed) entry.lastUsed = now;
    return entry.user;
  }

  /** Hashes of tokens whose idle time is over (to delete their rows). */
  expired(): string[] {
    const now = this.#now();
    const out: string[] = [];
    for (const [hash, e] of this.#entries) {
      if (now - e.lastUsed > this.#ttlMs) out.push(hash);
    }
    return out;
  }

  /** Every known token as `[hash, user]`. */
  *entries(): IterableIterator<[string, string]> {
    for (const [hash, e] of this.#entries) yield [hash, e.user];
  }
}
