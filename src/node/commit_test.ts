import { assert, assertEquals, assertRejects } from "../../tests/_assert.ts";
import { FencedError, KvError } from "../errors.ts";
import { MemoryBackend, MvccStore, type StoreRecord } from "../mvcc/mod.ts";
import type { WalWriter } from "../wal/mod.ts";
import { CommitPipeline } from "./commit.ts";

const v = (s: string) => new TextEncoder().encode(s);

/** A WAL double that records appends and fails syncs on demand. */
class FakeWal {
  appended: StoreRecord[] = [];
  failSync: Error | undefined;
  syncs = 0;
  rollbacks = 0;
  blockingSync = false;
  mark() {
    return { n: this.appended.length };
  }
  append(records: readonly StoreRecord[]) {
    this.appended.push(...records);
  }
  sync(): Promise<void> {
    this.syncs++;
    return this.failSync ? Promise.reject(this.failSync) : Promise.resolve();
  }
  rollback(mark: { n: number }): Promise<void> {
    this.rollbacks++;
    this.appended.length = mark.n;
    return Promise.resolve();
  }
}

function setup() {
  const backend = new MemoryBackend();
  const store = MvccStore.open(backend);
  const wal = new FakeWal();
  const pipeline = new CommitPipeline(store, wal as unknown as WalWriter);
  return { backend, store, wal, pipeline };
}

Deno.test("CommitPipeline batches concurrent requests into one fsync, later ones see earlier", async () => {
  const { store, wal, pipeline } = setup();
  const created = await Promise.all([
    pipeline.submit((s) =>
      s.txn({
        compare: [{ key: "k", target: "mod", result: "equal", operand: 0 }],
        success: [{ put: { key: "k", value: v("first") } }],
        failure: [],
      })
    ),
    pipeline.submit((s) =>
      s.txn({
        compare: [{ key: "k", target: "mod", result: "equal", operand: 0 }],
        success: [{ put: { key: "k", value: v("second") } }],
        failure: [],
      })
    ),
  ]);
  assertEquals(created.map((r) => r.succeeded), [true, false]);
  assertEquals(wal.syncs, 1);
  assertEquals(wal.appended.map((r) => r.seq), [1]);
  assertEquals(store.revision, 2);
});

Deno.test("CommitPipeline rejects a request error alone and commits the rest", async () => {
  const { store, pipeline } = setup();
  const results = await Promise.allSettled([
    pipeline.submit((s) => s.put({ key: "a", value: v("1") })),
    pipeline.submit((s) => s.put({ key: "", value: v("x") })),
    pipeline.submit((s) => s.put({ key: "b", value: v("2") })),
  ]);
  assertEquals(results.map((r) => r.status), ["fulfilled", "rejected", "fulfilled"]);
  assertEquals(store.revision, 3);
});

Deno.test("CommitPipeline fences on a failed fsync: nothing visible, no holes, later writes refused", async () => {
  const { store, wal, pipeline } = setup();
  await pipeline.submit((s) => s.put({ key: "a", value: v("1") }));
  wal.failSync = new KvError("wal-io", "disk on fire");
  const err = await assertRejects(
    () => pipeline.submit((s) => s.put({ key: "b", value: v("2") })),
    FencedError,
  );
  assert(err.message.includes("disk on fire"), err.message);
  assertEquals(store.revision, 2);
  assertEquals(store.appliedSeq, 1);
  assertEquals(store.get("b"), undefined);
  assertEquals(wal.rollbacks, 1);
  assert(pipeline.fenced instanceof FencedError);
  await assertRejects(
    () => pipeline.submit((s) => s.put({ key: "c", value: v("3") })),
    FencedError,
  );
});

Deno.test("CommitPipeline: an unavailable object store fails the batch, not the node", async () => {
  const { store, wal, pipeline } = setup();
  let down = true;
  pipeline.hooks.push(() =>
    down ? Promise.reject(new KvError("object-store-unavailable", "S3 is down")) : Promise.resolve()
  );
  await assertRejects(
    () => pipeline.submit((s) => s.put({ key: "a", value: v("1") })),
    KvError,
    "S3",
  );
  assertEquals(pipeline.fenced, undefined);
  assertEquals(store.revision, 1);
  assertEquals(wal.appended.length, 0);
  down = false;
  assertEquals((await pipeline.submit((s) => s.put({ key: "a", value: v("2") }))).revision, 2);
  assertEquals(wal.appended.map((r) => [r.seq, r.rev]), [[1, 2]]);
});

Deno.test("CommitPipeline fences when the engine write fails; the WAL keeps the batch", async () => {
  const { backend, store, wal, pipeline } = setup();
  backend.failNextWrite = new KvError("engine", "disk full");
  await assertRejects(
    () => pipeline.submit((s) => s.put({ key: "a", value: v("1") })),
    FencedError,
  );
  assertEquals(wal.appended.length, 1, "the durable WAL record replays at the next open");
  assertEquals(store.revision, 1);
  assert(pipeline.fenced !== undefined);
});
