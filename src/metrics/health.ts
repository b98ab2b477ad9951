/**
 * What the HTTP health endpoints ask the node: {@linkcode HealthSource}, and
 * {@linkcode NodeHealth}, the implementation the node composition root feeds as it starts.
 *
 * @module
 */

import { type NodeRole, setRole } from "./cluster_metrics.ts";
import type { Metrics } from "./metrics.ts";

/** Whether the node can serve reads, and if not, why (the text `/readyz` answers with). */
export type Readiness = { ok: true } | { ok: false; reason: string };

/** A role, or `"unknown"` while recovery or the first election is still running. */
export type HealthRole = NodeRole | "unknown";

/**
 * The node state the health endpoints report. The methods are called on every probe, so they
 * must be cheap and must not block.
 */
export interface HealthSource {
  /** True once the process finished starting (listeners bound); `/healthz` is 200 from then on. */
  started(): boolean;
  /** Whether reads can be served now: recovered, role decided, not fenced. */
  ready(): Readiness;
  /** The current role; `/healthz/leader` is 200 for `leader` and `single`. */
  role(): HealthRole;
}

/** Options of {@linkcode NodeHealth}. */
export interface NodeHealthOptions {
  /** If given, role and fencing changes also move `t4_role`, `etcd_server_is_leader`, `t4_fenced`. */
  metrics?: Pick<Metrics, "role" | "etcdIsLeader" | "fenced">;
}

/**
 * A {@linkcode HealthSource} the node moves as it starts: `markStarted()`, then
 * `markRecovered()` after local replay or restore, `setRole()` after the election (or at once
 * for a single node), `setFenced(true)` when a newer leader term appears.
 *
 * @example
 * ```ts
 * import { NodeHealth } from "./health.ts";
 * const health = new NodeHealth();
 * health.markStarted();
 * health.markRecovered();
 * health.setRole("single");
 * if (!health.ready().ok) throw new Error("a recovered single node is ready");
 * ```
 */
export class NodeHealth implements HealthSource {
  #started = false;
  #recovered = false;
  #role: HealthRole = "unknown";
  #fenced = false;
  #fencedReason = "a newer leader term exists";
  #restore: { done: number; total: number } | undefined;
  #metrics: NodeHealthOptions["metrics"];

  /** Creates a source that reports "starting" until told otherwise. */
  constructor(options: NodeHealthOptions = {}) {
    this.#metrics = options.metrics;
  }

  /** Records that the process has started; `/healthz` answers 200 from now on. */
  markStarted(): void {
    this.#started = true;
  }

  /** Records that local WAL replay (or restore from a checkpoint) has finished. */
  markRecovered(): void {
    this.#recovered = true;
  }

  /** Records the role decided by the election, or `"unknown"` while a new one runs. */
  setRole(role: HealthRole): void {
    this.#role = role;
    if (this.#metrics) setRole(this.#metrics, role);
  }

  /** Records whether this node has been fenced by a newer leader term. */
  setFenced(fenced: boolean): void {
    this.#fenced = fenced;
    this.#metrics?.fenced.set(fenced ? 1 : 0);
  }

  /** Records how far restoring a checkpoint from the object store has got (bytes). */
  setRestoreProgress(done: number, total: number): void {
    this.#restore = { done, total };
  }

  /** Records why the node is fenced (shown by `/readyz`). */
  setFencedReason(reason: string): void {
    this.#fencedReason = reason;
  }

  /** {@inheritDoc HealthSource.started} */
  started(): boolean {
    return this.#started;
  }

  /** {@inheritDoc HealthSource.ready} */
  ready(): Readiness {
    if (!this.#started) return { ok: false, reason: "starting" };
    if (!this.#recovered) {
      const r = this.#restore;
      if (r && r.done < r.total) {
        const pct = r.total > 0 ? Math.floor((r.done / r.total) * 100) : 0;
        return {
          ok: false,
          reason: `recovering: restoring a checkpoint, ${pct}% of ${r.total} bytes`,
        };
      }
      return { ok: false, reason: "recovering: WAL replay not finished" };
    }
    if (this.#role === "unknown") return { ok: false, reason: "role not decided yet" };
    if (this.#fenced) return { ok: false, reason: `fenced: ${this.#fencedReason}` };
    return { ok: true };
  }

  /** {@inheritDoc HealthSource.role} */
  role(): HealthRole {
    return this.#role;
  }
}
