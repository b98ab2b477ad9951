/**
 * The errors of `src/checkpoint/`. Each names the object it is about (`key`, relative to the
 * store's prefix) and says what is wrong in std's grammar:
 * `Cannot restore checkpoint "checkpoint/…/manifest.json": chunk "chunk/ab12…" is missing`.
 *
 * A corrupt remote WAL object is reported as the WAL's own `WalCorruptError` (code
 * `"wal-corrupt"`), with `segment` set to the object key.
 *
 * @module
 */

import { KvError } from "../errors.ts";

/**
 * A manifest, pointer or branch document is not valid JSON or breaks its schema, or a chunk's
 * bytes do not match its SHA-256 or its expected size.
 */
export class CheckpointCorruptError extends KvError {
  /** Creates the error; `key` is the object that is damaged. */
  constructor(readonly key: string, message: string, options?: ErrorOptions) {
    super("checkpoint-corrupt", message, options);
    this.name = "CheckpointCorruptError";
  }
}

/** A document carries a `format_version` newer than this build reads. */
export class FormatUnsupportedError extends KvError {
  /** Creates the error; `version` is the document's, `supported` the newest this build reads. */
  constructor(
    readonly key: string,
    readonly version: number,
    readonly supported: number,
    message: string,
  ) {
    super("format-unsupported", message);
    this.name = "FormatUnsupportedError";
  }
}

/**
 * An object a checkpoint needs does not exist: the manifest itself (for example because GC
 * deleted it after the caller read `manifest/latest`), or one of its chunks. `key` is the
 * missing object, `checkpointKey` the manifest that needed it.
 */
export class CheckpointNotFoundError extends KvError {
  /** Creates the error. */
  constructor(readonly key: string, readonly checkpointKey: string, message: string) {
    super("object-not-found", message);
    this.name = "CheckpointNotFoundError";
  }
}

/**
 * The remote WAL cannot continue at `expectedSeq`: no object holds it, although the WAL goes on
 * (`foundSeq` is where the next object `key` starts), or the object `key` that would hold it
 * was deleted while it was being read (`foundSeq` undefined). Replay fails closed here. At the
 * start of a replay this is the bootstrap GC race: a newer checkpoint was written and GC deleted
 * the WAL after it, so the caller re-reads `manifest/latest` and restores again.
 */
export class RemoteWalGapError extends KvError {
  /** Creates the error. */
  constructor(
    readonly expectedSeq: number,
    readonly foundSeq: number | undefined,
    readonly key: string,
    message: string,
  ) {
    super("checkpoint-corrupt", message);
    this.name = "RemoteWalGapError";
  }
}

/** `forkBranch()` named an id that already has a branch entry. */
export class BranchExistsError extends KvError {
  /** Creates the error; `key` is `branches/<id>`. */
  constructor(readonly key: string, message: string, options?: ErrorOptions) {
    super("precondition-failed", message, options);
    this.name = "BranchExistsError";
  }
}

/**
 * `writeCheckpoint()` found `manifest/latest` naming a newer checkpoint (a higher term, or the
 * same term and a higher seq) than the one it wrote, so it did not move the pointer back: the
 * writer is stale (a deposed leader). Its manifest was written but is not published.
 */
export class StaleCheckpointError extends KvError {
  /** Creates the error; `latestKey` is the newer checkpoint `manifest/latest` names. */
  constructor(readonly key: string, readonly latestKey: string, message: string) {
    super("precondition-failed", message);
    this.name = "StaleCheckpointError";
  }
}

/** `String(err)` for messages: an `Error`'s message, anything else converted. */
export function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
