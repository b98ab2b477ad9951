import { assert, assertEquals } from "../../tests/_assert.ts";
import { type CheckEntry, checkLinearizable, type Model } from "./linearizability.ts";

// A single register: write(v) → "ok", read() → v. The classic Porcupine test model.
type Op = { w: number } | { r: true };
const register: Model<number, Op, number | "ok"> = {
  init: 0,
  step(s, input, out) {
    if ("w" in input) return input.w;
    return out === undefined || out === s ? s : undefined;
  },
  key: (s) => String(s),
  explain: (s, _input, out) => `read ${out}, register holds ${s}`,
};

function w(v: number, call: number, ret: number, unknown = false): CheckEntry<Op, number | "ok"> {
  return { input: { w: v }, output: unknown ? undefined : "ok", call, return: ret };
}
function r(v: number, call: number, ret: number): CheckEntry<Op, number | "ok"> {
  return { input: { r: true }, output: v, call, return: ret };
}

Deno.test("checkLinearizable() accepts sequential and validly overlapping histories", async (t) => {
  const cases: [string, CheckEntry<Op, number | "ok">[]][] = [
    ["empty", []],
    ["sequential", [w(1, 0, 1), r(1, 2, 3), w(2, 4, 5), r(2, 6, 7)]],
    ["read overlapping a write sees the old value", [
      w(1, 0, 1),
      w(2, 2, 6),
      r(1, 3, 4),
      r(2, 7, 8),
    ]],
    ["read overlapping a write sees the new value", [
      w(1, 0, 1),
      w(2, 2, 6),
      r(2, 3, 4),
      r(2, 7, 8),
    ]],
    ["concurrent writes in either order", [w(1, 0, 5), w(2, 0, 5), r(1, 6, 7)]],
    ["equal timestamps overlap", [w(1, 0, 2), r(1, 2, 3)]],
    ["unknown write that happened", [w(1, 0, 1, true), r(1, 5, 6)]],
    ["unknown write that did not", [w(1, 0, 1, true), r(0, 5, 6)]],
    ["unknown write that happened late", [w(1, 0, 1, true), r(0, 5, 6), r(1, 7, 8)]],
  ];
  for (const [name, entries] of cases) {
    await t.step(name, () => {
      const res = checkLinearizable(register, entries);
      assertEquals(res.verdict, "linearizable");
      if (res.verdict === "linearizable") {
        assertEquals(new Set(res.order).size, res.order.length, "each entry at most once");
      }
    });
  }
});

Deno.test("checkLinearizable() rejects impossible histories and explains where", async (t) => {
  const cases: [string, CheckEntry<Op, number | "ok">[], number][] = [
    ["stale read after a completed write", [w(1, 0, 1), r(0, 2, 3)], 1],
    ["values read in an impossible order", [w(1, 0, 1), w(2, 2, 3), r(2, 4, 5), r(1, 6, 7)], 3],
    ["an unknown write seen, then unseen", [w(1, 0, 1, true), r(1, 2, 3), r(0, 4, 5)], 2],
    ["a value never written", [r(7, 0, 1)], 0],
  ];
  for (const [name, entries, blocked] of cases) {
    await t.step(name, () => {
      const res = checkLinearizable(register, entries);
      assert(res.verdict === "violation", `expected a violation, got ${res.verdict}`);
      assertEquals(res.blocked, blocked);
      assert(res.candidates.some((c) => c.entry === blocked && c.reason.startsWith("read")));
    });
  }
});

Deno.test("checkLinearizable() returns unknown when the time budget runs out", () => {
  // Many concurrent writes and no way to linearize the final read: the search must try
  // every order before it can prove a violation.
  const entries = Array.from({ length: 22 }, (_, i) => w(i + 1, 0, 100));
  entries.push(r(999, 101, 102));
  const res = checkLinearizable(register, entries, { timeoutMs: 1 });
  assert(res.verdict === "unknown" || res.verdict === "violation");
  if (res.verdict === "unknown") assertEquals(res.reason, "timeout");
});

Deno.test("checkLinearizable() prunes paths that pass a pending entry's horizon", () => {
  // A versioned register: each write bumps a counter; reads report the counter.
  const versioned: Model<number, "inc" | "read", number> = {
    init: 0,
    step: (s, input, out) => input === "inc" ? s + 1 : out === s ? s : undefined,
    key: String,
    explain: (s, _i, out) => `read ${out} at ${s}`,
    horizon: (input, out) => input === "read" && out !== undefined ? out : Infinity,
    progress: (s) => s,
  };
  const n = 200;
  const entries: CheckEntry<"inc" | "read", number>[] = [];
  for (let i = 0; i < n; i++) entries.push({ input: "inc", output: 0, call: i, return: i + 0.5 });
  // Every read overlaps everything; each must sit right after its increment.
  for (let i = 1; i <= n; i++) entries.push({ input: "read", output: i, call: 0, return: n + 1 });
  const res = checkLinearizable(versioned, entries, { timeoutMs: 5_000 });
  assertEquals(res.verdict, "linearizable");
});
