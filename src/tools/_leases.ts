/**
 * Leases for `t4 migrate --with-leases`. The source's lease table is read once (LeaseLeases,
 * then LeaseTimeToLive for each); a lease is granted on the target, with the same ID and the TTL
 * it has left, when the copy meets the first key that had it at the snapshot revision, and after
 * the copy of the whole keyspace the leases no copied key had are granted too (with a prefix,
 * only the leases of keys under it move). Keys are attached by the copy itself: each put carries
 * its key's lease from the snapshot.
 *
 * Leases are not versioned in etcd: a key's lease at the snapshot revision may have expired
 * before the table was read. Such keys are copied without a lease and counted in the report.
 * While the migration runs, the granted leases are kept alive on the target (`EtcdClient
 * .keepAlive`), or short ones would expire there before the copy and its verification end.
 *
 * @module
 */

import { GrpcCode } from "../server/status.ts";
import { EtcdCallError, type EtcdClient } from "./_client.ts";

/** A lease of the source as granted on the target. */
export interface MigratedLease {
  id: bigint;
  /** Seconds it had left on the source when the table was read. */
  ttl: number;
  /** The TTL it was first granted with on the source. */
  grantedTtl: number;
  /** `performance.now()` when `ttl` was read. */
  readAt: number;
}

/** Leases by ID. */
export type LeaseMap = Map<bigint, MigratedLease>;

/** Leases read concurrently from the source. */
const LEASES_IN_FLIGHT = 16;

/** Moves the leases of one migration; see the module doc. */
export class LeaseMigrator {
  readonly #source: EtcdClient;
  readonly #target: EtcdClient;
  readonly #dryRun: boolean;
  readonly #table: LeaseMap = new Map();
  /** Leases granted on the target (or that would be, in a dry run). */
  readonly granted: LeaseMap = new Map();
  /** Leases that a previous, interrupted run had granted already (kept). */
  alreadyOnTarget = 0;

  /** A migrator from `source` to `target`; `dryRun` grants nothing. */
  constructor(source: EtcdClient, target: EtcdClient, options: { dryRun: boolean }) {
    this.#source = source;
    this.#target = target;
    this.#dryRun = options.dryRun;
  }

  /** Reads the source's lease table. */
  async load(): Promise<void> {
    const one = async (id: bigint): Promise<void> => {
      try {
        const info = await this.#source.timeToLive(id);
        const lease = { id, ttl: info.TTL, grantedTtl: info.grantedTTL, readAt: performance.now() };
        if (info.TTL > 0) this.#table.set(id, lease);
      } catch (err: unknown) {
        // expired between LeaseLeases and LeaseTimeToLive
        if (!(err instanceof EtcdCallError && err.code === GrpcCode.NOT_FOUND)) throw err;
      }
    };
    const ids = await this.#source.leases();
    for (let i = 0; i < ids.length; i += LEASES_IN_FLIGHT) {
      await Promise.all(ids.slice(i, i + LEASES_IN_FLIGHT).map(one));
    }
  }

  /** Milliseconds between renewals: a third of the shortest TTL, at least half a second. */
  get keepAliveMs(): number {
    let shortest = Infinity;
    for (const lease of this.#table.values()) shortest = Math.min(shortest, lease.ttl);
    return Math.max(500, (shortest * 1000) / 3);
  }

  /** The lease to put a key with that had `id` at the snapshot: `id` once granted, else 0n. */
  async leaseFor(id: bigint): Promise<bigint> {
    if (id === 0n || this.granted.has(id)) return id;
    const lease = this.#table.get(id);
    if (lease === undefined) return 0n;
    await this.#grant(lease);
    return id;
  }

  /** Grants every lease of the table that no copied key had. */
  async grantRest(): Promise<void> {
    for (const lease of this.#table.values()) {
      if (!this.granted.has(lease.id)) await this.#grant(lease);
    }
  }

  async #grant(lease: MigratedLease): Promise<void> {
    // The source's clock kept running since the table was read.
    const left = Math.max(1, Math.ceil(lease.ttl - (performance.now() - lease.readAt) / 1000));
    if (!this.#dryRun) {
      try {
        await this.#target.grant(lease.id, left);
      } catch (err: unknown) {
        const exists = err instanceof EtcdCallError && /lease already exists/.test(err.details);
        if (!exists) throw err;
        this.alreadyOnTarget++;
      }
    }
    this.granted.set(lease.id, { ...lease, ttl: left });
  }
}
