/**
 * The revision log: every change the store made, revision by revision, as the watch events
 * etcd would send for it (with prev_kv filled in). The watch checks compare streams with it.
 *
 * It comes from replaying a linearization the KV checker found ({@linkcode replayOperations}),
 * so it holds the acknowledged writes at the revisions they were answered with and the
 * unknown-outcome writes the linearization placed (those a watch saw are placed where the watch
 * saw them; see `check.ts`). A runner that can dump the server's own history may build one
 * directly with {@linkcode revisionLogFromEvents}.
 *
 * @module
 */

import { treeRange } from "./_tree.ts";
import type { Operation } from "./history.ts";
import { applyRequest, type EtcdState, INITIAL_STATE, type KeyVersion } from "./model.ts";
import type { KeyValue, WatchEvent } from "./types.ts";

/** Every change of a run, by revision. */
export interface RevisionLog {
  /** The newest revision. */
  revision: number;
  /** Revision → its events in sub-revision order (revisions without changes are absent). */
  events: Map<number, WatchEvent[]>;
}

/** The `kv` etcd sends for a delete event: only the key and the revision are set. */
export function tombstoneKv(key: string, revision: number): KeyValue {
  return { key, value: "", createRevision: 0, modRevision: revision, version: 0, lease: 0n };
}

/** Applies `operations[id]` for each id of `order` (a linearization) to an empty store. */
export function replayOperations(operations: Operation[], order: number[]): EtcdState {
  let state = INITIAL_STATE;
  for (const id of order) {
    const op = operations[id];
    if (!op || op.outcome.kind === "fail") continue;
    let req = op.input;
    if (req.type === "lease-grant" && req.id === 0n) {
      const out = op.outcome.kind === "ok" ? op.outcome.output : undefined;
      if (out?.type !== "lease-grant") continue;
      req = { ...req, id: out.id };
    }
    state = applyRequest(state, req).state;
  }
  return state;
}

/** The revision log held in a model state's version lists. */
export function revisionLogFromState(state: EtcdState): RevisionLog {
  const subs = new Map<number, [number, WatchEvent][]>();
  treeRange(state.keys, "", undefined, (key, head) => {
    for (let v: KeyVersion | undefined = head; v; v = v.prev) {
      const ev: WatchEvent = v.kv
        ? { type: "put", kv: v.kv }
        : { type: "delete", kv: tombstoneKv(key, v.revision) };
      if (v.prev?.kv) ev.prevKv = v.prev.kv;
      const list = subs.get(v.revision);
      if (list) list.push([v.sub, ev]);
      else subs.set(v.revision, [[v.sub, ev]]);
    }
  });
  const events = new Map<number, WatchEvent[]>();
  for (const rev of [...subs.keys()].sort((a, b) => a - b)) {
    events.set(rev, subs.get(rev)!.sort((a, b) => a[0] - b[0]).map(([, ev]) => ev));
  }
  return { revision: state.revision, events };
}

/**
 * A revision log from a list of events in commit order (e.g. the server's own history dump).
 * `prevKv` is filled in from the previous event of the same key; `revision` defaults to the
 * last event's.
 */
export function revisionLogFromEvents(list: WatchEvent[], revision?: number): RevisionLog {
  const events = new Map<number, WatchEvent[]>();
  const latest = new Map<string, KeyValue | undefined>();
  let last = 1;
  for (const e of list) {
    const rev = e.kv.modRevision;
    const ev: WatchEvent = { type: e.type, kv: e.kv };
    const prev = latest.get(e.kv.key);
    if (prev) ev.prevKv = prev;
    latest.set(e.kv.key, e.type === "put" ? e.kv : undefined);
    const at = events.get(rev);
    if (at) at.push(ev);
    else events.set(rev, [ev]);
    last = Math.max(last, rev);
  }
  return { revision: revision ?? last, events };
}
