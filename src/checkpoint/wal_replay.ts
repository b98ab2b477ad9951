/**
 * `replayRemoteWal()`: the records after a checkpoint, from the `wal/` objects, in seq order,
 * failing closed on holes.
 *
 * @module
 */

import { WalCorruptError } from "../errors.ts";
import { ObjectNotFoundError, type ObjectStore } from "../objstore/mod.ts";
import type { WalRecord } from "../wal/mod.ts";
import { RemoteWalGapError } from "./errors.ts";
import { listWalObjects, parseWalObject, type WalObjectInfo } from "./wal_objects.ts";

/** Options of {@linkcode replayRemoteWal}. */
export interface RemoteReplayOptions {
  /** Deliver records with seq greater than this (the checkpoint's or the engine's seq). */
  afterSeq: number;
  /** Deliver only records with seq below this; default: to the end of the WAL. */
  beforeSeq?: number;
  /** Largest acceptable record payload; default 64 MiB (the WAL's default). */
  maxRecordBytes?: number;
  /** Objects fetched ahead of the one being applied; default 4 (and at most 64 MiB). */
  prefetch?: number;
}

/** What {@linkcode replayRemoteWal} read. */
export interface RemoteReplayResult {
  /** The seq of the last record delivered, or `afterSeq` when none was. */
  lastSeq: number;
  /** Term and rev of the record at `lastSeq` when it was read, else 0. */
  lastTerm: number;
  lastRev: number;
  /** Objects read (GET). */
  objects: number;
  /** Records delivered. */
  records: number;
}

const PREFETCH_BYTES = 64 * 1024 * 1024;

type Fetched = { bytes: Uint8Array } | { error: unknown };

/**
 * Lists `wal/`, applies the per-term cutoffs, and delivers every record with
 * `afterSeq < seq < beforeSeq` to `visit`, once, in seq order. For each next seq it reads the
 * object that starts closest below it (objects wholly before `afterSeq` are not read); when that
 * object does not hold the seq, the other objects that could are read too, so an overlapping
 * sealed segment is used when batch objects stop. Records that several objects hold are
 * compared by their frame checksums. `data` is a view valid only during the call: copy it to
 * keep it.
 *
 * @throws {RemoteWalGapError} when a seq is missing although later objects exist, or an object
 *   that would hold it was deleted while reading (a concurrent checkpoint + GC): at the start of
 *   a replay, re-read `manifest/latest` and restore again.
 * @throws {WalCorruptError} naming the object and offset for a truncated or damaged object, or
 *   for two objects that disagree about a record.
 */
export async function replayRemoteWal(
  store: ObjectStore,
  options: RemoteReplayOptions,
  visit: (record: WalRecord) => void,
): Promise<RemoteReplayResult> {
  const { afterSeq } = options;
  const beforeSeq = options.beforeSeq ?? Infinity;
  const live = (await listWalObjects(store))
    .map((o) => ({ ...o, maxSeq: Math.min(o.maxSeq, beforeSeq - 1) }))
    .filter((o) => o.maxSeq >= o.firstSeq && o.maxSeq > afterSeq);
  const result: RemoteReplayResult = {
    lastSeq: afterSeq,
    lastTerm: 0,
    lastRev: 0,
    objects: 0,
    records: 0,
  };
  const read = new Set<WalObjectInfo>();
  const fetches = new Map<WalObjectInfo, Promise<Fetched>>();
  const inflight = new Set<Promise<void>>();
  // Frame checksum of every delivered record (index seq - afterSeq - 1), to compare overlaps.
  let crcs: Uint32Array = new Uint32Array(1024);
  const fetch = (o: WalObjectInfo) => {
    let f = fetches.get(o);
    if (!f) {
      f = store.get(o.key).then(({ data }) => ({ bytes: data }), (error) => ({ error }));
      const settled: Promise<void> = f.then(() => void inflight.delete(settled));
      inflight.add(settled);
      fetches.set(o, f);
    }
    return f;
  };
  try {
    for (let next = afterSeq + 1; next < beforeSeq;) {
      // The unread object that starts closest at or below `next` and may hold it.
      let at = lastStartingAtOrBelow(live, next);
      let pick = live[at];
      while (pick && (read.has(pick) || pick.maxSeq < next)) pick = live[--at];
      if (pick === undefined) {
        const later = live[lastStartingAtOrBelow(live, next) + 1];
        if (later === undefined) break; // the end of the WAL
        throw new RemoteWalGapError(
          next,
          later.firstSeq,
          later.key,
          `Cannot replay the remote WAL in ${store.describe()}: seq ${next} is missing ` +
            `(the next object "${later.key}" starts at seq ${later.firstSeq})`,
        );
      }
      prefetchAfter(live, at, next, read, fetch, options.prefetch ?? 4);
      const fetched = await fetch(pick);
      read.add(pick);
      for (const o of fetches.keys()) if (read.has(o) || o.maxSeq < next) fetches.delete(o);
      result.objects++;
      if ("error" in fetched) {
        if (!(fetched.error instanceof ObjectNotFoundError)) throw fetched.error;
        throw new RemoteWalGapError(
          next,
          undefined,
          pick.key,
          `Cannot replay the remote WAL in ${store.describe()} at seq ${next}: object ` +
            `"${pick.key}" was deleted while the WAL was read (a newer checkpoint was written ` +
            `and GC ran); read manifest/latest again`,
        );
      }
      const bytes = fetched.bytes;
      const parsed = parseWalObject(pick.key, bytes, {
        store,
        ...(options.maxRecordBytes === undefined ? {} : { maxRecordBytes: options.maxRecordBytes }),
      });
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (const r of parsed.records) {
        if (r.seq > pick.maxSeq) break;
        if (r.seq < afterSeq) continue;
        // The frame's stored checksum (already verified) sits 28 bytes before the record data:
        // parseSegment() returns records whose data are views into `bytes`.
        const crcOffset = r.data.byteOffset - bytes.byteOffset - 28;
        const crc = view.getUint32(crcOffset);
        if (r.seq === afterSeq) {
          [result.lastTerm, result.lastRev] = [r.term, r.rev];
        } else if (r.seq < next) {
          if (crcs[r.seq - afterSeq - 1] !== crc) {
            throw new WalCorruptError(
              pick.key,
              crcOffset - 4,
              `Cannot replay the remote WAL in ${store.describe()}: object "${pick.key}" ` +
                `disagrees with an earlier object about seq ${r.seq} (offset ${crcOffset - 4})`,
            );
          }
        } else {
          visit(r);
          if (next - afterSeq > crcs.length) crcs = grow(crcs);
          crcs[next - afterSeq - 1] = crc;
          [result.lastSeq, result.lastTerm, result.lastRev] = [r.seq, r.term, r.rev];
          result.records++;
          next++;
        }
      }
    }
    return result;
  } finally {
    await Promise.all(inflight); // lets prefetches finish; they never reject
  }
}

/**
 * Starts fetching the objects after index `at` that may hold seqs from `next` on, up to `count`
 * and 64 MiB.
 */
function prefetchAfter(
  live: WalObjectInfo[],
  at: number,
  next: number,
  read: Set<WalObjectInfo>,
  fetch: (o: WalObjectInfo) => Promise<Fetched>,
  count: number,
): void {
  let bytes = 0;
  for (let i = at + 1, n = 0; i < live.length && n < count; i++) {
    const o = live[i] as WalObjectInfo;
    if (read.has(o) || o.maxSeq < next) continue;
    bytes += o.size;
    if (n > 0 && bytes > PREFETCH_BYTES) break;
    fetch(o);
    n++;
  }
}

/** The index of the last object with `firstSeq <= seq` (objects are sorted), or -1. */
function lastStartingAtOrBelow(live: WalObjectInfo[], seq: number): number {
  let lo = 0;
  let hi = live.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((live[mid] as WalObjectInfo).firstSeq <= seq) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

function grow(crcs: Uint32Array): Uint32Array {
  const bigger = new Uint32Array(crcs.length * 2);
  bigger.set(crcs);
  return bigger;
}
