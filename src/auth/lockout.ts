/**
 * {@linkcode Lockout}: brute-force protection for `Authenticate`. Failed attempts are counted
 * per user name in a sliding window; `maxFailures` failures within `windowMs` lock the name for
 * `lockMs`. While locked, attempts are refused without checking the password (and, at the
 * service, with the same error as a wrong password, so the lock is not revealed). A success
 * clears the count. State is per node and in memory: a restart forgets it.
 *
 * Memory is bounded: at most `maxTracked` names are remembered in each table; past that the
 * stale entries go first, then the oldest.
 *
 * @module
 */

/** Options of {@linkcode Lockout}; the defaults are 5 failures in 5 minutes lock 15 minutes. */
export interface LockoutOptions {
  /** Milliseconds clock (tests inject one). Default `Date.now`. */
  now?: () => number;
  maxFailures?: number;
  windowMs?: number;
  lockMs?: number;
  /** Most names remembered per table. Default 10,000. */
  maxTracked?: number;
}

/** The per-user failure counter and lock table; see the module doc. */
export class Lockout {
  readonly #now: () => number;
  readonly #maxFailures: number;
  readonly #windowMs: number;
  readonly #lockMs: number;
  readonly #maxTracked: number;
  /** Name → times of recent failures, oldest first. */
  readonly #failures = new Map<string, number[]>();
  /** Name → the time its lock ends. */
  readonly #locked = new Map<string, number>();

  /** Creates an empty table. */
  constructor(options: LockoutOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#maxFailures = options.maxFailures ?? 5;
    this.#windowMs = options.windowMs ?? 5 * 60_000;
    this.#lockMs = options.lockMs ?? 15 * 60_000;
    this.#maxTracked = options.maxTracked ?? 10_000;
  }

  /** How long a lock lasts, in milliseconds. */
  get lockMs(): number {
    return this.#lockMs;
  }

  /** Whether `user` is locked now. */
  isLocked(user: string): boolean {
    const until = this.#locked.get(user);
    if (until === undefined) return false;
    if (this.#now() < until) return true;
    this.#locked.delete(user);
    return false;
  }

  /** Counts a failed attempt; returns true when this failure locked `user`. */
  recordFailure(user: string): boolean {
    const now = this.#now();
    const recent = (this.#failures.get(user) ?? []).filter((t) => now - t < this.#windowMs);
    recent.push(now);
    this.#failures.delete(user); // re-insert: the map's order is the age of the last failure
    if (recent.length >= this.#maxFailures) {
      this.#locked.delete(user);
      this.#locked.set(user, now + this.#lockMs);
      this.#bound(this.#locked, (until) => until <= now);
      return true;
    }
    this.#failures.set(user, recent);
    this.#bound(this.#failures, (times) => now - times[times.length - 1]! >= this.#windowMs);
    return false;
  }

  /** Forgets the failures of `user` after a successful login. */
  recordSuccess(user: string): void {
    this.#failures.delete(user);
  }

  #bound<V>(table: Map<string, V>, stale: (value: V) => boolean): void {
    if (table.size <= this.#maxTracked) return;
    for (const [name, value] of table) {
      if (stale(value)) table.delete(name);
    }
    for (const name of table.keys()) {
      if (table.size <= this.#maxTracked) break;
      table.delete(name);
    }
  }
}
