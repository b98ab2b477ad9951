/**
 * {@linkcode NodeConfig}: what a node needs to open, with T4's defaults.
 *
 * @module
 */

import type { Logger } from "../log.ts";
import { DEFAULT_MAX_TXN_OPS } from "../mvcc/mod.ts";
import type { ObjectStore } from "../objstore/mod.ts";
import type { BranchSource } from "./restore.ts";

/** Configuration of a node (the embedded store and the server share it). */
export interface NodeConfig {
  /** Directory for the engine file, the WAL and the lock. Created if missing. */
  dataDir: string;
  /** This node's name; default the host name, else `node-0`. */
  nodeId?: string;
  /** etcd's `--max-txn-ops`; default 128. */
  maxTxnOps?: number;
  /** WAL segment size in bytes before rotation; default 64 MiB. */
  segmentBytes?: number;
  /** Engine page cache in KiB; default 65536 (64 MiB). */
  cacheKiB?: number;
  /** Bytes of current values cached in memory by the MVCC layer; default 64 MiB. */
  valueCacheBytes?: number;
  /** How often expired leases are looked for, in ms; default 500. */
  leaseCheckIntervalMs?: number;
  /**
   * How often the engine is checkpointed (fsynced) so that covered local WAL segments can be
   * deleted, in ms; default 30,000.
   */
  walCleanupIntervalMs?: number;
  /** Milliseconds clock for lease deadlines; default `performance.now` (tests inject one). */
  now?: () => number;
  /**
   * Operator recovery for a WAL damaged in the middle: cut it at the first bad frame and start
   * from the valid prefix (entries after the damage are lost). Default false: refuse to open.
   */
  truncateCorruptWal?: boolean;
  /**
   * An object store (S3, a local directory, memory) for WAL uploads and checkpoints: with one, a
   * node whose disk is lost recovers from the store alone.
   */
  objectStore?: ObjectStore;
  /** Upload each batch's WAL before acknowledging it (single node); default true. */
  walSyncUpload?: boolean;
  /** Seal and upload the active WAL segment after this many ms (async upload); default 10 s. */
  segmentMaxAgeMs?: number;
  /** Milliseconds between checkpoints; default 15 min. */
  checkpointIntervalMs?: number;
  /** Also checkpoint after this many WAL entries; default 0 (off). */
  checkpointEntries?: number;
  /** Checkpoints the node's GC keeps (plus the latest and branch-pinned ones); default 2. */
  gcKeep?: number;
  /** A branch node: the source store and the checkpoint it forks from (first boot only). */
  branch?: BranchSource;
  /** Where the node logs; default silent (the library says nothing unless asked). */
  logger?: Logger;
  /** Cluster mode: checkpoints start only when this node becomes leader. */
  clustered?: boolean;
}

/** Settings of {@linkcode NodeConfig} that may stay unset. */
type OptionalParts = "objectStore" | "branch" | "logger";

/** A {@linkcode NodeConfig} with every default filled in. */
export type ResolvedNodeConfig =
  & Required<Omit<NodeConfig, OptionalParts>>
  & { [K in OptionalParts]: NodeConfig[K] | undefined };

/** The host name, or `node-0` when it cannot be read. */
export function defaultNodeId(): string {
  try {
    return Deno.hostname() || "node-0";
  } catch {
    return "node-0";
  }
}

/** Fills in defaults and checks ranges. */
export function resolveNodeConfig(config: NodeConfig): ResolvedNodeConfig {
  if (typeof config.dataDir !== "string" || config.dataDir.length === 0) {
    throw new TypeError("Invalid node config: dataDir must be a non-empty path");
  }
  const resolved: ResolvedNodeConfig = {
    dataDir: config.dataDir,
    nodeId: config.nodeId || defaultNodeId(),
    maxTxnOps: config.maxTxnOps ?? DEFAULT_MAX_TXN_OPS,
    segmentBytes: config.segmentBytes ?? 64 * 1024 * 1024,
    cacheKiB: config.cacheKiB ?? 65536,
    valueCacheBytes: config.valueCacheBytes ?? 64 * 1024 * 1024,
    leaseCheckIntervalMs: config.leaseCheckIntervalMs ?? 500,
    walCleanupIntervalMs: config.walCleanupIntervalMs ?? 30_000,
    now: config.now ?? (() => performance.now()),
    truncateCorruptWal: config.truncateCorruptWal ?? false,
    walSyncUpload: config.walSyncUpload ?? true,
    segmentMaxAgeMs: config.segmentMaxAgeMs ?? 10_000,
    checkpointIntervalMs: config.checkpointIntervalMs ?? 15 * 60_000,
    checkpointEntries: config.checkpointEntries ?? 0,
    gcKeep: config.gcKeep ?? 2,
    objectStore: config.objectStore,
    branch: config.branch,
    logger: config.logger,
    clustered: config.clustered ?? false,
  };
  for (
    const [name, value, min] of [
      ["maxTxnOps", resolved.maxTxnOps, 1],
      ["segmentBytes", resolved.segmentBytes, 4096],
      ["cacheKiB", resolved.cacheKiB, 1],
      ["valueCacheBytes", resolved.valueCacheBytes, 0],
      ["leaseCheckIntervalMs", resolved.leaseCheckIntervalMs, 1],
      ["walCleanupIntervalMs", resolved.walCleanupIntervalMs, 1],
      ["segmentMaxAgeMs", resolved.segmentMaxAgeMs, 1],
      ["checkpointIntervalMs", resolved.checkpointIntervalMs, 1],
      ["checkpointEntries", resolved.checkpointEntries, 0],
      ["gcKeep", resolved.gcKeep, 1],
    ] as const
  ) {
    if (!Number.isSafeInteger(value) || value < min) {
      throw new RangeError(
        `Invalid node config: ${name} must be an integer >= ${min}, got ${value}`,
      );
    }
  }
  return resolved;
}

/** FNV-1a, 64-bit: a stable ID from a name (member and cluster IDs). Never 0. */
export function stableId(name: string): bigint {
  let h = 0xcbf29ce484222325n;
  const bytes = new TextEncoder().encode(name);
  for (const b of bytes) {
    h ^= BigInt(b);
    h = (h * 0x100000001b3n) & 0xffff_ffff_ffff_ffffn;
  }
  return h === 0n ? 1n : h;
}
