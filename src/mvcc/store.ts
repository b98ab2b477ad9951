/**
 * The MVCC store: the key index over the revision log, etcd's read and write semantics, and
 * the batch protocol the commit pipeline drives.
 *
 * Two revisions matter. The *head* is where writes are evaluated: every request of the open
 * batch is applied to the in-memory index at once, so later requests (and later ops of the
 * same Txn) see it. The *visible* revision is the newest durable one: plain reads run at it
 * and never see the head. A read of a key whose head is newer than the read revision walks
 * the key's record chain back (records of the open batch come from memory, older ones from
 * the engine), exactly like a historical read. `commitBatch` writes the batch to the engine and
 * moves the visible revision to the head; `abortBatch` undoes the head.
 *
 * @module
 */

import {
  CompactedError,
  FutureRevisionError,
  InvalidRequestError,
  KvError,
  LeaseError,
} from "../errors.ts";
import { type Backend, type BackendBatch, LOG, META } from "./backend.ts";
import { decodeEntry, encodeEntry, type EntryOp } from "./entry.ts";
import { Index, KeyIndex } from "./key_index.ts";
import { bytesToKey, type KeyRange, keyToBytes, prefixEnd, toKeyRange } from "./keys.ts";
import {
  decodeLeaseMeta,
  encodeLeaseMeta,
  leaseMetaKey,
  Lessor,
  MAX_LEASE_TTL,
  MIN_LEASE_TTL,
} from "./lease.ts";
import { finishRange, scanLimit } from "./range.ts";
import {
  decodeRecord,
  encodeRecord,
  encodeRevision,
  type LogRecord,
  RECORD_HEADER_LEN,
  REV_BYTES_LEN,
  revisionMain,
  revisionSub,
  writeRevision,
} from "./revision.ts";
import {
  checkDeleteRange,
  checkPut,
  checkRange,
  checkTxn,
  compareKv,
  DEFAULT_MAX_TXN_OPS,
} from "./txn.ts";
import type {
  Compare,
  DeleteRangeRequest,
  DeleteRangeResponse,
  Kv,
  LeaseInfo,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  RequestOp,
  ResponseOp,
  TxnRequest,
  TxnResponse,
} from "./types.ts";
import { ValueCache } from "./value_cache.ts";

/** A WAL record as the store produces and replays it (the WAL frames it). */
export interface StoreRecord {
  seq: number;
  term: number;
  rev: number;
  data: Uint8Array;
}

/** Options of {@linkcode MvccStore}. */
export interface MvccOptions {
  /** Bytes of current values kept in memory (default 64 MiB). */
  cacheBytes?: number;
  /** etcd's `--max-txn-ops` (default 128). */
  maxTxnOps?: number;
  /** Milliseconds clock for lease deadlines (default `performance.now`). */
  now?: () => number;
  /**
   * Lazy engine writes: a committed batch stays in memory (readable, visible) and goes to the
   * engine with later ones in one engine transaction at {@linkcode MvccStore.flush}, which the
   * owner calls soon (the WAL already holds every committed record, so a crash loses nothing:
   * replay starts at the engine's sequence, {@linkcode MvccStore.flushedSeq}). The store
   * flushes by itself past `maxRecords` or `maxBytes` and calls `pending` after each commit
   * that left work unflushed. Absent: every commit writes the engine at once.
   */
  lazyFlush?: { maxRecords: number; maxBytes: number; pending(): void };
}

/** Called after a batch becomes visible with its records in revision order. */
export type CommitListener = (records: readonly LogRecord[], revision: number) => void;

/** A change to the non-revisioned meta keyspace; `value` undefined means deleted. */
export interface MetaChange {
  key: string;
  value: Uint8Array | undefined;
}

/** Called after a batch (live or replayed) that changed meta rows is committed. */
export type MetaListener = (changes: readonly MetaChange[]) => void;

const EMPTY = new Uint8Array(0);
const SYS_SEQ = "sys/seq";
const SYS_REV = "sys/rev";
const SYS_TERM = "sys/term";
const SYS_COMPACT = "sys/compact";
const SYS_COMPACT_DONE = "sys/compact_done";
const LEASE_PREFIX = "lease/";

interface Batch {
  undo: (() => void)[];
  meta: MetaChange[];
  records: StoreRecord[];
  engine: BackendBatch;
  events: LogRecord[];
  pending: Map<number, LogRecord[]>;
  replay: boolean;
}

/** A consistent place to read from: a revision and the compact revision that bounds it. */
interface View {
  rev: number;
  compactRev: number;
}

function u64(v: number): Uint8Array {
  const out = new Uint8Array(8);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, Math.floor(v / 0x1_0000_0000));
  dv.setUint32(4, v >>> 0);
  return out;
}

function readU64(b: Uint8Array | undefined): number {
  if (!b || b.length < 8) return 0;
  const dv = new DataView(b.buffer, b.byteOffset, 8);
  return dv.getUint32(0) * 0x1_0000_0000 + dv.getUint32(4);
}

/** Reused arrays for building short key strings with one `String.fromCharCode` call. */
const charBuffers: number[][] = Array.from({ length: 65 }, (_, n) => new Array<number>(n).fill(0));

/** The MVCC store; see the module doc. */
export class MvccStore {
  readonly index = new Index();
  readonly lessor: Lessor;
  readonly #backend: Backend;
  readonly #cache: ValueCache;
  readonly #maxTxnOps: number;
  readonly #listeners: CommitListener[] = [];
  readonly #metaListeners: MetaListener[] = [];
  readonly #revKey = new Uint8Array(REV_BYTES_LEN);

  #rev = 1;
  #headRev = 1;
  #seq = 0;
  #headSeq = 0;
  #compactRev = 0;
  #liveKeyCount = 0;
  #headCompactRev = 0;
  #compactDone = 0;
  #term = 0;
  #batch: Batch | undefined;
  #replayBatch = 0;
  readonly #lazy: MvccOptions["lazyFlush"];
  /** Committed engine ops not yet written (lazy flush). */
  #unflushedOps: BackendBatch | undefined;
  /** Committed records not yet in the engine, by main revision. */
  readonly #unflushed = new Map<number, LogRecord[]>();
  #unflushedRecords = 0;
  #flushedSeq = 0;

  private constructor(backend: Backend, options: MvccOptions) {
    this.#backend = backend;
    this.#cache = new ValueCache(options.cacheBytes ?? 64 * 1024 * 1024);
    this.#maxTxnOps = options.maxTxnOps ?? DEFAULT_MAX_TXN_OPS;
    this.lessor = new Lessor(options.now ?? (() => performance.now()));
    this.#lazy = options.lazyFlush;
  }

  /**
   * Opens the store over `backend`: reads the meta rows, rebuilds the key index by scanning the
   * log once (as etcd rebuilds its treeIndex), and loads the leases.
   */
  static open(backend: Backend, options: MvccOptions = {}): MvccStore {
    const s = new MvccStore(backend, options);
    s.#load();
    return s;
  }

  /** Keys whose newest record is not a tombstone (etcd's `etcd_debugging_mvcc_keys_total`). */
  get liveKeys(): number {
    return this.#liveKeyCount;
  }

  /** The newest durable revision (etcd's current revision; 1 for an empty store). */
  get revision(): number {
    return this.#rev;
  }

  /** The compact revision visible to readers (0 when never compacted). */
  get compactRevision(): number {
    return this.#compactRev;
  }

  /** How far physical compaction has gone (records below it are gone). */
  get compactedThrough(): number {
    return this.#compactDone;
  }

  /** The sequence of the newest applied WAL entry. */
  get appliedSeq(): number {
    return this.#seq;
  }

  /** The sequence the engine holds (below {@linkcode appliedSeq} while a lazy flush waits). */
  get flushedSeq(): number {
    return this.#flushedSeq;
  }

  /** Committed records waiting for {@linkcode flush}. */
  get unflushedRecords(): number {
    return this.#unflushedRecords;
  }

  /**
   * Writes every committed batch not yet in the engine, in one engine transaction (a batch
   * still open is not part of it). On failure nothing is written and the records stay in
   * memory; the caller should stop taking writes (the engine is failing).
   */
  flush(): void {
    const ops = this.#unflushedOps;
    if (!ops || ops.size === 0) return;
    this.#backend.write(ops);
    ops.clear();
    this.#unflushed.clear();
    this.#unflushedRecords = 0;
    this.#flushedSeq = this.#seq;
  }

  /** The term written into new records. */
  get term(): number {
    return this.#term;
  }

  set term(term: number) {
    this.#term = term;
  }

  /** Whether a batch is open. */
  get inBatch(): boolean {
    return this.#batch !== undefined;
  }

  /** Registers a listener for committed batches (the watch hub). */
  onCommit(listener: CommitListener): void {
    this.#listeners.push(listener);
  }

  /** Registers a listener for committed meta-keyspace changes (auth state caches). */
  onMeta(listener: MetaListener): void {
    this.#metaListeners.push(listener);
  }

  // ---------------------------------------------------------------- loading

  #load(): void {
    const b = this.#backend;
    const meta = (k: string) => b.get(META, keyToBytes(k));
    this.#seq = this.#headSeq = this.#flushedSeq = readU64(meta(SYS_SEQ));
    this.#rev = this.#headRev = Math.max(1, readU64(meta(SYS_REV)));
    this.#compactRev = this.#headCompactRev = readU64(meta(SYS_COMPACT));
    this.#compactDone = readU64(meta(SYS_COMPACT_DONE));
    this.#term = readU64(meta(SYS_TERM));

    const start = keyToBytes(LEASE_PREFIX);
    const end = keyToBytes("lease0");
    b.scan(META, start, end, {}, (k, v) => {
      const { id, ttl } = decodeLeaseMeta(bytesToKey(k), v);
      this.lessor.grant(id, ttl);
    });
    this.#rebuildIndex();
  }

  /**
   * Rebuilds the key index from one scan of the log (as etcd rebuilds its treeIndex): the last
   * record of each key wins. Reads the record headers straight out of the scan blocks (no
   * per-row objects), then sorts the keys once and bulk-builds the tree.
   */
  #rebuildIndex(): void {
    const heads = new Map<string, KeyIndex>();
    let view: DataView | undefined;
    let viewOf: ArrayBufferLike | undefined;
    this.#backend.scanRaw(LOG, new Uint8Array(0), undefined, {}, (bytes, ks, kl, vs, vl) => {
      if (viewOf !== bytes.buffer) {
        view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        viewOf = bytes.buffer;
      }
      const dv = view!;
      // Check the lengths before reading the key length: a short record would make the read
      // run past the scan block (a bare RangeError) or into the next record.
      const keyLen = kl === REV_BYTES_LEN && vl >= RECORD_HEADER_LEN ? dv.getUint32(vs + 37) : -1;
      if (keyLen < 0 || RECORD_HEADER_LEN + keyLen > vl) {
        throw new KvError("engine", `Cannot rebuild the key index: a log record is malformed`);
      }
      const kStart = vs + RECORD_HEADER_LEN;
      let key: string;
      if (keyLen <= 64) {
        const codes = charBuffers[keyLen]!;
        for (let i = 0; i < keyLen; i++) codes[i] = bytes[kStart + i]!;
        key = String.fromCharCode.apply(null, codes);
      } else key = bytesToKey(bytes.subarray(kStart, kStart + keyLen));
      let ki = heads.get(key);
      if (!ki) {
        ki = new KeyIndex(key);
        heads.set(key, ki);
      }
      ki.modMain = dv.getUint32(ks) * 0x1_0000_0000 + dv.getUint32(ks + 4);
      ki.modSub = dv.getUint32(ks + 8);
      ki.createRevision = dv.getUint32(vs + 1) * 0x1_0000_0000 + dv.getUint32(vs + 5);
      ki.version = dv.getUint32(vs + 21) * 0x1_0000_0000 + dv.getUint32(vs + 25);
      const hi = dv.getUint32(vs + 29);
      const lo = dv.getUint32(vs + 33);
      ki.lease = hi === 0 && lo === 0 ? 0n : BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
    });
    const live: KeyIndex[] = [];
    const lessor = this.lessor;
    for (const ki of heads.values()) {
      if (ki.version === 0) {
        if (ki.modMain < this.#compactRev) {
          heads.delete(ki.key);
          continue;
        }
      } else if (ki.lease !== 0n) lessor.attach(ki.lease, ki.key);
      live.push(ki);
    }
    live.sort((a, b) => (a.key < b.key ? -1 : 1));
    this.index.load(heads, live);
    this.#liveKeyCount = 0;
    for (const ki of live) if (ki.version !== 0) this.#liveKeyCount++;
  }

  // ---------------------------------------------------------------- reading

  #view(): View {
    return { rev: this.#rev, compactRev: this.#compactRev };
  }

  #headView(): View {
    return { rev: this.#headRev, compactRev: this.#headCompactRev };
  }

  /** Reads the record at `main/sub` from the open batch or the engine. */
  readRecord(main: number, sub: number): LogRecord | undefined {
    const pending = this.#batch?.pending.get(main)?.[sub] ?? this.#unflushed.get(main)?.[sub];
    if (pending) return pending;
    writeRevision(this.#revKey, 0, main, sub);
    const bytes = this.#backend.get(LOG, this.#revKey);
    return bytes ? decodeRecord(main, sub, bytes, false) : undefined;
  }

  #value(ki: KeyIndex): Uint8Array {
    if (ki.value !== undefined) return ki.value;
    const rec = this.readRecord(ki.modMain, ki.modSub);
    if (!rec) {
      throw new KvError(
        "engine",
        `Cannot read key ${JSON.stringify(ki.key)}: record ${ki.modMain}/${ki.modSub} is missing`,
      );
    }
    this.#cache.admit(ki, rec.value);
    return rec.value;
  }

  /** The key's state at `rev`, or undefined when it did not exist then. */
  #kvAt(ki: KeyIndex, view: View, withValue: boolean): Kv | undefined {
    if (ki.modMain <= view.rev) {
      if (ki.version === 0) return undefined;
      return {
        key: ki.key,
        value: withValue ? this.#value(ki) : EMPTY,
        createRevision: ki.createRevision,
        modRevision: ki.modMain,
        version: ki.version,
        lease: ki.lease,
      };
    }
    let main = ki.modMain;
    let sub = ki.modSub;
    for (;;) {
      const rec = this.readRecord(main, sub);
      if (!rec) {
        if (main <= view.compactRev) return undefined; // a compacted tombstone
        throw new KvError(
          "engine",
          `Cannot read key ${JSON.stringify(ki.key)}: record ${main}/${sub} is missing`,
        );
      }
      if (main <= view.rev) {
        if (rec.tombstone) return undefined;
        return {
          key: rec.key,
          value: withValue ? rec.value : EMPTY,
          createRevision: rec.createRevision,
          modRevision: rec.main,
          version: rec.version,
          lease: rec.lease,
        };
      }
      if (rec.prevMain === 0) return undefined;
      main = rec.prevMain;
      sub = rec.prevSub;
    }
  }

  #existsAt(ki: KeyIndex, view: View): boolean {
    if (ki.modMain <= view.rev) return ki.version !== 0;
    return this.#kvAt(ki, view, false) !== undefined;
  }

  #visit(range: KeyRange, visit: (ki: KeyIndex) => boolean | void): void {
    if (range.end === null) {
      const ki = this.index.get(range.start);
      if (ki) visit(ki);
      return;
    }
    if (range.end !== undefined && range.end <= range.start) return;
    this.index.scan(range.start, range.end, visit);
  }

  /** etcd's Range at the visible revision. */
  range(r: RangeRequest): RangeResponse {
    checkRange(r);
    return this.#range(r, this.#view());
  }

  #range(r: RangeRequest, view: View): RangeResponse {
    let rev = r.revision ?? 0;
    if (rev > view.rev) throw new FutureRevisionError();
    if (rev <= 0) rev = view.rev;
    if (rev < view.compactRev) throw new CompactedError(view.compactRev);
    const at: View = { rev, compactRev: view.compactRev };
    const range = toKeyRange(r.key, r.rangeEnd);
    if (r.countOnly) {
      let count = 0;
      this.#visit(range, (ki) => {
        if (this.#existsAt(ki, at)) count++;
      });
      return { revision: view.rev, kvs: [], more: false, count };
    }
    const limit = scanLimit(r);
    // etcd drops values for keys_only after sorting, so a value sort still needs them
    const withValue = !r.keysOnly || (r.sortTarget === "value");
    const kvs: Kv[] = [];
    let count = 0;
    this.#visit(range, (ki) => {
      if (limit === 0 || kvs.length < limit) {
        const kv = this.#kvAt(ki, at, withValue);
        if (kv) {
          count++;
          kvs.push(kv);
        }
      } else if (this.#existsAt(ki, at)) count++;
    });
    const done = finishRange(r, kvs);
    if (r.keysOnly && withValue) { for (const kv of done.kvs) kv.value = EMPTY; }
    return { revision: view.rev, kvs: done.kvs, more: done.more, count };
  }

  /** The state of one key at the visible revision (a fast path for point reads). */
  get(key: string, revision = 0): Kv | undefined {
    const view = this.#view();
    if (revision > view.rev) throw new FutureRevisionError();
    if (revision > 0 && revision < view.compactRev) throw new CompactedError(view.compactRev);
    const ki = this.index.get(key);
    if (!ki) return undefined;
    return this.#kvAt(
      ki,
      revision > 0 ? { rev: revision, compactRev: view.compactRev } : view,
      true,
    );
  }

  /** The Kv of a record (for watch events and history). */
  recordKv(rec: LogRecord): Kv {
    return {
      key: rec.key,
      value: rec.tombstone ? EMPTY : rec.value,
      createRevision: rec.createRevision,
      modRevision: rec.main,
      version: rec.version,
      lease: rec.lease,
    };
  }

  /** The live key-value a record replaced, if any (etcd's `prev_kv`). */
  prevKv(rec: LogRecord): Kv | undefined {
    if (rec.prevMain === 0) return undefined;
    const prev = this.readRecord(rec.prevMain, rec.prevSub);
    if (!prev || prev.tombstone) return undefined;
    return this.recordKv(prev);
  }

  /**
   * Visits committed records with `fromRev <= main <= toRev` in revision order, at most
   * `limit` of them; returns how many it visited. Records are decoded with owned values.
   */
  scanLog(fromRev: number, toRev: number, limit: number, visit: (rec: LogRecord) => void): number {
    this.flush();
    return this.#backend.scan(
      LOG,
      encodeRevision(fromRev, 0),
      encodeRevision(toRev + 1, 0),
      { limit },
      (k, v) => visit(decodeRecord(revisionMain(k), revisionSub(k), v, true)),
    );
  }

  /** Lease information as etcd's LeaseTimeToLive reports it. */
  leaseInfo(id: bigint, withKeys: boolean): LeaseInfo {
    const lease = this.lessor.get(id);
    if (!lease) return { id, ttl: -1, grantedTtl: 0, keys: [] };
    return {
      id,
      ttl: this.lessor.remaining(id),
      grantedTtl: lease.ttl,
      keys: withKeys ? [...lease.keys].sort() : [],
    };
  }

  // ---------------------------------------------------------------- batches

  /** Opens a batch; every write call until commit or abort belongs to it. */
  beginBatch(): void {
    if (this.#batch) throw new Error("MvccStore.beginBatch(): a batch is already open");
    this.#batch = {
      undo: [],
      meta: [],
      records: [],
      engine: this.#backend.createBatch(),
      events: [],
      pending: new Map(),
      replay: false,
    };
  }

  /** The WAL records the open batch produced so far. */
  batchRecords(): readonly StoreRecord[] {
    return this.#requireBatch().records;
  }

  /**
   * Makes the open batch durable in the engine and visible: one engine transaction with every
   * record and the meta rows, then the visible revision moves to the head and listeners hear
   * about the new records. Throws (leaving the batch open for `abortBatch`) if the engine
   * write fails.
   */
  commitBatch(): void {
    const batch = this.#requireBatch();
    const lazy = this.#lazy;
    if (batch.records.length > 0) {
      this.#writeMeta(batch.engine);
      if (lazy) {
        (this.#unflushedOps ??= this.#backend.createBatch()).append(batch.engine);
        for (const [main, subs] of batch.pending) this.#unflushed.set(main, subs);
        this.#unflushedRecords += batch.records.length;
      } else this.#backend.write(batch.engine);
    }
    this.#batch = undefined;
    this.#seq = this.#headSeq;
    this.#rev = this.#headRev;
    this.#compactRev = this.#headCompactRev;
    if (!lazy) this.#flushedSeq = this.#seq;
    else if (batch.records.length > 0) {
      let flushed = false;
      if (
        this.#unflushedRecords >= lazy.maxRecords ||
        this.#unflushedOps!.byteLength >= lazy.maxBytes
      ) {
        try {
          this.flush();
          flushed = true;
        } catch { /* the batch is committed (the WAL has it); the owner's flush reports it */ }
      }
      if (!flushed) lazy.pending();
    }
    if (batch.meta.length > 0) {
      for (const l of this.#metaListeners) l(batch.meta);
    }
    if (batch.events.length > 0 && !batch.replay) {
      for (const l of this.#listeners) l(batch.events, this.#rev);
    }
  }

  /** Undoes every effect of the open batch on the head and closes it. */
  abortBatch(): void {
    const batch = this.#requireBatch();
    for (let i = batch.undo.length - 1; i >= 0; i--) batch.undo[i]!();
    this.#batch = undefined;
    this.#headSeq = this.#seq;
    this.#headRev = this.#rev;
    this.#headCompactRev = this.#compactRev;
  }

  #writeMeta(engine: BackendBatch): void {
    engine.put(META, keyToBytes(SYS_SEQ), u64(this.#headSeq));
    engine.put(META, keyToBytes(SYS_REV), u64(this.#headRev));
    engine.put(META, keyToBytes(SYS_TERM), u64(this.#term));
    engine.put(META, keyToBytes(SYS_COMPACT), u64(this.#headCompactRev));
  }

  #requireBatch(): Batch {
    const b = this.#batch;
    if (!b) throw new Error("MvccStore: no batch is open");
    return b;
  }

  /** Records `ops` as the next WAL entry of the batch. */
  #emit(batch: Batch, ops: EntryOp[], changed: boolean): void {
    if (ops.length === 0) return;
    const seq = ++this.#headSeq;
    if (changed) this.#headRev++;
    batch.records.push({ seq, term: this.#term, rev: this.#headRev, data: encodeEntry(ops) });
  }

  // ---------------------------------------------------------------- applying ops to the head

  #snapshot(batch: Batch, ki: KeyIndex, inserted: boolean): void {
    if (inserted) {
      batch.undo.push(() => this.index.remove(ki.key));
      return;
    }
    const { modMain, modSub, createRevision, version, lease, value } = ki;
    batch.undo.push(() => {
      ki.modMain = modMain;
      ki.modSub = modSub;
      ki.createRevision = createRevision;
      ki.version = version;
      ki.lease = lease;
      ki.value = value;
      if (!this.index.get(ki.key)) this.index.insert(ki);
    });
  }

  #addRecord(batch: Batch, rec: LogRecord): void {
    let subs = batch.pending.get(rec.main);
    if (!subs) batch.pending.set(rec.main, subs = []);
    subs[rec.sub] = rec;
    writeRevision(this.#revKey, 0, rec.main, rec.sub);
    batch.engine.put(LOG, this.#revKey, encodeRecord(rec));
    batch.events.push(rec);
  }

  #leaseMove(batch: Batch, key: string, from: bigint, to: bigint): void {
    if (from === to) return;
    this.lessor.detach(from, key);
    this.lessor.attach(to, key);
    batch.undo.push(() => {
      this.lessor.detach(to, key);
      this.lessor.attach(from, key);
    });
  }

  #applyPut(
    batch: Batch,
    key: string,
    value: Uint8Array,
    lease: bigint,
    rev: number,
    sub: number,
  ): LogRecord {
    let ki = this.index.get(key);
    const inserted = !ki;
    if (!ki) {
      ki = new KeyIndex(key);
      this.index.insert(ki);
    }
    this.#snapshot(batch, ki, inserted);
    const created = ki.version === 0;
    if (created) {
      this.#liveKeyCount++;
      batch.undo.push(() => void this.#liveKeyCount--);
    }
    const rec: LogRecord = {
      key,
      main: rev,
      sub,
      tombstone: false,
      createRevision: created ? rev : ki.createRevision,
      version: created ? 1 : ki.version + 1,
      lease,
      prevMain: inserted ? 0 : ki.modMain,
      prevSub: inserted ? 0 : ki.modSub,
      value,
    };
    this.#leaseMove(batch, key, created ? 0n : ki.lease, lease);
    ki.modMain = rev;
    ki.modSub = sub;
    ki.createRevision = rec.createRevision;
    ki.version = rec.version;
    ki.lease = lease;
    this.#cache.admit(ki, value);
    this.#addRecord(batch, rec);
    return rec;
  }

  #applyDelete(batch: Batch, ki: KeyIndex, rev: number, sub: number): LogRecord {
    this.#snapshot(batch, ki, false);
    this.#liveKeyCount--;
    batch.undo.push(() => void this.#liveKeyCount++);
    const rec: LogRecord = {
      key: ki.key,
      main: rev,
      sub,
      tombstone: true,
      createRevision: 0,
      version: 0,
      lease: 0n,
      prevMain: ki.modMain,
      prevSub: ki.modSub,
      value: EMPTY,
    };
    this.#leaseMove(batch, ki.key, ki.lease, 0n);
    ki.modMain = rev;
    ki.modSub = sub;
    ki.createRevision = 0;
    ki.version = 0;
    ki.lease = 0n;
    ki.value = undefined;
    this.#addRecord(batch, rec);
    return rec;
  }

  /** Live keys in `range` at the head, in key order. */
  #liveKeys(range: KeyRange): KeyIndex[] {
    const out: KeyIndex[] = [];
    this.#visit(range, (ki) => {
      if (ki.version !== 0) out.push(ki);
    });
    return out;
  }

  #applyGrant(batch: Batch, id: bigint, ttl: number): void {
    this.lessor.grant(id, ttl);
    batch.undo.push(() => this.lessor.remove(id));
    batch.engine.put(META, keyToBytes(leaseMetaKey(id)), encodeLeaseMeta(ttl));
  }

  /** Deletes the lease's keys at `rev` (subs from `sub`); returns how many. */
  #applyRevoke(batch: Batch, id: bigint, rev: number, sub: number): number {
    const lease = this.lessor.get(id);
    if (!lease) return 0;
    const keys = [...lease.keys].sort();
    let n = 0;
    for (const key of keys) {
      const ki = this.index.get(key);
      if (ki && ki.version !== 0) this.#applyDelete(batch, ki, rev, sub + n++);
    }
    this.lessor.remove(id);
    batch.undo.push(() => this.lessor.restore(lease));
    batch.engine.delete(META, keyToBytes(leaseMetaKey(id)));
    return n;
  }

  #applyCompact(batch: Batch, rev: number): void {
    const before = this.#headCompactRev;
    this.#headCompactRev = rev;
    batch.undo.push(() => (this.#headCompactRev = before));
  }

  // ---------------------------------------------------------------- writes (evaluated at the head)

  /** etcd's Put, evaluated at the head of the open batch. */
  put(r: PutRequest): PutResponse {
    checkPut(r);
    const batch = this.#requireBatch();
    const view = this.#headView();
    const prev = this.#prepare(r, view);
    const rev = this.#headRev + 1;
    const lease = r.ignoreLease ? (prev?.lease ?? 0n) : (r.lease ?? 0n);
    const value = r.ignoreValue ? prev!.value : r.value;
    this.#applyPut(batch, r.key, value, lease, rev, 0);
    this.#emit(batch, [{ op: "put", key: r.key, value, lease }], true);
    const out: PutResponse = { revision: rev };
    if (r.prevKv && prev) out.prevKv = prev;
    return out;
  }

  /** Checks a put's preconditions against `view`; returns the key's current state if needed. */
  #prepare(r: PutRequest, view: View): Kv | undefined {
    let prev: Kv | undefined;
    if (r.ignoreValue || r.ignoreLease || r.prevKv) {
      const ki = this.index.get(r.key);
      prev = ki ? this.#kvAt(ki, view, true) : undefined;
    }
    if ((r.ignoreValue || r.ignoreLease) && !prev) {
      throw new InvalidRequestError("key-not-found", "key not found");
    }
    const lease = r.lease ?? 0n;
    if (!r.ignoreLease && lease !== 0n && !this.lessor.get(lease)) {
      throw new LeaseError("lease-not-found", "requested lease not found");
    }
    return prev;
  }

  /** etcd's DeleteRange, evaluated at the head of the open batch. */
  deleteRange(r: DeleteRangeRequest): DeleteRangeResponse {
    checkDeleteRange(r);
    const batch = this.#requireBatch();
    const range = toKeyRange(r.key, r.rangeEnd);
    const keys = this.#liveKeys(range);
    if (keys.length === 0) {
      const out: DeleteRangeResponse = { revision: this.#headRev, deleted: 0 };
      if (r.prevKv) out.prevKvs = [];
      return out;
    }
    const rev = this.#headRev + 1;
    const view = this.#headView();
    const prevKvs = r.prevKv ? keys.map((ki) => this.#kvAt(ki, view, true)!) : undefined;
    keys.forEach((ki, i) => this.#applyDelete(batch, ki, rev, i));
    this.#emit(batch, [this.#deleteOp(range)], true);
    const out: DeleteRangeResponse = { revision: rev, deleted: keys.length };
    if (prevKvs) out.prevKvs = prevKvs;
    return out;
  }

  #deleteOp(range: KeyRange): EntryOp {
    return range.end === null
      ? { op: "delete", key: range.start }
      : { op: "deleteRange", key: range.start, end: range.end };
  }

  /** etcd's Txn, evaluated at the head of the open batch. */
  txn(r: TxnRequest): TxnResponse {
    checkTxn(r, this.#maxTxnOps);
    const batch = this.#requireBatch();
    const view = this.#headView();
    const path = this.#comparePath(r, view);
    this.#checkPath(r, path.slice(), view);
    const ops: EntryOp[] = [];
    const state = { rev: this.#headRev + 1, sub: 0, changed: false };
    const resp = this.#runTxn(batch, r, path, view, ops, state);
    this.#emit(batch, ops, state.changed);
    return { ...resp, revision: this.#headRev };
  }

  /** Evaluates every compare of the txn tree up front, as etcd's `compareToPath`. */
  #comparePath(r: TxnRequest, view: View): boolean[] {
    const path: boolean[] = [];
    const walk = (t: TxnRequest) => {
      const ok = t.compare.every((c) => this.#compare(c, view));
      path.push(ok);
      for (const op of ok ? t.success : t.failure) if (op.txn) walk(op.txn);
    };
    walk(r);
    return path;
  }

  #compare(c: Compare, view: View): boolean {
    const range = toKeyRange(c.key, c.rangeEnd);
    let any = false;
    let ok = true;
    this.#visit(range, (ki) => {
      const kv = this.#kvAt(ki, view, c.target === "value");
      if (!kv) return;
      any = true;
      if (!compareKv(c, kv)) {
        ok = false;
        return false;
      }
    });
    if (!any) return c.target === "value" ? false : compareKv(c, undefined);
    return ok;
  }

  /** etcd's `checkRequests` with checkPut and checkRange along the chosen path. */
  #checkPath(r: TxnRequest, path: boolean[], view: View): void {
    const ok = path.shift()!;
    for (const op of ok ? r.success : r.failure) {
      if (op.txn) this.#checkPath(op.txn, path, view);
      else if (op.put) this.#prepare({ ...op.put, prevKv: false }, view);
      else if (op.range) {
        const rev = op.range.revision ?? 0;
        if (rev > view.rev) throw new FutureRevisionError();
        if (rev > 0 && rev < view.compactRev) throw new CompactedError(view.compactRev);
      }
    }
  }

  #runTxn(
    batch: Batch,
    r: TxnRequest,
    path: boolean[],
    view: View,
    ops: EntryOp[],
    state: { rev: number; sub: number; changed: boolean },
  ): TxnResponse {
    const succeeded = path.shift()!;
    const responses: ResponseOp[] = [];
    for (const op of succeeded ? r.success : r.failure) {
      responses.push(this.#runOp(batch, op, path, view, ops, state));
    }
    return { revision: 0, succeeded, responses };
  }

  #runOp(
    batch: Batch,
    op: RequestOp,
    path: boolean[],
    view: View,
    ops: EntryOp[],
    state: { rev: number; sub: number; changed: boolean },
  ): ResponseOp {
    const cur = (): View => ({
      rev: state.changed ? state.rev : this.#headRev,
      compactRev: view.compactRev,
    });
    if (op.range) return { range: this.#range(op.range, cur()) };
    if (op.put) {
      const p = op.put;
      const ki = this.index.get(p.key);
      const prev = ki ? this.#kvAt(ki, cur(), true) : undefined;
      // checkPath proved the key exists for ignore_value/ignore_lease; only a from-key delete
      // earlier in the same txn (which etcd's duplicate check lets through) can remove it.
      const lease = p.ignoreLease ? (prev?.lease ?? 0n) : (p.lease ?? 0n);
      const value = p.ignoreValue ? (prev?.value ?? EMPTY) : p.value;
      this.#applyPut(batch, p.key, value, lease, state.rev, state.sub++);
      state.changed = true;
      ops.push({ op: "put", key: p.key, value, lease });
      const out: PutResponse = { revision: state.rev };
      if (p.prevKv && prev) out.prevKv = prev;
      return { put: out };
    }
    if (op.deleteRange) {
      const d = op.deleteRange;
      const range = toKeyRange(d.key, d.rangeEnd);
      const keys = this.#liveKeys(range);
      const at = cur();
      const out: DeleteRangeResponse = { revision: at.rev, deleted: keys.length };
      if (d.prevKv) out.prevKvs = keys.map((ki) => this.#kvAt(ki, at, true)!);
      if (keys.length > 0) {
        for (const ki of keys) this.#applyDelete(batch, ki, state.rev, state.sub++);
        state.changed = true;
        ops.push(this.#deleteOp(range));
        out.revision = state.rev;
      }
      return { deleteRange: out };
    }
    const inner = this.#runTxn(batch, op.txn!, path, view, ops, state);
    inner.revision = state.changed ? state.rev : this.#headRev;
    return { txn: inner };
  }

  /** etcd's Compact, evaluated at the head: validates and schedules it. */
  compact(revision: number): { revision: number } {
    const batch = this.#requireBatch();
    if (revision <= this.#headCompactRev) throw new CompactedError(this.#headCompactRev);
    if (revision > this.#headRev) throw new FutureRevisionError();
    this.#applyCompact(batch, revision);
    this.#emit(batch, [{ op: "compact", revision }], false);
    return { revision: this.#headRev };
  }

  /** etcd's LeaseGrant: `id` 0 picks a fresh ID. Returns the ID and the effective TTL. */
  grantLease(id: bigint, ttl: number): { id: bigint; ttl: number } {
    const batch = this.#requireBatch();
    if (ttl > MAX_LEASE_TTL) throw new LeaseError("lease-ttl-too-large", "too large lease TTL");
    const effective = Math.max(MIN_LEASE_TTL, Math.ceil(ttl));
    if (id === 0n) id = this.#freshLeaseId();
    else if (this.lessor.get(id)) throw new LeaseError("lease-exists", "lease already exists");
    this.#applyGrant(batch, id, effective);
    this.#emit(batch, [{ op: "grant", lease: id, ttl: effective }], false);
    return { id, ttl: effective };
  }

  #freshLeaseId(): bigint {
    const buf = new Uint32Array(2);
    for (;;) {
      crypto.getRandomValues(buf);
      // positive and below 2^53, so every client (and JSON) represents it exactly
      const id = (BigInt(buf[0]! & 0x1f_ffff) << 32n) | BigInt(buf[1]!);
      if (id !== 0n && !this.lessor.get(id)) return id;
    }
  }

  /** etcd's LeaseRevoke: deletes every attached key at one revision, then the lease. */
  revokeLease(id: bigint): { revision: number } {
    const batch = this.#requireBatch();
    if (!this.lessor.get(id)) throw new LeaseError("lease-not-found", "requested lease not found");
    const n = this.#applyRevoke(batch, id, this.#headRev + 1, 0);
    this.#emit(batch, [{ op: "revoke", lease: id }], n > 0);
    return { revision: this.#headRev };
  }

  /** Writes or deletes rows of the non-revisioned meta keyspace (auth state) as one entry. */
  putMeta(puts: readonly { key: string; value: Uint8Array | undefined }[]): void {
    const batch = this.#requireBatch();
    const ops: EntryOp[] = [];
    for (const p of puts) {
      this.#applyMeta(batch, p.key, p.value);
      ops.push(
        p.value ? { op: "metaPut", key: p.key, value: p.value } : { op: "metaDelete", key: p.key },
      );
    }
    this.#emit(batch, ops, false);
  }

  #applyMeta(batch: Batch, key: string, value: Uint8Array | undefined): void {
    if (key.startsWith("sys/") || key.startsWith(LEASE_PREFIX)) {
      throw new Error(`MvccStore.putMeta(): key ${JSON.stringify(key)} is reserved`);
    }
    if (value) batch.engine.put(META, keyToBytes(key), value);
    else batch.engine.delete(META, keyToBytes(key));
    batch.meta.push({ key, value });
  }

  /**
   * Registers `undo` to run if the open batch is aborted, for state a job keeps outside the
   * store (e.g. an auth cache updated as a request is evaluated).
   */
  addUndo(undo: () => void): void {
    this.#requireBatch().undo.push(undo);
  }

  /** Reads a row of the meta keyspace (committed state). */
  getMeta(key: string): Uint8Array | undefined {
    this.flush();
    return this.#backend.get(META, keyToBytes(key));
  }

  /** Visits committed meta rows whose key starts with `prefix`, in key order (owned values). */
  scanMeta(prefix: string, visit: (key: string, value: Uint8Array) => void): void {
    if (prefix.startsWith("sys/") || prefix.startsWith(LEASE_PREFIX)) {
      throw new Error(`MvccStore.scanMeta(): prefix ${JSON.stringify(prefix)} is reserved`);
    }
    this.flush();
    const end = prefixEnd(prefix);
    this.#backend.scan(
      META,
      keyToBytes(prefix),
      end === "\0" ? undefined : keyToBytes(end),
      {},
      (k, v) => visit(bytesToKey(k), v.slice()),
    );
  }

  // ---------------------------------------------------------------- replay

  /**
   * Applies a WAL record during recovery. Records must arrive in sequence order, starting right
   * after {@linkcode appliedSeq}; a record that is already applied is skipped. Records are
   * grouped into engine transactions of up to `groupSize`; call {@linkcode finishReplay} after
   * the last one.
   */
  replay(rec: StoreRecord, groupSize = 1000): void {
    if (rec.seq <= this.#headSeq) return;
    if (rec.seq !== this.#headSeq + 1) {
      throw new Error(
        `Cannot replay WAL entry seq ${rec.seq}: the store is at seq ${this.#headSeq}, so entries are missing`,
      );
    }
    if (!this.#batch) {
      this.beginBatch();
      this.#batch!.replay = true;
    }
    const batch = this.#batch!;
    this.#applyRecord(batch, rec);
    batch.records.push(rec);
    batch.events.length = 0;
    if (++this.#replayBatch >= groupSize) this.finishReplay();
  }

  /**
   * Applies WAL records received from a leader, in one engine transaction, as a live batch:
   * watchers get their events. Records at or below the applied sequence are skipped; a gap
   * throws. (A follower calls this only with records the leader has committed.)
   */
  applyReplicated(records: readonly StoreRecord[]): void {
    const fresh = records.filter((r) => r.seq > this.#headSeq);
    if (fresh.length === 0) return;
    this.beginBatch();
    try {
      for (const rec of fresh) {
        if (rec.seq !== this.#headSeq + 1) {
          throw new Error(
            `Cannot apply WAL entry seq ${rec.seq}: the store is at seq ${this.#headSeq}, so entries are missing`,
          );
        }
        this.#applyRecord(this.#batch!, rec);
        this.#batch!.records.push(rec);
      }
      this.commitBatch();
    } catch (err: unknown) {
      if (this.#batch) this.abortBatch();
      throw err;
    }
  }

  /** Applies one WAL record's ops to the open batch at the next revision. */
  #applyRecord(batch: Batch, rec: StoreRecord): void {
    let ops: EntryOp[];
    try {
      ops = decodeEntry(rec.data);
    } catch (err: unknown) {
      throw new Error(`Cannot apply WAL entry seq ${rec.seq}`, { cause: err });
    }
    const rev = this.#headRev + 1;
    let sub = 0;
    for (const o of ops) {
      switch (o.op) {
        case "put":
          this.#applyPut(batch, o.key, o.value, o.lease, rev, sub++);
          break;
        case "delete": {
          const ki = this.index.get(o.key);
          if (ki && ki.version !== 0) this.#applyDelete(batch, ki, rev, sub++);
          break;
        }
        case "deleteRange":
          for (const ki of this.#liveKeys({ start: o.key, end: o.end })) {
            this.#applyDelete(batch, ki, rev, sub++);
          }
          break;
        case "grant":
          this.#applyGrant(batch, o.lease, o.ttl);
          break;
        case "revoke":
          sub += this.#applyRevoke(batch, o.lease, rev, sub);
          break;
        case "compact":
          this.#applyCompact(batch, o.revision);
          break;
        case "metaPut":
          this.#applyMeta(batch, o.key, o.value);
          break;
        case "metaDelete":
          this.#applyMeta(batch, o.key, undefined);
          break;
      }
    }
    this.#headSeq = rec.seq;
    if (sub > 0) this.#headRev = rev;
    if (this.#headRev !== rec.rev) {
      throw new Error(
        `Cannot apply WAL entry seq ${rec.seq}: it records revision ${rec.rev} but replay produced ${this.#headRev}`,
      );
    }
  }

  /** Commits the replayed records still pending (see {@linkcode replay}). */
  finishReplay(): void {
    this.#replayBatch = 0;
    if (this.#batch?.replay) this.commitBatch();
  }

  // ---------------------------------------------------------------- physical compaction

  /**
   * Runs one bounded step of physical compaction towards the visible compact revision:
   * deletes, in one engine transaction, each record superseded by a newer record below the
   * compact revision and every tombstone below it, and drops compacted tombstones from the
   * index. Records at exactly the compact revision keep their predecessor (watchers starting
   * there need it for `prev_kv`); the next compaction removes it. Returns true when done.
   */
  compactStep(maxRecords = 10_000): boolean {
    const target = this.#compactRev;
    if (this.#compactDone >= target) return true;
    this.flush();
    const engine = this.#backend.createBatch();
    let lastMain = this.#compactDone;
    let rows = 0;
    const del = new Uint8Array(REV_BYTES_LEN);
    let limit = maxRecords;
    for (;;) {
      rows = this.#backend.scan(
        LOG,
        encodeRevision(this.#compactDone, 0),
        encodeRevision(target + 1, 0),
        { limit },
        (k, v) => {
          const main = revisionMain(k);
          lastMain = main;
          if (main >= target) return;
          const tombstone = (v[0]! & 1) !== 0;
          const dv = new DataView(v.buffer, v.byteOffset, RECORD_HEADER_LEN);
          const prevMain = dv.getUint32(9) * 0x1_0000_0000 + dv.getUint32(13);
          if (prevMain !== 0) {
            writeRevision(del, 0, prevMain, dv.getUint32(17));
            engine.delete(LOG, del);
          }
          if (tombstone) {
            engine.delete(LOG, k);
            const r = decodeRecord(main, revisionSub(k), v, false);
            const ki = this.index.get(r.key);
            if (ki && ki.modMain === r.main && ki.modSub === r.sub) this.index.remove(r.key);
          }
        },
      );
      if (rows < limit || lastMain > this.#compactDone) break;
      limit *= 2; // one revision has more records than the limit: take all of it
    }
    const finished = rows < limit;
    this.#compactDone = finished ? target : lastMain;
    engine.put(META, keyToBytes(SYS_COMPACT_DONE), u64(this.#compactDone));
    this.#backend.write(engine);
    return finished;
  }
}
