/**
 * {@linkcode ObjectStoreDurability}: what a node with an object store does besides its local
 * WAL: upload WAL records (before acknowledging, in sync mode), write checkpoints of the engine
 * file on an interval or after N entries, and collect garbage after each checkpoint.
 *
 * A checkpoint makes the engine's main file complete and fsynced (`wal_checkpoint(TRUNCATE)`)
 * with automatic engine checkpoints paused, then streams the file up in content-addressed
 * chunks while writes go on into the engine's own WAL; only one checkpoint or engine flush runs
 * at a time (`#busy`), since a flush during the copy would change the file under the reader.
 *
 * @module
 */

import {
  type CheckpointManifest,
  type CheckpointWriteResult,
  collectGarbage,
  encodeWalObject,
  type GcResult,
  knownChunks,
  readLatestManifest,
  walObjectKey,
  writeCheckpoint,
} from "../checkpoint/mod.ts";
import { KvError } from "../errors.ts";
import { errorText, type Logger, progressGate, silentLogger } from "../log.ts";
import type { MvccStore, StoreRecord } from "../mvcc/mod.ts";
import type { ObjectStore } from "../objstore/mod.ts";
import type { SegmentInfo } from "../wal/mod.ts";

/** The engine operations a checkpoint needs. */
export interface CheckpointableEngine {
  readonly path: string;
  checkpoint(truncate?: boolean): void;
  setAutoCheckpoint(pages: number): void;
}

/** Observations for metrics. */
export interface DurabilityObserver {
  walUploaded?(seconds: number, ok: boolean, bytes: number): void;
  checkpointed?(result: CheckpointWriteResult): void;
  collected?(result: GcResult): void;
}

/** Options of {@linkcode ObjectStoreDurability}. */
export interface DurabilityOptions {
  /** Milliseconds between checkpoints (when anything changed); default 15 min. */
  checkpointIntervalMs?: number;
  /** Also checkpoint after this many WAL entries; 0: off. */
  checkpointEntries?: number;
  /** Checkpoints GC keeps (besides the latest and branch-pinned ones); default 2. */
  gcKeep?: number;
  /** Chunk size of checkpoints; default 256 KiB (small enough that appends change few). */
  chunkBytes?: number;
  /** The engine's automatic checkpoint setting to restore after a checkpoint. */
  autoCheckpointPages?: number;
  /** The store a branch node forked from, and its chunks (never copied). */
  ancestor?: { store: ObjectStore; manifest: CheckpointManifest } | undefined;
  logger?: Logger;
  observer?: DurabilityObserver;
}

/** WAL upload, checkpoints and GC for one node; see the module doc. */
export class ObjectStoreDurability {
  readonly objects: ObjectStore;
  readonly #store: MvccStore;
  readonly #engine: CheckpointableEngine;
  readonly #o: Required<Omit<DurabilityOptions, "ancestor" | "observer">> & DurabilityOptions;
  readonly #logger: Logger;
  #timer: ReturnType<typeof setInterval> | undefined;
  #busy: Promise<unknown> | undefined;
  #lastSeq = -1;
  #lastAt = performance.now();
  #retryAt = 0;
  #known = new Set<string>();
  #closed = false;
  /** Sealed segments waiting for upload (async mode), oldest first. */
  #pending: SegmentInfo[] = [];
  #uploading: Promise<void> | undefined;
  #uploadedSeq = 0;

  /** Creates the manager; call {@linkcode start} once the node serves. */
  constructor(
    objects: ObjectStore,
    parts: { store: MvccStore; engine: CheckpointableEngine },
    options: DurabilityOptions = {},
  ) {
    this.objects = objects;
    this.#store = parts.store;
    this.#engine = parts.engine;
    this.#o = {
      checkpointIntervalMs: 15 * 60_000,
      checkpointEntries: 0,
      gcKeep: 2,
      chunkBytes: 256 * 1024,
      autoCheckpointPages: 2048,
      logger: silentLogger,
      ...options,
    };
    this.#logger = this.#o.logger;
  }

  /**
   * The sync-upload hook: uploads the batch's records as one WAL object before the batch is
   * acknowledged. Any failure becomes "object-store-unavailable", so the pipeline rolls the
   * batch back and answers Unavailable, and the next batch tries again.
   */
  readonly uploadHook = async (records: readonly StoreRecord[]): Promise<void> => {
    const first = records[0]!;
    const term = Math.max(...records.map((r) => r.term));
    const bytes = encodeWalObject(records, term);
    const started = performance.now();
    try {
      await this.objects.put(walObjectKey(term, first.seq), bytes);
      this.#o.observer?.walUploaded?.((performance.now() - started) / 1000, true, bytes.length);
    } catch (err: unknown) {
      this.#o.observer?.walUploaded?.((performance.now() - started) / 1000, false, bytes.length);
      throw new KvError(
        "object-store-unavailable",
        `Cannot upload WAL entries ${first.seq}..${
          records.at(-1)!.seq
        } to ${this.objects.describe()}: ${errorText(err)}`,
        { cause: err },
      );
    }
  };

  /** Runs checkpoints on the schedule; the first one right away when the store has none. */
  async start(): Promise<void> {
    const latest = await readLatestManifest(this.objects);
    if (latest) {
      this.#lastSeq = latest.seq;
      this.#known = knownChunks(latest);
    }
    const tick = Math.min(this.#o.checkpointIntervalMs, 1000);
    this.#timer = setInterval(() => this.#maybeCheckpoint(), tick);
    if (!latest || latest.seq < this.#store.appliedSeq) void this.checkpointNow();
  }

  #maybeCheckpoint(): void {
    if (this.#busy || this.#closed || performance.now() < this.#retryAt) return;
    const seq = this.#store.appliedSeq;
    if (seq <= this.#lastSeq) return;
    const byEntries = this.#o.checkpointEntries > 0 &&
      seq - Math.max(0, this.#lastSeq) >= this.#o.checkpointEntries;
    const byTime = performance.now() - this.#lastAt >= this.#o.checkpointIntervalMs;
    if (byEntries || byTime) void this.checkpointNow();
  }

  /**
   * Runs `fn` with the engine file to itself (no checkpoint at the same time); used for the
   * node's own engine flushes.
   */
  async exclusive<T>(fn: () => T | Promise<T>): Promise<T> {
    while (this.#busy) await this.#busy.catch(() => {});
    const run = (async () => await fn())();
    this.#busy = run;
    try {
      return await run;
    } finally {
      if (this.#busy === run) this.#busy = undefined;
    }
  }

  /** Writes a checkpoint now (then GC); resolves with its result, or undefined if closed. */
  checkpointNow(): Promise<CheckpointWriteResult | undefined> {
    return this.exclusive(async () => {
      if (this.#closed) return undefined;
      const store = this.#store;
      const engine = this.#engine;
      engine.setAutoCheckpoint(0);
      try {
        store.flush();
        engine.checkpoint(true);
        const position = {
          seq: store.appliedSeq,
          revision: store.revision,
          compactRevision: store.compactRevision,
          term: store.term,
        };
        const gate = progressGate();
        const result = await writeCheckpoint(this.objects, {
          engineFile: engine.path,
          ...position,
          onProgress: (doneBytes, totalBytes) => {
            if (gate()) {
              this.#logger.info("writing checkpoint", { seq: position.seq, doneBytes, totalBytes });
            }
          },
          chunkBytes: this.#o.chunkBytes,
          known: this.#known,
          ...(this.#o.ancestor
            ? {
              ancestor: {
                store: this.#o.ancestor.store,
                chunks: knownChunks(this.#o.ancestor.manifest),
                checkpointKey: this.#o.ancestor.manifest.key,
              },
            }
            : {}),
        });
        this.#known = knownChunks(result.manifest);
        this.#lastSeq = position.seq;
        this.#lastAt = performance.now();
        this.#o.observer?.checkpointed?.(result);
        this.#logger.info("checkpoint written", {
          checkpoint: result.key,
          seq: position.seq,
          revision: position.revision,
          uploadedBytes: result.uploadedBytes,
          uploadedChunks: result.uploadedChunks,
          reusedChunks: result.reusedChunks,
          ms: Math.round(result.seconds * 1000),
        });
        try {
          const gc = await collectGarbage(this.objects, {
            keep: this.#o.gcKeep,
            walSafeSeq: position.seq,
          });
          this.#o.observer?.collected?.(gc);
        } catch (err: unknown) {
          this.#logger.warn("object store GC failed", { error: errorText(err) });
        }
        return result;
      } catch (err: unknown) {
        this.#logger.warn("checkpoint failed; retrying in 30 s", { error: errorText(err) });
        this.#retryAt = performance.now() + 30_000;
        return undefined;
      } finally {
        engine.setAutoCheckpoint(this.#o.autoCheckpointPages);
      }
    });
  }

  /**
   * Async mode: queues a sealed local segment (same bytes as a WAL object) for upload, retried
   * until it succeeds. {@linkcode uploadedSeq} moves once every segment up to it is stored.
   */
  queueSegment(segment: SegmentInfo): void {
    if (segment.lastSeq < segment.firstSeq) return;
    this.#pending.push(segment);
    this.#uploading ??= this.#drain();
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const seg = this.#pending[0]!;
        const started = performance.now();
        try {
          const bytes = await Deno.readFile(seg.path);
          await this.objects.put(walObjectKey(seg.term, seg.firstSeq), bytes);
          this.#o.observer?.walUploaded?.((performance.now() - started) / 1000, true, bytes.length);
          this.#pending.shift();
          this.#uploadedSeq = Math.max(this.#uploadedSeq, seg.lastSeq);
        } catch (err: unknown) {
          this.#o.observer?.walUploaded?.((performance.now() - started) / 1000, false, 0);
          if (this.#closed) return;
          this.#logger.warn("WAL segment upload failed; retrying in 5 s", {
            segment: seg.name,
            error: errorText(err),
          });
          await new Promise((r) => setTimeout(r, 5000));
        }
      }
    } finally {
      this.#uploading = undefined;
    }
  }

  /** Async mode: every WAL entry up to this seq is in the object store. */
  get uploadedSeq(): number {
    return this.#pending.length === 0 ? Number.MAX_SAFE_INTEGER : this.#uploadedSeq;
  }

  /** The seq of the newest checkpoint this node wrote or found (-1: none). */
  get checkpointSeq(): number {
    return this.#lastSeq;
  }

  /**
   * Stops the schedule, waits for a checkpoint in flight, and tries once more to upload what is
   * queued. Returns whether everything sealed is in the object store.
   */
  async close(): Promise<boolean> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    while (this.#busy) await this.#busy.catch(() => {});
    this.#closed = true;
    if (this.#uploading) await this.#uploading;
    if (this.#pending.length > 0) {
      this.#closed = false;
      const last = this.#drain();
      this.#closed = true;
      await Promise.race([last, new Promise((r) => setTimeout(r, 10_000))]);
    }
    return this.#pending.length === 0;
  }
}
