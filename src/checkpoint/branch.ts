/**
 * Branches: a zero-copy fork of a store. `branches/<id>` in the **source** store pins one of its
 * checkpoints, so the source's GC keeps that checkpoint and its chunks. A branch node restores
 * from the pinned checkpoint (chunks read from the source), then writes its own checkpoints
 * into its own prefix, referencing the source's chunks (`ancestor_chunks`) instead of copying
 * them. Unforking deletes the entry; the source's next GC may then free the checkpoint.
 *
 * Nested branches (forking a checkpoint that itself references an ancestor store) are refused:
 * a restore reads from one ancestor store only.
 *
 * @module
 */

import { ObjectNotFoundError, type ObjectStore, PreconditionFailedError } from "../objstore/mod.ts";
import type { AncestorChunks } from "./checkpoint.ts";
import { BranchExistsError, CheckpointNotFoundError } from "./errors.ts";
import {
  BRANCH_PREFIX,
  branchKey,
  decodeDocument,
  DOCUMENT_FORMAT_VERSION,
  DocumentFields,
  encodeDocument,
  parseCheckpointKey,
  show,
} from "./layout.ts";
import { type CheckpointManifest, readCheckpointManifest, readLatestManifest } from "./manifest.ts";
import { DEFAULT_CONCURRENCY, mapLimit } from "./_pool.ts";

/** A branch entry, `branches/<id>` in the source store. */
export interface BranchEntry {
  /** The branch id. */
  id: string;
  /** `branches/<id>`. */
  key: string;
  /** The document's format version. */
  formatVersion: number;
  /** The pinned checkpoint of the source store. */
  ancestorCheckpointKey: string;
  /** When the branch was forked (ISO 8601). */
  createdAt: string;
}

/** Options of {@linkcode forkBranch}. */
export interface ForkOptions {
  /** The checkpoint to pin; default the one `manifest/latest` names. */
  checkpointKey?: string;
  /** The clock for `created_at`; default `() => new Date()`. */
  now?: () => Date;
}

function decodeBranch(key: string, bytes: Uint8Array): BranchEntry {
  const f = new DocumentFields(key, "branch entry", decodeDocument(key, "branch entry", bytes));
  const entry: BranchEntry = {
    id: key.slice(BRANCH_PREFIX.length),
    key,
    formatVersion: f.count("format_version"),
    ancestorCheckpointKey: f.text("ancestor_checkpoint_key"),
    createdAt: f.text("created_at"),
  };
  if (!parseCheckpointKey(entry.ancestorCheckpointKey)) {
    throw f.fail(`${show(entry.ancestorCheckpointKey)} is not a checkpoint manifest key`);
  }
  return entry;
}

/**
 * Forks branch `id` from `sourceStore`: pins the latest (or the given) checkpoint by creating
 * `branches/<id>` with a conditional create, then checks that the checkpoint still exists (a
 * GC that started before the pin may have deleted an old one; then the pin is removed again).
 *
 * @returns the entry; restore the branch from `entry.ancestorCheckpointKey` in `sourceStore`.
 * @throws {BranchExistsError} when `branches/<id>` exists.
 * @throws {CheckpointNotFoundError} when there is no such checkpoint (or none at all).
 * @throws {RangeError} for an invalid id.
 */
export async function forkBranch(
  sourceStore: ObjectStore,
  id: string,
  options: ForkOptions = {},
): Promise<BranchEntry> {
  const key = branchKey(id);
  const what = `Cannot fork branch "${id}" from ${sourceStore.describe()}`;
  let manifest: CheckpointManifest | undefined;
  if (options.checkpointKey !== undefined) {
    manifest = await readCheckpointManifest(sourceStore, options.checkpointKey);
  } else {
    manifest = await readLatestManifest(sourceStore);
    if (!manifest) {
      throw new CheckpointNotFoundError("manifest/latest", "", `${what}: it has no checkpoint yet`);
    }
  }
  if (manifest.ancestorChunks.length > 0) {
    throw new RangeError(
      `${what}: checkpoint "${manifest.key}" references chunks of its own ancestor store ` +
        `(it belongs to a branch); nested branches are not supported`,
    );
  }
  const entry: BranchEntry = {
    id,
    key,
    formatVersion: DOCUMENT_FORMAT_VERSION,
    ancestorCheckpointKey: manifest.key,
    createdAt: (options.now?.() ?? new Date()).toISOString(),
  };
  try {
    await sourceStore.putIfAbsent(
      key,
      encodeDocument({
        format_version: entry.formatVersion,
        ancestor_checkpoint_key: entry.ancestorCheckpointKey,
        created_at: entry.createdAt,
      }),
    );
  } catch (err: unknown) {
    if (!(err instanceof PreconditionFailedError)) throw err;
    throw new BranchExistsError(key, `${what}: branch entry "${key}" already exists`, {
      cause: err,
    });
  }
  if (!(await sourceStore.head(manifest.key))) {
    await sourceStore.delete(key);
    throw new CheckpointNotFoundError(
      manifest.key,
      manifest.key,
      `${what}: checkpoint "${manifest.key}" was deleted by GC while it was being pinned`,
    );
  }
  return entry;
}

/**
 * Deletes `branches/<id>` from the source store, releasing its pin.
 *
 * @returns whether there was such a branch.
 */
export async function unforkBranch(sourceStore: ObjectStore, id: string): Promise<boolean> {
  const key = branchKey(id);
  if (!(await sourceStore.head(key))) return false;
  await sourceStore.delete(key);
  return true;
}

/** Reads one branch entry; `undefined` when there is none. */
export async function readBranch(
  sourceStore: ObjectStore,
  id: string,
): Promise<BranchEntry | undefined> {
  const key = branchKey(id);
  try {
    return decodeBranch(key, (await sourceStore.get(key)).data);
  } catch (err: unknown) {
    if (err instanceof ObjectNotFoundError) return undefined;
    throw err;
  }
}

/**
 * Every branch entry of the source store, sorted by id. Entries deleted while listing are
 * left out.
 *
 * @throws {CheckpointCorruptError} / {FormatUnsupportedError} for an entry that cannot be read.
 */
export async function listBranches(sourceStore: ObjectStore): Promise<BranchEntry[]> {
  const keys = (await sourceStore.list(BRANCH_PREFIX)).map((o) => o.key);
  const entries = await mapLimit(keys, DEFAULT_CONCURRENCY, async (key) => {
    try {
      return decodeBranch(key, (await sourceStore.get(key)).data);
    } catch (err: unknown) {
      if (err instanceof ObjectNotFoundError) return undefined;
      throw err;
    }
  });
  return entries.filter((e) => e !== undefined).sort((a, b) => a.id < b.id ? -1 : 1);
}

/**
 * What a branch's checkpoints pass to `writeCheckpoint()` as `ancestor`: the source store and
 * the chunks of the pinned checkpoint (which the source's GC keeps while the pin exists).
 */
export async function branchAncestor(
  sourceStore: ObjectStore,
  checkpointKey: string,
): Promise<AncestorChunks> {
  const manifest = await readCheckpointManifest(sourceStore, checkpointKey);
  return { store: sourceStore, chunks: new Set(manifest.chunks), checkpointKey };
}
