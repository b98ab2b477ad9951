/**
 * A deterministic model of etcd's KV store over string keys: the reference the checker replays
 * histories against.
 *
 * The state and its reads live in `state.ts` (re-exported here); this file applies requests.
 * An update copies O(log keys) tree nodes and shares the rest with the old state.
 *
 * Semantics follow `reference/etcd-api.md` §1.3: revision 1 on an empty store; each write
 * request that changes something adds exactly one revision shared by all its changes; a
 * delete that deletes nothing changes nothing; reads below the compact revision fail with
 * "compacted", above the current one with "future-revision". Leases: grant and revoke
 * (revoke deletes every key attached to the lease at one revision). Expiry is not modelled:
 * record an expired lease as a `lease-revoke` with an unknown outcome.
 *
 * @module
 */
import { type Hash2, mixNumber, mixString } from "./_hash.ts";
import { type Tree, treeGet, treeSet } from "./_tree.ts";
import {
  type EtcdState,
  type KeyVersion,
  liveKvs,
  type ModelErrorCode,
  readRange,
  readRevisionError,
  toggleLease,
} from "./state.ts";
import type {
  Compare,
  DeleteRequest,
  DeleteResponse,
  KeyValue,
  KvRequest,
  KvResponse,
  TxnOpResponse,
  TxnRequest,
} from "./types.ts";

export {
  type EtcdState,
  INITIAL_STATE,
  keyBounds,
  type KeyVersion,
  liveKvs,
  MODEL_ERROR_CODES,
  type ModelErrorCode,
  readRange,
  readRevisionError,
  snapshotKey,
  stateKey,
  versionAt,
} from "./state.ts";

/** The outcome of applying one request: the new state and a response, or an error. */
export type ApplyResult =
  | { ok: true; state: EtcdState; response: KvResponse }
  | { ok: false; state: EtcdState; error: ModelErrorCode };

/** The writes of one request, all at `revision`, applied to copies of the trees. */
class Batch {
  readonly revision: number;
  keys: Tree<KeyVersion>;
  leases: Tree<boolean>;
  hash: Hash2;
  leaseHash: Hash2;
  sub = 0;

  constructor(s: EtcdState) {
    this.revision = s.revision + 1;
    this.keys = s.keys;
    this.leases = s.leases;
    this.hash = s.hash;
    this.leaseHash = s.leaseHash;
  }

  #record(key: string, kv: KeyValue | undefined): void {
    const prev = treeGet(this.keys, key);
    this.keys = treeSet(this.keys, key, { revision: this.revision, sub: this.sub++, kv, prev });
    let h = mixNumber(mixString(this.hash, kv ? "P" : "D"), this.revision);
    h = mixString(h, key);
    if (kv) h = mixString(mixString(h, kv.value), String(kv.lease));
    this.hash = h;
  }

  put(key: string, value: string, lease: bigint): KeyValue | undefined {
    const prev = treeGet(this.keys, key)?.kv;
    const kv: KeyValue = {
      key,
      value,
      createRevision: prev ? prev.createRevision : this.revision,
      modRevision: this.revision,
      version: prev ? prev.version + 1 : 1,
      lease,
    };
    this.#record(key, kv);
    return prev;
  }

  deleteRange(r: { key: string; rangeEnd?: string }): KeyValue[] {
    const gone = liveKvs(this.keys, r);
    for (const kv of gone) this.#record(kv.key, undefined);
    return gone;
  }

  commit(s: EtcdState): EtcdState {
    if (this.sub === 0 && this.leases === s.leases) return s;
    const revision = this.sub === 0 ? s.revision : this.revision;
    const { keys, leases, hash, leaseHash } = this;
    return { ...s, revision, keys, leases, hash, leaseHash };
  }
}

function leaseGranted(leases: Tree<boolean>, id: bigint | undefined): boolean {
  return !id || treeGet(leases, String(id)) === true;
}

function compareHolds(keys: Tree<KeyVersion>, c: Compare): boolean {
  const kvs = liveKvs(keys, c);
  if (kvs.length === 0) return c.target !== "value" && compareKv(c, undefined);
  return kvs.every((kv) => compareKv(c, kv));
}

function compareKv(c: Compare, kv: KeyValue | undefined): boolean {
  let cmp: number;
  if (c.target === "value") {
    const l = kv?.value ?? "", r = String(c.operand);
    cmp = l < r ? -1 : l > r ? 1 : 0;
  } else if (c.target === "lease") {
    const l = kv?.lease ?? 0n, r = BigInt(c.operand);
    cmp = l < r ? -1 : l > r ? 1 : 0;
  } else {
    const field = c.target === "version"
      ? "version"
      : c.target === "create"
      ? "createRevision"
      : "modRevision";
    const l = kv?.[field] ?? 0, r = Number(c.operand);
    cmp = l < r ? -1 : l > r ? 1 : 0;
  }
  switch (c.result) {
    case "equal":
      return cmp === 0;
    case "not-equal":
      return cmp !== 0;
    case "greater":
      return cmp > 0;
    case "less":
      return cmp < 0;
  }
}

function deleteResponse(
  s: EtcdState,
  b: Batch,
  r: DeleteRequest,
  gone: KeyValue[],
): DeleteResponse {
  const revision = gone.length > 0 ? b.revision : s.revision;
  const res: DeleteResponse = { type: "delete", revision, deleted: gone.length };
  if (r.prevKv) res.prevKvs = gone;
  return res;
}

function applyTxn(s: EtcdState, t: TxnRequest): ApplyResult {
  const succeeded = t.compare.every((c) => compareHolds(s.keys, c));
  const b = new Batch(s);
  const responses: TxnOpResponse[] = [];
  for (const op of succeeded ? t.success : t.failure) {
    if (op.type === "range") {
      const error = readRevisionError(s, op.revision ?? 0);
      if (error) return { ok: false, state: s, error };
      responses.push(readRange(b.keys, op, b.sub > 0 ? b.revision : s.revision));
    } else if (op.type === "put") {
      if (!leaseGranted(s.leases, op.lease)) {
        return { ok: false, state: s, error: "lease-not-found" };
      }
      const prev = b.put(op.key, op.value, op.lease ?? 0n);
      responses.push(
        op.prevKv && prev ? { type: "put", revision: b.revision, prevKv: prev } : {
          type: "put",
          revision: b.revision,
        },
      );
    } else {
      const gone = b.deleteRange(op);
      responses.push(deleteResponse(s, b, op, gone));
    }
  }
  const state = b.commit(s);
  return {
    ok: true,
    state,
    response: { type: "txn", revision: state.revision, succeeded, responses },
  };
}

/** Applies `request` to `s` as etcd would, returning the new state and the response. */
export function applyRequest(s: EtcdState, request: KvRequest): ApplyResult {
  switch (request.type) {
    case "range": {
      const error = readRevisionError(s, request.revision ?? 0);
      if (error) return { ok: false, state: s, error };
      return { ok: true, state: s, response: readRange(s.keys, request, s.revision) };
    }
    case "put": {
      if (!leaseGranted(s.leases, request.lease)) {
        return { ok: false, state: s, error: "lease-not-found" };
      }
      const b = new Batch(s);
      const prev = b.put(request.key, request.value, request.lease ?? 0n);
      const response: KvResponse = { type: "put", revision: b.revision };
      if (request.prevKv && prev) response.prevKv = prev;
      return { ok: true, state: b.commit(s), response };
    }
    case "delete": {
      const b = new Batch(s);
      const gone = b.deleteRange(request);
      return { ok: true, state: b.commit(s), response: deleteResponse(s, b, request, gone) };
    }
    case "txn":
      return applyTxn(s, request);
    case "compact": {
      if (request.revision <= s.compactRevision) return { ok: false, state: s, error: "compacted" };
      if (request.revision > s.revision) return { ok: false, state: s, error: "future-revision" };
      const state = { ...s, compactRevision: request.revision };
      return { ok: true, state, response: { type: "compact", revision: s.revision } };
    }
    case "lease-grant": {
      const id = String(request.id);
      if (treeGet(s.leases, id) === true) return { ok: false, state: s, error: "lease-exists" };
      const state = {
        ...s,
        leases: treeSet(s.leases, id, true),
        leaseHash: toggleLease(s.leaseHash, id),
      };
      const response: KvResponse = {
        type: "lease-grant",
        revision: s.revision,
        id: request.id,
        ttl: request.ttl,
      };
      return { ok: true, state, response };
    }
    case "lease-revoke": {
      const id = String(request.id);
      if (treeGet(s.leases, id) !== true) return { ok: false, state: s, error: "lease-not-found" };
      const b = new Batch(s);
      b.leases = treeSet(b.leases, id, false);
      b.leaseHash = toggleLease(b.leaseHash, id);
      for (const kv of liveKvs(s.keys, { key: "\0", rangeEnd: "\0" })) {
        if (kv.lease === request.id) b.deleteRange(kv);
      }
      const state = b.commit(s);
      return { ok: true, state, response: { type: "lease-revoke", revision: state.revision } };
    }
  }
}
