import { assert, assertEquals } from "../../tests/_assert.ts";
import { show } from "./_diff.ts";
import { casUpdate, kv } from "./_testing.ts";
import { applyRequest, type EtcdState, INITIAL_STATE, snapshotKey, stateKey } from "./model.ts";
import { etcdModel } from "./model_step.ts";
import type { KvRequest, KvResponse } from "./types.ts";

/** Applies requests in order; returns the responses (or error codes) and the final state. */
function run(
  reqs: KvRequest[],
  from = INITIAL_STATE,
): { out: (KvResponse | string)[]; s: EtcdState } {
  let s = from;
  const out: (KvResponse | string)[] = [];
  for (const r of reqs) {
    const res = applyRequest(s, r);
    s = res.state;
    out.push(res.ok ? res.response : res.error);
  }
  return { out, s };
}

Deno.test("applyRequest() starts at revision 1 and adds one per effective write", () => {
  const { out, s } = run([
    { type: "put", key: "a", value: "1" },
    { type: "put", key: "a", value: "2", prevKv: true },
    { type: "delete", key: "zzz" },
    { type: "delete", key: "a", prevKv: true },
    { type: "put", key: "a", value: "3" },
    { type: "range", key: "a" },
  ]);
  assertEquals(out, [
    { type: "put", revision: 2 },
    { type: "put", revision: 3, prevKv: kv("a", "1", 2, 2, 1) },
    { type: "delete", revision: 3, deleted: 0 },
    { type: "delete", revision: 4, deleted: 1, prevKvs: [kv("a", "2", 2, 3, 2)] },
    { type: "put", revision: 5 },
    { type: "range", revision: 5, kvs: [kv("a", "3", 5, 5, 1)], count: 1, more: false },
  ]);
  assertEquals(s.revision, 5);
});

Deno.test("applyRequest() ranges honour limit, count, more, keysOnly, countOnly and history", () => {
  const { s } = run(["k1", "k2", "k3"].map((k) => ({ type: "put", key: k, value: k })));
  const range = (extra: Partial<KvRequest & { type: "range" }>) =>
    applyRequest(s, { type: "range", key: "k", rangeEnd: "l", ...extra });
  const page = range({ limit: 2 });
  assert(page.ok && page.response.type === "range");
  assertEquals([page.response.kvs.length, page.response.count, page.response.more], [2, 3, true]);
  const keys = range({ keysOnly: true });
  assert(keys.ok && keys.response.type === "range");
  assertEquals(keys.response.kvs.map((x) => x.value), ["", "", ""]);
  const count = range({ countOnly: true, limit: 1 });
  assert(count.ok && count.response.type === "range");
  assertEquals([count.response.kvs, count.response.count, count.response.more], [[], 3, false]);
  const old = range({ revision: 3 });
  assert(old.ok && old.response.type === "range");
  assertEquals([old.response.kvs.map((x) => x.key), old.response.revision], [["k1", "k2"], 4]);
  const all = applyRequest(s, { type: "range", key: "\0", rangeEnd: "\0" });
  assert(all.ok && all.response.type === "range" && all.response.count === 3);
  assertEquals(range({ revision: 9 }).ok ? "" : "future", "future");
});

Deno.test("applyRequest() compacts and rejects reads below the compact revision", () => {
  const { s } = run([
    { type: "put", key: "a", value: "1" },
    { type: "put", key: "a", value: "2" },
    { type: "put", key: "a", value: "3" },
    { type: "compact", revision: 3 },
  ]);
  assertEquals(s.compactRevision, 3);
  const errors = [2, 3, 4, 5].map((rev) => {
    const r = applyRequest(s, { type: "range", key: "a", revision: rev });
    return r.ok ? "ok" : r.error;
  });
  assertEquals(errors, ["compacted", "ok", "ok", "future-revision"]);
  const again = [3, 2, 5, 4].map((rev) => {
    const r = applyRequest(s, { type: "compact", revision: rev });
    return r.ok ? "ok" : r.error;
  });
  assertEquals(again, ["compacted", "compacted", "future-revision", "ok"]);
});

Deno.test("applyRequest() evaluates Txn compares like etcd", async (t) => {
  const { s } = run([{ type: "put", key: "a", value: "x" }, { type: "put", key: "a", value: "y" }]);
  const cases: [KvRequest & { type: "txn" }, boolean][] = [
    [casUpdate("a", 3, "z"), true],
    [casUpdate("a", 2, "z"), false],
    [casUpdate("missing", 0, "z"), true],
  ];
  const cmp = (
    key: string,
    target: "version" | "create" | "mod" | "value" | "lease",
    result: "equal" | "not-equal" | "greater" | "less",
    operand: number | string | bigint,
  ): KvRequest & { type: "txn" } => ({
    type: "txn",
    compare: [{ key, target, result, operand }],
    success: [],
    failure: [],
  });
  cases.push(
    [cmp("a", "version", "equal", 2), true],
    [cmp("a", "create", "less", 3), true],
    [cmp("a", "mod", "greater", 3), false],
    [cmp("a", "value", "greater", "x"), true],
    [cmp("a", "value", "not-equal", "y"), false],
    [cmp("a", "lease", "equal", 0n), true],
    [cmp("missing", "value", "equal", ""), false],
    [cmp("missing", "version", "equal", 0), true],
  );
  for (const [req, succeeded] of cases) {
    await t.step(
      req.compare.map((c) => `${c.target} ${c.result} ${show(c.operand)}`).join(),
      () => {
        const r = applyRequest(s, req);
        assert(r.ok && r.response.type === "txn");
        assertEquals(r.response.succeeded, succeeded);
      },
    );
  }
});

Deno.test("applyRequest() gives all writes of one Txn one revision; reads see earlier ops", () => {
  const { out } = run([
    { type: "put", key: "b", value: "0" },
    {
      type: "txn",
      compare: [],
      success: [
        { type: "put", key: "a", value: "1" },
        { type: "range", key: "a" },
        { type: "delete", key: "b" },
      ],
      failure: [],
    },
    { type: "txn", compare: [], success: [{ type: "range", key: "a" }], failure: [] },
  ]);
  assertEquals(out[1], {
    type: "txn",
    revision: 3,
    succeeded: true,
    responses: [
      { type: "put", revision: 3 },
      { type: "range", revision: 3, kvs: [kv("a", "1", 3, 3, 1)], count: 1, more: false },
      { type: "delete", revision: 3, deleted: 1 },
    ],
  });
  assertEquals((out[2] as KvResponse).revision, 3);
});

Deno.test("applyRequest() grants and revokes leases; a revoke deletes its keys at one revision", () => {
  const { out, s } = run([
    { type: "put", key: "a", value: "1", lease: 7n },
    { type: "lease-grant", id: 7n, ttl: 10 },
    { type: "lease-grant", id: 7n, ttl: 10 },
    { type: "put", key: "a", value: "1", lease: 7n },
    { type: "put", key: "b", value: "2", lease: 7n },
    { type: "lease-revoke", id: 7n },
    { type: "lease-revoke", id: 7n },
    { type: "lease-grant", id: 8n, ttl: 10 },
    { type: "lease-revoke", id: 8n },
  ]);
  assertEquals(out.map((o) => typeof o === "string" ? o : o.revision), [
    "lease-not-found",
    1,
    "lease-exists",
    2,
    3,
    4,
    "lease-not-found",
    4,
    4,
  ]);
  assertEquals(s.revision, 4);
});

Deno.test("stateKey() and snapshotKey() identify states by history and by recent history", () => {
  const a = run([{ type: "put", key: "x", value: "1" }, { type: "put", key: "x", value: "3" }]).s;
  const b = run([{ type: "put", key: "x", value: "2" }, { type: "put", key: "x", value: "3" }]).s;
  const c = run([{ type: "put", key: "x", value: "1" }, { type: "put", key: "x", value: "3" }]).s;
  assertEquals(stateKey(a), stateKey(c));
  assert(stateKey(a) !== stateKey(b));
  assert(snapshotKey(a, 2) !== snapshotKey(b, 2), "revision 2 differs");
  assert(snapshotKey(a, 3) !== snapshotKey(b, 3), "prev_kv of revision 3 differs");
  assertEquals(snapshotKey(a, 4), snapshotKey(b, 4));
});

Deno.test("etcdModel() checks every predictable field of a response", async (t) => {
  const m = etcdModel();
  const s = run([{ type: "put", key: "a", value: "1" }]).s;
  const ctx = { frontier: Infinity, floor: Infinity, latestCall: -Infinity, deadline: Infinity };
  const get: KvRequest = { type: "range", key: "a" };
  const good: KvResponse = {
    type: "range",
    revision: 2,
    kvs: [kv("a", "1", 2, 2, 1)],
    count: 1,
    more: false,
  };
  const bad: [string, KvResponse][] = [
    ["value", { ...good, kvs: [kv("a", "2", 2, 2, 1)] }],
    ["version", { ...good, kvs: [kv("a", "1", 2, 2, 2)] }],
    ["create revision", { ...good, kvs: [kv("a", "1", 1, 2, 1)] }],
    ["lease", { ...good, kvs: [kv("a", "1", 2, 2, 1, 5n)] }],
    ["count", { ...good, count: 2 }],
    ["more", { ...good, more: true }],
    ["header revision", { ...good, revision: 3 }],
    ["missing kv", { ...good, kvs: [] }],
  ];
  assert(m.step(s, { kind: "request", request: get }, { kind: "ok", response: good }, ctx));
  for (const [name, response] of bad) {
    await t.step(name, () => {
      const out = { kind: "ok" as const, response };
      assertEquals(m.step(s, { kind: "request", request: get }, out, ctx), undefined);
      assert(m.explain(s, { kind: "request", request: get }, out, ctx).includes("expected"));
    });
  }
  const lax = etcdModel({ ignoreReadHeaderRevision: true });
  const out = { kind: "ok" as const, response: { ...good, revision: 3 } };
  assert(lax.step(s, { kind: "request", request: get }, out, ctx), "header ignored");
});
