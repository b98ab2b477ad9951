/**
 * {@linkcode createMetrics}: every metric T4 exports, as one typed object, registered on a
 * registry the caller owns.
 *
 * The fields are grouped by the layer that moves them; each field's doc says which event
 * moves it:
 *
 * | group | file | names |
 * |---|---|---|
 * | {@linkcode WriteMetrics} | `write_metrics.ts` | `t4_writes_*`, `t4_forward*`, `t4_*_revision`, `t4_applied_sequence`, `t4_auth_attempts_total` |
 * | {@linkcode ClusterMetrics} | `cluster_metrics.ts` | `t4_role`, `t4_fenced`, `t4_elections_total`, `t4_follower_*` |
 * | {@linkcode StorageMetrics} | `storage_metrics.ts` | `t4_wal_*`, `t4_checkpoint*`, `t4_restore_*`, `t4_object_store_*` |
 * | {@linkcode WatchMetrics} | `watch_metrics.ts` | `t4_watch_*`, `t4_lease*` |
 * | {@linkcode EtcdMetrics} | `etcd_metrics.ts` | etcd's `etcd_server_*`, `etcd_mvcc_*`, `etcd_disk_*`, `etcd_network_*` |
 * | {@linkcode GrpcMetrics} | `grpc_metrics.ts` | go-grpc-prometheus's `grpc_server_*` |
 *
 * Process metrics (`process_*`, `nodejs_*`, `deno_version_info`) are collected at scrape time
 * and have no field; `process_metrics.ts` says which come from prom-client and which are ours.
 *
 * @module
 */

import type { Registry } from "prom-client";
import { type ClusterMetrics, createClusterMetrics } from "./cluster_metrics.ts";
import { createEtcdMetrics, type EtcdMetrics } from "./etcd_metrics.ts";
import { createGrpcMetrics, type GrpcMetrics } from "./grpc_metrics.ts";
import { registerProcessMetrics } from "./process_metrics.ts";
import { createStorageMetrics, type StorageMetrics } from "./storage_metrics.ts";
import { createWatchMetrics, type WatchMetrics } from "./watch_metrics.ts";
import { createWriteMetrics, type WriteMetrics } from "./write_metrics.ts";

/** Every metric of one T4 node. Pass it down to the layers; each moves its own fields. */
export interface Metrics
  extends WriteMetrics, ClusterMetrics, StorageMetrics, WatchMetrics, EtcdMetrics, GrpcMetrics {}

/** Options of {@linkcode createMetrics}. */
export interface CreateMetricsOptions {
  /**
   * Also register the process metrics (CPU, memory, file descriptors, event loop lag, heap).
   * Default true; a program embedding several stores in one process wants them once.
   */
  processMetrics?: boolean;
}

/**
 * Creates every T4 metric and registers it on `registry` (never on prom-client's global
 * registry), so each test, and each store embedded in one process, gets its own.
 *
 * Series with a small fixed set of label values (`t4_writes_total{op}`, `t4_role{role}`,
 * `t4_object_store_ops_total{op,result}` …) exist at 0 from the start, so `rate()` and the
 * alert rules see them before the first event.
 *
 * @throws {Error} if `registry` already holds a metric of the same name.
 */
export function createMetrics(registry: Registry, options: CreateMetricsOptions = {}): Metrics {
  const metrics: Metrics = {
    ...createWriteMetrics(registry),
    ...createClusterMetrics(registry),
    ...createStorageMetrics(registry),
    ...createWatchMetrics(registry),
    ...createEtcdMetrics(registry),
    ...createGrpcMetrics(registry),
  };
  if (options.processMetrics ?? true) registerProcessMetrics(registry);
  return metrics;
}
