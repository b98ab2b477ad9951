/**
 * Recovery from the object store at open: restore the newest checkpoint into a data directory
 * that has no engine file, and replay the remote WAL after what the engine holds.
 *
 * The bootstrap race (a checkpoint and WAL GC happening while a new node restores): if the
 * remote WAL has a hole right after the engine's sequence, the segments it needed were
 * collected because a newer checkpoint covers them, so the node restores that checkpoint and
 * replays again, a bounded number of times. A hole anywhere else fails closed.
 *
 * @module
 */

import {
  type CheckpointManifest,
  CheckpointNotFoundError,
  readLatestManifest,
  RemoteWalGapError,
  replayRemoteWal,
  restoreCheckpoint,
  type RestoreProgress,
} from "../checkpoint/mod.ts";
import { KvError } from "../errors.ts";
import { type Logger, progressGate } from "../log.ts";
import type { MvccStore } from "../mvcc/mod.ts";
import type { ObjectStore } from "../objstore/mod.ts";

/** Where a branch node comes from. */
export interface BranchSource {
  /** The source's object store (same bucket, the source's prefix). */
  store: ObjectStore;
  /** The checkpoint manifest key to fork from (pinned by `t4 branch fork`). */
  checkpointKey: string;
}

/** Options of {@linkcode restoreEngineFile}. */
export interface RestoreOptions {
  store: ObjectStore;
  engineFile: string;
  branch?: BranchSource | undefined;
  logger?: Logger | undefined;
  onProgress?: ((done: number, total: number) => void) | undefined;
  /** Restore this checkpoint instead of the newest (point-in-time restore). */
  checkpointKey?: string | undefined;
}

/**
 * Restores a checkpoint into `engineFile` (which must not exist). Returns the manifest, or
 * undefined when the store has no checkpoint yet (a brand-new store: start empty). A checkpoint
 * collected between reading the pointer and fetching its chunks is retried with the new one.
 */
export async function restoreEngineFile(
  o: RestoreOptions,
): Promise<CheckpointManifest | undefined> {
  for (let attempt = 1;; attempt++) {
    let source = o.store;
    let key = o.checkpointKey;
    let ancestorStore: ObjectStore | undefined = o.branch?.store;
    if (!key) {
      const latest = await readLatestManifest(o.store);
      if (latest) key = latest.key;
      else if (o.branch) {
        // A branch's first boot: its own store is empty; fork from the source's checkpoint.
        source = o.branch.store;
        key = o.branch.checkpointKey;
        ancestorStore = undefined;
      } else return undefined;
    }
    try {
      const started = performance.now();
      const gate = progressGate();
      o.logger?.info("restoring checkpoint", { checkpoint: key });
      const manifest = await restoreCheckpoint(source, key, o.engineFile, {
        ...(ancestorStore ? { ancestorStore } : {}),
        onProgress: (p: RestoreProgress) => {
          o.onProgress?.(p.doneBytes, p.totalBytes);
          if (gate()) {
            o.logger?.info("restoring checkpoint", {
              checkpoint: key,
              doneBytes: p.doneBytes,
              totalBytes: p.totalBytes,
              percent: p.totalBytes > 0 ? Math.floor((100 * p.doneBytes) / p.totalBytes) : 100,
            });
          }
        },
      });
      o.logger?.info("restored checkpoint", {
        checkpoint: key,
        seq: manifest.seq,
        revision: manifest.revision,
        bytes: manifest.fileBytes,
        ms: Math.round(performance.now() - started),
      });
      return manifest;
    } catch (err: unknown) {
      if (!(err instanceof CheckpointNotFoundError) || o.checkpointKey || attempt >= 5) throw err;
      o.logger?.warn("checkpoint vanished while restoring (GC); retrying with the newest", {
        checkpoint: key,
      });
    }
  }
}

/** What {@linkcode replayRemote} did. */
export interface RemoteReplay {
  records: number;
  objects: number;
  lastTerm: number;
}

/**
 * Replays the remote WAL into `store` after its applied sequence. Throws
 * {@linkcode RemoteWalGapError} for a hole; `gapAtStart` tells the caller whether the hole is
 * right after the store (the bootstrap race, recoverable by restoring a newer checkpoint).
 */
export async function replayRemote(
  store: MvccStore,
  objects: ObjectStore,
  logger?: Logger,
): Promise<RemoteReplay> {
  const afterSeq = store.appliedSeq;
  const gate = progressGate();
  let records = 0;
  const result = await replayRemoteWal(objects, { afterSeq }, (record) => {
    store.replay(record);
    records++;
    if (gate()) {
      logger?.info("replaying WAL from the object store", { records, seq: store.appliedSeq });
    }
  });
  store.finishReplay();
  return { records: result.records, objects: result.objects, lastTerm: result.lastTerm };
}

/** Whether `err` is a remote-WAL hole right after `afterSeq` (see the module doc). */
export function isGapAtStart(err: unknown, afterSeq: number): boolean {
  return err instanceof RemoteWalGapError && err.expectedSeq === afterSeq + 1;
}

/** The error for a remote WAL that cannot be replayed even from the newest checkpoint. */
export function unrecoverableGap(err: unknown): KvError {
  const why = err instanceof Error ? err.message : String(err);
  return new KvError(
    "checkpoint-corrupt",
    `Cannot recover from the object store: the remote WAL has a hole that no checkpoint covers (${why})`,
    { cause: err },
  );
}
