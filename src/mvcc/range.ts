/**
 * The parts of etcd's Range that happen after the index scan: revision filters, sorting and
 * the limit, in the order etcd 3.4's `applierV3backend.Range` applies them.
 *
 * @module
 */

import type { Kv, RangeRequest, SortTarget } from "./types.ts";

/**
 * How many keys the scan should collect: all of them when sorting or filtering (etcd sorts and
 * filters the whole range, then truncates), else `limit + 1` so `more` can be told, else all.
 * Like etcd, only an explicit sort *order* disables the limit; a sort target with order NONE
 * sorts the first `limit + 1` keys.
 */
export function scanLimit(r: RangeRequest): number {
  if (
    (r.sortOrder !== undefined && r.sortOrder !== "none") || (r.minModRevision ?? 0) !== 0 ||
    (r.maxModRevision ?? 0) !== 0 || (r.minCreateRevision ?? 0) !== 0 ||
    (r.maxCreateRevision ?? 0) !== 0
  ) return 0;
  const limit = r.limit ?? 0;
  return limit > 0 ? limit + 1 : 0;
}

function compareValues(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

function sorter(target: SortTarget): (a: Kv, b: Kv) => number {
  switch (target) {
    case "key":
      return (a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
    case "version":
      return (a, b) => a.version - b.version;
    case "create":
      return (a, b) => a.createRevision - b.createRevision;
    case "mod":
      return (a, b) => a.modRevision - b.modRevision;
    case "value":
      return (a, b) => compareValues(a.value, b.value);
  }
}

/**
 * Filters, sorts and truncates the collected key-values in place; returns `more`. `kvs` arrive
 * in ascending key order.
 */
export function finishRange(r: RangeRequest, kvs: Kv[]): { kvs: Kv[]; more: boolean } {
  const maxMod = r.maxModRevision ?? 0;
  const minMod = r.minModRevision ?? 0;
  const maxCreate = r.maxCreateRevision ?? 0;
  const minCreate = r.minCreateRevision ?? 0;
  if (maxMod || minMod || maxCreate || minCreate) {
    kvs = kvs.filter((kv) =>
      !(maxMod && kv.modRevision > maxMod) && !(minMod && kv.modRevision < minMod) &&
      !(maxCreate && kv.createRevision > maxCreate) &&
      !(minCreate && kv.createRevision < minCreate)
    );
  }
  const target = r.sortTarget ?? "key";
  let order = r.sortOrder ?? "none";
  if (target !== "key" && order === "none") order = "ascend";
  if (order === "ascend" && target !== "key") kvs.sort(sorter(target));
  else if (order === "descend") {
    if (target === "key") kvs.reverse();
    else {
      const by = sorter(target);
      kvs.sort((a, b) => by(b, a));
    }
  }
  const limit = r.limit ?? 0;
  if (limit > 0 && kvs.length > limit) {
    kvs.length = limit;
    return { kvs, more: true };
  }
  return { kvs, more: false };
}
