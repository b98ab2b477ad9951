/**
 * Fast, certain violations, found before the search: proving a violation by search means
 * trying every order, which on a long history can exceed the time budget. etcd's revisions
 * make two facts checkable directly:
 *
 * - **Real time orders revisions.** If A returned before B was sent, then in every
 *   linearization A comes first, and the store's revision never decreases: a read B must
 *   report a header revision at least A's, a write B must create one above it.
 * - **A fully acknowledged prefix has one replay.** When every revision 2..P was answered to
 *   exactly one acknowledged write, those writes are in revision order in every
 *   linearization (no unknown-outcome write can take a claimed revision), so replaying them
 *   in that order gives the only possible state at each revision ≤ P. Every response about
 *   revisions ≤ P must match it. Lease existence is not checked here (a write that succeeded
 *   found its lease), nor compaction (it changes no contents).
 *
 * Only linearizable, acknowledged operations take part. Anything this pass cannot decide is
 * left to the search, which remains the complete check.
 *
 * @module
 */

import { describeOperation } from "./_describe.ts";
import { diffResponse } from "./_diff.ts";
import type { History, Operation } from "./history.ts";
import { applyRequest, type EtcdState, INITIAL_STATE } from "./model.ts";
import type { KvResponse } from "./types.ts";

/** A certain violation: which operation, and why. */
export interface PrecheckViolation {
  operation: number;
  message: string;
}

type Acked = Operation & { outcome: { kind: "ok"; output: KvResponse } };

function acked(op: Operation): op is Acked {
  return op.outcome.kind === "ok";
}

/** Whether an acknowledged response says its request created a revision. */
export function created(r: KvResponse): boolean {
  return r.type === "put" || (r.type === "delete" && r.deleted > 0) ||
    (r.type === "txn" && r.responses.some(created));
}

/** An empty store in which every lease the acknowledged requests use is granted. */
function leasesGranted(ops: Acked[]): EtcdState {
  let s = INITIAL_STATE;
  for (const op of ops) {
    const r = op.input;
    const writes = r.type === "txn" ? [...r.success, ...r.failure] : [r];
    for (const w of writes) {
      if (w.type !== "put" || !w.lease) continue;
      s = applyRequest(s, { type: "lease-grant", id: w.lease, ttl: 1 }).state;
    }
  }
  return s;
}

function realTime(ops: Acked[], ignoreReadHeader: boolean): PrecheckViolation | undefined {
  const timed = ops.filter((op) => {
    const r = op.input;
    if (r.type === "range" && (r.serializable || ignoreReadHeader)) return false;
    return r.type !== "compact"; // the compact header is the current revision, like a read's
  });
  const byReturn = timed.toSorted((a, b) => a.returnTime - b.returnTime);
  const byInvoke = timed.toSorted((a, b) => a.invokeTime - b.invokeTime);
  let i = 0;
  let before: Acked | undefined;
  for (const b of byInvoke) {
    while (i < byReturn.length && byReturn[i]!.returnTime < b.invokeTime) {
      const a = byReturn[i++]!;
      if (!before || a.outcome.output.revision > before.outcome.output.revision) before = a;
    }
    if (!before) continue;
    const floor = before.outcome.output.revision;
    const rev = b.outcome.output.revision;
    if (created(b.outcome.output) ? rev > floor : rev >= floor) continue;
    return {
      operation: b.id,
      message: `${describeOperation(b)} was sent after ${describeOperation(before)} returned, ` +
        `so it must ${created(b.outcome.output) ? "create a revision above" : "see at least"} ` +
        `revision ${floor}`,
    };
  }
  return undefined;
}

function replay(ops: Acked[], ignoreReadHeader: boolean): PrecheckViolation | undefined {
  const writers = new Map<number, Acked>();
  for (const op of ops) {
    if (!created(op.outcome.output)) continue;
    const rev = op.outcome.output.revision;
    const other = writers.get(rev);
    if (other) {
      return {
        operation: op.id,
        message: `${describeOperation(op)} and ${describeOperation(other)} both created ${rev}`,
      };
    }
    writers.set(rev, op);
  }
  let s = leasesGranted(ops);
  const states: EtcdState[] = [s];
  for (let rev = 2; writers.has(rev); rev++) {
    const op = writers.get(rev)!;
    const r = applyRequest(s, op.input);
    const d = r.ok
      ? diffResponse(op.input, r.response, op.outcome.output, { ignoreReadHeaderRevision: false })
      : `expected error ${r.error}`;
    if (d) {
      return { operation: op.id, message: `${describeOperation(op)}: ${d} (in the only order)` };
    }
    states[rev - 1] = s = r.state;
  }
  const last = s.revision;
  for (const op of ops) {
    const res = op.outcome.output, req = op.input;
    if (created(res) || res.revision > last || !(req.type === "range" || req.type === "txn")) {
      continue;
    }
    if (req.type === "range" && ignoreReadHeader && !req.serializable) continue;
    const at = states[res.revision - 1]!;
    const r = applyRequest(at, req);
    if (!r.ok) continue; // a historical read the state at `at` cannot serve: the search decides
    const d = diffResponse(req, r.response, res, { ignoreReadHeaderRevision: false });
    if (d) {
      return { operation: op.id, message: `${describeOperation(op)}: ${d} (in the only order)` };
    }
  }
  return undefined;
}

/** The first certain violation in `history`, or `undefined` when the search must decide. */
export function precheck(
  history: History,
  options: { ignoreReadHeaderRevision?: boolean } = {},
): PrecheckViolation | undefined {
  const ops = history.operations.filter(acked);
  const ignore = options.ignoreReadHeaderRevision ?? false;
  return realTime(ops, ignore) ?? replay(ops, ignore);
}
