/**
 * Checks a recorded {@linkcode History} against the etcd model: which operations go into the
 * linearizability search and how, and the verdict in terms of the history's operation ids.
 *
 * What goes in:
 * - every operation with a response; serializable reads as relaxed reads (see `model_step.ts`)
 *   whose floor is the highest revision the same client had seen when it sent the read
 *   (its own writes and reads that had returned), unless `sessionGuarantees` is off;
 * - definite failures whose code the model predicts (`compacted`, `future-revision`,
 *   `lease-not-found`, `lease-exists`); other failures had no effect and are left out;
 * - writes with an unknown outcome; reads with an unknown outcome are left out (no effect);
 * - for each watch event at a revision that no acknowledged write claims, one observation
 *   that the write happened before the event arrived. This is how an unknown-outcome write
 *   that a watch saw gets placed at the revision the watch saw it at.
 *
 * Order of work: `precheck.ts` first (certain violations, no search), then the search with
 * the pool model (`pool_model.ts`), where unknown-outcome writes are optional effects.
 *
 * @module
 */

import { describeOperation } from "./_describe.ts";
import { show } from "./_diff.ts";
import type { History, Operation } from "./history.ts";
import { type CheckEntry, checkLinearizable } from "./linearizability.ts";
import { MODEL_ERROR_CODES, type ModelErrorCode } from "./model.ts";
import type { ModelInput, ModelOutput } from "./model_step.ts";
import { poolModel, type PoolWrite } from "./pool_model.ts";
import { created, precheck } from "./precheck.ts";
import type { KvRequest } from "./types.ts";

const MAX_ALTERNATIVES = 8;

/** Options of {@linkcode checkHistory}. */
export interface CheckHistoryOptions {
  /** Give up with `unknown` after this long; 10 s by default. */
  timeoutMs?: number;
  /** Do not compare the header revision of linearizable range responses. */
  ignoreReadHeaderRevision?: boolean;
  /** `"check"` (default): check serializable reads as relaxed reads; `"exclude"`: skip them. */
  serializable?: "check" | "exclude";
  /** Serializable reads must not go below what the same client already saw; on by default. */
  sessionGuarantees?: boolean;
  /**
   * How long after its client gave up an unknown-outcome write may still take effect; 60 s by
   * default. `Infinity` is exact but lets ambiguity pile up on long runs with many such writes.
   */
  unknownEffectWindowMs?: number;
  /** Look for certain violations before searching (`precheck.ts`); on by default. */
  precheck?: boolean;
}

/** The verdict on a history's KV operations; ids are {@linkcode Operation.id}s. */
export type KvVerdict =
  & { checked: number; excluded: number; explored: number }
  & (
    | {
      verdict: "linearizable";
      /** Every operation that took effect (unknown-outcome ones included), in order. */
      order: number[];
      /** The unknown-outcome writes this linearization needs to have happened. */
      applied: number[];
      /** Other orders that explain the history as well (a few at most). */
      alternatives: number[][];
    }
    | {
      verdict: "violation";
      /** `precheck`: a certain violation found without search (see `precheck.ts`). */
      by: "precheck" | "search";
      prefix: number[];
      blocked: string;
      candidates: string[];
    }
    | { verdict: "unknown"; reason: "timeout" | "limit"; detail: string; prefix: number[] }
  );

function readOnly(r: KvRequest): boolean {
  if (r.type === "range") return true;
  return r.type === "txn" && [...r.success, ...r.failure].every((op) => op.type === "range");
}

function isSerializable(op: Operation): boolean {
  return op.input.type === "range" && op.input.serializable === true;
}

function seenRevision(op: Operation, ignoreReadHeader: boolean): number {
  if (op.outcome.kind !== "ok") return 0;
  if (op.input.type === "range" && !op.input.serializable && ignoreReadHeader) return 0;
  return op.outcome.output.revision;
}

/** Per serializable read: the highest revision its client had seen when it was sent. */
function floors(ops: Operation[], ignoreReadHeader: boolean): Map<number, number> {
  const out = new Map<number, number>();
  const byClient = Map.groupBy(ops, (op) => op.client);
  for (const mine of byClient.values()) {
    const returned = mine.toSorted((a, b) => a.returnTime - b.returnTime);
    const invoked = mine.filter(isSerializable).sort((a, b) => a.invokeTime - b.invokeTime);
    let i = 0, seen = 0;
    for (const read of invoked) {
      while (i < returned.length && returned[i]!.returnTime <= read.invokeTime) {
        seen = Math.max(seen, seenRevision(returned[i++]!, ignoreReadHeader));
      }
      out.set(read.id, seen);
    }
  }
  return out;
}

/** The revisions acknowledged writes were answered with, and when each was invoked. */
function claimedRevisions(ops: Operation[]): Map<number, number> {
  const claimed = new Map<number, number>();
  for (const op of ops) {
    if (op.outcome.kind === "ok" && created(op.outcome.output)) {
      claimed.set(op.outcome.output.revision, op.invokeTime);
    }
  }
  return claimed;
}

/**
 * The earliest time revision `rev` can have existed: after the write that claims the closest
 * revision below it was invoked. Watch observations start there, which keeps them out of the
 * search's candidates until they can matter.
 */
function existsAfter(claimed: Map<number, number>, sorted: number[], rev: number): number {
  let lo = 0, hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < rev) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? -Infinity : claimed.get(sorted[lo - 1]!)!;
}

function entryOf(
  op: Operation,
  options: CheckHistoryOptions,
  floor: number | undefined,
): CheckEntry<ModelInput, ModelOutput> | undefined {
  const o = op.outcome;
  if (o.kind === "unknown") return undefined;
  const input: ModelInput = { kind: "request", request: op.input };
  const entry = { input, call: op.invokeTime, return: op.returnTime };
  if (isSerializable(op)) {
    if (o.kind !== "ok" || options.serializable === "exclude") return undefined;
    input.serializableFloor = options.sessionGuarantees === false ? 0 : floor ?? 0;
  }
  if (o.kind === "ok") return { ...entry, output: { kind: "ok", response: o.output } };
  if (!MODEL_ERROR_CODES.has(o.error.code)) return undefined;
  return { ...entry, output: { kind: "error", code: o.error.code as ModelErrorCode } };
}

/**
 * One observation per watch event at a revision no acknowledged write claims (deduplicated by
 * revision and key): that write happened before the event arrived, exactly as the event says.
 */
function watchEvidence(
  history: History,
  claimed: Map<number, number>,
): [CheckEntry<ModelInput, ModelOutput>, string][] {
  const sorted = [...claimed.keys()].sort((a, b) => a - b);
  const seen = new Set<string>();
  const out: [CheckEntry<ModelInput, ModelOutput>, string][] = [];
  for (const w of history.watches) {
    for (const res of w.responses) {
      for (const event of res.events) {
        const rev = event.kv.modRevision;
        const at = `${rev}\0${event.kv.key}`;
        if (claimed.has(rev) || seen.has(at)) continue;
        seen.add(at);
        const input: ModelInput = { kind: "evidence", event, watch: w.id };
        const call = Math.min(res.time, Math.max(w.startTime, existsAfter(claimed, sorted, rev)));
        out.push([
          { input, output: { kind: "observed" }, call, return: res.time },
          `watch #${w.id} ${event.type} ${show(event.kv.key)} at revision ${rev}`,
        ]);
      }
    }
  }
  return out;
}

/** Whether an unknown-outcome request could have changed anything a later request sees. */
function mayHaveEffect(r: KvRequest): boolean {
  return !readOnly(r) && !(r.type === "lease-grant" && r.id === 0n);
}

/** Checks that the KV operations of `history` are linearizable (see the module doc). */
export function checkHistory(history: History, options: CheckHistoryOptions = {}): KvVerdict {
  const ops = history.operations;
  const certain = options.precheck === false ? undefined : precheck(history, options);
  if (certain) {
    return {
      checked: ops.length,
      excluded: 0,
      explored: 0,
      verdict: "violation",
      by: "precheck",
      prefix: [],
      blocked: describeOperation(ops[certain.operation]!),
      candidates: [certain.message],
    };
  }
  const floor = floors(ops, options.ignoreReadHeaderRevision ?? false);
  const entries: CheckEntry<ModelInput, ModelOutput>[] = [];
  const labels: (Operation | string)[] = [];
  const pool: PoolWrite[] = [];
  const poolIds: number[] = [];
  for (const op of ops) {
    if (op.outcome.kind === "unknown") {
      if (!mayHaveEffect(op.input)) continue;
      const deadline = op.returnTime + (options.unknownEffectWindowMs ?? 60_000);
      pool.push({ request: op.input, call: op.invokeTime, deadline });
      poolIds.push(op.id);
      continue;
    }
    const e = entryOf(op, options, floor.get(op.id));
    if (e) {
      entries.push(e);
      labels.push(op);
    }
  }
  const base = {
    checked: entries.length + pool.length,
    excluded: ops.length - entries.length - pool.length,
  };
  const claimed = claimedRevisions(ops);
  for (const [entry, label] of watchEvidence(history, claimed)) {
    entries.push(entry);
    labels.push(label);
  }
  const starts = history.watches.map((w) => w.request.startRevision || 1);
  const watchFloor = Math.min(...starts);
  const model = poolModel(pool, { ...options, claimed: new Set(claimed.keys()), watchFloor });
  const result = checkLinearizable(model, entries, options);
  const ids = (xs: number[]) =>
    xs.flatMap((i) => {
      const l = labels[i]!;
      return typeof l === "string" ? [] : [l.id];
    });
  const label = (i: number) => {
    const l = labels[i]!;
    return typeof l === "string" ? l : describeOperation(l);
  };
  const stats = { ...base, explored: result.explored };
  switch (result.verdict) {
    case "linearizable": {
      // Every surviving world is a valid explanation; keep a few for the watch checks, which
      // may tell them apart.
      const orders = result.state.members.slice(0, MAX_ALTERNATIVES).map((m) => {
        const applied = model.applied(m);
        const order: number[] = [];
        let a = 0;
        result.order.forEach((entry, depth) => {
          while (a < applied.length && applied[a]!.depth === depth) {
            order.push(poolIds[applied[a++]!.pool]!);
          }
          order.push(...ids([entry]));
        });
        while (a < applied.length) order.push(poolIds[applied[a++]!.pool]!);
        return { order, applied: applied.map((x) => poolIds[x.pool]!) };
      });
      const first = orders[0]!;
      return {
        ...stats,
        verdict: "linearizable",
        order: first.order,
        applied: first.applied,
        alternatives: orders.slice(1).map((o) => o.order),
      };
    }
    case "unknown":
      return {
        ...stats,
        verdict: "unknown",
        reason: result.reason,
        detail: result.detail,
        prefix: ids(result.prefix),
      };
    case "violation":
      return {
        ...stats,
        verdict: "violation",
        by: "search",
        prefix: ids(result.prefix),
        blocked: label(result.blocked),
        candidates: result.candidates.map((c) =>
          `${label(c.entry)}: ${c.reason}` +
          (c.strands === undefined ? "" : `, after which ${label(c.strands)} can never be placed`)
        ),
      };
  }
}
