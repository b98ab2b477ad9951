import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { FaultyObjectStore, MemoryObjectStore, type ObjectStore } from "../objstore/mod.ts";
import { forkBranch, unforkBranch } from "./branch.ts";
import { writeCheckpoint } from "./checkpoint.ts";
import { CheckpointCorruptError, RemoteWalGapError } from "./errors.ts";
import { collectGarbage } from "./gc.ts";
import { checkpointKey, chunkKey, LATEST_KEY } from "./layout.ts";
import { encodeLatest, listCheckpointKeys, readLatestManifest } from "./manifest.ts";
import { restoreCheckpoint } from "./restore.ts";
import { walObjectKey } from "./wal_objects.ts";
import { replayRemoteWal } from "./wal_replay.ts";
import { sha256Hex } from "./_file.ts";
import { putWal, rejects, rowValue, tempDir } from "./_testing.ts";

const CHUNK = 1024;

/** A file made of chunks whose contents are `rowValue(id)`: equal ids share a chunk. */
async function writeChunks(path: string, ids: number[]): Promise<void> {
  const bytes = new Uint8Array(ids.length * CHUNK);
  ids.forEach((id, i) => bytes.set(rowValue(id, CHUNK), i * CHUNK));
  await Deno.writeFile(path, bytes);
}

function hashOf(id: number): Promise<string> {
  return sha256Hex(rowValue(id, CHUNK));
}

async function hasChunk(store: ObjectStore, id: number): Promise<boolean> {
  return (await store.head(chunkKey(await hashOf(id)))) !== undefined;
}

/** Writes checkpoint (term 1, seq) of a file made of chunks `ids`. */
async function checkpoint(store: ObjectStore, dir: string, seq: number, ids: number[]) {
  const engineFile = `${dir}/engine-${seq}.db`;
  await writeChunks(engineFile, ids);
  return await writeCheckpoint(store, {
    engineFile,
    term: 1,
    seq,
    revision: seq,
    compactRevision: 0,
    chunkBytes: CHUNK,
  });
}

Deno.test("collectGarbage() keeps the newest N, latest and pinned checkpoints and their chunks", async () => {
  await using dir = await tempDir();
  const store = new MemoryObjectStore();
  await checkpoint(store, dir.path, 10, [1, 2]); // pinned by a branch
  await checkpoint(store, dir.path, 20, [1, 3]); // deleted: chunk 3 is its own
  await checkpoint(store, dir.path, 30, [4, 5]); // the one manifest/latest names (set below)
  await checkpoint(store, dir.path, 40, [4, 6, 6]); // deleted: 4 is shared with 30, 6 its own
  const newest = await checkpoint(store, dir.path, 50, [7]);
  await forkBranch(store, "dev", { checkpointKey: checkpointKey(1, 10) });
  await store.put(
    LATEST_KEY,
    encodeLatest({
      formatVersion: 1,
      checkpointKey: checkpointKey(1, 30),
      term: 1,
      seq: 30,
      revision: 30,
    }),
  );

  const dry = await collectGarbage(store, { keep: 1, dryRun: true });
  strictEqual(dry.dryRun, true);
  strictEqual((await listCheckpointKeys(store)).length, 5);
  const result = await collectGarbage(store, { keep: 1 });
  deepStrictEqual({ ...dry, dryRun: false }, result);
  deepStrictEqual(result.checkpointsKept, [10, 30, 50].map((s) => checkpointKey(1, s)));
  deepStrictEqual(result.checkpointsDeleted, [20, 40].map((s) => checkpointKey(1, s)));
  deepStrictEqual(await listCheckpointKeys(store), result.checkpointsKept);
  deepStrictEqual([result.chunksDeleted, result.chunkBytesDeleted], [2, 2 * CHUNK]);
  for (
    const [id, kept] of [[1, true], [2, true], [3, false], [4, true], [5, true], [6, false], [
      7,
      true,
    ]] as const
  ) {
    strictEqual(await hasChunk(store, id), kept, `chunk ${id}`);
  }
  strictEqual(result.walHorizon, 30);
  // Every kept checkpoint still restores.
  for (const key of result.checkpointsKept) await restoreCheckpoint(store, key, `${dir.path}/r.db`);
  strictEqual(newest.key, checkpointKey(1, 50));

  // Unforking releases the pin; the next GC frees the checkpoint and its own chunk 2.
  strictEqual(await unforkBranch(store, "dev"), true);
  strictEqual(await unforkBranch(store, "dev"), false);
  const after = await collectGarbage(store, { keep: 1 });
  deepStrictEqual(after.checkpointsDeleted, [checkpointKey(1, 10)]);
  deepStrictEqual([await hasChunk(store, 1), await hasChunk(store, 2)], [false, false]);
});

Deno.test("collectGarbage() never deletes a chunk whose checkpoint has no manifest yet", async () => {
  await using dir = await tempDir();
  const store = new MemoryObjectStore();
  await checkpoint(store, dir.path, 10, [1, 2]);
  // A new leader uploads chunks 2 (shared with the doomed checkpoint) and 3 before its manifest.
  await store.put(chunkKey(await hashOf(3)), rowValue(3, CHUNK));
  await checkpoint(store, dir.path, 20, [4]);
  const result = await collectGarbage(store, { keep: 1 });
  deepStrictEqual(result.checkpointsDeleted, [checkpointKey(1, 10)]);
  strictEqual(await hasChunk(store, 3), true, "an upload without a manifest is not a candidate");
  deepStrictEqual([await hasChunk(store, 1), await hasChunk(store, 2)], [false, false]);
});

Deno.test("collectGarbage() spares candidates that a checkpoint written meanwhile references", async () => {
  await using dir = await tempDir();
  const store = new HookStore(new MemoryObjectStore());
  await checkpoint(store, dir.path, 10, [1, 2]);
  await checkpoint(store, dir.path, 20, [3]);
  // While GC deletes the old manifest, a writer publishes a checkpoint that reuses chunk 2.
  store.beforeDeleteMany = async () => {
    store.beforeDeleteMany = undefined;
    await checkpoint(store, dir.path, 30, [2, 3]);
  };
  const result = await collectGarbage(store, { keep: 1 });
  deepStrictEqual(result.checkpointsDeleted, [checkpointKey(1, 10)]);
  deepStrictEqual([await hasChunk(store, 1), await hasChunk(store, 2)], [false, true]);
  await restoreCheckpoint(store, checkpointKey(1, 30), `${dir.path}/r.db`);
});

Deno.test("collectGarbage() fails closed on a manifest it cannot read", async () => {
  await using dir = await tempDir();
  const store = new MemoryObjectStore();
  await checkpoint(store, dir.path, 10, [1]);
  await checkpoint(store, dir.path, 20, [2]);
  await store.put(checkpointKey(1, 10), new TextEncoder().encode("{not json"));
  const err = await rejects(() => collectGarbage(store, { keep: 1 }));
  ok(err instanceof CheckpointCorruptError);
  strictEqual(err.key, checkpointKey(1, 10));
  deepStrictEqual([await hasChunk(store, 1), (await listCheckpointKeys(store)).length], [true, 2]);
});

Deno.test("collectGarbage() deletes WAL objects wholly covered by min(latest seq, walSafeSeq)", async (t) => {
  await using dir = await tempDir();
  const wal = async (store: ObjectStore) => (await store.list("wal/")).map((o) => o.key);
  const setup = async () => {
    const store = new MemoryObjectStore();
    for (let s = 1; s <= 40; s += 10) await putWal(store, 1, s, s + 9);
    return store;
  };
  await t.step("without a checkpoint nothing is deleted", async () => {
    const store = await setup();
    const result = await collectGarbage(store, { keep: 2 });
    deepStrictEqual([result.walHorizon, result.walObjectsDeleted, (await wal(store)).length], [
      undefined,
      0,
      4,
    ]);
  });
  await t.step("the checkpoint's seq, then walSafeSeq, bound it", async () => {
    const store = await setup();
    await checkpoint(store, dir.path, 25, [1]);
    const safe = await collectGarbage(store, { keep: 2, walSafeSeq: 15 });
    deepStrictEqual([safe.walHorizon, safe.walObjectsDeleted], [15, 1]);
    deepStrictEqual(await wal(store), [11, 21, 31].map((s) => walObjectKey(1, s)));
    const result = await collectGarbage(store, { keep: 2 });
    deepStrictEqual([result.walHorizon, result.walObjectsDeleted], [25, 1]);
    deepStrictEqual(await wal(store), [21, 31].map((s) => walObjectKey(1, s)));
  });
  await t.step("never the newest object, even when wholly covered", async () => {
    const store = await setup();
    await checkpoint(store, dir.path, 1000, [1]);
    const result = await collectGarbage(store, { keep: 2 });
    strictEqual(result.walBytesDeleted > 0, true);
    deepStrictEqual(await wal(store), [walObjectKey(1, 31)]);
    const { lastSeq } = await replayRemoteWal(store, { afterSeq: 40 }, () => {});
    strictEqual(lastSeq, 40);
  });
  await t.step(
    "an overlapping segment is read and kept when it goes past the horizon",
    async () => {
      const store = new MemoryObjectStore();
      await putWal(store, 1, 1, 2);
      await putWal(store, 1, 3, 4);
      await putWal(store, 1, 1, 100); // the sealed segment replaced wal/1/1
      await putWal(store, 1, 101, 110);
      await checkpoint(store, dir.path, 50, [1]);
      const result = await collectGarbage(store, { keep: 2 });
      deepStrictEqual([result.walObjectsDeleted, result.walObjectsRead], [1, 1]);
      deepStrictEqual(await wal(store), [1, 101].map((s) => walObjectKey(1, s)));
      const seqs: number[] = [];
      await replayRemoteWal(store, { afterSeq: 50 }, (r) => void seqs.push(r.seq));
      deepStrictEqual([seqs[0], seqs.at(-1), seqs.length], [51, 110, 60]);
    },
  );
  await t.step(
    "objects cut off by a newer term go with the horizon, older terms first",
    async () => {
      const store = new FaultyObjectStore(new MemoryObjectStore());
      await putWal(store, 1, 1, 30); // cut off at 21 by term 2
      await putWal(store, 1, 31, 40); // wholly cut off
      await putWal(store, 2, 21, 50);
      await putWal(store, 2, 51, 60);
      await checkpoint(store, dir.path, 55, [1]);
      const result = await collectGarbage(store, { keep: 2 });
      strictEqual(result.walObjectsDeleted, 3);
      deepStrictEqual(await wal(store), [walObjectKey(2, 51)]);
    },
  );
});

Deno.test("replayRemoteWal() reports the hole when a checkpoint and GC run during a replay", async () => {
  await using dir = await tempDir();
  const leader = new MemoryObjectStore(); // the leader's client
  const store = new FaultyObjectStore(leader); // the replaying node's client
  for (let s = 1; s <= 60; s += 10) await putWal(leader, 1, s, s + 9);
  const first = await checkpoint(leader, dir.path, 10, [1]);

  // A node restored `first` and replays after seq 10; its GETs wait while the leader writes a
  // checkpoint at seq 40 and GC deletes the WAL it covers.
  store.block(walObjectKey(1, 11));
  const seqs: number[] = [];
  const running = replayRemoteWal(store, { afterSeq: first.manifest.seq }, (r) => {
    seqs.push(r.seq);
  });
  await store.whenBlocked();
  await checkpoint(leader, dir.path, 40, [2]);
  const gc = await collectGarbage(leader, { keep: 1 });
  deepStrictEqual(gc.walObjectsDeleted, 4);
  store.release();
  const err = await rejects(() => running);
  ok(err instanceof RemoteWalGapError, String(err));
  strictEqual(err.expectedSeq, 11);
  deepStrictEqual(seqs, []);

  // The caller's reaction: read the manifest again, restore, replay after its seq.
  const latest = await readLatestManifest(store);
  strictEqual(latest?.seq, 40);
  await restoreCheckpoint(store, latest.key, `${dir.path}/r.db`);
  const { lastSeq, records } = await replayRemoteWal(store, { afterSeq: latest.seq }, () => {});
  deepStrictEqual([lastSeq, records], [60, 20]);
});

Deno.test("collectGarbage() rejects a negative keep", async () => {
  const err = await rejects(() => collectGarbage(new MemoryObjectStore(), { keep: -1 }));
  ok(err instanceof RangeError);
  match(err.message, /Invalid keep -1/);
});

/** A store that runs a hook before each `deleteMany`. */
class HookStore extends FaultyObjectStore {
  beforeDeleteMany: (() => Promise<void>) | undefined;

  override async deleteMany(keys: readonly string[]): Promise<void> {
    await this.beforeDeleteMany?.();
    return super.deleteMany(keys);
  }
}
