/**
 * {@linkcode T4Node}: the composition root. `open` takes the data directory's lock, opens the
 * engine and the MVCC store over it, replays the local WAL after the engine's applied sequence,
 * opens the WAL for appending and starts the commit pipeline, the lease keeper and the
 * background maintenance (physical compaction, WAL cleanup).
 *
 * Its request methods take and return the MVCC layer's shapes (binary-string keys, see
 * `src/mvcc/keys.ts`); the embedded API (`store.ts`) and the gRPC server convert at their
 * edges.
 *
 * @module
 */

import { FencedError, KvError } from "../errors.ts";
import { progressGate } from "../log.ts";
import { Engine } from "../engine/mod.ts";
import {
  type DeleteRangeRequest,
  type DeleteRangeResponse,
  type Kv,
  type LeaseInfo,
  MvccStore,
  type PutRequest,
  type PutResponse,
  type RangeRequest,
  type RangeResponse,
  type StoreRecord,
  type TxnRequest,
  type TxnResponse,
  WatchHub,
} from "../mvcc/mod.ts";
import { listSegmentFiles, replayWal, WalWriter } from "../wal/mod.ts";
import { type BatchJob, type CommitObserver, CommitPipeline } from "./commit.ts";
import { type NodeConfig, type ResolvedNodeConfig, resolveNodeConfig, stableId } from "./config.ts";
import { type DataDirLayout, dataDirLayout, DataDirLock } from "./data_dir.ts";
import { type DurabilityObserver, ObjectStoreDurability } from "./durability.ts";
import { isGapAtStart, replayRemote, restoreEngineFile, unrecoverableGap } from "./restore.ts";
import { readCheckpointManifest, readLatestManifest, replayRemoteWal } from "../checkpoint/mod.ts";

/** What {@linkcode T4Node.open} did to recover, for logs and metrics. */
export interface RecoveryReport {
  /** WAL entries replayed into the engine. */
  replayedEntries: number;
  /** The applied sequence after recovery. */
  appliedSeq: number;
  /** The store revision after recovery. */
  revision: number;
  /** Milliseconds the whole open took. */
  durationMs: number;
  /** Set when the last WAL segment ended in a torn write (a crash mid-append); it was cut. */
  tornTail?: { segment: string; offset: number };
  /** Set when `truncateCorruptWal` cut a damaged WAL. */
  truncated?: { segment: string; offset: number; reason: string };
  /** The checkpoint restored from the object store (a node whose disk was lost). */
  restoredCheckpoint?: string;
  /** Entries replayed from the object store's WAL. */
  remoteEntries?: number;
  /** The term of the last WAL entry found (local or remote). */
  lastTerm?: number;
}

/** A node's state as the Status RPC and `/readyz` report it. */
export interface NodeStatus {
  revision: number;
  compactRevision: number;
  appliedSeq: number;
  term: number;
  role: "single" | "leader" | "follower";
  fenced: string | undefined;
  dbSize: number;
  dbSizeInUse: number;
  keys: number;
  leases: number;
  watchers: number;
}

/** Observers a server or test attaches (metrics). */
export interface NodeObserver extends CommitObserver, DurabilityObserver {
  /** A lease expired and was revoked. */
  leaseExpired?(id: bigint): void;
  /** Restoring a checkpoint at open: bytes done of total. */
  restoreProgress?(done: number, total: number): void;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (err: unknown) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

async function removeEngineFiles(engineFile: string): Promise<void> {
  for (const suffix of ["", "-wal", "-shm"]) {
    await Deno.remove(engineFile + suffix).catch((err: unknown) => {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    });
  }
}

/** A single node: the engine, the WAL, the store and their background work. */
export class T4Node implements AsyncDisposable {
  /** The configuration with defaults filled in. */
  readonly config: ResolvedNodeConfig;
  /** Paths inside the data directory. */
  readonly layout: DataDirLayout;
  /** The store (reads are safe to call directly; writes go through {@linkcode submit}). */
  readonly store: MvccStore;
  /** The watch hub. */
  readonly hub: WatchHub;
  /** This member's ID (stable: derived from the node ID). */
  readonly memberId: bigint;
  /** The cluster's ID (stable: derived from the cluster's identity). */
  readonly clusterId: bigint;
  /** What recovery did. */
  readonly recovery: RecoveryReport;
  readonly #lock: DataDirLock;
  readonly #engine: Engine;
  #wal: WalWriter;
  readonly #pipeline: CommitPipeline;
  readonly #flusher: EngineFlusher;
  readonly #observer: NodeObserver;
  readonly #timers: ReturnType<typeof setInterval>[] = [];
  readonly #revoking = new Set<bigint>();
  /** Keep local WAL segments on close (set while they may still need uploading). */
  keepLocalWal = false;
  /** The node's role; a follower refuses local writes and does not expire leases. */
  role: "single" | "leader" | "follower" = "single";
  /** The last record in the local WAL (seq and term), for the follow handshake. */
  walTail: { seq: number; term: number } = { seq: 0, term: 0 };
  /** The object-store side (uploads, checkpoints), when the node has an object store. */
  durability: ObjectStoreDurability | undefined;
  #closing: Promise<void> | undefined;

  private constructor(
    config: ResolvedNodeConfig,
    parts: {
      layout: DataDirLayout;
      lock: DataDirLock;
      engine: Engine;
      store: MvccStore;
      wal: WalWriter;
      recovery: RecoveryReport;
      observer: NodeObserver;
      flusher: EngineFlusher;
    },
  ) {
    this.config = config;
    this.layout = parts.layout;
    this.#lock = parts.lock;
    this.#engine = parts.engine;
    this.store = parts.store;
    this.#wal = parts.wal;
    this.recovery = parts.recovery;
    this.#observer = parts.observer;
    this.hub = new WatchHub(this.store);
    this.memberId = stableId(`t4-member:${config.nodeId}`);
    this.clusterId = stableId(
      `t4-cluster:${
        config.clustered && config.objectStore ? config.objectStore.describe() : config.nodeId
      }`,
    );
    this.#pipeline = new CommitPipeline(this.store, this.#wal, {
      idleWork: () => !this.store.compactStep(2000),
      observer: parts.observer,
    });
    // A rolled-back upload may still land late under its key (term, first seq): write the
    // next batch in a new term, whose objects cut the old term off at that seq.
    this.#pipeline.onRolledBack = () => void (this.store.term += 1);
    this.#flusher = parts.flusher;
    this.#flusher.start(this.store, (err) => {
      this.fence(`Cannot write the engine: ${err instanceof Error ? err.message : err}`, err);
    });
    this.walTail = {
      seq: Math.max(this.#wal.nextSeq - 1, this.store.appliedSeq),
      term: parts.recovery.lastTerm ?? this.store.term,
    };
    let beforeAppend = this.walTail;
    this.#pipeline.appendListeners.push((records) => {
      const last = records.at(-1)!;
      beforeAppend = this.walTail;
      this.walTail = { seq: last.seq, term: last.term };
    });
    this.#pipeline.rollbackListeners.push(() => void (this.walTail = beforeAppend));
    this.store.lessor.refreshAll();
    this.#timers.push(
      setInterval(() => this.#expireLeases(), config.leaseCheckIntervalMs),
      setInterval(() => void this.#cleanWal(), config.walCleanupIntervalMs),
    );
    if (this.store.compactedThrough < this.store.compactRevision) this.#pipeline.kickIdle();
  }

  /**
   * Opens (creating if needed) the node in `config.dataDir` and recovers it.
   *
   * @throws {KvError} when the directory is locked by another process, the engine file is
   * damaged, or the WAL is corrupt in the middle (the message names the segment and offset).
   */
  static async open(config: NodeConfig, observer: NodeObserver = {}): Promise<T4Node> {
    const started = performance.now();
    const resolved = resolveNodeConfig(config);
    const layout = dataDirLayout(resolved.dataDir);
    const lock = await DataDirLock.acquire(layout);
    const flusher = new EngineFlusher();
    let engine: Engine | undefined;
    try {
      const objects = resolved.objectStore;
      const restoreOptions = {
        engineFile: layout.engineFile,
        branch: resolved.branch,
        logger: resolved.logger,
        onProgress: observer.restoreProgress,
      };
      let restored: string | undefined;
      if (!objects && !(await exists(layout.engineFile)) && (await exists(layout.walDir))) {
        // The WAL directory is made after the engine file: this directory was used, and its
        // engine file is gone. Starting empty would silently drop everything not in the WAL.
        const first = (await listSegmentFiles(layout.walDir))[0];
        if (first?.firstSeq !== 1) {
          throw new KvError(
            "engine",
            `Cannot open data directory "${layout.root}": its engine file "${layout.engineFile}" ` +
              `is missing and the WAL does not start at the first entry, so data would be lost. ` +
              `Put the engine file back, start with the object store to restore from, or remove ` +
              `the data directory to start empty`,
          );
        }
      }
      if (objects && !(await exists(layout.engineFile))) {
        restored = (await restoreEngineFile({ store: objects, ...restoreOptions }))?.key;
      }
      for (let attempt = 1;; attempt++) {
        engine = await Engine.open(layout.engineFile, { cacheKiB: resolved.cacheKiB });
        const store = MvccStore.open(engine, {
          cacheBytes: resolved.valueCacheBytes,
          maxTxnOps: resolved.maxTxnOps,
          now: resolved.now,
          lazyFlush: {
            maxRecords: LAZY_FLUSH_RECORDS,
            maxBytes: LAZY_FLUSH_BYTES,
            pending: () => flusher.schedule(),
          },
        });
        const afterSeq = store.appliedSeq;
        const gate = progressGate();
        const replay = await replayWal(
          layout.walDir,
          { afterSeq, repair: true, truncateCorrupt: resolved.truncateCorruptWal },
          (record) => {
            store.replay(record);
            if (gate()) {
              resolved.logger?.info("replaying local WAL", {
                records: store.appliedSeq - afterSeq,
                seq: store.appliedSeq,
              });
            }
          },
        );
        store.finishReplay();
        let remoteTerm = 0;
        let remoteRecords = 0;
        if (objects) {
          try {
            const remote = await replayRemote(store, objects, resolved.logger);
            remoteTerm = remote.lastTerm;
            remoteRecords = remote.records;
          } catch (err: unknown) {
            if (!isGapAtStart(err, store.appliedSeq)) throw err;
            // The bootstrap race: the WAL we need was collected because a newer checkpoint
            // covers it. Restore that one and try again.
            const latest = await readLatestManifest(objects);
            if (attempt >= 10 || !latest || latest.seq <= store.appliedSeq) {
              throw unrecoverableGap(err);
            }
            engine.close();
            engine = undefined;
            await removeEngineFiles(layout.engineFile);
            restored = (await restoreEngineFile({ store: objects, ...restoreOptions }))?.key;
            continue;
          }
        }
        // Recovery ends with the engine holding everything replayed.
        store.flush();
        const stale = replay.lastSeq < store.appliedSeq
          ? await listSegmentFiles(layout.walDir)
          : [];
        if (stale.length > 0) {
          // The engine got ahead of the local WAL (a checkpoint restore, the remote WAL): the
          // local segments hold nothing it needs, and keeping them would leave a hole before
          // the next segment. Flush the engine, then drop them.
          engine.checkpoint(true);
          for (const file of stale) await Deno.remove(file.path);
        }
        const term = Math.max(store.term, replay.lastTerm, remoteTerm, 1);
        store.term = term;
        const wal = await WalWriter.open(layout.walDir, {
          term,
          nextSeq: Math.max(replay.lastSeq, store.appliedSeq) + 1,
          segmentBytes: resolved.segmentBytes,
        });
        const recovery: RecoveryReport = {
          replayedEntries: store.appliedSeq - afterSeq,
          appliedSeq: store.appliedSeq,
          revision: store.revision,
          durationMs: performance.now() - started,
        };
        if (restored) recovery.restoredCheckpoint = restored;
        recovery.lastTerm = Math.max(replay.lastTerm, remoteTerm) || store.term;
        if (remoteRecords > 0) recovery.remoteEntries = remoteRecords;
        if (replay.tornTail) {
          recovery.tornTail = { segment: replay.tornTail.segment, offset: replay.tornTail.offset };
        }
        if (replay.truncated) {
          const t = replay.truncated;
          recovery.truncated = { segment: t.segment, offset: t.offset, reason: t.reason };
        }
        const node = new T4Node(resolved, {
          layout,
          lock,
          engine,
          store,
          wal,
          recovery,
          observer,
          flusher,
        });
        await node.#startDurability();
        return node;
      }
    } catch (err: unknown) {
      try {
        engine?.close();
      } catch { /* the open error matters more */ }
      lock.close();
      throw err;
    }
  }

  /** Wires the object store in: sync WAL uploads (or sealed-segment uploads) and checkpoints. */
  async #startDurability(): Promise<void> {
    const objects = this.config.objectStore;
    if (!objects) return;
    const c = this.config;
    // A branch references its source's chunks instead of copying them.
    const ancestor = c.branch
      ? {
        store: c.branch.store,
        manifest: await readCheckpointManifest(c.branch.store, c.branch.checkpointKey),
      }
      : undefined;
    const durability = new ObjectStoreDurability(objects, {
      store: this.store,
      engine: this.#engine,
    }, {
      ancestor,
      checkpointIntervalMs: c.checkpointIntervalMs,
      checkpointEntries: c.checkpointEntries,
      gcKeep: c.gcKeep,
      ...(c.logger ? { logger: c.logger } : {}),
      observer: this.#observer,
    });
    this.durability = durability;
    if (c.walSyncUpload) this.#pipeline.hooks.push(durability.uploadHook);
    else {
      // Async mode: sealed segments go up in the background; keep local WAL until they have.
      this.keepLocalWal = true;
      this.#wal.onSealed = (segment) => durability.queueSegment(segment);
      this.#timers.push(setInterval(() => {
        const active = this.#wal.segments().at(-1);
        if (active && active.lastSeq >= active.firstSeq) void this.#wal.rotate().catch(() => {});
      }, c.segmentMaxAgeMs));
    }
    if (c.clustered) return; // the cluster starts checkpoints when this node becomes leader
    try {
      await durability.start();
    } catch (err: unknown) {
      // The store being down at start must not stop a node that recovered locally.
      c.logger?.warn("object store not reachable at start; checkpoints will retry", {
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }

  /** The error that fenced this node, if it is fenced. */
  get fenced(): FencedError | undefined {
    return this.#pipeline.fenced;
  }

  /** Whether {@linkcode close} has been called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** Queues a write job for the next group commit (see {@linkcode CommitPipeline.submit}). */
  submit<T>(job: BatchJob<T>): Promise<T> {
    return this.#pipeline.submit(job);
  }

  /** Fences the node: no more writes or linearizable reads; `reason` says why. */
  fence(reason: string, cause?: unknown): FencedError {
    return this.#pipeline.fence(reason, cause);
  }

  // ------------------------------------------------------------------ reads

  /**
   * etcd's Range. Linearizable reads (the default) fail on a fenced node; serializable ones
   * read the local durable state.
   */
  range(r: RangeRequest): RangeResponse {
    if (!r.serializable) this.#checkLinearizable();
    return this.store.range(r);
  }

  /** One key at `revision` (0: current); a fast path for point reads. */
  get(key: string, revision = 0, serializable = false): Kv | undefined {
    if (!serializable) this.#checkLinearizable();
    return this.store.get(key, revision);
  }

  #checkLinearizable(): void {
    const fenced = this.#pipeline.fenced;
    if (fenced) throw fenced;
    if (this.#closing) throw new FencedError("the node is shutting down");
  }

  // ------------------------------------------------------------------ writes

  /** etcd's Put. */
  put(r: PutRequest): Promise<PutResponse> {
    return this.submit((s) => s.put(r));
  }

  /** etcd's DeleteRange. */
  deleteRange(r: DeleteRangeRequest): Promise<DeleteRangeResponse> {
    return this.submit((s) => s.deleteRange(r));
  }

  /** etcd's Txn. */
  txn(r: TxnRequest): Promise<TxnResponse> {
    return this.submit((s) => s.txn(r));
  }

  /** etcd's Compact: records the compact revision; physical compaction follows in steps. */
  async compact(revision: number): Promise<{ revision: number }> {
    const out = await this.submit((s) => s.compact(revision));
    this.#pipeline.kickIdle();
    return out;
  }

  // ------------------------------------------------------------------ leases

  /** etcd's LeaseGrant (`id` 0: the node picks one). */
  leaseGrant(id: bigint, ttl: number): Promise<{ id: bigint; ttl: number }> {
    return this.submit((s) => s.grantLease(id, ttl));
  }

  /** etcd's LeaseRevoke: deletes the attached keys at one revision. */
  leaseRevoke(id: bigint): Promise<{ revision: number }> {
    return this.submit((s) => s.revokeLease(id));
  }

  /** etcd's LeaseKeepAlive: renews in memory only; returns the TTL, 0 for an unknown lease. */
  leaseKeepAlive(id: bigint): number {
    this.#checkLinearizable();
    if (this.#revoking.has(id)) return 0;
    return this.store.lessor.keepAlive(id);
  }

  /** etcd's LeaseTimeToLive. */
  leaseTimeToLive(id: bigint, keys: boolean): LeaseInfo {
    return this.store.leaseInfo(id, keys);
  }

  /** etcd's LeaseLeases: every lease ID. */
  leases(): bigint[] {
    return this.store.lessor.ids();
  }

  #expireLeases(): void {
    if (this.#pipeline.fenced || this.#closing || this.role === "follower") return;
    const lessor = this.store.lessor;
    for (const id of lessor.expired()) {
      if (this.#revoking.has(id)) continue;
      this.#revoking.add(id);
      this.submit((s) => {
        const lease = s.lessor.get(id);
        // a keepalive may have renewed it while the revoke waited for its batch
        if (!lease || lease.deadline > this.config.now()) return false;
        s.revokeLease(id);
        return true;
      }).then(
        (revoked) => revoked && this.#observer.leaseExpired?.(id),
        () => {/* fenced or closing: the lease stays until the next leader or open */},
      ).finally(() => this.#revoking.delete(id));
    }
  }

  // ------------------------------------------------------------------ replication (cluster)

  /** The commit pipeline (cluster mode hooks into it). */
  get pipeline(): CommitPipeline {
    return this.#pipeline;
  }

  /**
   * Follower: appends records received from the leader to the local WAL and fsyncs them. They
   * are not applied (visible) until the leader says they are committed.
   */
  async appendReplicated(records: readonly StoreRecord[]): Promise<void> {
    if (records.length === 0) return;
    const last = records.at(-1)!;
    if (last.term > this.#wal.term) await this.#wal.rotate(last.term);
    this.#wal.append(records);
    await this.#wal.sync();
    this.walTail = { seq: last.seq, term: last.term };
  }

  /** Follower: applies committed records (watchers get their events). */
  applyReplicated(records: readonly StoreRecord[]): void {
    if (records.length === 0) return;
    const term = Math.max(this.store.term, ...records.map((r) => r.term));
    this.store.term = term;
    this.store.applyReplicated(records);
    for (const l of this.#pipeline.commitListeners) l(this.store.appliedSeq);
    if (this.store.compactedThrough < this.store.compactRevision) this.#pipeline.kickIdle();
  }

  /**
   * Follower: drops local WAL entries after `seq` (the leader's log differs there). Entries up
   * to the applied sequence are in the engine, which is flushed first; the rest up to `seq`
   * are written again into a fresh WAL.
   */
  async truncateWalAfter(seq: number): Promise<void> {
    const applied = this.store.appliedSeq;
    if (seq < applied) {
      throw new KvError(
        "wal-corrupt",
        `Cannot drop WAL entries after ${seq}: ${applied} are applied`,
      );
    }
    const keep: StoreRecord[] = [];
    await replayWal(this.layout.walDir, { afterSeq: applied }, (r) => {
      if (r.seq <= seq) keep.push({ seq: r.seq, term: r.term, rev: r.rev, data: r.data.slice() });
    });
    this.store.flush();
    this.#engine.checkpoint(true);
    const term = this.#wal.term;
    const onSealed = this.#wal.onSealed;
    await this.#wal.close();
    for (const file of await listSegmentFiles(this.layout.walDir)) await Deno.remove(file.path);
    this.#wal = await WalWriter.open(this.layout.walDir, {
      term,
      nextSeq: applied + 1,
      segmentBytes: this.config.segmentBytes,
    });
    if (onSealed) this.#wal.onSealed = onSealed;
    this.#pipeline.replaceWal(this.#wal);
    if (keep.length > 0) {
      this.#wal.append(keep);
      await this.#wal.sync();
    }
    const last = keep.at(-1);
    this.walTail = last
      ? { seq: last.seq, term: last.term }
      : { seq: applied, term: this.store.term };
  }

  /** Records after `afterSeq` from the local WAL files, at most `max` (a leader's catch-up). */
  async readLocalWal(afterSeq: number, max: number): Promise<StoreRecord[]> {
    const out: StoreRecord[] = [];
    try {
      await replayWal(this.layout.walDir, { afterSeq }, (r) => {
        if (out.length < max) {
          out.push({ seq: r.seq, term: r.term, rev: r.rev, data: r.data.slice() });
        }
      });
    } catch (err: unknown) {
      if (out.length === 0) throw err;
    }
    return out;
  }

  /**
   * Becomes the writer for `term`: drops WAL entries staged beyond what is applied, starts new
   * WAL segments in the new term, and gives every lease a full TTL (the old leader's deadlines
   * are unknown). Call {@linkcode catchUpFromObjectStore} first.
   */
  async becomeLeader(term: number): Promise<void> {
    // Entries staged while following but never committed were never acknowledged; the object
    // store (replayed just before) holds everything that was. Drop them.
    if (this.walTail.seq > this.store.appliedSeq) {
      await this.truncateWalAfter(this.store.appliedSeq);
    }
    this.store.term = term;
    await this.#wal.rotate(term);
    this.store.lessor.refreshAll();
    this.role = "leader";
    this.#pipeline.refuse = undefined;
  }

  /**
   * Applies the object store's WAL after what this node has applied, writing the records into
   * the local WAL too (so a leader can stream them to followers later). Returns how many.
   */
  async catchUpFromObjectStore(): Promise<number> {
    const objects = this.config.objectStore;
    if (!objects) return 0;
    const records: StoreRecord[] = [];
    await replayRemoteWal(objects, { afterSeq: this.store.appliedSeq }, (r) => {
      records.push({ seq: r.seq, term: r.term, rev: r.rev, data: r.data.slice() });
    });
    if (records.length === 0) return 0;
    if (this.walTail.seq > this.store.appliedSeq) {
      await this.truncateWalAfter(this.store.appliedSeq);
    }
    for (let i = 0; i < records.length; i += 1000) {
      const chunk = records.slice(i, i + 1000);
      await this.appendReplicated(chunk);
      this.applyReplicated(chunk);
    }
    return records.length;
  }

  /** Stops local writes (a follower, or a leader that lost its lease). */
  refuseWrites(err: KvError): void {
    this.#pipeline.refuse = err;
  }

  // ------------------------------------------------------------------ maintenance

  /** Checkpoints the engine (fsync) and deletes local WAL segments it fully covers. */
  async #cleanWal(): Promise<void> {
    if (this.#pipeline.fenced || this.#closing) return;
    const sealed = this.#wal.segments().filter((s) => s.sealed);
    if (sealed.length === 0) return;
    try {
      const applied = this.store.appliedSeq;
      const flush = () => {
        this.store.flush();
        this.#engine.checkpoint(true);
      };
      if (this.durability) await this.durability.exclusive(flush);
      else flush();
      const safe = this.durability && !this.config.walSyncUpload
        ? Math.min(applied, this.durability.uploadedSeq)
        : applied;
      await this.#wal.removeSegmentsThrough(safe);
    } catch (err: unknown) {
      this.fence(`Cannot checkpoint the engine: ${err instanceof Error ? err.message : err}`, err);
    }
  }

  /** Deletes the local WAL segments once the engine file is known to hold all they carry. */
  async #dropCoveredWal(): Promise<void> {
    if (this.keepLocalWal) return;
    for (const file of await listSegmentFiles(this.layout.walDir)) await Deno.remove(file.path);
  }

  /** The node's state for Status, metrics and readiness. */
  status(): NodeStatus {
    const stats = this.#engine.stats();
    return {
      revision: this.store.revision,
      compactRevision: this.store.compactRevision,
      appliedSeq: this.store.appliedSeq,
      term: this.store.term,
      role: this.role,
      fenced: this.#pipeline.fenced?.message,
      dbSize: stats.fileBytes + stats.walBytes,
      dbSizeInUse: (stats.pageCount - stats.freelistCount) * stats.pageSize,
      keys: this.store.liveKeys,
      leases: this.store.lessor.size,
      watchers: this.hub.size,
    };
  }

  /** Runs the engine's integrity check (every page; for tests and `t4 inspect`). */
  check(): string[] {
    return this.#engine.check();
  }

  /**
   * Stops background work, lets the batch in flight finish, closes the WAL (sealing the active
   * segment) and the engine, and releases the directory lock. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    // Batches still queued commit first, and their watchers hear of them.
    await this.#pipeline.close();
    this.hub.close();
    const errors: unknown[] = [];
    try {
      await this.#wal.close();
    } catch (err: unknown) {
      errors.push(err);
    }
    if (this.durability) {
      try {
        // async mode: the final sealed segment goes up before the local WAL may go
        if (await this.durability.close()) this.keepLocalWal = false;
      } catch (err: unknown) {
        errors.push(err);
      }
    }
    this.#flusher.stop();
    try {
      this.store.flush();
    } catch (err: unknown) {
      errors.push(err);
    }
    try {
      this.#engine.close();
    } catch (err: unknown) {
      errors.push(err);
    }
    if (errors.length === 0) {
      // The engine's close checkpointed and fsynced every applied entry into its main file,
      // so the local WAL holds nothing it still needs.
      try {
        await this.#dropCoveredWal();
      } catch (err: unknown) {
        errors.push(err);
      }
    }
    this.#lock.close();
    if (errors.length > 0) {
      throw new KvError("engine", `Cannot close the node cleanly: ${errors.map(text).join("; ")}`, {
        cause: errors[0],
      });
    }
  }

  /** Same as {@linkcode close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function text(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Records committed past which the store writes the engine at once. */
const LAZY_FLUSH_RECORDS = 4096;
/** Engine bytes committed past which the store writes the engine at once. */
const LAZY_FLUSH_BYTES = 8 * 1024 * 1024;
/** How long committed records may wait in memory for the engine, at most. */
const LAZY_FLUSH_DELAY_MS = 10;

/**
 * Writes the store's committed batches to the engine a few milliseconds after a commit, so that
 * one engine transaction carries many group commits (the WAL already made them durable). A
 * failing engine write fences the node.
 */
class EngineFlusher {
  #store: MvccStore | undefined;
  #failed: ((err: unknown) => void) | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  /** Starts flushing `store` (until then, recovery flushes by itself). */
  start(store: MvccStore, failed: (err: unknown) => void): void {
    this.#store = store;
    this.#failed = failed;
    if (store.unflushedRecords > 0) this.schedule();
  }

  /** Called by the store after a commit that left records unflushed. */
  schedule(): void {
    if (!this.#store || this.#stopped || this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      try {
        this.#store!.flush();
      } catch (err: unknown) {
        this.#stopped = true;
        this.#failed!(err);
      }
    }, LAZY_FLUSH_DELAY_MS);
  }

  /** Stops the timer (the owner flushes one last time). */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
