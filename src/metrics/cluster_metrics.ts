/**
 * Roles, elections and replication: T4's `t4_role`, `t4_elections_total`,
 * `t4_follower_resyncs_total` and `t4_follower_lag_revisions` (`reference/t4.md` §6.3), plus
 * `t4_fenced`.
 *
 * @module
 */

import type { Counter, Gauge, Registry } from "prom-client";
import { counter, gauge, initCounter, product } from "./_define.ts";

/** The roles a node can hold once its role is decided; each is one `t4_role{role}` series. */
export const NODE_ROLES = ["leader", "follower", "single"] as const;
/** A decided role: `single` is a node without peers (no `--peer-listen`). */
export type NodeRole = typeof NODE_ROLES[number];

/** `outcome` values of `t4_elections_total`. */
export const ELECTION_OUTCOMES = ["won", "lost"] as const;
/** `reason` values of `t4_follower_resyncs_total` (`reference/t4.md` §3.3). */
export const RESYNC_REASONS = ["behind_leader_start", "ring_buffer_miss", "stream_gap"] as const;
/** Why a follower threw away its state and restored from a checkpoint. */
export type ResyncReason = typeof RESYNC_REASONS[number];

/** Metrics of roles, leader election and WAL streaming to followers. */
export interface ClusterMetrics {
  /**
   * `t4_role{role}`: one series per {@linkcode NODE_ROLES}; the active role is 1, the others 0
   * (all 0 until the role is decided). Change it only through {@linkcode setRole}.
   */
  role: Gauge<"role">;
  /**
   * `t4_fenced`: 1 while this node knows it lost the leader lock (a newer term exists) and
   * refuses writes and reads; 0 otherwise.
   */
  fenced: Gauge<never>;
  /** `t4_elections_total{outcome}`: +1 per leader-lock attempt, `won` or `lost`. */
  elections: Counter<"outcome">;
  /**
   * `t4_follower_resyncs_total{reason}`: +1 each time a follower restores from a checkpoint
   * instead of streaming, by {@linkcode RESYNC_REASONS}.
   */
  followerResyncs: Counter<"reason">;
  /**
   * `t4_follower_lag_revisions{follower_id}`: on the leader, set per connected follower to
   * leader revision − last revision the follower acknowledged (0 = caught up). Call
   * `followerLag.remove({ follower_id })` when that follower's stream closes, so only
   * connected followers appear.
   */
  followerLag: Gauge<"follower_id">;
}

/** Creates and registers {@linkcode ClusterMetrics} on `registry`. */
export function createClusterMetrics(registry: Registry): ClusterMetrics {
  const metrics: ClusterMetrics = {
    role: gauge(registry, {
      name: "t4_role",
      help: "Current node role; 1 = active, 0 = inactive.",
      labelNames: ["role"],
    }),
    fenced: gauge(registry, {
      name: "t4_fenced",
      help: "1 while this node has been fenced by a newer leader term, else 0.",
    }),
    elections: counter(registry, {
      name: "t4_elections_total",
      help: "Total leader election attempts by outcome (won/lost).",
      labelNames: ["outcome"],
    }),
    followerResyncs: counter(registry, {
      name: "t4_follower_resyncs_total",
      help: "Total follower resyncs by trigger reason.",
      labelNames: ["reason"],
    }),
    followerLag: gauge(registry, {
      name: "t4_follower_lag_revisions",
      help: "Number of revisions the follower is behind the leader (0 = fully caught up).",
      labelNames: ["follower_id"],
    }),
  };
  for (const role of NODE_ROLES) metrics.role.set({ role }, 0);
  initCounter(metrics.elections, product({ outcome: ELECTION_OUTCOMES }));
  initCounter(metrics.followerResyncs, product({ reason: RESYNC_REASONS }));
  return metrics;
}

/** The gauges a role change moves: T4's one-hot `t4_role` and etcd's `etcd_server_is_leader`. */
export interface RoleGauges {
  /** `t4_role{role}`. */
  role: Gauge<"role">;
  /** `etcd_server_is_leader`. */
  etcdIsLeader: Gauge<never>;
}

/**
 * Sets `t4_role` so that exactly `role` is 1 (none is for `"unknown"`), and
 * `etcd_server_is_leader` to 1 on a leader or single node.
 */
export function setRole(metrics: RoleGauges, role: NodeRole | "unknown"): void {
  for (const r of NODE_ROLES) metrics.role.set({ role: r }, r === role ? 1 : 0);
  metrics.etcdIsLeader.set(role === "leader" || role === "single" ? 1 : 0);
}
