/**
 * Everything T4 keeps in the object store: remote WAL objects, checkpoints of the engine file as
 * content-addressed chunks, the `manifest/latest` pointer, branches, and GC. The node calls these
 * functions; `docs/s3-format.md` documents every format with examples.
 *
 * ## Layout (keys relative to the store's prefix)
 *
 * ```
 * manifest/latest                                     {format_version, checkpoint_key, term, seq, revision}
 * checkpoint/<term %010d>/<seq %020d>/manifest.json   {format_version, term, seq, revision, compact_revision,
 *                                                      file_bytes, chunk_bytes, chunks, ancestor_chunks, …}
 * chunk/<sha256 hex>                                  chunk_bytes of the engine file (the last one shorter)
 * wal/<term %010d>/<first seq %020d>                  a WAL segment: header + whole frames
 * branches/<id>                                       {format_version, ancestor_checkpoint_key, created_at}
 * ```
 *
 * ## Invariants
 *
 * - **Manifest last.** A checkpoint writes its chunks, then its manifest, then moves
 *   `manifest/latest` (by compare-and-swap, never back to an older term/seq). A reader that
 *   follows the pointer finds every chunk.
 * - **Chunks are immutable and content-addressed**: `chunk/<h>` holds the bytes whose SHA-256 is
 *   `h`, checked on every restore. Unchanged chunks are never uploaded again; a branch references
 *   its source's chunks (`ancestor_chunks`) and never copies them.
 * - **WAL objects are immutable**: an object's records never change. Objects may overlap (a
 *   sealed segment after its batches, a retried upload); overlapping records must be identical.
 *   Per-term cutoffs: an object of term t is ignored from the first seq where a newer term's
 *   object starts. Replay fails closed on holes ({@linkcode RemoteWalGapError}).
 * - **GC deletes candidate sets**: the chunks of deleted checkpoints that no surviving, pinned or
 *   newly appeared checkpoint uses, never "all chunks minus live"; WAL objects only when wholly
 *   covered by `min(latest seq, walSafeSeq)`, never the newest; manifests before chunks.
 * - Nothing relies on conditional deletes or conditional multipart uploads (RGW ignores both).
 *
 * ## What a reader refuses
 *
 * A document with a newer `format_version` ({@linkcode FormatUnsupportedError}; a missing value
 * means 1); a document that is not JSON or breaks its schema, a chunk with the wrong size or
 * hash ({@linkcode CheckpointCorruptError}); a missing manifest or chunk
 * ({@linkcode CheckpointNotFoundError}); a truncated, damaged or disagreeing WAL object
 * (`WalCorruptError` naming the object and offset). Every error names the object.
 *
 * @example Checkpoint an engine file, restore it elsewhere
 * ```ts
 * import { MemoryObjectStore } from "../objstore/mod.ts";
 * import { readLatestManifest, restoreCheckpoint, writeCheckpoint } from "./mod.ts";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeFile(`${dir}/engine.db`, new Uint8Array(3000).fill(7));
 * const store = new MemoryObjectStore({ prefix: "t4" });
 * const first = await writeCheckpoint(store, {
 *   engineFile: `${dir}/engine.db`,
 *   term: 1,
 *   seq: 42,
 *   revision: 40,
 *   compactRevision: 0,
 *   chunkBytes: 1024,
 * });
 * console.log(first.key); // checkpoint/0000000001/00000000000000000042/manifest.json
 * console.log(first.uploadedChunks, first.reusedChunks); // 2 1 (two equal chunks share one object)
 *
 * const latest = await readLatestManifest(store);
 * const manifest = await restoreCheckpoint(store, latest!.key, `${dir}/restored.db`);
 * console.log(manifest.seq); // 42: replay the WAL after it
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */

export {
  type AncestorChunks,
  type CheckpointWriteResult,
  DEFAULT_CHUNK_BYTES,
  writeCheckpoint,
  type WriteCheckpointOptions,
} from "./checkpoint.ts";
export {
  type CheckpointInfo,
  type CheckpointManifest,
  decodeLatest,
  decodeManifest,
  encodeLatest,
  encodeManifest,
  knownChunks,
  type LatestPointer,
  listCheckpointKeys,
  listCheckpoints,
  readCheckpointManifest,
  readLatestManifest,
  readLatestPointer,
} from "./manifest.ts";
export { restoreCheckpoint, type RestoreOptions, type RestoreProgress } from "./restore.ts";
export {
  encodeWalObject,
  listWalObjects,
  parseWalObject,
  parseWalObjectKey,
  type ParseWalObjectOptions,
  type WalObjectInfo,
  walObjectKey,
} from "./wal_objects.ts";
export {
  type RemoteReplayOptions,
  type RemoteReplayResult,
  replayRemoteWal,
} from "./wal_replay.ts";
export { collectGarbage, type GcOptions, type GcResult } from "./gc.ts";
export {
  branchAncestor,
  type BranchEntry,
  forkBranch,
  type ForkOptions,
  listBranches,
  readBranch,
  unforkBranch,
} from "./branch.ts";
export {
  BranchExistsError,
  CheckpointCorruptError,
  CheckpointNotFoundError,
  FormatUnsupportedError,
  RemoteWalGapError,
  StaleCheckpointError,
} from "./errors.ts";
export {
  BRANCH_PREFIX,
  branchKey,
  CHECKPOINT_PREFIX,
  checkpointKey,
  CHUNK_PREFIX,
  chunkKey,
  DOCUMENT_FORMAT_VERSION,
  LATEST_KEY,
  parseCheckpointKey,
  WAL_PREFIX,
} from "./layout.ts";
