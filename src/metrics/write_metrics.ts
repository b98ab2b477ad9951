/**
 * The write path and the revisions it moves: T4's `t4_writes_*`, `t4_forward*`, revision
 * gauges and auth attempts (`reference/t4.md` §6.3), plus `t4_applied_sequence`.
 *
 * @module
 */

import type { Counter, Gauge, Histogram, Registry } from "prom-client";
import { counter, gauge, histogram, initCounter, product } from "./_define.ts";

/** `op` values of `t4_writes_total`, `t4_write_errors_total` and `t4_write_duration_seconds`. */
export const WRITE_OPS = ["create", "update", "delete", "compact", "txn"] as const;
/** A local write operation, as the `op` label spells it. */
export type WriteOp = typeof WRITE_OPS[number];

/** `op` values of `t4_forwarded_writes_total` and `t4_forward_duration_seconds`. */
export const FORWARD_OPS = [
  "put",
  "create",
  "update",
  "delete",
  "compact",
  "get_revision",
  "txn",
] as const;
/** A request a follower forwards to the leader, as the `op` label spells it. */
export type ForwardOp = typeof FORWARD_OPS[number];

/** `result` values of `t4_auth_attempts_total`. */
export const AUTH_RESULTS = ["success", "fail", "locked"] as const;
/** The outcome of one `Authenticate` call. */
export type AuthResult = typeof AUTH_RESULTS[number];

/** Metrics of the local write path, forwarding and revisions. */
export interface WriteMetrics {
  /**
   * `t4_writes_total{op}`: +1 when a local write of kind `op` ({@linkcode WRITE_OPS}) has
   * committed (WAL fsynced and applied). Leader or single node only; a follower counts
   * forwarded writes in {@linkcode WriteMetrics.forwardedWrites}.
   */
  writes: Counter<"op">;
  /** `t4_write_errors_total{op}`: +1 when a local write of kind `op` returns an error. */
  writeErrors: Counter<"op">;
  /**
   * `t4_write_duration_seconds{op}`: one observation per local write, from the request
   * entering the commit pipeline until it is applied (WAL + apply, excluding forwarding).
   * Buckets .0001 .0005 .001 .005 .01 .05 .1 .5.
   */
  writeDuration: Histogram<"op">;
  /** `t4_forwarded_writes_total{op}`: +1 per request a follower forwards to the leader. */
  forwardedWrites: Counter<"op">;
  /**
   * `t4_forward_duration_seconds{op}`: the round trip of one forwarded request, observed by
   * the follower. Buckets .001 .005 .01 .025 .05 .1 .25 .5 1.
   */
  forwardDuration: Histogram<"op">;
  /** `t4_current_revision`: set to the store's revision after each applied batch. */
  currentRevision: Gauge<never>;
  /** `t4_compact_revision`: set to the compaction watermark after each compaction. */
  compactRevision: Gauge<never>;
  /**
   * `t4_applied_sequence`: set to the WAL sequence number of the last record applied to the
   * store (leader: after commit; follower: after applying a streamed batch).
   */
  appliedSequence: Gauge<never>;
  /** `t4_auth_attempts_total{result}`: +1 per `Authenticate` call, by {@linkcode AUTH_RESULTS}. */
  authAttempts: Counter<"result">;
}

/** Creates and registers {@linkcode WriteMetrics} on `registry`. */
export function createWriteMetrics(registry: Registry): WriteMetrics {
  const metrics: WriteMetrics = {
    writes: counter(registry, {
      name: "t4_writes_total",
      help: "Total write operations by op (create/update/delete/compact/txn).",
      labelNames: ["op"],
    }),
    writeErrors: counter(registry, {
      name: "t4_write_errors_total",
      help: "Total write errors by op type.",
      labelNames: ["op"],
    }),
    writeDuration: histogram(registry, {
      name: "t4_write_duration_seconds",
      help: "Write operation duration (local execution, excluding forwarding).",
      labelNames: ["op"],
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5],
    }),
    forwardedWrites: counter(registry, {
      name: "t4_forwarded_writes_total",
      help: "Total writes forwarded to the leader by this follower.",
      labelNames: ["op"],
    }),
    forwardDuration: histogram(registry, {
      name: "t4_forward_duration_seconds",
      help: "Forwarded write round-trip duration.",
      labelNames: ["op"],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    }),
    currentRevision: gauge(registry, {
      name: "t4_current_revision",
      help: "Latest applied revision.",
    }),
    compactRevision: gauge(registry, {
      name: "t4_compact_revision",
      help: "Compaction watermark revision.",
    }),
    appliedSequence: gauge(registry, {
      name: "t4_applied_sequence",
      help: "WAL sequence number of the last record applied to the store.",
    }),
    authAttempts: counter(registry, {
      name: "t4_auth_attempts_total",
      help: "Total authentication attempts by result (success/fail/locked).",
      labelNames: ["result"],
    }),
  };
  initCounter(metrics.writes, product({ op: WRITE_OPS }));
  initCounter(metrics.writeErrors, product({ op: WRITE_OPS }));
  initCounter(metrics.authAttempts, product({ result: AUTH_RESULTS }));
  return metrics;
}
