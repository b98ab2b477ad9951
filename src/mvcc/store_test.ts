import { assertEquals, assertThrows } from "../../tests/_assert.ts";
import { CompactedError, FutureRevisionError, InvalidRequestError, LeaseError } from "../errors.ts";
import { MemoryBackend } from "./backend.ts";
import { MvccStore, type StoreRecord } from "./store.ts";
import type { Kv } from "./types.ts";
import { type WatchEvent, WatchHub } from "./watch_hub.ts";

const te = new TextEncoder();
const td = new TextDecoder();
const v = (s: string) => te.encode(s);

function write<T>(s: MvccStore, fn: () => T): T {
  s.beginBatch();
  try {
    const out = fn();
    s.commitBatch();
    return out;
  } catch (err) {
    s.abortBatch();
    throw err;
  }
}

function vals(kvs: Kv[]): string[] {
  return kvs.map((kv) => `${kv.key}=${td.decode(kv.value)}`);
}

Deno.test("MvccStore starts at revision 1 and each write adds one", () => {
  const s = MvccStore.open(new MemoryBackend());
  assertEquals(s.revision, 1);
  assertEquals(write(s, () => s.put({ key: "a", value: v("1") })).revision, 2);
  assertEquals(write(s, () => s.put({ key: "a", value: v("2") })).revision, 3);
  const kv = s.get("a")!;
  assertEquals([kv.createRevision, kv.modRevision, kv.version], [2, 3, 2]);
  assertEquals(write(s, () => s.deleteRange({ key: "zzz" })), { revision: 3, deleted: 0 });
  assertEquals(write(s, () => s.deleteRange({ key: "a" })).revision, 4);
  assertEquals(s.get("a"), undefined);
  write(s, () => s.put({ key: "a", value: v("3") }));
  const again = s.get("a")!;
  assertEquals([again.createRevision, again.modRevision, again.version], [5, 5, 1]);
});

Deno.test("MvccStore.range() reads history, honours limit, count and sort", () => {
  const s = MvccStore.open(new MemoryBackend());
  for (const k of ["k1", "k2", "k3"]) write(s, () => s.put({ key: k, value: v(k) }));
  write(s, () => s.put({ key: "k2", value: v("new") }));
  write(s, () => s.deleteRange({ key: "k1" }));
  assertEquals(vals(s.range({ key: "k", rangeEnd: "l" }).kvs), ["k2=new", "k3=k3"]);
  assertEquals(vals(s.range({ key: "k", rangeEnd: "l", revision: 4 }).kvs), [
    "k1=k1",
    "k2=k2",
    "k3=k3",
  ]);
  const page = s.range({ key: "k", rangeEnd: "l", limit: 1, revision: 5 });
  assertEquals([vals(page.kvs), page.more, page.count], [["k1=k1"], true, 3]);
  const desc = s.range({ key: "k", rangeEnd: "l", sortOrder: "descend", sortTarget: "mod" });
  assertEquals(vals(desc.kvs), ["k2=new", "k3=k3"]);
  assertEquals(s.range({ key: "k", rangeEnd: "\0", countOnly: true }).count, 2);
  assertThrows(() => s.range({ key: "k", revision: 99 }), FutureRevisionError);
  write(s, () => s.compact(4));
  assertThrows(() => s.range({ key: "k", revision: 3 }), CompactedError);
  assertEquals(vals(s.range({ key: "k", rangeEnd: "l", revision: 4 }).kvs), [
    "k1=k1",
    "k2=k2",
    "k3=k3",
  ]);
  while (!s.compactStep(1)) { /* step through */ }
  assertEquals(vals(s.range({ key: "k", rangeEnd: "l", revision: 4 }).kvs), [
    "k1=k1",
    "k2=k2",
    "k3=k3",
  ]);
  assertEquals(vals(s.range({ key: "k", rangeEnd: "l", revision: 6 }).kvs), ["k2=new", "k3=k3"]);
});

Deno.test("MvccStore.txn() compares, branches and nests like etcd", () => {
  const s = MvccStore.open(new MemoryBackend());
  write(s, () => s.put({ key: "a", value: v("1") }));
  const r = write(s, () =>
    s.txn({
      compare: [{ key: "a", target: "value", result: "equal", operand: "1" }],
      success: [
        { put: { key: "b", value: v("2") } },
        { range: { key: "b" } },
        {
          txn: {
            compare: [{ key: "b", target: "version", result: "equal", operand: 0 }],
            success: [{ put: { key: "c", value: v("3") } }],
            failure: [],
          },
        },
      ],
      failure: [],
    }));
  assertEquals(r.succeeded, true);
  assertEquals(r.revision, 3);
  assertEquals(vals(r.responses[1]!.range!.kvs), ["b=2"]);
  assertEquals(r.responses[2]!.txn!.succeeded, true); // compares see the state before the txn
  assertEquals(s.get("c")!.modRevision, 3);
  assertThrows(
    () =>
      write(
        s,
        () =>
          s.txn({
            compare: [],
            success: [{ put: { key: "x", value: v("") } }, { deleteRange: { key: "x" } }],
            failure: [],
          }),
      ),
    InvalidRequestError,
    "duplicate key",
  );
  const none = write(
    s,
    () => s.txn({ compare: [], success: [{ deleteRange: { key: "nothing" } }], failure: [] }),
  );
  assertEquals(none.revision, 3);
});

Deno.test("MvccStore leases attach keys and revoke deletes them at one revision", () => {
  const s = MvccStore.open(new MemoryBackend());
  const { id, ttl } = write(s, () => s.grantLease(0n, 1));
  assertEquals(ttl, 2);
  assertEquals(s.revision, 1);
  write(s, () => s.put({ key: "x", value: v("1"), lease: id }));
  write(s, () => s.put({ key: "y", value: v("1"), lease: id }));
  assertThrows(() => write(s, () => s.put({ key: "z", value: v(""), lease: 42n })), LeaseError);
  assertEquals(s.leaseInfo(id, true).keys, ["x", "y"]);
  const out = write(s, () => s.revokeLease(id));
  assertEquals(out.revision, 4);
  assertEquals(s.range({ key: "\0", rangeEnd: "\0" }).kvs.length, 0);
  assertEquals(s.get("x"), undefined);
});

Deno.test("MvccStore.abortBatch() restores the head exactly", () => {
  const s = MvccStore.open(new MemoryBackend());
  write(s, () => s.put({ key: "a", value: v("1") }));
  s.beginBatch();
  s.put({ key: "a", value: v("2") });
  s.put({ key: "b", value: v("2") });
  s.deleteRange({ key: "a" });
  s.abortBatch();
  assertEquals(s.revision, 2);
  assertEquals(vals(s.range({ key: "\0", rangeEnd: "\0" }).kvs), ["a=1"]);
  assertEquals(write(s, () => s.put({ key: "c", value: v("3") })).revision, 3);
});

Deno.test("MvccStore.replay() rebuilds the same state from the records", () => {
  const backend = new MemoryBackend();
  const s = MvccStore.open(backend);
  const records: StoreRecord[] = [];
  const run = (fn: () => void) => {
    s.beginBatch();
    fn();
    records.push(...s.batchRecords());
    s.commitBatch();
  };
  run(() => s.put({ key: "a", value: v("1") }));
  run(() => s.grantLease(7n, 10));
  run(() => s.put({ key: "b", value: v("1"), lease: 7n }));
  run(() =>
    s.txn({
      compare: [],
      success: [{ put: { key: "c", value: v("1") } }, { deleteRange: { key: "a", rangeEnd: "b" } }],
      failure: [],
    })
  );
  run(() => s.revokeLease(7n));
  run(() => s.compact(3));
  const fresh = MvccStore.open(new MemoryBackend());
  for (const r of records) fresh.replay(r);
  fresh.finishReplay();
  assertEquals(fresh.revision, s.revision);
  assertEquals(fresh.appliedSeq, s.appliedSeq);
  assertEquals(fresh.range({ key: "\0", rangeEnd: "\0" }), s.range({ key: "\0", rangeEnd: "\0" }));
  assertEquals(
    fresh.range({ key: "\0", rangeEnd: "\0", revision: 4 }),
    s.range({ key: "\0", rangeEnd: "\0", revision: 4 }),
  );
  const reopened = MvccStore.open(backend);
  assertEquals(
    reopened.range({ key: "\0", rangeEnd: "\0" }),
    s.range({ key: "\0", rangeEnd: "\0" }),
  );
  assertEquals(reopened.compactRevision, 3);
});

Deno.test("WatchHub delivers history, then live events, with prev_kv", async () => {
  const s = MvccStore.open(new MemoryBackend());
  const hub = new WatchHub(s);
  write(s, () => s.put({ key: "a", value: v("1") }));
  write(s, () => s.put({ key: "a", value: v("2") }));
  const got: WatchEvent[] = [];
  const w = hub.watch({ key: "a", startRevision: 2, prevKv: true }, {
    send: (evs) => {
      got.push(...evs);
      return true;
    },
    cancel: () => {},
  });
  await new Promise((r) => setTimeout(r, 10));
  write(s, () => s.deleteRange({ key: "a" }));
  assertEquals(got.map((e) => [e.type, e.kv.modRevision, e.prevKv?.modRevision]), [
    ["put", 2, undefined],
    ["put", 3, 2],
    ["delete", 4, 3],
  ]);
  assertEquals(hub.isSynced(w), true);
  hub.cancel(w);
  hub.close();
});

Deno.test("MvccStore.liveKeys counts keys that are not deleted, across aborts and reopen", () => {
  const backend = new MemoryBackend();
  const s = MvccStore.open(backend);
  write(s, () => {
    s.put({ key: "a", value: v("1") });
    s.put({ key: "b", value: v("1") });
    s.put({ key: "a", value: v("2") });
  });
  assertEquals(s.liveKeys, 2);
  write(s, () => s.deleteRange({ key: "a" }));
  assertEquals(s.liveKeys, 1);
  s.beginBatch();
  s.put({ key: "c", value: v("1") });
  s.deleteRange({ key: "b" });
  s.abortBatch();
  assertEquals(s.liveKeys, 1);
  write(s, () => s.put({ key: "a", value: v("3") }));
  assertEquals(s.liveKeys, 2);
  assertEquals(MvccStore.open(backend).liveKeys, 2);
});

Deno.test("MvccStore lazy flush: committed batches are visible before the engine has them", async (t) => {
  const backend = new MemoryBackend();
  let pending = 0;
  const s = MvccStore.open(backend, {
    lazyFlush: { maxRecords: 5, maxBytes: 1 << 20, pending: () => void pending++ },
  });
  const hub = new WatchHub(s);
  const seen: number[] = [];
  hub.watch({ key: "a" }, {
    send: (events) => {
      for (const e of events) seen.push(e.kv.modRevision);
      return true;
    },
    cancel: () => {},
  });

  await t.step("reads, history and watches see unflushed commits", () => {
    write(s, () => s.put({ key: "a", value: v("1") }));
    write(s, () => s.put({ key: "a", value: v("2") }));
    assertEquals(backend.writes, 0);
    assertEquals(pending, 2);
    assertEquals([s.appliedSeq, s.flushedSeq, s.unflushedRecords], [2, 0, 2]);
    assertEquals(vals(s.range({ key: "a" }).kvs), ["a=2"]);
    assertEquals(vals(s.range({ key: "a", revision: 2 }).kvs), ["a=1"]);
    assertEquals(seen, [2, 3]);
    // A reopen from the engine alone sees nothing yet: the WAL would replay it.
    assertEquals(MvccStore.open(backend).revision, 1);
  });

  await t.step("flush writes one engine transaction, with the open batch left out", () => {
    s.beginBatch();
    s.put({ key: "b", value: v("open") });
    s.flush();
    assertEquals(backend.writes, 1);
    s.abortBatch();
    const reopened = MvccStore.open(backend);
    assertEquals([reopened.revision, reopened.appliedSeq], [3, 2]);
    assertEquals(vals(reopened.range({ key: "a", revision: 2 }).kvs), ["a=1"]);
    assertEquals(reopened.get("b"), undefined);
    assertEquals([s.flushedSeq, s.unflushedRecords], [2, 0]);
  });

  await t.step("the store flushes by itself past maxRecords", () => {
    for (let i = 0; i < 5; i++) write(s, () => s.put({ key: `k${i}`, value: v("x") }));
    assertEquals(backend.writes, 2);
    assertEquals(s.flushedSeq, s.appliedSeq);
  });

  await t.step("a failed flush keeps the records readable and writes nothing", () => {
    write(s, () => s.put({ key: "a", value: v("3") }));
    backend.failNextWrite = new Error("disk full");
    assertThrows(() => s.flush(), Error, "disk full");
    assertEquals(vals(s.range({ key: "a" }).kvs), ["a=3"]);
    s.flush();
    assertEquals(vals(MvccStore.open(backend).range({ key: "a" }).kvs), ["a=3"]);
  });

  await t.step("compaction and meta reads flush first", () => {
    write(s, () => s.put({ key: "a", value: v("4") }));
    const rev = s.revision;
    write(s, () => s.compact(rev));
    while (!s.compactStep()) { /* bounded by the log */ }
    assertEquals(s.unflushedRecords, 0);
    assertEquals(vals(s.range({ key: "a" }).kvs), ["a=4"]);
  });
  hub.close();
});
