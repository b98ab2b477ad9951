// The model against T4's own MVCC store: the same random requests, one at a time, must get
// the same answers as far as the checker compares them. A difference is a bug in one of them.

import { assertEquals } from "../../tests/_assert.ts";
import * as mvcc from "../mvcc/mod.ts";
import { diffResponse } from "./_diff.ts";
import { prng } from "./_hash.ts";
import { describeError } from "./history.ts";
import { applyRequest, INITIAL_STATE } from "./model.ts";
import type { KeyValue, KvRequest, KvResponse, TxnOp, TxnOpResponse } from "./types.ts";

const te = new TextEncoder();
const td = new TextDecoder();

function toKv(kv: mvcc.Kv): KeyValue {
  const { key, createRevision, modRevision, version, lease } = kv;
  return { key, value: td.decode(kv.value), createRevision, modRevision, version, lease };
}

function toOp(op: TxnOp): mvcc.RequestOp {
  if (op.type === "range") return { range: { ...op } };
  if (op.type === "put") return { put: { ...op, value: te.encode(op.value) } };
  return { deleteRange: { ...op } };
}

function fromOp(r: mvcc.ResponseOp): TxnOpResponse {
  if (r.range) return { type: "range", ...r.range, kvs: r.range.kvs.map(toKv) };
  if (r.put) {
    const out: TxnOpResponse = { type: "put", revision: r.put.revision };
    if (r.put.prevKv) out.prevKv = toKv(r.put.prevKv);
    return out;
  }
  const d = r.deleteRange!;
  const out: TxnOpResponse = { type: "delete", revision: d.revision, deleted: d.deleted };
  if (d.prevKvs) out.prevKvs = d.prevKvs.map(toKv);
  return out;
}

/** Runs `req` against the real store in one write batch, as the server would. */
function runStore(s: mvcc.MvccStore, req: KvRequest): KvResponse | string {
  s.beginBatch();
  try {
    let out: KvResponse;
    if (req.type === "txn") {
      const r = s.txn({
        compare: req.compare,
        success: req.success.map(toOp),
        failure: req.failure.map(toOp),
      });
      out = {
        type: "txn",
        revision: r.revision,
        succeeded: r.succeeded,
        responses: r.responses.map(fromOp),
      };
    } else if (req.type === "compact") {
      out = { type: "compact", ...s.compact(req.revision) };
    } else if (req.type === "lease-grant") {
      const g = s.grantLease(req.id, req.ttl);
      out = { type: "lease-grant", revision: s.revision, ...g };
    } else if (req.type === "lease-revoke") {
      out = { type: "lease-revoke", ...s.revokeLease(req.id) };
    } else if (req.type === "range") {
      out = fromOp({ range: s.range({ ...req }) });
    } else if (req.type === "put") {
      out = fromOp({ put: s.put({ ...req, value: te.encode(req.value) }) });
    } else {
      out = fromOp({ deleteRange: s.deleteRange({ ...req }) });
    }
    s.commitBatch();
    return out;
  } catch (err: unknown) {
    s.abortBatch();
    return describeError(err).code;
  }
}

function randomRequest(rand: () => number, rev: number): KvRequest {
  const key = `k${Math.floor(rand() * 4)}`;
  const pick = rand();
  const lease = BigInt(1 + Math.floor(rand() * 2));
  if (pick < 0.3) {
    return { type: "put", key, value: `v${Math.floor(rand() * 100)}`, prevKv: rand() < 0.5 };
  }
  if (pick < 0.45) return { type: "range", key: "k", rangeEnd: "l", limit: Math.floor(rand() * 3) };
  if (pick < 0.55) {
    return { type: "range", key, revision: Math.max(1, rev - Math.floor(rand() * 6)) };
  }
  if (pick < 0.65) {
    return {
      type: "delete",
      key: rand() < 0.5 ? key : "k",
      rangeEnd: rand() < 0.5 ? "l" : "",
      prevKv: true,
    };
  }
  if (pick < 0.85) {
    const target = (["mod", "version", "create", "value"] as const)[Math.floor(rand() * 4)]!;
    const operand = target === "value" ? `v${Math.floor(rand() * 100)}` : Math.floor(rand() * rev);
    const result = (["equal", "not-equal", "greater", "less"] as const)[Math.floor(rand() * 4)]!;
    return {
      type: "txn",
      compare: [{ key, target, result, operand }],
      success: [{ type: "put", key, value: "s" }, { type: "range", key }],
      failure: [{ type: "range", key: "k", rangeEnd: "l" }],
    };
  }
  if (pick < 0.88) return { type: "compact", revision: Math.max(1, rev - Math.floor(rand() * 8)) };
  if (pick < 0.92) return { type: "lease-grant", id: lease, ttl: 60 };
  if (pick < 0.95) return { type: "lease-revoke", id: lease };
  return { type: "put", key, value: "leased", lease };
}

Deno.test("applyRequest() answers like MvccStore on random request sequences", () => {
  for (let seed = 1; seed <= 20; seed++) {
    const rand = (() => {
      const g = prng(seed);
      return () => g() / 0x1_0000_0000;
    })();
    const store = mvcc.MvccStore.open(new mvcc.MemoryBackend(), { now: () => 0 });
    let state = INITIAL_STATE;
    for (let i = 0; i < 200; i++) {
      const req = randomRequest(rand, state.revision);
      const model = applyRequest(state, req);
      const real = runStore(store, req);
      state = model.state;
      const where = `seed ${seed} step ${i}: ${
        JSON.stringify(req, (_, v) => typeof v === "bigint" ? `${v}n` : v)
      }`;
      if (!model.ok || typeof real === "string") {
        assertEquals(real, model.ok ? model.response : model.error, where);
        continue;
      }
      assertEquals(
        diffResponse(req, model.response, real, { ignoreReadHeaderRevision: false }),
        undefined,
        where,
      );
      assertEquals(store.revision, state.revision, where);
    }
  }
});
