import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { WalCorruptError } from "../errors.ts";
import { FaultyObjectStore, MemoryObjectStore } from "../objstore/mod.ts";
import type { WalRecord } from "../wal/mod.ts";
import { RemoteWalGapError } from "./errors.ts";
import { encodeWalObject, parseWalObjectKey, walObjectKey } from "./wal_objects.ts";
import { type RemoteReplayOptions, replayRemoteWal } from "./wal_replay.ts";
import { dataFor, putWal, records, rejects } from "./_testing.ts";
import type { ObjectStore } from "../objstore/mod.ts";

async function replay(store: ObjectStore, options: RemoteReplayOptions = { afterSeq: 0 }) {
  const seen: WalRecord[] = [];
  const result = await replayRemoteWal(
    store,
    options,
    (r) => seen.push({ ...r, data: r.data.slice() }),
  );
  return { result, seen, seqs: seen.map((r) => r.seq), terms: seen.map((r) => r.term) };
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

Deno.test("walObjectKey() and parseWalObjectKey() round-trip and reject other keys", () => {
  strictEqual(walObjectKey(3, 42), "wal/0000000003/00000000000000000042");
  deepStrictEqual(parseWalObjectKey("wal/0000000003/00000000000000000042"), {
    term: 3,
    firstSeq: 42,
  });
  for (const bad of ["wal/3/42", "wal/0000000003/000000000000000000042", "wal/x", "chunk/a"]) {
    strictEqual(parseWalObjectKey(bad), undefined, bad);
  }
});

Deno.test("encodeWalObject() refuses empty, non-dense and newer-term records", () => {
  for (const bad of [[], [...records(1, 2, 1), ...records(4, 4, 1)], records(1, 1, 2)]) {
    let threw = false;
    try {
      encodeWalObject(bad, 1);
    } catch (err: unknown) {
      threw = err instanceof RangeError;
    }
    ok(threw);
  }
});

Deno.test("replayRemoteWal() delivers batch objects in order after afterSeq", async () => {
  const store = new FaultyObjectStore(new MemoryObjectStore());
  for (let s = 1; s <= 100; s += 10) await putWal(store, 1, s, s + 9);
  const { result, seen, seqs } = await replay(store, { afterSeq: 35 });
  deepStrictEqual(seqs, range(36, 100));
  seen.forEach((r) => deepStrictEqual(r.data, dataFor(r.seq)));
  deepStrictEqual(result, { lastSeq: 100, lastTerm: 1, lastRev: 200, objects: 7, records: 65 });
  // Objects wholly before afterSeq are never read.
  strictEqual(store.count("get", walObjectKey(1, 21)), 0);
  strictEqual(store.count("get", walObjectKey(1, 1)), 0);
});

Deno.test("replayRemoteWal() on an empty store or at the end returns afterSeq", async () => {
  const store = new MemoryObjectStore();
  deepStrictEqual((await replay(store, { afterSeq: 7 })).result, {
    lastSeq: 7,
    lastTerm: 0,
    lastRev: 0,
    objects: 0,
    records: 0,
  });
  await putWal(store, 1, 1, 10);
  const { result } = await replay(store, { afterSeq: 10 });
  // The object holding afterSeq is read to learn where it ends (and the term and rev there).
  deepStrictEqual(result, { lastSeq: 10, lastTerm: 1, lastRev: 110, objects: 1, records: 0 });
});

Deno.test("replayRemoteWal() honours beforeSeq", async () => {
  const store = new MemoryObjectStore();
  await putWal(store, 1, 1, 10);
  await putWal(store, 1, 11, 20);
  await putWal(store, 1, 25, 30); // a hole beyond beforeSeq does not matter
  const { seqs, result } = await replay(store, { afterSeq: 3, beforeSeq: 15 });
  deepStrictEqual(seqs, range(4, 14));
  strictEqual(result.lastSeq, 14);
});

Deno.test("replayRemoteWal() applies per-term cutoffs; at the same seq the higher term wins", async () => {
  const store = new MemoryObjectStore();
  await putWal(store, 1, 1, 20); // term 1 wrote 1..20, but term 2 took over at 15
  await putWal(store, 1, 21, 25); // dead: wholly after term 2 started
  await putWal(store, 2, 15, 30);
  await putWal(store, 2, 31, 40, 9); // same seq 31 as term 3: term 3 wins
  await putWal(store, 3, 31, 35);
  await putWal(store, 3, 36, 50);
  const { seqs, terms } = await replay(store);
  deepStrictEqual(seqs, range(1, 50));
  deepStrictEqual(terms, [
    ...Array(14).fill(1),
    ...Array(16).fill(2),
    ...Array(20).fill(3),
  ]);
});

Deno.test("replayRemoteWal() handles overlapping objects: retries and a re-uploaded segment", async (t) => {
  await t.step("a sealed segment after some of its batches, then more batches", async () => {
    const store = new FaultyObjectStore(new MemoryObjectStore());
    await putWal(store, 1, 1, 2);
    await putWal(store, 1, 3, 4);
    await putWal(store, 1, 5, 6);
    await putWal(store, 1, 1, 100); // the segment overwrites wal/1/1 with 1..100
    await putWal(store, 1, 101, 110);
    for (const afterSeq of [0, 2, 4, 50]) {
      const { seqs } = await replay(store, { afterSeq });
      deepStrictEqual(seqs, range(afterSeq + 1, 110), `afterSeq ${afterSeq}`);
    }
  });
  await t.step("a segment that starts below the batches and goes past them", async () => {
    const store = new MemoryObjectStore();
    await putWal(store, 1, 1, 3);
    await putWal(store, 1, 4, 6);
    await putWal(store, 1, 2, 20); // written by a retry with another boundary
    const { seqs } = await replay(store, { afterSeq: 0 });
    deepStrictEqual(seqs, range(1, 20));
  });
  await t.step("objects that disagree about a record are an error naming the object", async () => {
    const store = new MemoryObjectStore();
    await putWal(store, 1, 1, 4);
    await putWal(store, 1, 5, 6);
    await putWal(store, 1, 3, 10, 1); // same seqs 3..6, other bytes
    const err = await rejects(() => replay(store));
    ok(err instanceof WalCorruptError, String(err));
    strictEqual(err.segment, walObjectKey(1, 3));
    match(err.message, /disagrees with an earlier object about seq 3 \(offset 28\)/);
  });
});

Deno.test("replayRemoteWal() fails closed on a hole with RemoteWalGapError", async (t) => {
  const store = new MemoryObjectStore();
  await putWal(store, 1, 1, 10);
  await putWal(store, 1, 21, 30);
  await t.step("in the middle", async () => {
    const seen: number[] = [];
    const err = await rejects(() =>
      replayRemoteWal(store, { afterSeq: 0 }, (r) => void seen.push(r.seq))
    );
    ok(err instanceof RemoteWalGapError, String(err));
    deepStrictEqual([err.expectedSeq, err.foundSeq, err.key], [11, 21, walObjectKey(1, 21)]);
    strictEqual(err.code, "checkpoint-corrupt");
    match(
      err.message,
      /seq 11 is missing \(the next object "wal\/0000000001\/00000000000000000021"/,
    );
    deepStrictEqual(seen, range(1, 10)); // the valid prefix was delivered
  });
  await t.step("at the start (the WAL after afterSeq was deleted)", async () => {
    const err = await rejects(() => replay(store, { afterSeq: 15 }));
    ok(err instanceof RemoteWalGapError);
    deepStrictEqual([err.expectedSeq, err.foundSeq], [16, 21]);
  });
});

Deno.test("replayRemoteWal() reports damaged objects with the key and offset", async (t) => {
  const good = encodeWalObject(records(11, 20, 1), 1);
  const cases: [string, Uint8Array, RegExp][] = [
    ["truncated mid-frame", good.subarray(0, good.length - 5), /extends past the end/],
    ["truncated header", good.subarray(0, 20), /shorter than the 28-byte header/],
    ["header only", good.subarray(0, 28), /holds no records/],
    ["a flipped byte", flip(good, 200), /checksum mismatch/],
    ["a header for another key", encodeWalObject(records(12, 20, 1), 1), /does not match its key/],
  ];
  for (const [name, bytes, reason] of cases) {
    await t.step(name, async () => {
      const store = new MemoryObjectStore();
      await putWal(store, 1, 1, 10);
      await store.put(walObjectKey(1, 11), bytes);
      await putWal(store, 1, 21, 30);
      const err = await rejects(() => replay(store, { afterSeq: 5 }));
      ok(err instanceof WalCorruptError, String(err));
      strictEqual(err.segment, walObjectKey(1, 11));
      match(err.message, /Cannot read remote WAL object "wal\/0000000001\/00000000000000000011"/);
      match(err.message, reason);
      if (name === "a flipped byte") {
        match(err.message, /at offset \d+/);
        ok(err.offset > 28 && err.offset <= 200);
      }
    });
  }
});

Deno.test("replayRemoteWal() refuses records larger than maxRecordBytes", async () => {
  const store = new MemoryObjectStore();
  await putWal(store, 1, 1, 5);
  const err = await rejects(() => replay(store, { afterSeq: 0, maxRecordBytes: 40 }));
  ok(err instanceof WalCorruptError);
  match(err.message, /impossible frame length/);
});

Deno.test("replayRemoteWal() reports an object deleted while reading as a gap (bootstrap race)", async () => {
  const inner = new MemoryObjectStore();
  const store = new FaultyObjectStore(inner);
  for (let s = 1; s <= 40; s += 10) await putWal(store, 1, s, s + 9);
  // The replay lists, then waits on its first GET; meanwhile a checkpoint at seq 30 is written
  // and GC deletes the objects it covers.
  store.block(walObjectKey(1, 11));
  const running = replay(store, { afterSeq: 10 });
  await store.whenBlocked();
  await inner.deleteMany([walObjectKey(1, 1), walObjectKey(1, 11), walObjectKey(1, 21)]);
  store.release();
  const err = await rejects(() => running);
  ok(err instanceof RemoteWalGapError, String(err));
  deepStrictEqual([err.expectedSeq, err.foundSeq, err.key], [11, undefined, walObjectKey(1, 11)]);
  match(err.message, /was deleted while the WAL was read/);
});

Deno.test("replayRemoteWal() prefetches but reads each needed object once", async () => {
  const store = new FaultyObjectStore(new MemoryObjectStore());
  for (let s = 1; s <= 300; s += 3) await putWal(store, 2, s, s + 2);
  store.block("wal/0"); // the GETs, not the LIST
  const running = replay(store, { afterSeq: 0, prefetch: 8 });
  await store.whenBlocked(9); // the object being applied and 8 more in flight at once
  store.release();
  const { result } = await running;
  strictEqual(result.lastSeq, 300);
  strictEqual(result.objects, 100);
  for (const [key, n] of store.callsPerKey("get", "wal/")) strictEqual(n, 1, key);
});

function flip(bytes: Uint8Array, at: number): Uint8Array {
  const copy = bytes.slice();
  copy[at] = (copy[at] as number) ^ 0x40;
  return copy;
}
