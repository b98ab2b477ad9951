import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { ObjectStoreUnavailableError } from "./errors.ts";
import { MemoryObjectStore } from "./memory.ts";
import { FaultyObjectStore } from "./testing.ts";

const enc = new TextEncoder();
const data = enc.encode("x");

Deno.test("FaultyObjectStore.down fails every operation until heal()", async () => {
  const store = new FaultyObjectStore(new MemoryObjectStore());
  store.down = true;
  const err = await store.get("k").then(() => undefined, (e: unknown) => e);
  ok(err instanceof ObjectStoreUnavailableError);
  strictEqual(err.message, `Cannot get object "k" from memory://: injected: S3 is down`);
  for (
    const op of [
      store.head("k"),
      store.put("k", data),
      store.putIfAbsent("k", data),
      store.putIfMatch("k", data, "e"),
      store.list(""),
      store.delete("k"),
      store.deleteMany(["k"]),
    ]
  ) {
    await rejects(op, ObjectStoreUnavailableError);
  }
  store.heal();
  await store.put("k", data);
  strictEqual((await store.head("k"))?.size, 1);
});

Deno.test("FaultyObjectStore.failWrites fails writes and keeps reads", async () => {
  const inner = new MemoryObjectStore();
  await inner.put("k", data);
  const store = new FaultyObjectStore(inner);
  store.failWrites = true;
  await rejects(store.put("k2", data), ObjectStoreUnavailableError);
  await rejects(store.delete("k"), ObjectStoreUnavailableError);
  strictEqual((await store.get("k")).data.length, 1);
  strictEqual(await inner.head("k2"), undefined, "a failed write reached the inner store");
});

Deno.test("FaultyObjectStore.failPrefix() fails only the keys under the prefix", async () => {
  const store = new FaultyObjectStore(new MemoryObjectStore());
  store.failPrefix("chunk/");
  await rejects(store.put("chunk/a", data), /injected: keys under "chunk\/" fail/);
  await store.put("wal/1", data);
  await rejects(store.list(""), ObjectStoreUnavailableError); // the listing would include chunk/
  deepStrictEqual((await store.list("wal/")).map((o) => o.key), ["wal/1"]);
  await rejects(store.deleteMany(["wal/1", "chunk/a"]), ObjectStoreUnavailableError);
});

Deno.test("FaultyObjectStore.loseWriteAnswers applies the write, then fails", async () => {
  const store = new FaultyObjectStore(new MemoryObjectStore());
  store.loseWriteAnswers = true;
  await rejects(store.putIfAbsent("lock", data), /the answer was lost/);
  strictEqual((await store.get("lock")).data.length, 1);
  strictEqual(store.countApplied("put_if_absent"), 1);
});

Deno.test("FaultyObjectStore.latencyMs delays every operation", async () => {
  const store = new FaultyObjectStore(new MemoryObjectStore());
  store.latencyMs = 30;
  const started = performance.now();
  await store.head("k");
  ok(performance.now() - started >= 25, "no delay");
});

Deno.test("FaultyObjectStore.block() holds operations under a prefix until release()", async () => {
  const inner = new MemoryObjectStore();
  const store = new FaultyObjectStore(inner);
  store.block("wal/");
  let done = false;
  const upload = store.put("wal/1", data).then(() => (done = true));
  await store.whenBlocked(1);
  strictEqual(store.blocked, 1);
  await store.put("chunk/a", data); // other keys are not held
  strictEqual(done, false);
  strictEqual(await inner.head("wal/1"), undefined);
  store.release();
  await upload;
  strictEqual(store.blocked, 0);
  strictEqual((await inner.head("wal/1"))?.size, 1);
});

Deno.test("FaultyObjectStore counts calls and applied operations per kind and key", async () => {
  const store = new FaultyObjectStore(new MemoryObjectStore());
  await store.put("chunk/a", data);
  await store.put("chunk/a", data);
  await store.put("chunk/b", data);
  await store.put("wal/1", data);
  store.failPrefix("chunk/c");
  await rejects(store.put("chunk/c", data));
  await store.deleteMany(["wal/1", "wal/2"]);
  strictEqual(store.count("put"), 5);
  strictEqual(store.count("put", "chunk/"), 4);
  strictEqual(store.countApplied("put", "chunk/"), 3);
  deepStrictEqual(
    store.callsPerKey("put", "chunk/"),
    new Map([["chunk/a", 2], ["chunk/b", 1], ["chunk/c", 1]]),
  );
  strictEqual(store.count("delete_many", "wal/"), 2);
  store.resetCounts();
  strictEqual(store.count("put"), 0);
});
