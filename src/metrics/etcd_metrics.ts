/**
 * etcd's own metric names, for the dashboards and alerts written for etcd, wherever our server
 * has the value to fill them. Names, types and buckets follow etcd 3.4/3.5, with one
 * deliberate difference: `etcd_server_proposals_committed_total` is a counter here (etcd sets
 * a gauge to the raft commit index); both only ever grow, so `rate()` reads them alike.
 *
 * Two etcd gauges end in `_total` (`etcd_debugging_mvcc_keys_total`,
 * `etcd_debugging_mvcc_watcher_total`); promtool's lint flags that, and we keep etcd's names
 * on purpose (see `docs/metrics.md`).
 *
 * @module
 */

import type { Counter, Gauge, Histogram, Registry } from "prom-client";
import { counter, exponentialBuckets, gauge, histogram } from "./_define.ts";

/** etcd's disk latency buckets: 1 ms doubling 14 times, up to 8.192 s. */
export const ETCD_DISK_BUCKETS: readonly number[] = exponentialBuckets(0.001, 2, 14);

/** Metrics under etcd's names. */
export interface EtcdMetrics {
  /** `etcd_server_has_leader`: 1 while this node is leader/single or streams from a live leader. */
  etcdHasLeader: Gauge<never>;
  /** `etcd_server_is_leader`: 1 on a leader or single node. Moved by `setRole()`. */
  etcdIsLeader: Gauge<never>;
  /** `etcd_server_leader_changes_seen_total`: +1 each time this node learns of a new leader term. */
  etcdLeaderChanges: Counter<never>;
  /** `etcd_server_proposals_committed_total`: +1 per write committed (same moments as `t4_writes_total`). */
  etcdProposalsCommitted: Counter<never>;
  /** `etcd_server_proposals_failed_total`: +1 per write that failed to commit (WAL, fencing, quorum). */
  etcdProposalsFailed: Counter<never>;
  /** `etcd_mvcc_db_total_size_in_bytes`: set to the engine's file size (pages allocated). */
  etcdDbTotalSize: Gauge<never>;
  /** `etcd_mvcc_db_total_size_in_use_in_bytes`: set to the engine's bytes in use (minus free pages). */
  etcdDbTotalSizeInUse: Gauge<never>;
  /** `etcd_debugging_mvcc_keys_total`: set to the number of live (non-deleted) keys. */
  etcdKeys: Gauge<never>;
  /**
   * `etcd_disk_wal_fsync_duration_seconds`: one observation per WAL `fdatasync` (one group
   * commit). Buckets 0.001 × 2^n, n = 0 … 13.
   */
  etcdWalFsyncDuration: Histogram<never>;
  /**
   * `etcd_disk_backend_commit_duration_seconds`: one observation per engine batch commit
   * (applying a group commit to the wasm engine). Buckets as the fsync histogram.
   */
  etcdBackendCommitDuration: Histogram<never>;
  /** `etcd_mvcc_put_total`: +1 per key put applied (inside a txn too). */
  etcdMvccPut: Counter<never>;
  /** `etcd_mvcc_delete_total`: +1 per DeleteRange applied (inside a txn too). */
  etcdMvccDelete: Counter<never>;
  /** `etcd_mvcc_txn_total`: +1 per Txn served. */
  etcdMvccTxn: Counter<never>;
  /** `etcd_mvcc_range_total`: +1 per Range served (inside a txn too). */
  etcdMvccRange: Counter<never>;
  /** `etcd_debugging_mvcc_watcher_total`: +1 per watcher created, −1 per watcher removed. */
  etcdWatchers: Gauge<never>;
  /** `etcd_network_client_grpc_received_bytes_total`: + the size of each client request message. */
  etcdGrpcReceivedBytes: Counter<never>;
  /** `etcd_network_client_grpc_sent_bytes_total`: + the size of each response message to a client. */
  etcdGrpcSentBytes: Counter<never>;
}

/** Creates and registers {@linkcode EtcdMetrics} on `registry`. */
export function createEtcdMetrics(registry: Registry): EtcdMetrics {
  return {
    etcdHasLeader: gauge(registry, {
      name: "etcd_server_has_leader",
      help: "Whether or not a leader exists. 1 is existence, 0 is not.",
    }),
    etcdIsLeader: gauge(registry, {
      name: "etcd_server_is_leader",
      help: "Whether or not this member is a leader. 1 if is, 0 otherwise.",
    }),
    etcdLeaderChanges: counter(registry, {
      name: "etcd_server_leader_changes_seen_total",
      help: "The number of leader changes seen.",
    }),
    etcdProposalsCommitted: counter(registry, {
      name: "etcd_server_proposals_committed_total",
      help: "The total number of consensus proposals committed.",
    }),
    etcdProposalsFailed: counter(registry, {
      name: "etcd_server_proposals_failed_total",
      help: "The total number of failed proposals seen.",
    }),
    etcdDbTotalSize: gauge(registry, {
      name: "etcd_mvcc_db_total_size_in_bytes",
      help: "Total size of the underlying database physically allocated in bytes.",
    }),
    etcdDbTotalSizeInUse: gauge(registry, {
      name: "etcd_mvcc_db_total_size_in_use_in_bytes",
      help: "Total size of the underlying database logically in use in bytes.",
    }),
    etcdKeys: gauge(registry, {
      name: "etcd_debugging_mvcc_keys_total",
      help: "Total number of keys.",
    }),
    etcdWalFsyncDuration: histogram(registry, {
      name: "etcd_disk_wal_fsync_duration_seconds",
      help: "The latency distributions of fsync called by WAL.",
      buckets: [...ETCD_DISK_BUCKETS],
    }),
    etcdBackendCommitDuration: histogram(registry, {
      name: "etcd_disk_backend_commit_duration_seconds",
      help: "The latency distributions of commit called by backend.",
      buckets: [...ETCD_DISK_BUCKETS],
    }),
    etcdMvccPut: counter(registry, {
      name: "etcd_mvcc_put_total",
      help: "Total number of puts seen by this member.",
    }),
    etcdMvccDelete: counter(registry, {
      name: "etcd_mvcc_delete_total",
      help: "Total number of deletes seen by this member.",
    }),
    etcdMvccTxn: counter(registry, {
      name: "etcd_mvcc_txn_total",
      help: "Total number of txns seen by this member.",
    }),
    etcdMvccRange: counter(registry, {
      name: "etcd_mvcc_range_total",
      help: "Total number of ranges seen by this member.",
    }),
    etcdWatchers: gauge(registry, {
      name: "etcd_debugging_mvcc_watcher_total",
      help: "Total number of watchers.",
    }),
    etcdGrpcReceivedBytes: counter(registry, {
      name: "etcd_network_client_grpc_received_bytes_total",
      help: "The total number of bytes received from grpc clients.",
    }),
    etcdGrpcSentBytes: counter(registry, {
      name: "etcd_network_client_grpc_sent_bytes_total",
      help: "The total number of bytes sent to grpc clients.",
    }),
  };
}
