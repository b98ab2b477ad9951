/**
 * What the pool model knows about requests and responses: which unknown-outcome requests are
 * interchangeable (same effect on the store), what a response proves about revisions still
 * missing, and which entries may look at old revisions or need a lease or compaction change.
 *
 * @module
 */

import type { EtcdModelOptions, ModelInput, ModelOutput } from "./model_step.ts";
import type { EtcdState } from "./model.ts";
import type { KvRequest, TxnOp } from "./types.ts";

/**
 * The part of a request that decides its effect on the store: no `prevKv` flags, no reads in
 * Txn branches except those with a revision (which can fail the Txn).
 */
export function effect(r: KvRequest | TxnOp): unknown {
  switch (r.type) {
    case "put":
      return ["put", r.key, r.value, String(r.lease ?? 0n)];
    case "delete":
      return ["delete", r.key, r.rangeEnd ?? ""];
    case "range":
      return ["range", r.revision ?? 0];
    case "txn": {
      const branch = (ops: TxnOp[]) =>
        ops.filter((op) => op.type !== "range" || (op.revision ?? 0) > 0).map(effect);
      return ["txn", r.compare, branch(r.success), branch(r.failure)];
    }
    default:
      return r;
  }
}

/** The oldest revision a request reads, +∞ when it reads only the current one. */
export function oldestRead(r: KvRequest): number {
  const at = (op: TxnOp) => op.type === "range" && op.revision ? op.revision : Infinity;
  if (r.type === "range") return at(r);
  if (r.type === "txn") return Math.min(...r.success.map(at), ...r.failure.map(at));
  return Infinity;
}

/**
 * Whether a lease or compaction change could be what `input` needs: it fails with an error, it
 * is a lease request, it reads history, or it needs missing revisions (a pool put with a
 * lease needs the lease granted first).
 */
export function leaseOrHistory(
  s: EtcdState,
  input: ModelInput,
  out: ModelOutput | undefined,
): boolean {
  if (input.kind === "evidence") return input.event.kv.modRevision > s.revision;
  if (out?.kind === "error") return true;
  if (out?.kind === "ok" && out.response.revision > s.revision) return true;
  const r = input.request;
  const ops = r.type === "txn" ? [...r.success, ...r.failure] : [r];
  return r.type.startsWith("lease-") ||
    ops.some((op) =>
      (op.type === "put" && (op.lease ?? 0n) !== 0n) ||
      (op.type === "range" && (op.revision ?? 0) > 0)
    );
}

/** How many revisions a member at `s` must gain before `input` can be placed. */
export function gaps(
  s: EtcdState,
  input: ModelInput,
  out: ModelOutput | undefined,
  o: EtcdModelOptions,
): number[] {
  if (input.kind === "evidence") return [Math.max(0, input.event.kv.modRevision - s.revision)];
  if (out?.kind !== "ok") return [0];
  const res = out.response;
  if (input.serializableFloor !== undefined) return [Math.max(0, res.revision - s.revision)];
  if (res.type === "range" && o.ignoreReadHeaderRevision) {
    const newest = Math.max(0, ...res.kvs.map((kv) => kv.modRevision));
    return [Math.max(0, newest - s.revision)];
  }
  return [res.revision - s.revision, res.revision - 1 - s.revision].filter((g) => g >= 0);
}

/** Pool indices grouped by identical effect, each group earliest deadline first. */
export function classify(pool: { request: KvRequest; deadline: number }[]): number[][] {
  const byEffect = new Map<string, number[]>();
  pool.forEach((w, i) => {
    const text = JSON.stringify(effect(w.request), (_, v) => typeof v === "bigint" ? `${v}n` : v);
    const list = byEffect.get(text);
    if (list) list.push(i);
    else byEffect.set(text, [i]);
  });
  return [...byEffect.values()].map((ids) =>
    ids.sort((a, b) => pool[a]!.deadline - pool[b]!.deadline)
  );
}
