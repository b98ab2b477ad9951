/**
 * The watch hub: one dispatcher that fans every committed batch out to all watchers in memory,
 * plus a catch-up loop that replays history from the engine for watchers behind the store.
 *
 * Invariants (the ones etcd's robustness suite checks):
 * - Ordered and atomic: a watcher gets whole revisions, in revision order, never split.
 * - Reliable: a watcher is either *synced* (it gets every new batch as it commits) or
 *   *unsynced* with a `nextRev`, and the catch-up loop delivers `[nextRev, current]` from the
 *   log before marking it synced, in the same tick, so no revision falls between the two.
 * - Bounded memory: the hub queues nothing. A sink that cannot take more returns false; the
 *   watcher becomes unsynced at its `nextRev` and resumes from the log when the sink calls
 *   {@linkcode WatchHub.resume} (etcd's "victim" watchers). If compaction overtakes it, it is
 *   cancelled with the compact revision, as in etcd.
 *
 * @module
 */

import { inRange, type KeyRange, toKeyRange } from "./keys.ts";
import type { LogRecord } from "./revision.ts";
import type { MvccStore } from "./store.ts";
import type { Kv } from "./types.ts";

/** One watch event, as etcd's `mvccpb.Event`. */
export interface WatchEvent {
  type: "put" | "delete";
  kv: Kv;
  prevKv?: Kv;
}

/** Where a watcher's events go. */
export interface WatchSink {
  /**
   * Takes the events of one or more whole revisions; `revision` is the header revision to
   * report. Returning false means "no more for now": the watcher pauses until `resume`.
   */
  send(events: WatchEvent[], revision: number): boolean;
  /** The hub cancelled the watcher (history compacted away). */
  cancel(reason: string, compactRevision: number): void;
}

/** What to watch. */
export interface WatchSpec {
  key: string;
  /** etcd semantics: empty = the key, `"\0"` = every key ≥ key, else `[key, rangeEnd)`. */
  rangeEnd?: string;
  /** First revision to deliver; 0 = only what commits from now on. */
  startRevision?: number;
  prevKv?: boolean;
  noPut?: boolean;
  noDelete?: boolean;
}

/** A registered watcher. */
export class Watcher {
  readonly range: KeyRange;
  readonly prevKv: boolean;
  readonly noPut: boolean;
  readonly noDelete: boolean;
  readonly sink: WatchSink;
  /** The next revision this watcher has not been sent yet. */
  nextRev: number;
  synced = false;
  paused = false;
  canceled = false;
  /** Whether its client ever failed to keep up (the sink refused a delivery). */
  fellBehind = false;

  /** Creates a watcher (use {@linkcode WatchHub.watch}). */
  constructor(spec: WatchSpec, sink: WatchSink, nextRev: number) {
    this.range = toKeyRange(spec.key, spec.rangeEnd);
    this.prevKv = spec.prevKv ?? false;
    this.noPut = spec.noPut ?? false;
    this.noDelete = spec.noDelete ?? false;
    this.sink = sink;
    this.nextRev = nextRev;
  }

  #groupKey(): string {
    return `${this.range.start}\u0100${this.range.end ?? "\u0101"}`;
  }

  /** The key of the dispatch group this watcher belongs to. */
  get groupKey(): string {
    return this.#groupKey();
  }
}

interface EventPair {
  plain: WatchEvent;
  withPrev?: WatchEvent;
}

interface Group {
  range: KeyRange;
  watchers: Set<Watcher>;
}

const CATCH_UP_CHUNK = 2000;

/** What the hub reports for metrics. */
export interface WatchHubObserver {
  /**
   * A history scan for lagging watchers: its duration, revisions spanned, records read and
   * events delivered from them.
   */
  scanned?(seconds: number, revisionSpan: number, records: number, matched: number): void;
  /**
   * A watcher whose client had not kept up was cancelled because compaction passed the
   * revision it needed.
   */
  slowCancel?(): void;
}

/** The hub; see the module doc. */
export class WatchHub {
  readonly #store: MvccStore;
  readonly #exact = new Map<string, Set<Watcher>>();
  readonly #ranges = new Map<string, Group>();
  readonly #unsynced = new Set<Watcher>();
  #catchUpTimer: ReturnType<typeof setTimeout> | undefined;
  #count = 0;
  #closed = false;
  /** Metrics hooks (set by the server). */
  observer: WatchHubObserver = {};

  /** Creates a hub that listens to `store`'s commits. */
  constructor(store: MvccStore) {
    this.#store = store;
    store.onCommit((records, rev) => this.#dispatch(records, rev));
  }

  /** Number of live watchers. */
  get size(): number {
    return this.#count;
  }

  /** Number of distinct keys and key ranges (prefixes) watched. */
  get watchedRanges(): number {
    return this.#exact.size + this.#ranges.size;
  }

  /** Registers a watcher. A start revision at or below the current one replays history first. */
  watch(spec: WatchSpec, sink: WatchSink): Watcher {
    const rev = this.#store.revision;
    const start = spec.startRevision ?? 0;
    const w = new Watcher(spec, sink, start > 0 ? start : rev + 1);
    this.#count++;
    if (w.range.end === null) {
      let set = this.#exact.get(w.range.start);
      if (!set) this.#exact.set(w.range.start, set = new Set());
      set.add(w);
    } else {
      const gk = w.groupKey;
      let g = this.#ranges.get(gk);
      if (!g) this.#ranges.set(gk, g = { range: w.range, watchers: new Set() });
      g.watchers.add(w);
    }
    if (w.nextRev > rev) w.synced = true;
    else {
      this.#unsynced.add(w);
      this.#schedule();
    }
    return w;
  }

  /** Removes a watcher; no more events reach its sink. */
  cancel(w: Watcher): void {
    if (w.canceled) return;
    w.canceled = true;
    this.#count--;
    this.#unsynced.delete(w);
    if (w.range.end === null) {
      const set = this.#exact.get(w.range.start);
      set?.delete(w);
      if (set?.size === 0) this.#exact.delete(w.range.start);
    } else {
      const gk = w.groupKey;
      const g = this.#ranges.get(gk);
      g?.watchers.delete(w);
      if (g?.watchers.size === 0) this.#ranges.delete(gk);
    }
  }

  /** Lets a paused watcher catch up again. */
  resume(w: Watcher): void {
    if (w.canceled || !w.paused) return;
    w.paused = false;
    this.#schedule();
  }

  /** Whether `w` has been sent everything up to the current revision. */
  isSynced(w: Watcher): boolean {
    return w.synced && !w.paused;
  }

  /** Stops the catch-up loop; watchers get nothing more. */
  close(): void {
    this.#closed = true;
    if (this.#catchUpTimer !== undefined) clearTimeout(this.#catchUpTimer);
    this.#catchUpTimer = undefined;
  }

  #event(rec: LogRecord, withPrev: boolean, cache: Map<LogRecord, EventPair>): WatchEvent {
    let pair = cache.get(rec);
    if (!pair) {
      pair = { plain: { type: rec.tombstone ? "delete" : "put", kv: this.#store.recordKv(rec) } };
      cache.set(rec, pair);
    }
    if (!withPrev) return pair.plain;
    if (!pair.withPrev) {
      const prev = this.#store.prevKv(rec);
      pair.withPrev = prev
        ? { type: pair.plain.type, kv: pair.plain.kv, prevKv: prev }
        : pair.plain;
    }
    return pair.withPrev;
  }

  #matching(rec: LogRecord, visit: (w: Watcher) => void): void {
    const exact = this.#exact.get(rec.key);
    if (exact) { for (const w of exact) visit(w); }
    for (const g of this.#ranges.values()) {
      if (inRange(g.range, rec.key)) { for (const w of g.watchers) visit(w); }
    }
  }

  #collect(
    records: readonly LogRecord[],
    want: (w: Watcher, rec: LogRecord) => boolean,
  ): Map<Watcher, WatchEvent[]> {
    const out = new Map<Watcher, WatchEvent[]>();
    const cache = new Map<LogRecord, EventPair>();
    for (const rec of records) {
      this.#matching(rec, (w) => {
        if (!want(w, rec)) return;
        if (rec.tombstone ? w.noDelete : w.noPut) return;
        const ev = this.#event(rec, w.prevKv, cache);
        const list = out.get(w);
        if (list) list.push(ev);
        else out.set(w, [ev]);
      });
    }
    return out;
  }

  #dispatch(records: readonly LogRecord[], rev: number): void {
    if (this.#closed || this.#count === 0) return;
    const out = this.#collect(records, (w, rec) => w.synced && !w.paused && rec.main >= w.nextRev);
    for (const [w, events] of out) this.#deliver(w, events, rev);
  }

  #deliver(w: Watcher, events: WatchEvent[], rev: number): void {
    if (w.canceled) return;
    const last = events[events.length - 1]!.kv.modRevision;
    w.nextRev = Math.max(w.nextRev, last + 1);
    if (!w.sink.send(events, rev) && !w.canceled) {
      w.paused = true;
      w.fellBehind = true;
      w.synced = false;
      this.#unsynced.add(w);
    }
  }

  #schedule(): void {
    if (this.#catchUpTimer !== undefined || this.#closed) return;
    this.#catchUpTimer = setTimeout(() => {
      this.#catchUpTimer = undefined;
      this.#catchUp();
    }, 0);
  }

  /** One bounded step of history replay for the unsynced watchers. */
  #catchUp(): void {
    const rev = this.#store.revision;
    const compactRev = this.#store.compactRevision;
    let from = Infinity;
    const active: Watcher[] = [];
    for (const w of this.#unsynced) {
      if (w.paused || w.canceled) continue;
      if (w.nextRev < compactRev) {
        this.#unsynced.delete(w);
        this.cancel(w);
        if (w.fellBehind) this.observer.slowCancel?.();
        w.sink.cancel("mvcc: required revision has been compacted", compactRev);
        continue;
      }
      if (w.nextRev > rev) {
        this.#unsynced.delete(w);
        w.synced = true;
        continue;
      }
      active.push(w);
      from = Math.min(from, w.nextRev);
    }
    if (active.length === 0) return;

    let limit = CATCH_UP_CHUNK;
    let records: LogRecord[] = [];
    let to = rev;
    const scanStarted = performance.now();
    for (;;) {
      records = [];
      const n = this.#store.scanLog(from, rev, limit, (r) => void records.push(r));
      if (n < limit) break;
      const lastMain = records[records.length - 1]!.main;
      if (lastMain > records[0]!.main) {
        to = lastMain - 1; // keep revisions whole: the last one may continue past the chunk
        while (records.length > 0 && records[records.length - 1]!.main === lastMain) records.pop();
        break;
      }
      limit *= 2;
    }
    const members = new Set(active);
    const out = this.#collect(records, (w, rec) => members.has(w) && rec.main >= w.nextRev);
    if (this.observer.scanned) {
      let matched = 0;
      for (const events of out.values()) matched += events.length;
      const seconds = (performance.now() - scanStarted) / 1000;
      this.observer.scanned(seconds, to - from + 1, records.length, matched);
    }
    for (const w of active) {
      const events = out.get(w);
      if (events) this.#deliver(w, events, rev);
      if (w.canceled || w.paused) continue;
      w.nextRev = Math.max(w.nextRev, to + 1);
      if (w.nextRev > rev) {
        this.#unsynced.delete(w);
        w.synced = true;
      }
    }
    if ([...this.#unsynced].some((w) => !w.paused)) this.#schedule();
  }
}
