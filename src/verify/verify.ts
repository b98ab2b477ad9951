/**
 * The whole check of a recorded run: linearizability of the KV operations, then the watch
 * guarantees against the revision log of the linearization found.
 *
 * @module
 */

import { checkHistory, type CheckHistoryOptions, type KvVerdict } from "./check.ts";
import type { History } from "./history.ts";
import { replayOperations, type RevisionLog, revisionLogFromState } from "./revision_log.ts";
import { checkWatches, type WatchCheckOptions, type WatchViolation } from "./watch_check.ts";

/** Options of {@linkcode verifyHistory}. */
export interface VerifyOptions extends CheckHistoryOptions, WatchCheckOptions {}

/** What {@linkcode verifyHistory} found. */
export interface VerifyReport {
  kv: KvVerdict;
  /** The revision log of the linearization; absent unless `kv` is linearizable. */
  log?: RevisionLog;
  /** Watch violations; absent unless `kv` is linearizable (there is no log to check against). */
  watch?: WatchViolation[];
  /** Events received over all watches. */
  watchEvents: number;
}

/** Checks a run's KV operations and, if they are linearizable, its watches. */
export function verifyHistory(history: History, options: VerifyOptions = {}): VerifyReport {
  const watchEvents = history.watches.reduce(
    (n, w) => n + w.responses.reduce((m, r) => m + r.events.length, 0),
    0,
  );
  const kv = checkHistory(history, options);
  if (kv.verdict !== "linearizable") return { kv, watchEvents };
  // The watches must hold for one of the linearizations that explain the KV history.
  let best: { log: RevisionLog; watch: WatchViolation[] } | undefined;
  for (const order of [kv.order, ...kv.alternatives]) {
    const log = revisionLogFromState(replayOperations(history.operations, order));
    const watch = checkWatches(history.watches, log, options);
    if (!best || watch.length < best.watch.length) best = { log, watch };
    if (watch.length === 0) break;
  }
  return { kv, ...best!, watchEvents };
}

/** The report as one line: `verdict: linearizable (N ops, W watch events)` or a violation. */
export function summarize(history: History, report: VerifyReport): string {
  const kv = report.kv;
  const size = `${history.operations.length} ops, ${report.watchEvents} watch events`;
  if (kv.verdict === "unknown") {
    return `verdict: UNKNOWN (${kv.detail} after ${kv.explored} steps; ${size})`;
  }
  if (kv.verdict === "violation") {
    const why = kv.candidates.length > 0 ? `; tried: ${kv.candidates.join(" | ")}` : "";
    if (kv.by === "precheck") return `verdict: VIOLATION (kv) ${kv.candidates[0]}`;
    return `verdict: VIOLATION (kv) after a linearizable prefix of ${kv.prefix.length} ops, ` +
      `cannot place ${kv.blocked}${why}`;
  }
  const w = report.watch ?? [];
  if (w.length > 0) {
    const first = w.slice(0, 5).map((v) => `watch #${v.watch} ${v.kind}: ${v.message}`);
    return `verdict: VIOLATION (watch, ${w.length} found) ${first.join(" | ")}`;
  }
  return `verdict: linearizable (${size})`;
}
