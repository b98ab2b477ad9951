import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { KvError } from "../errors.ts";
import { FaultyObjectStore, MemoryObjectStore } from "../objstore/mod.ts";
import { branchAncestor, forkBranch, listBranches, readBranch, unforkBranch } from "./branch.ts";
import { writeCheckpoint } from "./checkpoint.ts";
import { BranchExistsError, CheckpointNotFoundError, FormatUnsupportedError } from "./errors.ts";
import { collectGarbage } from "./gc.ts";
import { knownChunks, listCheckpointKeys } from "./manifest.ts";
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

Deno.test("a branch restores from its source and checkpoints without copying chunks", async () => {
  await using dir = await tempDir();
  const root = new MemoryObjectStore();
  const source = new FaultyObjectStore(root.withPrefix("prod"));
  const branch = new FaultyObjectStore(root.withPrefix("prod-dev"));

  // The source writes two checkpoints.
  const engine = await openEngine(`${dir.path}/source.db`);
  putRows(engine, 1, 3000);
  engine.checkpoint(true);
  const base = { engineFile: `${dir.path}/source.db`, compactRevision: 0, chunkBytes: CHUNK };
  const pinned = await writeCheckpoint(source, { ...base, term: 1, seq: 3000, revision: 3000 });
  const sourceRows = readRows(engine);
  putRows(engine, 3001, 500);
  engine.checkpoint(true);
  await writeCheckpoint(source, { ...base, term: 1, seq: 3500, revision: 3500 });
  engine.close();

  // Fork pins the older checkpoint; the branch node restores from the source.
  const entry = await forkBranch(source, "dev", {
    checkpointKey: pinned.key,
    now: () => new Date("2025-05-06T07:08:09.000Z"),
  });
  deepStrictEqual(entry, {
    id: "dev",
    key: "branches/dev",
    formatVersion: 1,
    ancestorCheckpointKey: pinned.key,
    createdAt: "2025-05-06T07:08:09.000Z",
  });
  deepStrictEqual(await readBranch(source, "dev"), entry);
  deepStrictEqual(await listBranches(source), [entry]);
  const branchFile = `${dir.path}/branch.db`;
  await restoreCheckpoint(source, entry.ancestorCheckpointKey, branchFile);
  const ancestor = await branchAncestor(source, entry.ancestorCheckpointKey);

  // The branch's first checkpoint of unchanged data uploads no chunk at all.
  const branchEngine = await openEngine(branchFile);
  const sourceWrites = source.count("put") + source.count("put_if_match");
  try {
    deepStrictEqual(readRows(branchEngine), sourceRows);
    branchEngine.checkpoint(true);
    const first = await writeCheckpoint(branch, {
      ...base,
      engineFile: branchFile,
      term: 1,
      seq: 3000,
      revision: 3000,
      ancestor,
    });
    strictEqual(branch.count("put", "chunk/"), 0);
    strictEqual(branch.count("get_etag", "chunk/"), 0);
    strictEqual(first.uploadedBytes, 0);
    strictEqual(first.ancestorChunks, first.manifest.chunks.length);
    strictEqual(first.manifest.ancestorCheckpointKey, pinned.key);
    strictEqual(source.count("put") + source.count("put_if_match"), sourceWrites);
    deepStrictEqual(first.manifest.ancestorChunks, [...new Set(first.manifest.chunks)].sort());

    // Branch writes: only the changed chunks go to the branch store, none to the source.
    putRows(branchEngine, 5, 10, { version: 2 });
    branchEngine.checkpoint(true);
    const second = await writeCheckpoint(branch, {
      ...base,
      engineFile: branchFile,
      term: 1,
      seq: 3010,
      revision: 3010,
      known: knownChunks(first.manifest),
      ancestor,
    });
    ok(second.uploadedChunks >= 1 && second.uploadedChunks < second.manifest.chunks.length / 2);
    strictEqual(branch.count("put", "chunk/"), second.uploadedChunks);
    strictEqual(source.count("put") + source.count("put_if_match"), sourceWrites);

    // A branch restore reads ancestor chunks from the source store.
    const again = `${dir.path}/branch-again.db`;
    const noAncestor = await rejects(() => restoreCheckpoint(branch, second.key, again));
    ok(noAncestor instanceof KvError);
    match(noAncestor.message, /references \d+ chunks of its ancestor store .* no ancestor store/);
    await restoreCheckpoint(branch, second.key, again, { ancestorStore: source });
    await assertEngineFile(again, readRows(branchEngine));
  } finally {
    branchEngine.close();
  }

  // The source's GC keeps the pinned checkpoint; after unfork it frees it.
  const kept = await collectGarbage(source, { keep: 1 });
  deepStrictEqual(kept.checkpointsDeleted, []);
  strictEqual((await listCheckpointKeys(source)).length, 2);
  strictEqual(await unforkBranch(source, "dev"), true);
  deepStrictEqual(await listBranches(source), []);
  const freed = await collectGarbage(source, { keep: 1 });
  deepStrictEqual(freed.checkpointsDeleted, [pinned.key]);
  ok(freed.chunksDeleted >= 1, `${freed.chunksDeleted}`);
});

Deno.test("forkBranch() pins the latest checkpoint and refuses what it cannot pin", async (t) => {
  await using dir = await tempDir();
  const source = new MemoryObjectStore();
  await t.step("no checkpoint yet", async () => {
    const err = await rejects(() => forkBranch(source, "a"));
    ok(err instanceof CheckpointNotFoundError);
    match(err.message, /Cannot fork branch "a" from memory:\/\/: it has no checkpoint yet/);
  });
  const file = `${dir.path}/engine.db`;
  await Deno.writeFile(file, rowValue(1, 3 * CHUNK));
  const opts = { engineFile: file, revision: 1, compactRevision: 0, chunkBytes: CHUNK };
  await writeCheckpoint(source, { ...opts, term: 1, seq: 1 });
  const latest = await writeCheckpoint(source, { ...opts, term: 1, seq: 2 });
  await t.step("the latest by default", async () => {
    strictEqual((await forkBranch(source, "a")).ancestorCheckpointKey, latest.key);
  });
  await t.step("an existing id", async () => {
    const err = await rejects(() => forkBranch(source, "a"));
    ok(err instanceof BranchExistsError);
    strictEqual(
      err.message,
      `Cannot fork branch "a" from memory://: branch entry "branches/a" already exists`,
    );
  });
  await t.step("a missing checkpoint", async () => {
    const err = await rejects(() =>
      forkBranch(source, "b", {
        checkpointKey: "checkpoint/0000000001/00000000000000000009/manifest.json",
      })
    );
    ok(err instanceof CheckpointNotFoundError);
    strictEqual(await readBranch(source, "b"), undefined);
  });
  await t.step("invalid ids", async () => {
    for (const id of ["", "a/b", "..", "-x", "x".repeat(129)]) {
      ok((await rejects(() => forkBranch(source, id))) instanceof RangeError, id);
    }
  });
  await t.step("a branch's own checkpoint (nested branches)", async () => {
    const branch = new MemoryObjectStore({ prefix: "br" });
    const ancestor = await branchAncestor(source, latest.key);
    await writeCheckpoint(branch, { ...opts, term: 1, seq: 3, ancestor });
    const err = await rejects(() => forkBranch(branch, "c"));
    ok(err instanceof RangeError);
    match(err.message, /nested branches are not supported/);
  });
  await t.step("GC refuses a newer-format branch entry", async () => {
    await source.put("branches/z", new TextEncoder().encode('{"format_version":2}'));
    const err = await rejects(() => collectGarbage(source, { keep: 1 }));
    ok(err instanceof FormatUnsupportedError);
    strictEqual(err.key, "branches/z");
    strictEqual((await listCheckpointKeys(source)).length, 2);
  });
});
