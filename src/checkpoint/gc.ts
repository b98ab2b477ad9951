/**
 * `collectGarbage()`: old checkpoints, the chunks only they used, and WAL objects a checkpoint
 * covers.
 *
 * Chunks are deleted from a **candidate set**, never as "every chunk minus the live ones": only
 * chunks referenced by a checkpoint being deleted and by no surviving, pinned or newly appeared
 * checkpoint. A chunk uploaded by a concurrent writer whose manifest does not exist yet is in no
 * deleted checkpoint, so it is never a candidate. Manifests go first, chunks after: a crash in
 * between leaks chunks, never leaves a manifest whose chunks are gone.
 *
 * @module
 */

import type { ObjectStore } from "../objstore/mod.ts";
import { listBranches } from "./branch.ts";
import { CheckpointNotFoundError } from "./errors.ts";
import { CHECKPOINT_PREFIX, chunkKey } from "./layout.ts";
import {
  type CheckpointManifest,
  listCheckpointKeys,
  readCheckpointManifest,
  readLatestPointer,
  sortCheckpointKeys,
} from "./manifest.ts";
import { planWalGc } from "./_gc_wal.ts";
import { DEFAULT_CONCURRENCY, mapLimit } from "./_pool.ts";

/** Options of {@linkcode collectGarbage}. */
export interface GcOptions {
  /** How many of the newest checkpoints (by term, then seq) to keep, besides latest and pins. */
  keep: number;
  /**
   * The highest seq every reader of the WAL has (the slowest follower's ACK); WAL objects are
   * deleted only up to `min(latest checkpoint seq, walSafeSeq)`. Default: the checkpoint's seq.
   */
  walSafeSeq?: number;
  /** Decide and report, delete nothing. */
  dryRun?: boolean;
  /** Object-store calls in flight (manifest and WAL reads); default 4. */
  concurrency?: number;
  /** Called after each batch of deletes: what is being deleted, keys done and in all. */
  onProgress?: (what: "checkpoints" | "chunks" | "wal", done: number, total: number) => void;
}

/** What {@linkcode collectGarbage} deleted (or, with `dryRun`, would delete). */
export interface GcResult {
  /** Whether nothing was deleted because of `dryRun`. */
  dryRun: boolean;
  /** Checkpoint manifests kept, oldest first. */
  checkpointsKept: string[];
  /** Checkpoint manifests deleted, oldest first. */
  checkpointsDeleted: string[];
  /** Chunks deleted and their bytes. */
  chunksDeleted: number;
  chunkBytesDeleted: number;
  /** The WAL horizon used; `undefined` when there is no checkpoint (no WAL is deleted). */
  walHorizon: number | undefined;
  /** WAL objects deleted and their bytes. */
  walObjectsDeleted: number;
  walBytesDeleted: number;
  /** WAL objects read to find where they end (see `_gc_wal.ts`). */
  walObjectsRead: number;
  /** WAL objects kept because they could not be read (`key: reason`). */
  walUnreadable: string[];
}

const DELETE_BATCH = 1000;

/**
 * Deletes what no reader needs: every checkpoint except the newest `keep`, the one
 * `manifest/latest` names and those pinned by `branches/*`; the chunks only deleted checkpoints
 * referenced (the candidate set, re-checked against manifests that appeared meanwhile); and
 * the WAL objects wholly at or below `min(latest seq, walSafeSeq)`, never the newest.
 *
 * @throws {CheckpointCorruptError} / {FormatUnsupportedError} when a manifest or branch entry
 *   cannot be read: GC fails closed before deleting anything.
 */
export async function collectGarbage(store: ObjectStore, options: GcOptions): Promise<GcResult> {
  const { keep } = options;
  if (!Number.isSafeInteger(keep) || keep < 0) {
    throw new RangeError(`Invalid keep ${keep}: expected a non-negative integer`);
  }
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const dryRun = options.dryRun ?? false;
  const [listed, latest, branches] = await Promise.all([
    store.list(CHECKPOINT_PREFIX),
    readLatestPointer(store),
    listBranches(store),
  ]);
  const keys = sortCheckpointKeys(listed.map((o) => o.key));
  const kept = new Set(keys.slice(Math.max(0, keys.length - keep)));
  if (latest) kept.add(latest.pointer.checkpointKey);
  for (const b of branches) kept.add(b.ancestorCheckpointKey);
  const deleted = keys.filter((k) => !kept.has(k));
  const manifests = await readManifests(store, keys, concurrency);

  // Candidates: chunks of deleted checkpoints stored here, minus those any survivor uses.
  const sizes = new Map<string, number>();
  const candidates = new Set<string>();
  for (const key of deleted) {
    for (const h of localChunks(manifests.get(key), sizes)) candidates.add(h);
  }
  for (const key of kept) for (const h of localChunks(manifests.get(key))) candidates.delete(h);

  const result: GcResult = {
    dryRun,
    checkpointsKept: keys.filter((k) => kept.has(k)),
    checkpointsDeleted: deleted,
    chunksDeleted: 0,
    chunkBytesDeleted: 0,
    walHorizon: undefined,
    walObjectsDeleted: 0,
    walBytesDeleted: 0,
    walObjectsRead: 0,
    walUnreadable: [],
  };
  const doomed = new Set(deleted.map((k) => k.slice(0, k.lastIndexOf("/") + 1)));
  const checkpointObjects = listed.map((o) => o.key).filter((k) =>
    doomed.has(k.slice(0, k.lastIndexOf("/") + 1))
  );
  if (!dryRun) {
    await deleteInBatches(
      store,
      checkpointObjects,
      (d, t) => options.onProgress?.("checkpoints", d, t),
    );
    // A checkpoint written since the listing may reuse candidates: spare what it references.
    const fresh = (await listCheckpointKeys(store)).filter((k) => !manifests.has(k));
    const more = await readManifests(store, fresh, concurrency);
    for (const m of more.values()) for (const h of localChunks(m)) candidates.delete(h);
  }
  const chunkKeys = [...candidates].sort().map(chunkKey);
  result.chunksDeleted = candidates.size;
  for (const h of candidates) result.chunkBytesDeleted += sizes.get(h) ?? 0;
  if (!dryRun) {
    await deleteInBatches(store, chunkKeys, (d, t) => options.onProgress?.("chunks", d, t));
  }

  if (latest) {
    const horizon = Math.min(latest.pointer.seq, options.walSafeSeq ?? Infinity);
    const plan = await planWalGc(store, horizon, concurrency);
    result.walHorizon = horizon;
    result.walObjectsDeleted = plan.delete.length;
    result.walBytesDeleted = plan.delete.reduce((n, o) => n + o.size, 0);
    result.walObjectsRead = plan.read;
    result.walUnreadable = plan.unreadable;
    if (!dryRun) {
      // One term at a time, older terms first (see planWalGc).
      let done = 0;
      const total = plan.delete.length;
      for (const term of [...new Set(plan.delete.map((o) => o.term))]) {
        const keys = plan.delete.filter((o) => o.term === term).map((o) => o.key);
        await deleteInBatches(store, keys, (d) => options.onProgress?.("wal", done + d, total));
        done += keys.length;
      }
    }
  }
  return result;
}

/** Reads manifests by key; ones deleted meanwhile are left out, bad ones throw. */
async function readManifests(
  store: ObjectStore,
  keys: readonly string[],
  concurrency: number,
): Promise<Map<string, CheckpointManifest>> {
  const read = await mapLimit(keys, concurrency, async (key) => {
    try {
      return await readCheckpointManifest(store, key);
    } catch (err: unknown) {
      if (err instanceof CheckpointNotFoundError) return undefined;
      throw err;
    }
  });
  return new Map(read.filter((m) => m !== undefined).map((m) => [m.key, m]));
}

/** The chunks `m` keeps in this store (not its ancestor's); records their sizes in `sizes`. */
function localChunks(m: CheckpointManifest | undefined, sizes?: Map<string, number>): string[] {
  if (!m) return [];
  const elsewhere = new Set(m.ancestorChunks);
  const out: string[] = [];
  m.chunks.forEach((h, i) => {
    if (elsewhere.has(h)) return;
    out.push(h);
    sizes?.set(h, Math.min(m.chunkBytes, m.fileBytes - i * m.chunkBytes));
  });
  return out;
}

async function deleteInBatches(
  store: ObjectStore,
  keys: readonly string[],
  progress?: (done: number, total: number) => void,
): Promise<void> {
  for (let i = 0; i < keys.length; i += DELETE_BATCH) {
    await store.deleteMany(keys.slice(i, i + DELETE_BATCH));
    progress?.(Math.min(i + DELETE_BATCH, keys.length), keys.length);
  }
}
