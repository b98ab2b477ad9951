/**
 * The summary of a chaos run: what was sent and how it ended, the faults, abnormal node exits,
 * and the verdict line (`verdict: linearizable (N ops, M faults, W watch events)`, or the
 * checker's own words plus where the history is).
 *
 * @module
 */

import { type History, summarize, type VerifyReport } from "../verify/mod.ts";
import type { InjectedFault } from "./faults.ts";
import type { UnexpectedExit } from "./nodes.ts";
import type { TrafficStats } from "./traffic.ts";
import type { ChaosWatcher } from "./watchers.ts";

/** What {@linkcode describeRun} reports on. */
export interface RunFacts {
  /** What was asked for. */
  options: { seed: number; nodes: number; seconds: number };
  history: History;
  report: VerifyReport;
  stats: TrafficStats;
  watchers: readonly ChaosWatcher[];
  faults: readonly InjectedFault[];
  exits: readonly UnexpectedExit[];
  finalRevision: number | undefined;
  checkMs: number;
  runMs: number;
  historyPath: string;
  out: string;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** The summary lines (the verdict line last), the verdict, and the verdict line. */
export function describeRun(o: RunFacts): {
  lines: string[];
  verdict: "linearizable" | "violation" | "unknown";
  line: string;
} {
  const lines: string[] = [];
  lines.push(
    `seed ${o.options.seed}, ${o.options.nodes} node(s), ${o.options.seconds} s of traffic`,
  );
  lines.push(
    `operations: ${o.history.operations.length} (${o.stats.ok} ok, ${o.stats.fail} failed, ` +
      `${o.stats.unknown} unknown outcome), final revision ${o.finalRevision ?? "?"}`,
  );
  const topErrors = [...o.stats.errors].sort((a, b) => b[1] - a[1]).slice(0, 6);
  for (const [label, n] of topErrors) lines.push(`  ${n} × ${label}`);
  lines.push(
    `watches: ${o.history.watches.length} streams, ${o.report.watchEvents} events (` +
      o.watchers.map((w) => `${w.events} events on ${w.streams} streams`).join("; ") + ")",
  );
  lines.push(`faults: ${o.faults.length}`);
  for (const f of o.faults) {
    const rec = f.recoveredMs === undefined
      ? "NOT recovered in 30 s"
      : `recovered in ${seconds(f.recoveredMs)}`;
    lines.push(`  +${seconds(f.at)} ${f.kind} ${f.nodes.join(",")} for ${f.holdMs} ms, ${rec}`);
  }
  if (o.exits.length > 0) {
    lines.push(`abnormal node exits: ${o.exits.length}`);
    for (const e of o.exits) {
      const how = `code ${e.code}${e.signal ? ` (${e.signal})` : ""}`;
      lines.push(
        `  +${seconds(e.at)} ${e.node} ${e.when}, ${how}; its last lines:\n${e.lastLines}`,
      );
    }
  }
  lines.push(
    `checked in ${seconds(o.checkMs)} (${o.report.kv.checked} checked, ${o.report.kv.excluded} ` +
      `excluded, ${o.report.kv.explored} search steps); whole run ${seconds(o.runMs)}`,
  );
  lines.push(
    `history: ${o.historyPath}; node logs: ${o.out}/logs; timeline: ${o.out}/timeline.log`,
  );
  const kv = o.report.kv.verdict;
  const clean = kv === "linearizable" && (o.report.watch ?? []).length === 0;
  const verdict = clean ? "linearizable" : kv === "unknown" ? "unknown" : "violation";
  const checker = summarize(o.history, o.report);
  const line = clean
    ? `verdict: linearizable (${o.history.operations.length} ops, ${o.faults.length} faults, ` +
      `${o.report.watchEvents} watch events)`
    : `${checker} history saved at ${o.historyPath}`;
  lines.push(line);
  return { lines, verdict, line };
}
