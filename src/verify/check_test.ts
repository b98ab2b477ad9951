import { assert, assertEquals, assertMatch } from "../../tests/_assert.ts";
import { casUpdate, kv, rangeOf, Script } from "./_testing.ts";
import { checkHistory, type CheckHistoryOptions } from "./check.ts";
import type { History } from "./history.ts";
import type { KvRequest } from "./types.ts";

const get = (key: string, extra: Partial<KvRequest & { type: "range" }> = {}): KvRequest => ({
  type: "range",
  key,
  ...extra,
});
const put = (key: string, value: string): KvRequest => ({ type: "put", key, value });

function verdict(h: History, options: CheckHistoryOptions = {}): string {
  return checkHistory(h, options).verdict;
}

Deno.test("checkHistory() accepts a sequential history", () => {
  const s = new Script();
  s.ok(1, 0, 1, put("a", "1"), { type: "put", revision: 2 });
  s.ok(1, 2, 3, get("a"), rangeOf(2, [kv("a", "1", 2, 2, 1)]));
  s.ok(1, 4, 5, put("a", "2"), { type: "put", revision: 3 });
  s.ok(1, 6, 7, casUpdate("a", 3, "3"), {
    type: "txn",
    revision: 4,
    succeeded: true,
    responses: [{ type: "put", revision: 4 }],
  });
  s.ok(1, 8, 9, casUpdate("a", 3, "4"), {
    type: "txn",
    revision: 4,
    succeeded: false,
    responses: [rangeOf(4, [kv("a", "3", 2, 4, 3)])],
  });
  s.ok(1, 10, 11, { type: "delete", key: "a" }, { type: "delete", revision: 5, deleted: 1 });
  s.ok(1, 12, 13, get("a", { revision: 3 }), rangeOf(5, [kv("a", "2", 2, 3, 2)]));
  s.ok(1, 14, 15, get("a"), rangeOf(5, []));
  const res = checkHistory(s.history());
  assertEquals(res.verdict, "linearizable");
  if (res.verdict === "linearizable") assertEquals(res.order, [0, 1, 2, 3, 4, 5, 6, 7]);
});

Deno.test("checkHistory() accepts overlapping operations that have a valid order", () => {
  const s = new Script();
  s.ok(1, 0, 10, put("a", "1"), { type: "put", revision: 3 });
  s.ok(2, 1, 5, put("a", "2"), { type: "put", revision: 2 });
  s.ok(3, 0.5, 7, get("a"), rangeOf(2, [kv("a", "2", 2, 2, 1)]));
  s.ok(4, 2, 12, get("a"), rangeOf(3, [kv("a", "1", 2, 3, 2)]));
  s.ok(3, 11, 12, get("a"), rangeOf(3, [kv("a", "1", 2, 3, 2)]));
  assertEquals(verdict(s.history()), "linearizable");
});

Deno.test("checkHistory() accepts unknown-outcome writes that did and did not happen", async (t) => {
  await t.step("seen by a later read", () => {
    const s = new Script();
    s.unknown(1, 0, put("a", "u"));
    s.ok(2, 5, 6, get("a"), rangeOf(2, [kv("a", "u", 2, 2, 1)]));
    const res = checkHistory(s.history());
    assertEquals(res.verdict, "linearizable");
    if (res.verdict === "linearizable") assertEquals(res.applied, [0]);
  });
  await t.step("never happened", () => {
    const s = new Script();
    s.unknown(1, 0, put("a", "u"));
    s.ok(2, 5, 6, get("a"), rangeOf(1, []));
    s.ok(2, 7, 8, put("b", "1"), { type: "put", revision: 2 });
    const res = checkHistory(s.history());
    assertEquals(res.verdict, "linearizable");
    if (res.verdict === "linearizable") assertEquals(res.applied, []);
  });
  await t.step("filling a revision that no acknowledged write has", () => {
    const s = new Script();
    s.unknown(1, 0, put("a", "u"));
    s.unknown(1, 1, put("b", "w"));
    s.ok(2, 5, 6, put("c", "1"), { type: "put", revision: 3 });
    s.ok(2, 7, 8, get("b"), rangeOf(3, []));
    const res = checkHistory(s.history());
    assertEquals(res.verdict, "linearizable");
    if (res.verdict === "linearizable") assertEquals(res.order, [0, 2, 3]);
  });
  await t.step("taking effect after the client gave up", () => {
    const s = new Script();
    s.unknown(1, 0, put("a", "u"));
    s.ok(2, 3, 4, get("a"), rangeOf(1, []));
    s.ok(2, 5, 6, get("a"), rangeOf(2, [kv("a", "u", 2, 2, 1)]));
    assertEquals(verdict(s.history()), "linearizable");
  });
});

Deno.test("checkHistory() checks errors the model predicts and skips the others", () => {
  const s = new Script();
  s.ok(1, 0, 1, put("a", "1"), { type: "put", revision: 2 });
  s.ok(1, 2, 3, put("a", "2"), { type: "put", revision: 3 });
  s.ok(1, 4, 5, { type: "compact", revision: 3 }, { type: "compact", revision: 3 });
  s.fail(1, 6, 7, get("a", { revision: 2 }), "compacted");
  s.fail(1, 8, 9, get("a", { revision: 9 }), "future-revision");
  s.fail(1, 10, 11, put("", "x"), "empty-key");
  const res = checkHistory(s.history());
  assertEquals([res.verdict, res.checked, res.excluded], ["linearizable", 5, 1]);
  const wrong = new Script();
  wrong.fail(1, 0, 1, get("a", { revision: 1 }), "compacted");
  assertEquals(verdict(wrong.history()), "violation");
});

Deno.test("checkHistory() checks serializable reads against past revisions", async (t) => {
  const base = () => {
    const s = new Script();
    s.ok(1, 0, 1, put("a", "1"), { type: "put", revision: 2 });
    s.ok(1, 2, 3, put("a", "2"), { type: "put", revision: 3 });
    return s;
  };
  await t.step("a stale read from another client is fine", () => {
    const s = base();
    s.ok(2, 4, 5, get("a", { serializable: true }), rangeOf(2, [kv("a", "1", 2, 2, 1)]));
    assertEquals(verdict(s.history()), "linearizable");
  });
  await t.step("a read behind the client's own write is not", () => {
    const s = base();
    s.ok(1, 4, 5, get("a", { serializable: true }), rangeOf(2, [kv("a", "1", 2, 2, 1)]));
    assertEquals(verdict(s.history()), "violation");
    assertEquals(verdict(s.history(), { sessionGuarantees: false }), "linearizable");
  });
  await t.step("a read from the future is not", () => {
    const s = base();
    s.ok(2, 0, 1.5, get("a", { serializable: true }), rangeOf(3, [kv("a", "2", 2, 3, 2)]));
    assertEquals(verdict(s.history()), "violation");
    assertEquals(verdict(s.history(), { serializable: "exclude" }), "linearizable");
  });
  await t.step("contents must match the revision read", () => {
    const s = base();
    s.ok(2, 4, 5, get("a", { serializable: true }), rangeOf(2, [kv("a", "2", 2, 3, 2)]));
    assertEquals(verdict(s.history()), "violation");
  });
});

Deno.test("checkHistory() rejects histories no etcd could produce", async (t) => {
  const cases: [string, (s: Script) => void, CheckHistoryOptions?][] = [
    ["a stale read after a completed write", (s) => {
      s.ok(1, 0, 1, put("a", "1"), { type: "put", revision: 2 });
      s.ok(2, 2, 3, get("a"), rangeOf(1, []));
    }],
    ["two values read in an impossible order", (s) => {
      s.ok(1, 0, 10, put("a", "1"), { type: "put", revision: 2 });
      s.ok(2, 0, 10, put("a", "2"), { type: "put", revision: 3 });
      s.ok(3, 11, 12, get("a"), rangeOf(3, [kv("a", "2", 2, 3, 2)]));
      s.ok(4, 13, 14, get("a"), rangeOf(3, [kv("a", "1", 2, 2, 1)]));
    }, { ignoreReadHeaderRevision: true }],
    ["a lost acknowledged write", (s) => {
      s.ok(1, 0, 1, put("a", "1"), { type: "put", revision: 2 });
      s.ok(1, 2, 3, put("b", "1"), { type: "put", revision: 3 });
      s.ok(2, 4, 5, get("a"), rangeOf(3, []));
    }],
    ["a revision that goes backwards", (s) => {
      s.ok(1, 0, 1, put("a", "1"), { type: "put", revision: 2 });
      s.ok(1, 2, 3, put("a", "2"), { type: "put", revision: 3 });
      s.ok(2, 4, 5, put("b", "1"), { type: "put", revision: 3 });
    }],
    ["a CAS that succeeds twice on the same mod revision", (s) => {
      s.ok(1, 0, 1, put("a", "1"), { type: "put", revision: 2 });
      const ok = (rev: number) => ({
        type: "txn" as const,
        revision: rev,
        succeeded: true,
        responses: [{ type: "put" as const, revision: rev }],
      });
      s.ok(2, 2, 5, casUpdate("a", 2, "x"), ok(3));
      s.ok(3, 2, 5, casUpdate("a", 2, "y"), ok(4));
    }],
    ["a read that sees an unknown write, then one that does not", (s) => {
      s.unknown(1, 0, put("a", "u"));
      s.ok(2, 2, 3, get("a"), rangeOf(2, [kv("a", "u", 2, 2, 1)]));
      s.ok(3, 4, 5, get("a"), rangeOf(2, []));
    }],
    ["a version that skips", (s) => {
      s.ok(1, 0, 1, put("a", "1"), { type: "put", revision: 2 });
      s.ok(1, 2, 3, get("a"), rangeOf(2, [kv("a", "1", 2, 2, 2)]));
    }],
  ];
  for (const [name, build, options] of cases) {
    await t.step(name, () => {
      const s = new Script();
      build(s);
      for (const precheck of [true, false]) {
        const res = checkHistory(s.history(), { ...options, precheck });
        assert(res.verdict === "violation", `expected a violation, got ${res.verdict}`);
        assert(res.blocked.startsWith("#"), res.blocked);
        assert(res.candidates.length > 0);
        if (!precheck) assertEquals(res.by, "search");
      }
    });
  }
});

Deno.test("checkHistory() finds certain violations without searching", async (t) => {
  const cases: [string, (s: Script) => void, RegExp][] = [
    ["a read sent after a write returned sees an older revision", (s) => {
      s.ok(1, 0, 1, put("a", "1"), { type: "put", revision: 2 });
      s.ok(2, 2, 3, get("b"), rangeOf(1, []));
    }, /must see at least revision 2/],
    ["two writes answered with one revision", (s) => {
      s.ok(1, 0, 5, put("a", "1"), { type: "put", revision: 2 });
      s.ok(2, 0, 5, put("b", "1"), { type: "put", revision: 2 });
    }, /both created 2/],
    ["a read of a fully acknowledged prefix", (s) => {
      s.ok(1, 0, 5, put("a", "1"), { type: "put", revision: 2 });
      s.ok(2, 0, 5, put("a", "2"), { type: "put", revision: 3 });
      s.ok(3, 0, 5, get("a"), rangeOf(3, [kv("a", "1", 2, 2, 1)]));
    }, /only order/],
  ];
  for (const [name, build, message] of cases) {
    await t.step(name, () => {
      const s = new Script();
      build(s);
      const res = checkHistory(s.history());
      assert(res.verdict === "violation" && res.by === "precheck", JSON.stringify(res));
      assertMatch(res.candidates[0]!, message);
    });
  }
});
