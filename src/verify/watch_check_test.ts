import { assert, assertEquals } from "../../tests/_assert.ts";
import { kv, rangeOf, Script } from "./_testing.ts";
import type { WatchRecording } from "./history.ts";
import { revisionLogFromEvents, tombstoneKv } from "./revision_log.ts";
import type { WatchEvent, WatchRequest, WatchResponse } from "./types.ts";
import { verifyHistory } from "./verify.ts";
import { checkWatches, type WatchViolationKind } from "./watch_check.ts";

// The run every stream below is checked against:
// rev 2 put a=1, rev 3 put b=1, rev 4 (one txn) put a=2 and put c=1, rev 5 delete a,
// rev 6 put d=1 (outside the watched range [a, d)).
const A1 = kv("a", "1", 2, 2, 1);
const B1 = kv("b", "1", 3, 3, 1);
const A2 = kv("a", "2", 2, 4, 2);
const C1 = kv("c", "1", 4, 4, 1);
const EVENTS: WatchEvent[] = [
  { type: "put", kv: A1 },
  { type: "put", kv: B1 },
  { type: "put", kv: A2 },
  { type: "put", kv: C1 },
  { type: "delete", kv: tombstoneKv("a", 5) },
  { type: "put", kv: kv("d", "1", 6, 6, 1) },
];
const LOG = revisionLogFromEvents(EVENTS);

const put = (k: typeof A1, prevKv?: typeof A1): WatchEvent =>
  prevKv ? { type: "put", kv: k, prevKv } : { type: "put", kv: k };
const del = (rev: number, prevKv: typeof A1): WatchEvent => ({
  type: "delete",
  kv: tombstoneKv(prevKv.key, rev),
  prevKv,
});
const res = (revision: number, events: WatchEvent[], extra: Partial<WatchResponse> = {}) => ({
  revision,
  events,
  ...extra,
});

/** The stream etcd would send for a watch of [a, d) from revision 2 with prev_kv. */
function good(): WatchResponse[] {
  return [
    res(1, [], { created: true }),
    res(2, [put(A1)]),
    res(3, [put(B1)]),
    res(4, [put(A2, A1), put(C1)]),
    res(5, [del(5, A2)]),
    res(6, []), // progress notification
  ];
}

function recording(
  responses: WatchResponse[],
  request: Partial<WatchRequest> = {},
): WatchRecording {
  return {
    id: 0,
    client: 1,
    request: { key: "a", rangeEnd: "d", startRevision: 2, prevKv: true, ...request },
    startTime: 0,
    responses: responses.map((r, i) => ({ ...r, time: i })),
  };
}

function kinds(
  responses: WatchResponse[],
  request: Partial<WatchRequest> = {},
): WatchViolationKind[] {
  return checkWatches([recording(responses, request)], LOG).map((v) => v.kind);
}

Deno.test("checkWatches() accepts the streams etcd sends", async (t) => {
  await t.step("from a start revision", () => assertEquals(kinds(good()), []));
  await t.step("from the created revision", () => {
    const stream = good().slice(2).map((r) => ({ ...r }));
    stream.unshift(res(2, [], { created: true }));
    assertEquals(kinds(stream, { startRevision: 0 }), []);
  });
  await t.step("with a revision in fragments", () => {
    const stream = good();
    stream.splice(3, 1, res(4, [put(A2, A1)], { fragment: true }), res(4, [put(C1)]));
    assertEquals(kinds(stream), []);
  });
  await t.step("with a delete filter", () => {
    assertEquals(
      kinds(good().filter((r) => r.events[0]?.type !== "delete"), { noDelete: true }),
      [],
    );
  });
  await t.step(
    "cut short by the end of the run",
    () => assertEquals(kinds(good().slice(0, 3)), []),
  );
});

Deno.test("checkWatches() reports each broken guarantee", async (t) => {
  const cases: [string, (s: WatchResponse[]) => WatchResponse[], WatchViolationKind][] = [
    ["a dropped event", (s) => s.filter((r) => r.revision !== 3), "reliable"],
    ["a duplicated event", (s) => [...s.slice(0, 3), res(3, [put(B1)]), ...s.slice(3)], "unique"],
    ["a reordered pair", (s) => [s[0]!, s[2]!, s[1]!, ...s.slice(3)], "ordered"],
    [
      "a split revision",
      (s) => [...s.slice(0, 3), res(4, [put(A2, A1)]), res(4, [put(C1)]), ...s.slice(4)],
      "atomic",
    ],
    ["a wrong prev_kv", (s) => [...s.slice(0, 4), res(5, [del(5, A1)]), s[5]!], "prev-kv"],
    [
      "a progress notification ahead of a pending event",
      (s) => [...s.slice(0, 3), res(4, []), ...s.slice(3)],
      "bookmark",
    ],
    [
      "a header below its events",
      (s) => [...s.slice(0, 2), res(2, [put(B1)]), ...s.slice(3)],
      "bookmark",
    ],
    [
      "a wrong value",
      (s) => [...s.slice(0, 2), res(3, [put({ ...B1, value: "x" })]), ...s.slice(3)],
      "event",
    ],
    ["an event outside the range", (s) => [...s, res(6, [put(kv("d", "1", 6, 6, 1))])], "event"],
    [
      "an event before the start revision",
      (s) => [s[0]!, res(1, [put(kv("a", "0", 1, 1, 1))]), ...s.slice(1)],
      "event",
    ],
    ["a write that never happened", (s) => [...s, res(9, [put(kv("b", "9", 3, 9, 2))])], "event"],
  ];
  for (const [name, mutate, kind] of cases) {
    await t.step(name, () => {
      const found = checkWatches([recording(mutate(good()))], LOG);
      assert(found.some((v) => v.kind === kind), `expected ${kind}, got ${JSON.stringify(found)}`);
      assert(found.every((v) => v.watch === 0 && v.message.length > 0));
    });
  }
});

Deno.test("checkWatches() checks that a restarted watch leaves no gap", () => {
  const first = recording(good().slice(0, 3)); // delivered revisions 2 and 3
  const resumed = (start: number): WatchRecording => ({
    ...recording([res(3, [], { created: true }), ...good().filter((r) => r.revision >= start)], {
      startRevision: start,
    }),
    id: 1,
    resumes: 0,
  });
  assertEquals(checkWatches([first, resumed(4)], LOG), []);
  const gap = checkWatches([first, resumed(5)], LOG);
  assert(gap.some((v) => v.kind === "resumable" && v.revision === 4), JSON.stringify(gap));
});

Deno.test("verifyHistory() places an unknown-outcome write where a watch saw it", async (t) => {
  const run = (seen: number) => {
    const s = new Script();
    s.unknown(1, 0, { type: "put", key: "a", value: "u" });
    s.ok(2, 1, 2, { type: "put", key: "b", value: "1" }, {
      type: "put",
      revision: seen === 2 ? 3 : 2,
    });
    s.ok(2, 3, 4, { type: "range", key: "b" }, rangeOf(3, [kv("b", "1", 5 - seen, 5 - seen, 1)]));
    const u = kv("a", "u", seen, seen, 1);
    const b = kv("b", "1", 5 - seen, 5 - seen, 1);
    const events = seen === 2 ? [[2, u], [3, b]] as const : [[2, b], [3, u]] as const;
    s.watch({ key: "\0", rangeEnd: "\0", startRevision: 2 }, 0, [
      [0.5, res(1, [], { created: true })],
      ...events.map(([rev, k]): [number, WatchResponse] => [4 + rev, res(rev, [put(k)])]),
    ]);
    return verifyHistory(s.history());
  };
  await t.step("before an acknowledged write", () => {
    const report = run(2);
    assertEquals([report.kv.verdict, report.watch], ["linearizable", []]);
    if (report.kv.verdict === "linearizable") assertEquals(report.kv.applied, [0]);
  });
  await t.step("after the last acknowledged write", () => {
    const report = run(3);
    assertEquals([report.kv.verdict, report.watch], ["linearizable", []]);
  });
  await t.step("never, at a revision an acknowledged write has", () => {
    const s = new Script();
    s.unknown(1, 0, { type: "put", key: "a", value: "u" });
    s.ok(2, 1, 2, { type: "put", key: "b", value: "1" }, { type: "put", revision: 2 });
    s.watch({ key: "\0", rangeEnd: "\0", startRevision: 2 }, 0, [[
      5,
      res(2, [put(kv("a", "u", 2, 2, 1))]),
    ]]);
    const report = verifyHistory(s.history());
    assertEquals(report.kv.verdict, "linearizable");
    assert(
      report.watch?.some((v) => v.kind === "event" && v.revision === 2),
      JSON.stringify(report.watch),
    );
  });
});
