import { assert, assertEquals, assertMatch, assertThrows } from "../../tests/_assert.ts";
import { CompactedError } from "../errors.ts";
import { kv, rangeOf } from "./_testing.ts";
import { parseArgs } from "./check_history.ts";
import { describeError, HistoryRecorder } from "./history.ts";
import { historyFromJson, historyToJson, saveHistory } from "./history_json.ts";

function fakeClock(): () => number {
  let t = 0;
  return () => t++;
}

function sampleRecorder(): HistoryRecorder {
  const rec = new HistoryRecorder({ clock: fakeClock() });
  const w = rec.startWatch(9, { key: "a", prevKv: true });
  rec.received(w, { revision: 1, events: [], created: true });
  const put = rec.invoke(1, { type: "put", key: "a", value: "\x00\xff binary", lease: 2n ** 62n });
  const get = rec.invoke(2, { type: "range", key: "a" });
  rec.ok(put, { type: "put", revision: 2 });
  rec.received(w, {
    revision: 2,
    events: [{ type: "put", kv: kv("a", "\x00\xff binary", 2, 2, 1, 2n ** 62n) }],
  });
  rec.unknown(get, new Error("deadline exceeded"));
  const old = rec.invoke(2, { type: "range", key: "a", revision: 1 });
  rec.fail(old, new CompactedError(2));
  rec.invoke(3, { type: "put", key: "b", value: "in flight" });
  return rec;
}

Deno.test("HistoryRecorder records invoke and return times and one outcome per operation", () => {
  const rec = sampleRecorder();
  assertEquals(rec.pending, 1);
  const h = rec.history();
  assertEquals(h.operations.map((op) => [op.id, op.invokeTime, op.returnTime, op.outcome.kind]), [
    [0, 2, 4, "ok"],
    [1, 3, 6, "unknown"],
    [2, 7, 8, "fail"],
    [3, 9, 9, "unknown"],
  ]);
  assertEquals(h.operations[2]!.outcome, {
    kind: "fail",
    error: { code: "compacted", message: "mvcc: required revision has been compacted" },
  });
  assertEquals(h.watches[0]!.responses.map((r) => r.time), [1, 5]);
  const handle = { id: 0 };
  assertThrows(() => rec.ok(handle, { type: "put", revision: 2 }), Error, "not in flight");
});

Deno.test("describeError() recognises etcd's messages and T4's codes", () => {
  const etcd = (m: string) => describeError(new Error(`rpc error: code = OutOfRange desc = ${m}`));
  assertEquals(etcd("etcdserver: mvcc: required revision has been compacted").code, "compacted");
  assertEquals(
    etcd("etcdserver: mvcc: required revision is a future revision").code,
    "future-revision",
  );
  assertEquals(etcd("etcdserver: requested lease not found").code, "lease-not-found");
  assertEquals(describeError("boom"), { code: "error", message: "boom" });
});

Deno.test("historyToJson() and historyFromJson() round-trip bigints and binary strings", () => {
  const h = sampleRecorder().history();
  const text = historyToJson(h);
  assertMatch(text, /"\$bigint":"4611686018427387904"/);
  assertEquals(historyFromJson(text), h);
});

interface Doc {
  operations: { id: number; client?: number; input: { type: string } }[];
  watches: { responses: { events: unknown[] }[] }[];
}

Deno.test("historyFromJson() names the first bad field", async (t) => {
  const good: Doc = JSON.parse(historyToJson(sampleRecorder().history()));
  const cases: [string, (doc: Doc) => void, string][] = [
    ["a wrong type", (d) => d.operations[0]!.input.type = "get", "operations[0].input"],
    ["a missing field", (d) => delete d.operations[1]!.client, "operations[1].client"],
    ["an id out of place", (d) => d.operations[1]!.id = 7, "operations[1].id"],
    ["a bad event", (d) => d.watches[0]!.responses[1]!.events[0] = 1, "events[0]"],
  ];
  for (const [name, spoil, path] of cases) {
    await t.step(name, () => {
      const doc = structuredClone(good);
      spoil(doc);
      assertThrows(() => historyFromJson(JSON.stringify(doc)), Error, path);
    });
  }
  assertThrows(() => historyFromJson("{}"), Error, "not a");
});

Deno.test("check_history.ts prints one verdict line for a saved history", async () => {
  const rec = new HistoryRecorder({ clock: fakeClock() });
  const put = rec.invoke(1, { type: "put", key: "k", value: "v" });
  rec.ok(put, { type: "put", revision: 2 });
  const get = rec.invoke(2, { type: "range", key: "k" });
  rec.ok(get, rangeOf(1, []));
  const dir = await Deno.makeTempDir();
  try {
    const bad = `${dir}/bad.json`;
    await saveHistory(bad, rec.history());
    const good = `${dir}/good.json`;
    const ok = new HistoryRecorder({ clock: fakeClock() });
    ok.ok(ok.invoke(1, { type: "put", key: "k", value: "v" }), { type: "put", revision: 2 });
    await saveHistory(good, ok.history());
    const cli = new URL("./check_history.ts", import.meta.url).pathname;
    const run = async (file: string) => {
      const cmd = new Deno.Command(Deno.execPath(), { args: ["run", "--allow-read", cli, file] });
      const out = await cmd.output();
      return { code: out.code, line: new TextDecoder().decode(out.stdout).trim() };
    };
    assertEquals(await run(good), {
      code: 0,
      line: "verdict: linearizable (1 ops, 0 watch events)",
    });
    const v = await run(bad);
    assertEquals(v.code, 1);
    assert(v.line.startsWith("verdict: VIOLATION (kv)") && v.line.includes("#1 client 2"), v.line);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  assertEquals(parseArgs(["--timeout-ms", "5", "h.json"]), {
    path: "h.json",
    options: { timeoutMs: 5 },
  });
  assert(typeof parseArgs([]) === "string");
});
