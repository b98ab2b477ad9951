/**
 * The model's state and everything that reads it: version lists, historical reads, range
 * bounds, and the keys that identify a state for the checker's caches.
 *
 * The state is immutable. Each key keeps its whole version list (newest first, tombstones
 * included), so historical reads, watch events and prev_kv all come from the state itself.
 * `hash` chains every key change (key, value, lease, revision), so two states with the same
 * revision and hash have the same contents and history (up to a 2^-64 collision). The granted
 * leases are a set, hashed order-independently in `leaseHash`: grants and revokes at one
 * revision commute, and a chained hash would tell their orders apart for ever after.
 *
 * @module
 */

import { type Hash2, HASH_SEED, mixNumber, mixString } from "./_hash.ts";
import { type Tree, treeRange } from "./_tree.ts";
import type { KeyValue, RangeRequest, RangeResponse } from "./types.ts";

/** One version of one key: a put (`kv`) or a tombstone (`kv` undefined); `prev` is older. */
export interface KeyVersion {
  readonly revision: number;
  /** Position among the changes of its revision (etcd's sub-revision). */
  readonly sub: number;
  readonly kv: KeyValue | undefined;
  readonly prev: KeyVersion | undefined;
}

/** The model's state: every key's version list, the granted leases, and the revisions. */
export interface EtcdState {
  readonly revision: number;
  /** -1 before the first compaction, as etcd's `compactMainRev`. */
  readonly compactRevision: number;
  readonly keys: Tree<KeyVersion>;
  /** Lease ID (decimal) → whether it is granted now. */
  readonly leases: Tree<boolean>;
  readonly hash: Hash2;
  /** XOR of the hashes of the granted lease IDs. */
  readonly leaseHash: Hash2;
}

/** The errors the model predicts; other failures are not checked. */
export type ModelErrorCode = "compacted" | "future-revision" | "lease-not-found" | "lease-exists";

/** The codes of {@linkcode ModelErrorCode}, for filtering recorded failures. */
export const MODEL_ERROR_CODES: ReadonlySet<string> = new Set<ModelErrorCode>([
  "compacted",
  "future-revision",
  "lease-not-found",
  "lease-exists",
]);

/** An empty store at revision 1. */
export const INITIAL_STATE: EtcdState = {
  revision: 1,
  compactRevision: -1,
  keys: undefined,
  leases: undefined,
  hash: HASH_SEED,
  leaseHash: { a: 0, b: 0 },
};

/** `leaseHash` with lease `id` toggled (granted ↔ not). */
export function toggleLease(h: Hash2, id: string): Hash2 {
  const x = mixString(HASH_SEED, id);
  return { a: h.a ^ x.a, b: h.b ^ x.b };
}

/** The state's canonical cache key. */
export function stateKey(s: EtcdState): string {
  return `${s.revision}/${s.compactRevision}/${s.hash.a}/${s.hash.b}/${s.leaseHash.a}.${s.leaseHash.b}`;
}

function mixKv(h: Hash2, kv: KeyValue): Hash2 {
  h = mixString(mixString(h, kv.value), String(kv.lease));
  return mixNumber(mixNumber(mixNumber(h, kv.createRevision), kv.modRevision), kv.version);
}

/**
 * A key for what reads of revisions ≥ `from` can still tell about `s`: every version at or
 * after `from`, and each key's newest version before it. Two states with the same key answer
 * every such read, watch event and prev_kv the same, however their older history differs.
 */
export function snapshotKey(s: EtcdState, from: number): string {
  let h = mixNumber(mixNumber(HASH_SEED, s.revision), s.compactRevision);
  treeRange(s.keys, "", undefined, (key, head) => {
    let v: KeyVersion | undefined = head;
    let k = mixString(h, key);
    let seen = false;
    for (; v && v.revision >= from; v = v.prev) {
      k = mixNumber(mixNumber(k, v.revision), v.sub);
      k = v.kv ? mixKv(k, v.kv) : mixString(k, "D");
      seen = true;
    }
    if (v?.kv) {
      k = mixKv(mixString(k, "<"), v.kv);
      seen = true;
    }
    if (seen) h = k; // a key that is absent from `from` on looks like one never written
  });
  treeRange(s.leases, "", undefined, (id, granted) => {
    if (granted) h = mixString(h, id);
  });
  return `${s.revision}/${s.compactRevision}/${h.a}/${h.b}`;
}

/** The version of a key visible at `revision` (its newest at or below it), if any. */
export function versionAt(v: KeyVersion | undefined, revision: number): KeyVersion | undefined {
  while (v && v.revision > revision) v = v.prev;
  return v;
}

/** `[lo, hi)` of a key and range end with etcd's rules (`hi` undefined: no upper bound). */
export function keyBounds(key: string, rangeEnd: string | undefined): [string, string | undefined] {
  if (!rangeEnd) return [key, key + "\0"];
  if (rangeEnd === "\0") return [key, undefined];
  return [key, rangeEnd];
}

/** The live key-values in `[key, rangeEnd)` at `revision` (undefined: the newest). */
export function liveKvs(
  keys: Tree<KeyVersion>,
  range: { key: string; rangeEnd?: string },
  revision?: number,
): KeyValue[] {
  const [lo, hi] = keyBounds(range.key, range.rangeEnd);
  const out: KeyValue[] = [];
  treeRange(keys, lo, hi, (_, head) => {
    const kv = (revision === undefined ? head : versionAt(head, revision))?.kv;
    if (kv) out.push(kv);
  });
  return out;
}

/** Why a read at `revision` (0: current) must fail, if it must. */
export function readRevisionError(s: EtcdState, revision: number): ModelErrorCode | undefined {
  if (revision > s.revision) return "future-revision";
  if (revision > 0 && revision < s.compactRevision) return "compacted";
  return undefined;
}

/** Answers a range read from `keys`; `header` is the header revision to report. */
export function readRange(keys: Tree<KeyVersion>, r: RangeRequest, header: number): RangeResponse {
  const all = liveKvs(keys, r, r.revision && r.revision > 0 ? r.revision : undefined);
  const limit = r.limit && r.limit > 0 ? r.limit : Infinity;
  const kvs = r.countOnly ? [] : all.slice(0, limit);
  return {
    type: "range",
    revision: header,
    kvs: r.keysOnly ? kvs.map((kv) => ({ ...kv, value: "" })) : kvs,
    count: all.length,
    more: !r.countOnly && all.length > limit,
  };
}
