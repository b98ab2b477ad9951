/**
 * Evidence that T4 keeps etcd's guarantees: record what clients saw during a (chaos) run, then
 * check it the way etcd's robustness suite does (`reference/etcd-api.md` §3.1).
 *
 * Recording (`history.ts`, `history_json.ts`). One {@linkcode HistoryRecorder} per run, on one
 * monotonic clock. For each request: `h = rec.invoke(client, request)`, then exactly one of
 * `rec.ok(h, response)`, `rec.fail(h, err)` (the server rejected it before executing:
 * InvalidArgument, "compacted", "future revision", "lease not found"…) or `rec.unknown(h, err)`
 * (timeout, Unavailable, lost connection: it may or may not have happened). For each watch:
 * `w = rec.startWatch(client, request, { resumes })`, then `rec.received(w, response)` for
 * every response in arrival order (a stream-wide progress response goes to each watch of the
 * stream). Use one client id per connection and sequential requests per client; give puts
 * unique values and watch every key from revision 1 (unknown-outcome writes are then placed
 * where the watch saw them). Start from an empty store. Save with `saveHistory`, check with
 * `verifyHistory`, or offline: `deno run --allow-read src/verify/check_history.ts run.json`.
 *
 * Checking. `model.ts`/`state.ts` are a deterministic model of etcd's KV store (revisions,
 * versions, Txn compares, compaction, lease grant and revoke); `model_step.ts` compares every
 * field of a response it can predict. `linearizability.ts` is a Porcupine-style search over
 * the whole history (the global revision makes per-key partitioning unsound), pruned by a
 * cache of (linearized set, state) and by revision horizons. `pool_model.ts` handles
 * unknown-outcome writes as a pool of optional effects over sets of possible worlds, applied
 * only where a response proves revisions are missing. `watch_check.ts` checks Ordered, Unique,
 * Atomic, Reliable, Bookmarkable, Resumable and each event and prev_kv against the revision
 * log of the linearization (`revision_log.ts`).
 *
 * What a `linearizable` verdict proves: there is one total order of the checked operations,
 * consistent with real time, in which every response is exactly what etcd would answer, each
 * unknown-outcome write either in it (within its effect window) or absent. Serializable reads
 * are proved to come from a real past revision, not ahead of the store and not behind what
 * their client had already seen. A clean watch report proves each stream delivered exactly
 * the log's events for its range, once, in order, whole, with correct prev_kv, and that no
 * progress notification ran ahead of a pending event, for one of the linearizations.
 *
 * What it does not prove: anything about requests that were not made (a small key space and
 * concurrent writers find more); durability beyond the run (crash nodes and keep checking);
 * lease expiry (record an expired lease as an unknown-outcome revoke); sorting, min/max
 * revision filters, `ignore_value`/`ignore_lease`, nested Txns and auth, which the model
 * leaves out; definite failures other than compacted, future revision and lease not
 * found/exists (assumed to have had no effect). An unknown-outcome write is assumed to take
 * effect within `unknownEffectWindowMs` (60 s) of its client giving up. Histories with many
 * unknown outcomes and no watches can be too ambiguous to decide: the verdict is then
 * `unknown`, never a guess. State hashes are 64 bits: a collision could hide a violation with
 * probability about 2^-64 per pair of states.
 *
 * @example Check a tiny history
 * ```ts
 * import { HistoryRecorder, verifyHistory, summarize } from "./mod.ts";
 *
 * const rec = new HistoryRecorder();
 * const put = rec.invoke(1, { type: "put", key: "k", value: "v" });
 * rec.ok(put, { type: "put", revision: 2 });
 * const get = rec.invoke(2, { type: "range", key: "k" });
 * rec.ok(get, {
 *   type: "range",
 *   revision: 2,
 *   count: 1,
 *   more: false,
 *   kvs: [{ key: "k", value: "v", createRevision: 2, modRevision: 2, version: 1, lease: 0n }],
 * });
 * const history = rec.history();
 * const report = verifyHistory(history);
 * if (report.kv.verdict !== "linearizable") throw new Error(summarize(history, report));
 * ```
 *
 * @module
 */

export type * from "./types.ts";
export { describeError, HistoryRecorder } from "./history.ts";
export type {
  Failure,
  History,
  Operation,
  OperationHandle,
  Outcome,
  ReceivedWatchResponse,
  RecorderOptions,
  WatchHandle,
  WatchRecording,
} from "./history.ts";
export { historyFromJson, historyToJson, loadHistory, saveHistory } from "./history_json.ts";
export {
  applyRequest,
  INITIAL_STATE,
  keyBounds,
  liveKvs,
  MODEL_ERROR_CODES,
  readRange,
  readRevisionError,
  snapshotKey,
  stateKey,
  versionAt,
} from "./model.ts";
export type { ApplyResult, EtcdState, KeyVersion, ModelErrorCode } from "./model.ts";
export { etcdModel, judgeStep } from "./model_step.ts";
export type { EtcdModelOptions, ModelInput, ModelOutput } from "./model_step.ts";
export { poolModel } from "./pool_model.ts";
export type {
  Applied,
  Member,
  PoolModel,
  PoolModelOptions,
  PoolState,
  PoolWrite,
} from "./pool_model.ts";
export { checkLinearizable, SearchLimitError } from "./linearizability.ts";
export type {
  CheckEntry,
  LinearizabilityOptions,
  LinearizabilityResult,
  Model,
  Rejection,
  StepContext,
} from "./linearizability.ts";
export type { Tree, TreeNode } from "./_tree.ts";
export type { Hash2 } from "./_hash.ts";
export { checkHistory } from "./check.ts";
export type { CheckHistoryOptions, KvVerdict } from "./check.ts";
export {
  replayOperations,
  revisionLogFromEvents,
  revisionLogFromState,
  tombstoneKv,
} from "./revision_log.ts";
export type { RevisionLog } from "./revision_log.ts";
export { checkWatches } from "./watch_check.ts";
export type { WatchCheckOptions, WatchViolation, WatchViolationKind } from "./watch_check.ts";
export { summarize, verifyHistory } from "./verify.ts";
export type { VerifyOptions, VerifyReport } from "./verify.ts";
export { describeOperation } from "./_describe.ts";
