/**
 * Leases: granted TTLs, their expiry deadlines and the keys attached to each.
 *
 * A lease's existence and granted TTL are durable (a WAL entry and a row in the meta table,
 * neither of which touches the store revision). Deadlines live only in memory, as in etcd: at
 * open (and when a node becomes leader) every lease gets its full TTL again. Keepalives only
 * move a deadline, so they never write anything. Expiry is decided by the caller that owns the
 * clock (the single node or the leader), which then writes a revoke entry.
 *
 * @module
 */

import { KvError } from "../errors.ts";

/** Seconds etcd raises smaller TTLs to (ceil(1.5 × the default 1 s election timeout)). */
export const MIN_LEASE_TTL = 2;
/** Largest TTL etcd accepts, in seconds. */
export const MAX_LEASE_TTL = 9_000_000_000;

/** One lease. `deadline` is in the clock's milliseconds. */
export interface Lease {
  readonly id: bigint;
  readonly ttl: number;
  deadline: number;
  readonly keys: Set<string>;
}

/** Length of a lease row's key: `lease/` and 8 bytes. */
const LEASE_KEY_LENGTH = 14;

/** The key of a lease's row in the meta table: `lease/` then the ID as 8 big-endian bytes. */
export function leaseMetaKey(id: bigint): string {
  let s = "lease/";
  const u = BigInt.asUintN(64, id);
  for (let shift = 56n; shift >= 0n; shift -= 8n) {
    s += String.fromCharCode(Number((u >> shift) & 0xffn));
  }
  return s;
}

/** Encodes a lease's meta row value (the granted TTL, 8 bytes big-endian). */
export function encodeLeaseMeta(ttl: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(ttl));
  return out;
}

/**
 * Decodes a meta row key and value back into an ID and TTL.
 *
 * @throws {KvError} `engine` when the key or value has the wrong length, or the TTL is above
 *   {@linkcode MAX_LEASE_TTL} (a damaged row: no grant writes one).
 */
export function decodeLeaseMeta(key: string, value: Uint8Array): { id: bigint; ttl: number } {
  const what = `Cannot read lease row ${JSON.stringify(key)}`;
  // Without this check a short key fails in BigInt(NaN) and a short value in DataView, both
  // with a RangeError that names neither the row nor the problem.
  if (key.length !== LEASE_KEY_LENGTH || value.length !== 8) {
    throw new KvError(
      "engine",
      `${what}: expected a ${LEASE_KEY_LENGTH}-byte key and an 8-byte value, got ` +
        `${key.length} and ${value.length} bytes`,
    );
  }
  let u = 0n;
  for (let i = 6; i < 14; i++) u = (u << 8n) | BigInt(key.charCodeAt(i));
  const ttl = new DataView(value.buffer, value.byteOffset, 8).getBigUint64(0);
  if (ttl > BigInt(MAX_LEASE_TTL)) {
    throw new KvError("engine", `${what}: TTL ${ttl} is above the largest, ${MAX_LEASE_TTL}`);
  }
  return { id: BigInt.asIntN(64, u), ttl: Number(ttl) };
}

/** The in-memory lease table. */
export class Lessor {
  readonly #leases = new Map<bigint, Lease>();
  readonly #now: () => number;

  /** Creates a lessor reading time from `now` (milliseconds). */
  constructor(now: () => number) {
    this.#now = now;
  }

  /** Number of leases. */
  get size(): number {
    return this.#leases.size;
  }

  /** The lease with `id`. */
  get(id: bigint): Lease | undefined {
    return this.#leases.get(id);
  }

  /** Adds a lease with a full TTL. */
  grant(id: bigint, ttl: number): Lease {
    const lease: Lease = { id, ttl, deadline: this.#now() + ttl * 1000, keys: new Set() };
    this.#leases.set(id, lease);
    return lease;
  }

  /** Puts back a lease removed by `remove` (for rolling back a batch). */
  restore(lease: Lease): void {
    this.#leases.set(lease.id, lease);
  }

  /** Removes a lease and returns it. */
  remove(id: bigint): Lease | undefined {
    const lease = this.#leases.get(id);
    if (lease) this.#leases.delete(id);
    return lease;
  }

  /** Attaches `key` to lease `id` (ignored for 0 or an unknown ID). */
  attach(id: bigint, key: string): void {
    if (id !== 0n) this.#leases.get(id)?.keys.add(key);
  }

  /** Detaches `key` from lease `id`. */
  detach(id: bigint, key: string): void {
    if (id !== 0n) this.#leases.get(id)?.keys.delete(key);
  }

  /** Renews a lease; returns its TTL, or 0 when it does not exist (etcd's wire answer). */
  keepAlive(id: bigint): number {
    const lease = this.#leases.get(id);
    if (!lease) return 0;
    lease.deadline = this.#now() + lease.ttl * 1000;
    return lease.ttl;
  }

  /** Seconds left on a lease (truncated, as etcd), or -1 when it does not exist. */
  remaining(id: bigint): number {
    const lease = this.#leases.get(id);
    if (!lease) return -1;
    return Math.max(0, Math.floor((lease.deadline - this.#now()) / 1000));
  }

  /** IDs of leases whose deadline has passed, oldest deadline first. */
  expired(): bigint[] {
    const now = this.#now();
    const out: Lease[] = [];
    for (const lease of this.#leases.values()) if (lease.deadline <= now) out.push(lease);
    out.sort((a, b) => a.deadline - b.deadline);
    return out.map((l) => l.id);
  }

  /** Gives every lease its full TTL again (at open, or when a node becomes leader). */
  refreshAll(): void {
    const now = this.#now();
    for (const lease of this.#leases.values()) lease.deadline = now + lease.ttl * 1000;
  }

  /** Every lease ID. */
  ids(): bigint[] {
    return [...this.#leases.keys()];
  }
}
