/**
 * The main paths against a real S3 server (Ceph RGW, started by `tests/run.ts`): checkpoint and
 * incremental checkpoint of a real engine file, restore, remote WAL replay with terms and a
 * hole, GC, and a branch that references its source's chunks.
 */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { FaultyObjectStore } from "../objstore/mod.ts";
import { s3Skipped, s3TestStore } from "../../tests/_s3.ts";
import {
  branchAncestor,
  collectGarbage,
  forkBranch,
  listCheckpoints,
  readLatestManifest,
  RemoteWalGapError,
  replayRemoteWal,
  restoreCheckpoint,
  unforkBranch,
  walObjectKey,
  writeCheckpoint,
} from "./mod.ts";
import {
  assertEngineFile,
  openEngine,
  putRows,
  putWal,
  readRows,
  rejects,
  tempDir,
} from "./_testing.ts";

const CHUNK = 256 * 1024;

Deno.test({
  name: "checkpoints on S3: write, incremental write, restore, GC",
  ignore: s3Skipped,
  fn: async (t) => {
    await using s3 = await s3TestStore(t, { prefix: "t4/" });
    await using dir = await tempDir();
    const store = new FaultyObjectStore(s3.store);
    const file = `${dir.path}/engine.db`;
    const engine = await openEngine(file);
    try {
      putRows(engine, 1, 20_000);
      engine.checkpoint(true);
      const base = { engineFile: file, compactRevision: 0, chunkBytes: CHUNK };
      const first = await writeCheckpoint(store, { ...base, term: 1, seq: 20_000, revision: 1 });
      putRows(engine, 20_001, 200);
      engine.checkpoint(true);
      store.resetCounts();
      const second = await writeCheckpoint(store, {
        ...base,
        term: 1,
        seq: 20_200,
        revision: 2,
        known: new Set(first.manifest.chunks),
      });
      ok(second.uploadedBytes < second.totalBytes / 4, `${second.uploadedBytes}`);
      strictEqual(store.count("put", "chunk/"), second.uploadedChunks);
      console.log(
        `S3 checkpoint of ${first.totalBytes} B: ${first.seconds.toFixed(2)} s; after 1% more ` +
          `rows ${second.uploadedBytes} B (${
            (100 * second.uploadedBytes / second.totalBytes).toFixed(1)
          }%) in ${second.seconds.toFixed(2)} s`,
      );
      const latest = await readLatestManifest(store);
      strictEqual(latest?.key, second.key);
      await restoreCheckpoint(store, latest.key, `${dir.path}/restored.db`);
      await assertEngineFile(`${dir.path}/restored.db`, readRows(engine));

      const third = await writeCheckpoint(store, { ...base, term: 2, seq: 20_201, revision: 3 });
      const gc = await collectGarbage(store, { keep: 2 });
      deepStrictEqual(gc.checkpointsDeleted, [first.key]);
      deepStrictEqual((await listCheckpoints(store)).map((c) => [c.key, c.latest]), [
        [second.key, false],
        [third.key, true],
      ]);
      await restoreCheckpoint(store, second.key, `${dir.path}/second.db`);
    } finally {
      engine.close();
    }
  },
});

Deno.test({
  name: "remote WAL on S3: terms, cutoffs, GC coverage and a hole",
  ignore: s3Skipped,
  fn: async (t) => {
    await using s3 = await s3TestStore(t, { prefix: "wal-test" });
    await using dir = await tempDir();
    const store = s3.store;
    for (let s = 1; s <= 50; s += 5) await putWal(store, 1, s, s + 4);
    await putWal(store, 1, 51, 60); // cut off at 56 by term 2
    await putWal(store, 2, 56, 80);
    const seen: [number, number][] = [];
    const result = await replayRemoteWal(store, { afterSeq: 20 }, (r) => {
      seen.push([r.seq, r.term]);
    });
    strictEqual(result.lastSeq, 80);
    deepStrictEqual(seen.map(([s]) => s), Array.from({ length: 60 }, (_, i) => 21 + i));
    ok(seen.every(([s, term]) => term === (s < 56 ? 1 : 2)));

    await Deno.writeFile(`${dir.path}/e.db`, new Uint8Array(1000));
    await writeCheckpoint(store, {
      engineFile: `${dir.path}/e.db`,
      term: 2,
      seq: 57,
      revision: 57,
      compactRevision: 0,
    });
    const gc = await collectGarbage(store, { keep: 1 });
    strictEqual(gc.walObjectsDeleted, 11);
    deepStrictEqual((await store.list("wal/")).map((o) => o.key), [walObjectKey(2, 56)]);
    const err = await rejects(() => replayRemoteWal(store, { afterSeq: 20 }, () => {}));
    ok(err instanceof RemoteWalGapError);
    deepStrictEqual([err.expectedSeq, err.foundSeq], [21, 56]);
  },
});

Deno.test({
  name: "branches on S3: fork, branch checkpoint without copies, unfork, GC",
  ignore: s3Skipped,
  fn: async (t) => {
    await using s3 = await s3TestStore(t, { prefix: "prod" });
    await using dir = await tempDir();
    const source = s3.store;
    const branch = new FaultyObjectStore(s3.open("prod-dev"));
    const file = `${dir.path}/engine.db`;
    const engine = await openEngine(file);
    putRows(engine, 1, 5_000);
    engine.checkpoint(true);
    const rows = readRows(engine);
    engine.close();
    const base = { compactRevision: 0, chunkBytes: CHUNK, term: 1, seq: 5_000, revision: 5_000 };
    const pinned = await writeCheckpoint(source, { ...base, engineFile: file });
    const entry = await forkBranch(source, "dev");
    strictEqual(entry.ancestorCheckpointKey, pinned.key);

    const branchFile = `${dir.path}/branch.db`;
    await restoreCheckpoint(source, entry.ancestorCheckpointKey, branchFile);
    const mine = await writeCheckpoint(branch, {
      ...base,
      engineFile: branchFile,
      ancestor: await branchAncestor(source, entry.ancestorCheckpointKey),
    });
    strictEqual(branch.count("put", "chunk/"), 0);
    strictEqual(mine.ancestorChunks, mine.manifest.chunks.length);
    await restoreCheckpoint(branch, mine.key, `${dir.path}/again.db`, { ancestorStore: source });
    await assertEngineFile(`${dir.path}/again.db`, rows);

    await writeCheckpoint(source, { ...base, engineFile: `${dir.path}/again.db`, seq: 5_001 });
    strictEqual((await collectGarbage(source, { keep: 1 })).checkpointsDeleted.length, 0);
    await unforkBranch(source, "dev");
    deepStrictEqual((await collectGarbage(source, { keep: 1 })).checkpointsDeleted, [pinned.key]);
  },
});
