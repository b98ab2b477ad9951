/**
 * The WAL half of GC: which `wal/` objects a horizon covers wholly.
 *
 * Objects can overlap (a sealed segment uploaded after some of its batches), so the next
 * object's first seq does not prove where an object ends. An object is deletable when its
 * highest contributing seq is at or below the horizon, proven by the cutoff of a newer term or
 * by its size (no frame is smaller than 32 bytes), or else by reading it (GET + parse). Reading
 * is needed only when the next object starts at or below the horizon + 1, i.e. when it may be
 * covered at all.
 *
 * @module
 */

import { ObjectNotFoundError, type ObjectStore } from "../objstore/mod.ts";
import { describeError } from "./errors.ts";
import { listWalObjects, parseWalObject, type WalObjectInfo } from "./wal_objects.ts";
import { mapLimit } from "./_pool.ts";

/** The WAL objects GC may delete. */
export interface WalGcPlan {
  /** Objects wholly at or below the horizon, ordered by term then seq (delete in this order). */
  delete: WalObjectInfo[];
  /** Objects read to find where they end. */
  read: number;
  /** Objects that could not be read (kept), with the reason. */
  unreadable: string[];
}

/**
 * Plans the deletion of WAL objects wholly covered by `horizon`. Never deletes the newest
 * object, nor the newest one that is not cut off by a newer term.
 */
export async function planWalGc(
  store: ObjectStore,
  horizon: number,
  concurrency: number,
): Promise<WalGcPlan> {
  const objects = await listWalObjects(store);
  const live = objects.filter((o) => o.maxSeq >= o.firstSeq);
  const keepers = new Set([objects.at(-1), live.at(-1)]);
  const plan: WalGcPlan = { delete: [], read: 0, unreadable: [] };
  const toRead: WalObjectInfo[] = [];
  // nextStart[i]: the first seq of the next object that starts after objects[i] does.
  const nextStart = new Array<number>(objects.length);
  for (let i = objects.length - 1, after = Infinity; i >= 0; i--) {
    const o = objects[i] as WalObjectInfo;
    nextStart[i] = after;
    if (i === 0 || (objects[i - 1] as WalObjectInfo).firstSeq < o.firstSeq) after = o.firstSeq;
  }
  objects.forEach((o, i) => {
    if (keepers.has(o)) return;
    if (o.maxSeq <= horizon) {
      plan.delete.push(o);
      return;
    }
    // If the next object starts past horizon + 1, this one (holding at least up to there unless
    // the WAL has a hole) is not covered: keep it unread.
    if ((nextStart[i] as number) - 1 <= horizon) toRead.push(o);
  });
  const ends = await mapLimit(toRead, concurrency, async (o) => {
    try {
      const { data } = await store.get(o.key);
      return parseWalObject(o.key, data, { store }).lastSeq;
    } catch (err: unknown) {
      if (err instanceof ObjectNotFoundError) return undefined; // deleted meanwhile
      plan.unreadable.push(`${o.key}: ${describeError(err)}`);
      return undefined;
    }
  });
  plan.read = toRead.length;
  toRead.forEach((o, i) => {
    const lastSeq = ends[i];
    if (lastSeq !== undefined && Math.min(lastSeq, o.maxSeq) <= horizon) plan.delete.push(o);
  });
  // Older terms first: a crash part-way never leaves a cut-off object without the newer-term
  // object that cuts it off.
  plan.delete.sort((a, b) => a.term - b.term || a.firstSeq - b.firstSeq);
  return plan;
}
