import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { KvError } from "../errors.ts";
import { FaultyObjectStore, MemoryObjectStore } from "../objstore/mod.ts";
import { writeCheckpoint } from "./checkpoint.ts";
import {
  CheckpointCorruptError,
  CheckpointNotFoundError,
  FormatUnsupportedError,
} from "./errors.ts";
import { chunkKey, LATEST_KEY } from "./layout.ts";
import { readCheckpointManifest, readLatestManifest, readLatestPointer } from "./manifest.ts";
import { restoreCheckpoint } from "./restore.ts";
import { rejects, rowValue, tempDir } from "./_testing.ts";

const CHUNK = 4096;

async function setup(dir: string) {
  const store = new MemoryObjectStore({ prefix: "p" });
  const file = `${dir}/engine.db`;
  await Deno.writeFile(file, rowValue(7, 5 * CHUNK + 10));
  const r = await writeCheckpoint(store, {
    engineFile: file,
    term: 3,
    seq: 77,
    revision: 70,
    compactRevision: 5,
    chunkBytes: CHUNK,
  });
  return { store, file, key: r.key, manifest: r.manifest, target: `${dir}/target.db` };
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** Restores, expecting a failure that leaves neither the target nor the temporary file. */
async function failedRestore(
  store: MemoryObjectStore | FaultyObjectStore,
  key: string,
  target: string,
): Promise<unknown> {
  const err = await rejects(() => restoreCheckpoint(store, key, target));
  strictEqual(await exists(target), false, "no target file");
  strictEqual(await exists(`${target}.restore`), false, "no temporary file");
  return err;
}

Deno.test("restoreCheckpoint() names a missing chunk and leaves no partial file", async () => {
  await using dir = await tempDir();
  const { store, key, manifest, target } = await setup(dir.path);
  const missing = chunkKey(manifest.chunks[3] as string);
  await store.delete(missing);
  const err = await failedRestore(store, key, target);
  ok(err instanceof CheckpointNotFoundError, String(err));
  strictEqual(err.key, missing);
  strictEqual(err.checkpointKey, key);
  strictEqual(
    err.message,
    `Cannot restore checkpoint "${key}": chunk "${missing}" is missing from memory://p/`,
  );
});

Deno.test("restoreCheckpoint() refuses a chunk with a bad hash or size", async (t) => {
  await using dir = await tempDir();
  const { store, key, manifest, target } = await setup(dir.path);
  const name = chunkKey(manifest.chunks[1] as string);
  const good = (await store.get(name)).data;
  await t.step("a flipped byte", async () => {
    const bad = good.slice();
    bad[100] = (bad[100] as number) ^ 1;
    await store.put(name, bad);
    const err = await failedRestore(store, key, target);
    ok(err instanceof CheckpointCorruptError, String(err));
    strictEqual(err.key, name);
    match(err.message, new RegExp(`chunk "${name}" from memory://p/ has SHA-256 [0-9a-f]{64}$`));
  });
  await t.step("a short chunk", async () => {
    await store.put(name, good.subarray(0, 100));
    const err = await failedRestore(store, key, target);
    ok(err instanceof CheckpointCorruptError);
    match(err.message, /is 100 bytes, expected 4096 \(chunk 1 of 6\)/);
  });
  await t.step("an existing target stays untouched", async () => {
    await Deno.writeFile(target, new Uint8Array([1, 2, 3]));
    await rejects(() => restoreCheckpoint(store, key, target));
    deepStrictEqual(await Deno.readFile(target), new Uint8Array([1, 2, 3]));
    strictEqual(await exists(`${target}.restore`), false);
  });
});

Deno.test("restoreCheckpoint() refuses a corrupt, inconsistent or newer-format manifest", async (t) => {
  await using dir = await tempDir();
  const { store, key, target } = await setup(dir.path);
  const original = JSON.parse(new TextDecoder().decode((await store.get(key)).data));
  const put = (doc: unknown) =>
    store.put(key, new TextEncoder().encode(typeof doc === "string" ? doc : JSON.stringify(doc)));
  const cases: [string, unknown, RegExp][] = [
    ["not JSON", '{"format_version": 1, "term":', /is not valid JSON/],
    ["not an object", "[1, 2]", /is not a JSON object/],
    ["a wrong field type", { ...original, seq: "77" }, /field "seq" must be a non-negative/],
    ["a bad hash", { ...original, chunks: ["xyz"] }, /field "chunks" must be an array/],
    ["too few chunks", { ...original, chunks: original.chunks.slice(1) }, /lists 5 chunks/],
    ["another seq than its key", { ...original, seq: 78 }, /but its key does not/],
    ["a stray ancestor chunk", { ...original, ancestor_chunks: ["a".repeat(64)] }, /ancestor/],
  ];
  for (const [name, doc, reason] of cases) {
    await t.step(name, async () => {
      await put(doc);
      const err = await failedRestore(store, key, target);
      ok(err instanceof CheckpointCorruptError, String(err));
      strictEqual(err.key, key);
      match(err.message, new RegExp(`^Cannot read checkpoint manifest "${key}": `));
      match(err.message, reason);
    });
  }
  await t.step("a newer format_version", async () => {
    await put({ ...original, format_version: 2 });
    const err = await failedRestore(store, key, target);
    ok(err instanceof FormatUnsupportedError, String(err));
    strictEqual(err.code, "format-unsupported");
    deepStrictEqual([err.key, err.version, err.supported], [key, 2, 1]);
    match(err.message, /has format_version 2, newer than this build reads \(1\); upgrade T4/);
  });
  await t.step("a missing format_version means 1", async () => {
    const { format_version: _, ...rest } = original;
    await put(rest);
    strictEqual((await readCheckpointManifest(store, key)).formatVersion, 1);
  });
  await t.step("a missing manifest", async () => {
    await store.delete(key);
    const err = await failedRestore(store, key, target);
    ok(err instanceof CheckpointNotFoundError);
    match(
      err.message,
      /Cannot read checkpoint manifest ".*" from memory:\/\/p\/: it does not exist/,
    );
  });
});

Deno.test("readLatestPointer() refuses a newer or corrupt manifest/latest", async () => {
  await using dir = await tempDir();
  const { store } = await setup(dir.path);
  const latest = JSON.parse(new TextDecoder().decode((await store.get(LATEST_KEY)).data));
  await store.put(
    LATEST_KEY,
    new TextEncoder().encode(JSON.stringify({ ...latest, format_version: 9 })),
  );
  const newer = await rejects(() => readLatestManifest(store));
  ok(newer instanceof FormatUnsupportedError);
  strictEqual(newer.key, LATEST_KEY);
  await store.put(LATEST_KEY, new TextEncoder().encode(JSON.stringify({ ...latest, seq: 1 })));
  const bad = await rejects(() => readLatestPointer(store));
  ok(bad instanceof CheckpointCorruptError);
  match(bad.message, /checkpoint_key ".*" does not match term 3, seq 1/);
  await store.delete(LATEST_KEY);
  strictEqual(await readLatestManifest(store), undefined);
});

Deno.test("restoreCheckpoint() removes stale engine-WAL files beside the target", async () => {
  await using dir = await tempDir();
  const { store, key, file, target } = await setup(dir.path);
  await Deno.writeFile(`${target}-wal`, new Uint8Array(100).fill(9));
  await Deno.writeFile(`${target}-shm`, new Uint8Array(100).fill(9));
  const manifest = await restoreCheckpoint(store, key, target);
  deepStrictEqual([manifest.seq, manifest.revision, manifest.compactRevision], [77, 70, 5]);
  deepStrictEqual(await Deno.readFile(target), await Deno.readFile(file));
  strictEqual(await exists(`${target}-wal`), false);
  strictEqual(await exists(`${target}-shm`), false);
});

Deno.test("restoreCheckpoint() keeps at most `concurrency` downloads in flight", async () => {
  await using dir = await tempDir();
  const { store: inner, key, file, target } = await setup(dir.path);
  const store = new FaultyObjectStore(inner);
  store.block("chunk/");
  const running = restoreCheckpoint(store, key, target, { concurrency: 2 });
  await store.whenBlocked(2);
  await new Promise((resolve) => setTimeout(resolve, 20));
  strictEqual(store.blocked, 2);
  store.release();
  await running;
  deepStrictEqual(await Deno.readFile(target), await Deno.readFile(file));
});

Deno.test("restoreCheckpoint() fails cleanly when the store is down mid-restore", async () => {
  await using dir = await tempDir();
  const { store: inner, key, target } = await setup(dir.path);
  const store = new FaultyObjectStore(inner);
  store.failPrefix(chunkKey(""));
  const err = await failedRestore(store, key, target);
  ok(err instanceof KvError);
  strictEqual(err.code, "object-store-unavailable");
});
