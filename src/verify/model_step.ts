/**
 * The etcd model as a checker {@linkcode Model}: one step applies a request and compares the
 * predicted response with the recorded one, field by field.
 *
 * Three kinds of entries:
 * - a request checked as linearizable: the response must equal the model's at that point
 *   (optionally without the header revision of reads); a recorded error must be the model's;
 * - a serializable read (`serializableFloor` set): it may come from any revision `h` with
 *   `floor ≤ h ≤` the current revision, where `h` is its header revision, and must equal the
 *   model's read at `h`;
 * - a watch observation (`evidence`): the key must have been written at exactly the event's
 *   revision with exactly that content. It places unknown-outcome writes that watches saw.
 *
 * @module
 */

import { diffKv, diffResponse, show } from "./_diff.ts";
import { treeGet } from "./_tree.ts";
import type { Model } from "./linearizability.ts";
import {
  applyRequest,
  type EtcdState,
  INITIAL_STATE,
  type ModelErrorCode,
  readRange,
  stateKey,
  versionAt,
} from "./model.ts";
import type { KvRequest, KvResponse, RangeRequest, WatchEvent } from "./types.ts";

/** What the checker feeds the model for one entry. */
export type ModelInput =
  | { kind: "request"; request: KvRequest; serializableFloor?: number }
  | { kind: "evidence"; event: WatchEvent; watch: number };

/** A recorded answer: a response, an error the model predicts, or a watch observation. */
export type ModelOutput =
  | { kind: "ok"; response: KvResponse }
  | { kind: "error"; code: ModelErrorCode }
  | { kind: "observed" };

/** Options of {@linkcode etcdModel}. */
export interface EtcdModelOptions {
  /** Do not compare the header revision of (top-level) linearizable range responses. */
  ignoreReadHeaderRevision?: boolean;
}

function serializable(
  s: EtcdState,
  req: RangeRequest,
  floor: number,
  out: ModelOutput,
): EtcdState | string {
  if (out.kind !== "ok" || out.response.type !== "range") {
    return "serializable read without a range response";
  }
  const h = out.response.revision;
  if (h < floor) return `serializable read at revision ${h}, but the client had seen ${floor}`;
  if (h > s.revision) {
    return `serializable read at revision ${h} is ahead of the store (${s.revision})`;
  }
  const at = req.revision && req.revision > 0 ? req.revision : h;
  if (at > h) return `serializable read of revision ${at} answered with header revision ${h}`;
  const expected = readRange(s.keys, { ...req, revision: at }, h);
  return diffResponse(req, expected, out.response, { ignoreReadHeaderRevision: false }) ?? s;
}

function evidence(s: EtcdState, ev: WatchEvent, watch: number): EtcdState | string {
  const rev = ev.kv.modRevision;
  const what = `watch #${watch} saw ${ev.type} ${show(ev.kv.key)} at revision ${rev}`;
  if (rev > s.revision) return `${what}, but the store is at ${s.revision}`;
  const v = versionAt(treeGet(s.keys, ev.kv.key), rev);
  if (!v || v.revision !== rev) return `${what}, but the key was not written at that revision`;
  if (ev.type === "delete") return v.kv ? `${what}, but it was a put` : s;
  if (!v.kv) return `${what}, but it was a delete`;
  const d = diffKv("event.kv", v.kv, ev.kv);
  return d ? `${what}: ${d}` : s;
}

/**
 * One step of the etcd model: the state after `input` answered `out` (undefined: unknown
 * outcome), or why that answer is impossible in `s`.
 */
export function judgeStep(
  s: EtcdState,
  input: ModelInput,
  out: ModelOutput | undefined,
  options: EtcdModelOptions,
): EtcdState | string {
  if (input.kind === "evidence") return evidence(s, input.event, input.watch);
  let req = input.request;
  if (out === undefined) {
    // Unknown outcome: it took effect here, whatever it answered. A grant of a lease ID the
    // server chose is invisible: no later request can name that ID.
    if (req.type === "lease-grant" && req.id === 0n) return s;
    return applyRequest(s, req).state;
  }
  if (input.serializableFloor !== undefined && req.type === "range") {
    return serializable(s, req, input.serializableFloor, out);
  }
  if (req.type === "lease-grant" && req.id === 0n && out.kind === "ok") {
    if (out.response.type !== "lease-grant") {
      return `expected lease-grant, got ${out.response.type}`;
    }
    req = { ...req, id: out.response.id };
  }
  if (out.kind === "observed") return "a request recorded as a watch observation";
  const r = applyRequest(s, req);
  if (out.kind === "error") {
    if (r.ok) return `expected a ${r.response.type} response, got error ${show(out.code)}`;
    return r.error === out.code ? s : `expected error ${show(r.error)}, got ${show(out.code)}`;
  }
  if (!r.ok) return `expected error ${show(r.error)}, got a ${out.response.type} response`;
  const ignoreReadHeaderRevision = options.ignoreReadHeaderRevision ?? false;
  return diffResponse(req, r.response, out.response, { ignoreReadHeaderRevision }) ?? r.state;
}

/** The etcd model for {@linkcode checkLinearizable}. */
export function etcdModel(
  options: EtcdModelOptions = {},
): Model<EtcdState, ModelInput, ModelOutput> {
  return {
    init: INITIAL_STATE,
    step(s, input, out) {
      const r = judgeStep(s, input, out, options);
      return typeof r === "string" ? undefined : r;
    },
    key: stateKey,
    explain(s, input, out) {
      const r = judgeStep(s, input, out, options);
      return typeof r === "string" ? r : "accepted";
    },
  };
}
