/**
 * {@linkcode CommitPipeline}: the group-commit loop between requests and the store.
 *
 * Requests queue in arrival order. One loop takes everything queued, evaluates each request
 * against the store's head (so a request sees the effects of the earlier requests of its
 * batch), appends the batch's WAL records, calls fdatasync once through
 * {@linkcode WalWriter.sync}, runs the durability hooks (an S3 upload, a quorum of follower
 * ACKs), applies the batch to the engine in one transaction, and only then answers every caller.
 *
 * Invariants:
 * - No reader sees a batch before it is durable: the store's visible revision moves in
 *   `commitBatch`, after the fsync and the hooks.
 * - No sequence or revision holes: a batch whose WAL write, fsync or hook fails is undone as a
 *   whole (`abortBatch`, and the WAL rolled back to its mark), and the node is fenced.
 * - A failed fsync or engine write fences the node: every later write fails with
 *   {@linkcode FencedError} naming the first cause, because what reached the disk is unknown.
 *
 * @module
 */

import { FencedError, KvError } from "../errors.ts";
import type { MvccStore, StoreRecord } from "../mvcc/mod.ts";
import type { WalWriter } from "../wal/mod.ts";

/** Work a request does inside a batch; it runs synchronously against the store's head. */
export type BatchJob<T> = (store: MvccStore) => T;

/** Runs after a batch's records are fsynced and before they become visible. */
export type DurabilityHook = (records: readonly StoreRecord[]) => Promise<void>;

/** Observations the pipeline reports (metrics hook into these). */
export interface CommitObserver {
  /** A batch was committed: `entries` WAL records, `jobs` requests, fsync took `syncMs`. */
  committed?(entries: number, jobs: number, syncMs: number, applyMs: number): void;
  /** The node was fenced. */
  fenced?(err: FencedError): void;
}

/** Options of {@linkcode CommitPipeline}. */
export interface CommitPipelineOptions {
  /** Most requests evaluated in one batch (the rest wait for the next); default 10,000. */
  maxBatchJobs?: number;
  /** Called between batches while idle work remains (physical compaction steps). */
  idleWork?: () => boolean;
  observer?: CommitObserver;
}

interface Pending {
  job: BatchJob<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/** Errors that reject one request without touching the batch (validation, preconditions). */
function isRequestError(err: unknown): boolean {
  return err instanceof KvError && err.code !== "engine" && err.code !== "wal-io" &&
    err.code !== "wal-corrupt";
}

/** The group-commit loop; see the module doc. */
export class CommitPipeline {
  /** Extra durability steps after fsync (S3 upload, follower quorum); run in order. */
  readonly hooks: DurabilityHook[] = [];
  /**
   * Called with a batch's records right after they are appended to the WAL and before the
   * fsync (a leader streams them to followers so their fsyncs overlap its own).
   */
  readonly appendListeners: ((records: readonly StoreRecord[]) => void)[] = [];
  /** Called after a batch appended to the WAL was rolled back out of it (the undo of the above). */
  readonly rollbackListeners: ((records: readonly StoreRecord[]) => void)[] = [];
  /** Called after a batch became visible, with the newest applied sequence. */
  readonly commitListeners: ((appliedSeq: number) => void)[] = [];
  /** When set, new requests are refused with this error (a follower does not write). */
  refuse: KvError | undefined;
  /**
   * Called after a batch whose durability hooks failed with an unavailable error was rolled
   * back from the WAL (nothing of it acknowledged). Its upload may still land in the object
   * store later, so its sequence numbers must not be reused in the same term: a single node
   * moves to a new term, a cluster leader steps down.
   */
  onRolledBack: ((err: KvError) => void) | undefined;
  readonly #store: MvccStore;
  #wal: WalWriter;
  readonly #maxBatchJobs: number;
  readonly #idleWork: (() => boolean) | undefined;
  readonly #observer: CommitObserver;
  #queue: Pending[] = [];
  #running: Promise<void> | undefined;
  #fenced: FencedError | undefined;
  #closed = false;
  #idleScheduled = false;

  /** Creates a pipeline over an open store and WAL writer positioned after the store. */
  constructor(store: MvccStore, wal: WalWriter, options: CommitPipelineOptions = {}) {
    this.#store = store;
    this.#wal = wal;
    this.#maxBatchJobs = options.maxBatchJobs ?? 10_000;
    this.#idleWork = options.idleWork;
    this.#observer = options.observer ?? {};
  }

  /** Switches to a new WAL writer (after a follower dropped its WAL tail). */
  replaceWal(wal: WalWriter): void {
    this.#wal = wal;
  }

  /** The error that fenced the node, if it is fenced. */
  get fenced(): FencedError | undefined {
    return this.#fenced;
  }

  /** Requests waiting for the next batch. */
  get queued(): number {
    return this.#queue.length;
  }

  /**
   * Queues `job` for the next batch and resolves with its result once the batch is durable and
   * visible. A job that throws a request error (validation, a missing lease, …) rejects alone.
   */
  submit<T>(job: BatchJob<T>): Promise<T> {
    if (this.#fenced) return Promise.reject(this.#fenced);
    if (this.refuse) return Promise.reject(this.refuse);
    if (this.#closed) return Promise.reject(new FencedError("the node is shutting down"));
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ job, resolve: resolve as (v: unknown) => void, reject });
      this.#running ??= this.#run();
    });
  }

  /** Stops taking requests and waits for the batch in flight (queued requests still run). */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#running) await this.#running;
  }

  /** Fences the node from outside (lost leadership, an upload that cannot be retried). */
  fence(reason: string, cause?: unknown): FencedError {
    if (!this.#fenced) {
      this.#fenced = new FencedError(reason, cause === undefined ? {} : { cause });
      this.#observer.fenced?.(this.#fenced);
    }
    const queued = this.#queue;
    this.#queue = [];
    for (const p of queued) p.reject(this.#fenced);
    return this.#fenced;
  }

  /** Schedules idle work (compaction steps) to run between batches. */
  kickIdle(): void {
    if (this.#idleScheduled || !this.#idleWork) return;
    this.#idleScheduled = true;
    setTimeout(() => this.#runIdle(), 0);
  }

  #runIdle(): void {
    this.#idleScheduled = false;
    if (this.#fenced || !this.#idleWork) return;
    if (this.#store.inBatch) {
      this.kickIdle();
      return;
    }
    let more = false;
    try {
      more = this.#idleWork();
    } catch (err: unknown) {
      this.fence(`Background work failed: ${message(err)}`, err);
      return;
    }
    if (more) this.kickIdle();
  }

  async #run(): Promise<void> {
    try {
      while (this.#queue.length > 0 && !this.#fenced) {
        if (this.refuse) {
          // Refused after these were queued (a leader stepping down): none may run now.
          this.#failAll(this.#queue.splice(0), this.refuse);
          break;
        }
        const jobs = this.#queue.length <= this.#maxBatchJobs
          ? this.#queue.splice(0)
          : this.#queue.splice(0, this.#maxBatchJobs);
        await this.#commit(jobs);
      }
    } finally {
      this.#running = undefined;
      if (this.#queue.length > 0 && !this.#fenced) this.#running = this.#run();
      else if (this.#idleWork) this.kickIdle();
    }
  }

  async #commit(jobs: Pending[]): Promise<void> {
    const store = this.#store;
    const results: { ok: boolean; value: unknown }[] = new Array(jobs.length);
    store.beginBatch();
    try {
      for (let i = 0; i < jobs.length; i++) {
        try {
          results[i] = { ok: true, value: jobs[i]!.job(store) };
        } catch (err: unknown) {
          if (!isRequestError(err)) throw err;
          results[i] = { ok: false, value: err };
        }
      }
    } catch (err: unknown) {
      store.abortBatch();
      this.#failAll(jobs, this.fence(`Cannot evaluate a write batch: ${message(err)}`, err));
      return;
    }

    const records = store.batchRecords();
    let syncMs = 0;
    if (records.length > 0) {
      const mark = this.#wal.mark();
      const started = performance.now();
      try {
        this.#wal.blockingSync = jobs.length <= 2 && this.#queue.length === 0;
        this.#wal.append(records);
        for (const l of this.appendListeners) l(records);
        await this.#wal.sync();
        syncMs = performance.now() - started;
        for (const hook of this.hooks) await hook(records);
      } catch (err: unknown) {
        store.abortBatch();
        let rolledBack = true;
        await this.#wal.rollback(mark).catch(() => (rolledBack = false));
        if (rolledBack) { for (const l of this.rollbackListeners) l(records); }
        if (
          rolledBack && err instanceof KvError &&
          (err.code === "object-store-unavailable" || err.code === "unavailable")
        ) {
          // Nothing of the batch is acknowledged or visible and the WAL no longer holds it:
          // the callers learn the store is unavailable and the node goes on.
          this.onRolledBack?.(err);
          this.#failAll(jobs, err);
          return;
        }
        this.#failAll(jobs, this.fence(`Cannot make a write batch durable: ${message(err)}`, err));
        return;
      }
    }
    const applyStarted = performance.now();
    try {
      store.commitBatch();
    } catch (err: unknown) {
      // The WAL holds the batch; the engine does not. Replay at the next open repairs it.
      store.abortBatch();
      this.#failAll(jobs, this.fence(`Cannot apply a write batch: ${message(err)}`, err));
      return;
    }
    if (records.length > 0) {
      for (const l of this.commitListeners) l(this.#store.appliedSeq);
    }
    this.#observer.committed?.(
      records.length,
      jobs.length,
      syncMs,
      performance.now() - applyStarted,
    );
    for (let i = 0; i < jobs.length; i++) {
      const r = results[i]!;
      if (r.ok) jobs[i]!.resolve(r.value);
      else jobs[i]!.reject(r.value);
    }
  }

  #failAll(jobs: Pending[], err: KvError): void {
    for (const p of jobs) p.reject(err);
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
