import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import {
  FaultyObjectStore,
  LocalDirObjectStore,
  MemoryObjectStore,
  type ObjectStore,
} from "../objstore/mod.ts";
import { writeCheckpoint } from "./checkpoint.ts";
import { StaleCheckpointError } from "./errors.ts";
import { collectGarbage } from "./gc.ts";
import { checkpointKey, LATEST_KEY } from "./layout.ts";
import {
  listCheckpoints,
  readCheckpointManifest,
  readLatestManifest,
  readLatestPointer,
} from "./manifest.ts";
import { restoreCheckpoint } from "./restore.ts";
import {
  assertEngineFile,
  openEngine,
  putRows,
  readRows,
  rejects,
  rowValue,
  tempDir,
} from "./_testing.ts";

const CHUNK = 64 * 1024;
const fixedClock = () => new Date("2025-01-02T03:04:05.000Z");

Deno.test("writeCheckpoint() and restoreCheckpoint() round-trip a real engine file", async () => {
  await using dir = await tempDir();
  const store = new FaultyObjectStore(new MemoryObjectStore({ prefix: "t4" }));
  const engine = await openEngine(`${dir.path}/engine.db`);
  try {
    putRows(engine, 1, 5000);
    engine.checkpoint(true);
    const first = await writeCheckpoint(store, {
      engineFile: `${dir.path}/engine.db`,
      term: 1,
      seq: 5000,
      revision: 5000,
      compactRevision: 0,
      chunkBytes: CHUNK,
      now: fixedClock,
    });
    const fileBytes = (await Deno.stat(`${dir.path}/engine.db`)).size;
    strictEqual(first.key, "checkpoint/0000000001/00000000000000005000/manifest.json");
    strictEqual(first.totalBytes, fileBytes);
    strictEqual(first.manifest.chunks.length, Math.ceil(fileBytes / CHUNK));
    strictEqual(first.uploadedChunks, new Set(first.manifest.chunks).size);
    strictEqual(first.uploadedBytes, fileBytes - duplicateBytes(first.manifest));
    strictEqual(first.manifest.createdAt, "2025-01-02T03:04:05.000Z");
    strictEqual(store.count("put", "chunk/"), first.uploadedChunks);

    const restored = `${dir.path}/restored.db`;
    const progress: number[] = [];
    const manifest = await restoreCheckpoint(store, first.key, restored, {
      onProgress: (p) => void progress.push(p.doneBytes / p.totalBytes),
    });
    deepStrictEqual(manifest, first.manifest);
    strictEqual(progress[0], 0);
    strictEqual(progress.at(-1), 1);
    strictEqual(progress.length, first.manifest.chunks.length + 1);
    await assertEngineFile(restored, readRows(engine));

    // A few rows change: only their chunks are uploaded again; known chunks cost no HEAD.
    putRows(engine, 100, 20, { version: 1 });
    putRows(engine, 5001, 10);
    engine.checkpoint(true);
    store.resetCounts();
    const second = await writeCheckpoint(store, {
      engineFile: `${dir.path}/engine.db`,
      term: 1,
      seq: 5030,
      revision: 5010,
      compactRevision: 0,
      chunkBytes: CHUNK,
      known: new Set(first.manifest.chunks),
    });
    ok(second.uploadedChunks >= 1 && second.uploadedChunks <= 5, `${second.uploadedChunks}`);
    ok(second.uploadedBytes < second.totalBytes / 3, `${second.uploadedBytes}`);
    strictEqual(second.uploadedChunks + second.reusedChunks, second.manifest.chunks.length);
    strictEqual(store.count("put", "chunk/"), second.uploadedChunks);
    strictEqual(store.count("get_etag", "chunk/"), second.uploadedChunks); // only unknown ones
    strictEqual(store.count("list"), 0);
    await assertEngineFile(await restoreTo(store, second.key, dir.path), readRows(engine));

    deepStrictEqual((await readLatestPointer(store))?.pointer, {
      formatVersion: 1,
      checkpointKey: second.key,
      term: 1,
      seq: 5030,
      revision: 5010,
    });
    deepStrictEqual(await readLatestManifest(store), second.manifest);
    deepStrictEqual(
      (await listCheckpoints(store)).map((c) => [c.key, c.revision, c.latest]),
      [[first.key, 5000, false], [second.key, 5010, true]],
    );
  } finally {
    engine.close();
  }
});

Deno.test("writeCheckpoint() without known chunks finds stored ones by HEAD", async () => {
  await using dir = await tempDir();
  const store = new FaultyObjectStore(new MemoryObjectStore());
  const file = `${dir.path}/engine.db`;
  await Deno.writeFile(file, rowValue(1, 5 * CHUNK + 123));
  const options = { engineFile: file, term: 1, seq: 10, revision: 9, compactRevision: 0 };
  await writeCheckpoint(store, { ...options, chunkBytes: CHUNK });
  store.resetCounts();
  const again = await writeCheckpoint(store, { ...options, seq: 11, chunkBytes: CHUNK });
  strictEqual(again.uploadedChunks, 0);
  strictEqual(again.reusedChunks, 6);
  strictEqual(store.count("put", "chunk/"), 0);
  strictEqual(store.count("get_etag", "chunk/"), 12); // 6 before the manifest, 6 re-checks
});

Deno.test("writeCheckpoint() uploads again a HEAD-found chunk that a GC deleted meanwhile", async () => {
  await using dir = await tempDir();
  const inner = new MemoryObjectStore();
  const store = new FaultyObjectStore(inner);
  const file = `${dir.path}/engine.db`;
  await Deno.writeFile(file, rowValue(2, 3 * CHUNK));
  const options = { engineFile: file, term: 1, revision: 9, compactRevision: 0, chunkBytes: CHUNK };
  const old = await writeCheckpoint(store, { ...options, seq: 10 });
  // The second writer finds the chunks by HEAD, then (while it writes its manifest) a GC
  // deletes the old checkpoint's chunks.
  store.block(checkpointKey(1, 20));
  const running = writeCheckpoint(store, { ...options, seq: 20 });
  await store.whenBlocked();
  await inner.deleteMany(old.manifest.chunks.map((h) => `chunk/${h}`));
  store.release();
  const second = await running;
  strictEqual(second.uploadedChunks, 3);
  const restored = await restoreTo(store, second.key, dir.path);
  deepStrictEqual(await Deno.readFile(restored), await Deno.readFile(file));
});

Deno.test("writeCheckpoint() never moves manifest/latest back to an older checkpoint", async () => {
  await using dir = await tempDir();
  const store = new MemoryObjectStore();
  const file = `${dir.path}/engine.db`;
  await Deno.writeFile(file, rowValue(3, 1000));
  const base = { engineFile: file, revision: 1, compactRevision: 0 };
  await writeCheckpoint(store, { ...base, term: 2, seq: 5 });
  const err = await rejects(() => writeCheckpoint(store, { ...base, term: 1, seq: 50 }));
  ok(err instanceof StaleCheckpointError, String(err));
  strictEqual(err.code, "precondition-failed");
  match(err.message, /already names the newer checkpoint "checkpoint\/0000000002\//);
  strictEqual((await readLatestPointer(store))?.pointer.term, 2);
  // Writing the same checkpoint again (a retry) is fine, and so is a newer one.
  await writeCheckpoint(store, { ...base, term: 2, seq: 5 });
  await writeCheckpoint(store, { ...base, term: 2, seq: 6 });
  strictEqual((await readLatestPointer(store))?.pointer.seq, 6);
});

Deno.test("writeCheckpoint() handles an empty file and a file of exactly one chunk", async () => {
  await using dir = await tempDir();
  const store = new MemoryObjectStore();
  for (const size of [0, CHUNK, CHUNK + 1]) {
    const file = `${dir.path}/f${size}`;
    await Deno.writeFile(file, rowValue(size, size));
    const r = await writeCheckpoint(store, {
      engineFile: file,
      term: 1,
      seq: size + 1,
      revision: 0,
      compactRevision: 0,
      chunkBytes: CHUNK,
    });
    strictEqual(r.manifest.chunks.length, Math.ceil(size / CHUNK));
    deepStrictEqual(
      await Deno.readFile(await restoreTo(store, r.key, dir.path)),
      await Deno.readFile(file),
    );
  }
});

Deno.test("writeCheckpoint() refuses a missing engine file and bad chunk sizes", async () => {
  const store = new MemoryObjectStore();
  const base = { term: 1, seq: 1, revision: 0, compactRevision: 0 };
  const missing = await rejects(() =>
    writeCheckpoint(store, { ...base, engineFile: "/nonexistent/engine.db" })
  );
  match(String(missing), /cannot open engine file "\/nonexistent\/engine.db"/);
  strictEqual((missing as { code?: string }).code, "engine");
  const bad = await rejects(() =>
    writeCheckpoint(store, { ...base, engineFile: "x", chunkBytes: 0 })
  );
  ok(bad instanceof RangeError);
  strictEqual(await store.head(LATEST_KEY), undefined);
});

Deno.test("writeCheckpoint() keeps at most `concurrency` chunk uploads in flight", async () => {
  await using dir = await tempDir();
  const store = new FaultyObjectStore(new MemoryObjectStore());
  const file = `${dir.path}/engine.db`;
  await Deno.writeFile(file, rowValue(4, 40 * 1024));
  store.block("chunk/");
  const running = writeCheckpoint(store, {
    engineFile: file,
    term: 1,
    seq: 1,
    revision: 0,
    compactRevision: 0,
    chunkBytes: 1024,
    concurrency: 3,
  });
  await store.whenBlocked(3);
  await new Promise((resolve) => setTimeout(resolve, 20));
  strictEqual(store.blocked, 3);
  store.release();
  const r = await running;
  strictEqual(r.uploadedChunks, 40);
  deepStrictEqual((await readCheckpointManifest(store, r.key)).chunks, r.manifest.chunks);
});

Deno.test("checkpoints work the same on a LocalDirObjectStore (the embedded default)", async () => {
  await using dir = await tempDir();
  const store = new LocalDirObjectStore(`${dir.path}/objects`, { prefix: "t4" });
  const file = `${dir.path}/engine.db`;
  const base = { engineFile: file, term: 1, revision: 1, compactRevision: 0, chunkBytes: CHUNK };
  await Deno.writeFile(file, rowValue(5, 3 * CHUNK));
  const first = await writeCheckpoint(store, { ...base, seq: 1 });
  await Deno.writeFile(file, rowValue(6, 3 * CHUNK));
  const second = await writeCheckpoint(store, { ...base, seq: 2 });
  const gc = await collectGarbage(store, { keep: 1 });
  deepStrictEqual([gc.checkpointsDeleted, gc.chunksDeleted], [[first.key], 3]);
  const restored = await restoreTo(store, second.key, dir.path);
  deepStrictEqual(await Deno.readFile(restored), await Deno.readFile(file));
  await store.close();
});

async function restoreTo(store: ObjectStore, key: string, dir: string) {
  const path = `${dir}/restore-${crypto.randomUUID()}.db`;
  await restoreCheckpoint(store, key, path);
  return path;
}

function duplicateBytes(m: { chunks: string[]; chunkBytes: number; fileBytes: number }): number {
  const seen = new Set<string>();
  let bytes = 0;
  m.chunks.forEach((h, i) => {
    if (seen.has(h)) bytes += Math.min(m.chunkBytes, m.fileBytes - i * m.chunkBytes);
    seen.add(h);
  });
  return bytes;
}
