/**
 * `writeCheckpoint()`: the engine file as content-addressed chunks, then its manifest, then
 * `manifest/latest`, in that order, so a reader that follows the pointer finds every chunk.
 *
 * @module
 */

import { type ObjectStore, PreconditionFailedError } from "../objstore/mod.ts";
import { StaleCheckpointError } from "./errors.ts";
import {
  checkpointKey,
  chunkKey,
  compareTermSeq,
  DOCUMENT_FORMAT_VERSION,
  LATEST_KEY,
} from "./layout.ts";
import {
  type CheckpointManifest,
  encodeLatest,
  encodeManifest,
  latestFor,
  readLatestPointer,
} from "./manifest.ts";
import { fileError, readFull, sha256Hex } from "./_file.ts";
import { DEFAULT_CONCURRENCY, mapLimit, TaskPool } from "./_pool.ts";

/** The default chunk size: 1 MiB. */
export const DEFAULT_CHUNK_BYTES = 1024 * 1024;

/** Where a branch's chunks come from: the source store and the pinned checkpoint's chunks. */
export interface AncestorChunks {
  /** The ancestor (source) store; chunks are read from it, never copied. */
  store: ObjectStore;
  /** Hashes the ancestor keeps for this branch: the pinned checkpoint's `chunks`. */
  chunks: ReadonlySet<string>;
  /** The pinned checkpoint's key, recorded in the manifest as `ancestor_checkpoint_key`. */
  checkpointKey?: string;
}

/** Options of {@linkcode writeCheckpoint}. */
export interface WriteCheckpointOptions {
  /** The engine file, already stable: checkpointed with TRUNCATE, automatic checkpoints off. */
  engineFile: string;
  /** The writer's term. */
  term: number;
  /** The last WAL seq the file contains. */
  seq: number;
  /** The store's current revision at `seq`. */
  revision: number;
  /** The store's compact revision at `seq`. */
  compactRevision: number;
  /** Chunk size; default {@linkcode DEFAULT_CHUNK_BYTES}. */
  chunkBytes?: number;
  /**
   * Hashes known to be stored in this store and kept by GC while this checkpoint is written:
   * the previous checkpoint's, `knownChunks(previous)` (its `chunks` minus its
   * `ancestorChunks`). They cost no request.
   */
  known?: ReadonlySet<string>;
  /** For a branch: chunks referenced from the ancestor store instead of uploaded. */
  ancestor?: AncestorChunks;
  /** Object-store calls in flight (HEAD/PUT of chunks); default 4. */
  concurrency?: number;
  /** The clock for `created_at`; default `() => new Date()`. */
  now?: () => Date;
  /** Called after each chunk is read: bytes of the file read so far, and its size. */
  onProgress?: (doneBytes: number, totalBytes: number) => void;
}

/** What {@linkcode writeCheckpoint} did. */
export interface CheckpointWriteResult {
  /** The manifest key. */
  key: string;
  /** The manifest written. */
  manifest: CheckpointManifest;
  /** Bytes of chunks uploaded (PUT). */
  uploadedBytes: number;
  /** Chunks uploaded. */
  uploadedChunks: number;
  /** Chunk positions not uploaded: already stored here, in the ancestor, or a repeat. */
  reusedChunks: number;
  /** Chunk positions referenced from the ancestor store. */
  ancestorChunks: number;
  /** HEAD requests made for chunks not in `known` (and their re-check). */
  headRequests: number;
  /** The engine file's length. */
  totalBytes: number;
  /** Wall time of the whole call. */
  seconds: number;
}

interface Reused {
  hash: string;
  offset: number;
  length: number;
}

/**
 * Writes a checkpoint of `engineFile` to `store`: reads the file in `chunkBytes` pieces (at most
 * `concurrency + 1` in memory), SHA-256s each, uploads `chunk/<hash>` unless the ancestor has it,
 * it is `known`, or a HEAD finds it; then writes `checkpoint/<term>/<seq>/manifest.json`; then
 * re-checks the chunks it found by HEAD (a concurrent GC may have deleted them; they are
 * uploaded again); then moves `manifest/latest` to it with a compare-and-swap that never moves
 * the pointer back to an older (term, seq).
 *
 * @returns the manifest and counts; pass `knownChunks(manifest)` as `known` next time.
 * @throws {StaleCheckpointError} when `manifest/latest` already names a newer checkpoint.
 * @throws {EngineError} when the file cannot be read or changes size while it is read.
 */
export async function writeCheckpoint(
  store: ObjectStore,
  options: WriteCheckpointOptions,
): Promise<CheckpointWriteResult> {
  const started = performance.now();
  const { engineFile, term, seq, ancestor } = options;
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1) {
    throw new RangeError(`Invalid chunkBytes ${chunkBytes}: expected a positive integer`);
  }
  const { revision, compactRevision } = options;
  for (const [name, value] of Object.entries({ term, seq, revision, compactRevision })) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`Invalid ${name} ${value}: expected a non-negative integer`);
    }
  }
  const key = checkpointKey(term, seq);
  const what = `Cannot write checkpoint "${key}" to ${store.describe()}`;
  const known = options.known ?? new Set<string>();
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const stats = { uploadedBytes: 0, uploadedChunks: 0, headRequests: 0 };
  const chunks: string[] = [];
  const fromAncestor = new Set<string>();
  const headFound: Reused[] = [];

  const storeChunk = async (hash: string, bytes: Uint8Array, offset: number) => {
    stats.headRequests++;
    const head = await store.head(chunkKey(hash));
    if (head?.size === bytes.length) {
      headFound.push({ hash, offset, length: bytes.length });
      return;
    }
    await store.put(chunkKey(hash), bytes);
    stats.uploadedChunks++;
    stats.uploadedBytes += bytes.length;
  };

  let file: Deno.FsFile;
  let fileBytes: number;
  try {
    file = await Deno.open(engineFile, { read: true });
    fileBytes = (await file.stat()).size;
  } catch (err: unknown) {
    throw fileError(`${what}: cannot open engine file "${engineFile}"`, err);
  }
  try {
    const seen = new Set<string>();
    const pool = new TaskPool(concurrency);
    try {
      for (let offset = 0; offset < fileBytes; offset += chunkBytes) {
        const bytes = new Uint8Array(Math.min(chunkBytes, fileBytes - offset));
        await readChunk(file, bytes, offset, engineFile, what);
        const hash = await sha256Hex(bytes);
        chunks.push(hash);
        if (ancestor?.chunks.has(hash)) fromAncestor.add(hash);
        else if (!known.has(hash) && !seen.has(hash)) {
          seen.add(hash);
          await pool.run(() => storeChunk(hash, bytes, offset));
        }
        options.onProgress?.(offset + bytes.length, fileBytes);
      }
      await pool.drain();
    } finally {
      await pool.settle();
    }
    await checkUnchanged(file, fileBytes, engineFile, what);

    const manifest: CheckpointManifest = {
      key,
      formatVersion: DOCUMENT_FORMAT_VERSION,
      term,
      seq,
      revision,
      compactRevision,
      fileBytes,
      chunkBytes,
      chunks,
      ancestorChunks: [...fromAncestor].sort(),
      createdAt: (options.now?.() ?? new Date()).toISOString(),
    };
    if (fromAncestor.size > 0 && ancestor?.checkpointKey !== undefined) {
      manifest.ancestorCheckpointKey = ancestor.checkpointKey;
    }
    await store.put(key, encodeManifest(manifest));

    // A chunk found by HEAD may belong only to a checkpoint that a concurrent GC is deleting.
    // Now that the manifest exists, a GC that starts later keeps it; one already running may
    // have deleted it, so look again and upload what is gone.
    stats.headRequests += headFound.length;
    const gone = await mapLimit(
      headFound,
      concurrency,
      async (c) => (await store.head(chunkKey(c.hash))) ? undefined : c,
    );
    for (const c of gone) {
      if (c === undefined) continue;
      const bytes = new Uint8Array(c.length);
      await readChunk(file, bytes, c.offset, engineFile, what); // one at a time: one file handle
      await store.put(chunkKey(c.hash), bytes);
      stats.uploadedChunks++;
      stats.uploadedBytes += c.length;
    }

    await publishLatest(store, manifest);
    const ancestorPositions = chunks.filter((h) => fromAncestor.has(h)).length;
    return {
      key,
      manifest,
      uploadedBytes: stats.uploadedBytes,
      uploadedChunks: stats.uploadedChunks,
      reusedChunks: chunks.length - stats.uploadedChunks,
      ancestorChunks: ancestorPositions,
      headRequests: stats.headRequests,
      totalBytes: fileBytes,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    file.close();
  }
}

async function readChunk(
  file: Deno.FsFile,
  bytes: Uint8Array,
  offset: number,
  path: string,
  what: string,
): Promise<void> {
  let n: number;
  try {
    await file.seek(offset, Deno.SeekMode.Start);
    n = await readFull(file, bytes);
  } catch (err: unknown) {
    throw fileError(`${what}: cannot read engine file "${path}" at offset ${offset}`, err);
  }
  if (n !== bytes.length) {
    throw fileError(
      `${what}: engine file "${path}" shrank while it was read`,
      `read ${n} of ${bytes.length} bytes at offset ${offset}`,
    );
  }
}

async function checkUnchanged(
  file: Deno.FsFile,
  size: number,
  path: string,
  what: string,
): Promise<void> {
  const now = (await file.stat()).size;
  if (now !== size) {
    throw fileError(
      `${what}: engine file "${path}" changed while it was read`,
      `its size went from ${size} to ${now} bytes (is an automatic engine checkpoint running?)`,
    );
  }
}

/** Points `manifest/latest` at `m` by compare-and-swap, never back to an older checkpoint. */
async function publishLatest(store: ObjectStore, m: CheckpointManifest): Promise<void> {
  const bytes = encodeLatest(latestFor(m));
  for (let attempt = 1;; attempt++) {
    const current = await readLatestPointer(store);
    if (current && current.pointer.checkpointKey !== m.key) {
      if (compareTermSeq(current.pointer, m) > 0) {
        throw new StaleCheckpointError(
          m.key,
          current.pointer.checkpointKey,
          `Cannot publish checkpoint "${m.key}" in ${store.describe()}: ${LATEST_KEY} already ` +
            `names the newer checkpoint "${current.pointer.checkpointKey}"`,
        );
      }
    }
    try {
      if (current) await store.putIfMatch(LATEST_KEY, bytes, current.etag);
      else await store.putIfAbsent(LATEST_KEY, bytes);
      return;
    } catch (err: unknown) {
      if (!(err instanceof PreconditionFailedError) || attempt >= 10) throw err;
    }
  }
}
