/**
 * WAL, checkpoints and the object store: T4's `t4_wal_*`, `t4_checkpoints_total` and
 * `t4_object_store_*` (`reference/t4.md` §6.3), plus group-commit, checkpoint and restore
 * metrics of this implementation.
 *
 * @module
 */

import type { Counter, Histogram, Registry } from "prom-client";
import { counter, histogram, initCounter, product } from "./_define.ts";

/** `op` values of `t4_object_store_ops_total` and `t4_object_store_duration_seconds`. */
export const OBJECT_STORE_OPS = [
  "get",
  "put",
  "delete",
  "delete_many",
  "list",
  "get_etag",
  "put_if_absent",
  "put_if_match",
] as const;
/** One `ObjectStore` method, as the `op` label spells it. */
export type ObjectStoreOp = typeof OBJECT_STORE_OPS[number];
/** `result` values of `t4_object_store_ops_total`. */
export const OBJECT_STORE_RESULTS = ["success", "error"] as const;

/** `result` values of `t4_checkpoint_chunks_total`. */
export const CHECKPOINT_CHUNK_RESULTS = ["uploaded", "reused"] as const;

/** Buckets of the checkpoint and restore durations: 100 ms to 10 min. */
const LONG_OPERATION_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/** Metrics of WAL durability and upload, checkpoints, restores and object store calls. */
export interface StorageMetrics {
  /** `t4_wal_uploads_total`: +1 per sealed WAL segment uploaded to the object store. */
  walUploads: Counter<never>;
  /** `t4_wal_upload_errors_total`: +1 per failed segment upload attempt. */
  walUploadErrors: Counter<never>;
  /**
   * `t4_wal_upload_duration_seconds`: one observation per successful segment upload.
   * Buckets .01 .05 .1 .5 1 5 10.
   */
  walUploadDuration: Histogram<never>;
  /** `t4_wal_gc_segments_total`: + the number of WAL segments GC deleted from the object store. */
  walGcSegments: Counter<never>;
  /**
   * `t4_wal_fsync_batch_size`: one observation per group commit (one fdatasync) with the
   * number of entries it made durable. Buckets 1, 2, 4 … 4096.
   */
  walFsyncBatchSize: Histogram<never>;
  /** `t4_checkpoints_total`: +1 per checkpoint whose manifest was written. */
  checkpoints: Counter<never>;
  /**
   * `t4_checkpoint_duration_seconds`: one observation per successful checkpoint, from the
   * engine snapshot to the manifest write. Buckets .1 s … 600 s.
   */
  checkpointDuration: Histogram<never>;
  /** `t4_checkpoint_uploaded_bytes_total`: + the bytes of chunks a checkpoint uploaded. */
  checkpointUploadedBytes: Counter<never>;
  /**
   * `t4_checkpoint_chunks_total{result}`: +1 per chunk of a checkpoint, `uploaded` when it
   * was new, `reused` when a chunk with the same content hash was already stored.
   */
  checkpointChunks: Counter<"result">;
  /**
   * `t4_restore_duration_seconds`: one observation per restore from a checkpoint (startup
   * with an empty data dir, follower resync, `t4 restore`). Buckets .1 s … 600 s.
   */
  restoreDuration: Histogram<never>;
  /**
   * `t4_object_store_ops_total{op,result}`: +1 per object store call ({@linkcode OBJECT_STORE_OPS}),
   * `success` or `error`. A precondition failure of `put_if_absent`/`put_if_match` is an
   * answer, not an error: count it as `success`.
   */
  objectStoreOps: Counter<"op" | "result">;
  /**
   * `t4_object_store_duration_seconds{op}`: one observation per object store call, either
   * result. Buckets .005 .01 .025 .05 .1 .25 .5 1 2.5 5 10.
   */
  objectStoreDuration: Histogram<"op">;
}

/** Creates and registers {@linkcode StorageMetrics} on `registry`. */
export function createStorageMetrics(registry: Registry): StorageMetrics {
  const metrics: StorageMetrics = {
    walUploads: counter(registry, {
      name: "t4_wal_uploads_total",
      help: "Total WAL segments uploaded to object storage.",
    }),
    walUploadErrors: counter(registry, {
      name: "t4_wal_upload_errors_total",
      help: "Total WAL segment upload errors.",
    }),
    walUploadDuration: histogram(registry, {
      name: "t4_wal_upload_duration_seconds",
      help: "WAL segment upload duration.",
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10],
    }),
    walGcSegments: counter(registry, {
      name: "t4_wal_gc_segments_total",
      help: "Total WAL segments deleted from object storage during GC.",
    }),
    walFsyncBatchSize: histogram(registry, {
      name: "t4_wal_fsync_batch_size",
      help: "WAL entries made durable by one group commit (one fdatasync).",
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096],
    }),
    checkpoints: counter(registry, {
      name: "t4_checkpoints_total",
      help: "Total checkpoints written to object storage.",
    }),
    checkpointDuration: histogram(registry, {
      name: "t4_checkpoint_duration_seconds",
      help: "Duration of a checkpoint, from engine snapshot to manifest write.",
      buckets: LONG_OPERATION_BUCKETS,
    }),
    checkpointUploadedBytes: counter(registry, {
      name: "t4_checkpoint_uploaded_bytes_total",
      help: "Total bytes of checkpoint chunks uploaded to object storage.",
    }),
    checkpointChunks: counter(registry, {
      name: "t4_checkpoint_chunks_total",
      help: "Total checkpoint chunks by result (uploaded/reused).",
      labelNames: ["result"],
    }),
    restoreDuration: histogram(registry, {
      name: "t4_restore_duration_seconds",
      help: "Duration of a restore from a checkpoint.",
      buckets: LONG_OPERATION_BUCKETS,
    }),
    objectStoreOps: counter(registry, {
      name: "t4_object_store_ops_total",
      help: "Total object storage operations by op " +
        "(get/put/delete/delete_many/list/get_etag/put_if_absent/put_if_match) " +
        "and result (success/error).",
      labelNames: ["op", "result"],
    }),
    objectStoreDuration: histogram(registry, {
      name: "t4_object_store_duration_seconds",
      help: "Object storage operation latency.",
      labelNames: ["op"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    }),
  };
  initCounter(metrics.checkpointChunks, product({ result: CHECKPOINT_CHUNK_RESULTS }));
  initCounter(
    metrics.objectStoreOps,
    product({ op: OBJECT_STORE_OPS, result: OBJECT_STORE_RESULTS }),
  );
  return metrics;
}
