/**
 * `restoreCheckpoint()`: rebuilds an engine file from a checkpoint's chunks, verified, into a
 * temporary file that is renamed into place only when it is complete and fsynced.
 *
 * @module
 */

import { KvError } from "../errors.ts";
import { ObjectNotFoundError, type ObjectStore } from "../objstore/mod.ts";
import { CheckpointCorruptError, CheckpointNotFoundError } from "./errors.ts";
import { chunkKey } from "./layout.ts";
import { type CheckpointManifest, readCheckpointManifest } from "./manifest.ts";
import { fileError, fsyncParent, removeIfExists, sha256Hex, writeFull } from "./_file.ts";
import { DEFAULT_CONCURRENCY } from "./_pool.ts";

/** How far a restore has come, for logs and `/readyz`. */
export interface RestoreProgress {
  /** Bytes written to the temporary file so far. */
  doneBytes: number;
  /** The engine file's length. */
  totalBytes: number;
}

/** Options of {@linkcode restoreCheckpoint}. */
export interface RestoreOptions {
  /** The store holding the manifest's `ancestorChunks` (a branch's source store). */
  ancestorStore?: ObjectStore;
  /** Chunk downloads in flight; default 4 (so at most 4 chunks are held in memory). */
  concurrency?: number;
  /** Called once at the start and after every chunk is written. */
  onProgress?: (progress: RestoreProgress) => void;
}

type Fetched = { bytes: Uint8Array } | { error: unknown };

/**
 * Restores the checkpoint whose manifest is `key` into `targetFile`: downloads every chunk
 * (from `ancestorStore` for the manifest's ancestor chunks), checks each one's size and SHA-256,
 * writes them in order to `targetFile + ".restore"`, fsyncs it, removes stale engine-WAL files
 * beside the target (`-wal`, `-shm`: SQLite would apply them to the restored file), renames it
 * over `targetFile` and fsyncs the directory. On any error the temporary file is removed and
 * `targetFile` is untouched.
 *
 * @returns the manifest: the caller replays the WAL after `manifest.seq`.
 * @throws {CheckpointNotFoundError} when the manifest or a chunk is missing (for example
 *   deleted by GC after `manifest/latest` moved on: read the pointer again).
 * @throws {CheckpointCorruptError} / {FormatUnsupportedError} for a bad manifest or chunk.
 */
export async function restoreCheckpoint(
  store: ObjectStore,
  key: string,
  targetFile: string,
  options: RestoreOptions = {},
): Promise<CheckpointManifest> {
  const manifest = await readCheckpointManifest(store, key);
  const what = `Cannot restore checkpoint "${key}"`;
  const fromAncestor = new Set(manifest.ancestorChunks);
  const ancestorStore = options.ancestorStore;
  if (fromAncestor.size > 0 && ancestorStore === undefined) {
    throw new KvError(
      "invalid-argument",
      `${what}: it references ${fromAncestor.size} chunks of its ancestor store ` +
        `(checkpoint "${manifest.ancestorCheckpointKey ?? "?"}"), but no ancestor store was given`,
    );
  }
  const { chunks, chunkBytes, fileBytes } = manifest;
  const lengthOf = (i: number) => Math.min(chunkBytes, fileBytes - i * chunkBytes);

  const fetchChunk = async (i: number): Promise<Uint8Array> => {
    const hash = chunks[i] as string;
    const source = fromAncestor.has(hash) && ancestorStore ? ancestorStore : store;
    const name = chunkKey(hash);
    let data: Uint8Array;
    try {
      ({ data } = await source.get(name));
    } catch (err: unknown) {
      if (!(err instanceof ObjectNotFoundError)) throw err;
      throw new CheckpointNotFoundError(
        name,
        key,
        `${what}: chunk "${name}" is missing from ${source.describe()}`,
      );
    }
    if (data.length !== lengthOf(i)) {
      throw new CheckpointCorruptError(
        name,
        `${what}: chunk "${name}" from ${source.describe()} is ${data.length} bytes, ` +
          `expected ${lengthOf(i)} (chunk ${i} of ${chunks.length})`,
      );
    }
    const actual = await sha256Hex(data);
    if (actual !== hash) {
      throw new CheckpointCorruptError(
        name,
        `${what}: chunk "${name}" from ${source.describe()} has SHA-256 ${actual}`,
      );
    }
    return data;
  };

  const temp = `${targetFile}.restore`;
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
  const pending: Promise<Fetched>[] = [];
  let started = 0;
  const startNext = () => {
    if (started >= chunks.length) return;
    pending.push(fetchChunk(started++).then((bytes) => ({ bytes }), (error) => ({ error })));
  };
  let file: Deno.FsFile | undefined;
  try {
    try {
      file = await Deno.open(temp, { write: true, create: true, truncate: true });
    } catch (err: unknown) {
      throw fileError(`${what}: cannot create "${temp}"`, err);
    }
    let doneBytes = 0;
    options.onProgress?.({ doneBytes, totalBytes: fileBytes });
    while (pending.length < concurrency && started < chunks.length) startNext();
    while (pending.length > 0) {
      const fetched = await (pending.shift() as Promise<Fetched>);
      if ("error" in fetched) throw fetched.error;
      startNext();
      try {
        await writeFull(file, fetched.bytes);
      } catch (err: unknown) {
        throw fileError(`${what}: cannot write "${temp}"`, err);
      }
      doneBytes += fetched.bytes.length;
      options.onProgress?.({ doneBytes, totalBytes: fileBytes });
    }
    try {
      await file.sync();
      file.close();
      file = undefined;
      await removeIfExists(`${targetFile}-wal`);
      await removeIfExists(`${targetFile}-shm`);
      await Deno.rename(temp, targetFile);
      await fsyncParent(targetFile);
    } catch (err: unknown) {
      throw fileError(`${what}: cannot move "${temp}" to "${targetFile}"`, err);
    }
    return manifest;
  } catch (err: unknown) {
    await Promise.all(pending); // let in-flight downloads finish; they never reject
    file?.close();
    await removeIfExists(temp).catch(() => {});
    throw err;
  }
}
