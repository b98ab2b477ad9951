/**
 * `t4 inspect`: read-only views of a stopped node's data directory (meta, get, list, count,
 * history, diff). It takes the directory's lock, so it refuses a directory a running server
 * owns, opens the engine and the key index, and never replays or writes the WAL: it shows
 * exactly what the engine file holds (entries still only in the WAL are counted in `meta`).
 *
 * @module
 */

import { Engine } from "../engine/mod.ts";
import { type Kv, MvccStore, prefixEnd } from "../mvcc/mod.ts";
import { listSegmentFiles } from "../wal/mod.ts";
import { dataDirLayout, DataDirLock } from "./data_dir.ts";

/** What `inspect meta` reports. */
export interface InspectMeta {
  dataDir: string;
  revision: number;
  compactRevision: number;
  appliedSeq: number;
  term: number;
  /** Keys with a live value at the current revision. */
  keys: number;
  leases: number;
  engineBytes: number;
  walSegments: number;
}

/** One change between two revisions, as `inspect diff` reports it. */
export interface InspectChange {
  key: string;
  change: "created" | "updated" | "deleted";
  from?: Kv;
  to?: Kv;
}

/** A read-only inspector; close it to release the directory. */
export class Inspector implements AsyncDisposable {
  readonly #lock: DataDirLock;
  readonly #engine: Engine;
  readonly store: MvccStore;
  readonly #dataDir: string;

  private constructor(dataDir: string, lock: DataDirLock, engine: Engine, store: MvccStore) {
    this.#dataDir = dataDir;
    this.#lock = lock;
    this.#engine = engine;
    this.store = store;
  }

  /** Opens `dataDir` for inspection (fails if a server holds it or it has no engine file). */
  static async open(dataDir: string): Promise<Inspector> {
    const layout = dataDirLayout(dataDir);
    try {
      await Deno.stat(layout.engineFile);
    } catch {
      throw new Error(`Cannot inspect "${dataDir}": it holds no engine file (engine.db)`);
    }
    let lock: DataDirLock;
    try {
      lock = await DataDirLock.acquire(layout);
    } catch (err: unknown) {
      const why = err instanceof Error ? err.message : String(err);
      throw new Error(`${why} (stop the server, or read through etcdctl)`, { cause: err });
    }
    try {
      const engine = await Engine.open(layout.engineFile);
      return new Inspector(dataDir, lock, engine, MvccStore.open(engine));
    } catch (err: unknown) {
      lock.close();
      throw err;
    }
  }

  /** The store's counters and sizes. */
  async meta(): Promise<InspectMeta> {
    let keys = 0;
    this.store.index.forEach((ki) => {
      if (ki.version !== 0) keys++;
    });
    const stats = this.#engine.stats();
    return {
      dataDir: this.#dataDir,
      revision: this.store.revision,
      compactRevision: this.store.compactRevision,
      appliedSeq: this.store.appliedSeq,
      term: this.store.term,
      keys,
      leases: this.store.lessor.size,
      engineBytes: stats.fileBytes + stats.walBytes,
      walSegments: (await listSegmentFiles(dataDirLayout(this.#dataDir).walDir)).length,
    };
  }

  /** The key at `revision` (0: current). */
  get(key: string, revision = 0): Kv | undefined {
    return this.store.get(key, revision);
  }

  /** Keys with `prefix` (empty: all), at most `limit`. */
  list(prefix: string, limit: number, revision = 0): Kv[] {
    return this.store.range({
      key: prefix || "\0",
      rangeEnd: prefix ? prefixEnd(prefix) : "\0",
      limit,
      revision,
    })
      .kvs;
  }

  /** Live keys with `prefix`. */
  count(prefix: string): number {
    return this.store.range({
      key: prefix || "\0",
      rangeEnd: prefix ? prefixEnd(prefix) : "\0",
      countOnly: true,
    })
      .count;
  }

  /** Every record of `key` still stored, newest first, at most `limit`. */
  history(key: string, limit: number): (Kv & { deleted: boolean })[] {
    const ki = this.store.index.get(key);
    const out: (Kv & { deleted: boolean })[] = [];
    if (!ki) return out;
    let main = ki.modMain;
    let sub = ki.modSub;
    while (out.length < limit) {
      const rec = this.store.readRecord(main, sub);
      if (!rec) break;
      out.push({ ...this.store.recordKv(rec), deleted: rec.tombstone });
      if (rec.prevMain === 0) break;
      main = rec.prevMain;
      sub = rec.prevSub;
    }
    return out;
  }

  /** Keys with `prefix` that differ between `fromRev` and `toRev` (0: current). */
  diff(prefix: string, fromRev: number, toRev: number): InspectChange[] {
    const to = toRev || this.store.revision;
    const range = { key: prefix || "\0", rangeEnd: prefix ? prefixEnd(prefix) : "\0" };
    const before = new Map(
      this.store.range({ ...range, revision: fromRev }).kvs.map((kv) => [kv.key, kv]),
    );
    const after = new Map(
      this.store.range({ ...range, revision: to }).kvs.map((kv) => [kv.key, kv]),
    );
    const out: InspectChange[] = [];
    for (const [key, kv] of after) {
      const old = before.get(key);
      if (!old) out.push({ key, change: "created", to: kv });
      else if (old.modRevision !== kv.modRevision) {
        out.push({ key, change: "updated", from: old, to: kv });
      }
    }
    for (const [key, kv] of before) {
      if (!after.has(key)) out.push({ key, change: "deleted", from: kv });
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : 1));
  }

  /** Releases the engine and the directory. */
  close(): Promise<void> {
    try {
      this.#engine.close();
    } finally {
      this.#lock.close();
    }
    return Promise.resolve();
  }

  /** Same as {@linkcode Inspector.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
