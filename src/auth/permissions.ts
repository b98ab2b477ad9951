/**
 * Key permissions as intervals, and the check that a request's **whole** key range is covered
 * by them (etcd's range-permission cache: the permissions of all of a user's roles are merged
 * into one interval set per permission type, and a request is allowed only if one merged
 * interval contains all of `[key, range_end)`).
 *
 * Keys are binary strings (see `src/mvcc/keys.ts`), so `<` is etcd's byte order. A permission
 * or request `range_end` follows etcd's three forms:
 * - empty: the single key, the interval `[key, key + "\0")`;
 * - `"\0"`: every key from `key` on (`--from-key`), the interval `[key, ∞)`;
 * - anything else: `[key, range_end)`; a permission with `range_end <= key` covers nothing.
 *
 * Worked example: a user holds `read [a, c)` through one role and `read [c, e)` through
 * another. Merged, that is `[a, e)`, so `get a e` and `get b --prefix` (`[b, c)`) are allowed,
 * `get a f` is not (`[e, f)` is uncovered), and neither is `get a --from-key`.
 *
 * @module
 */

/** What a permission allows (authpb `Permission.Type`). */
export type PermissionType = "read" | "write" | "readwrite";

/** One permission of a role; `key` and `rangeEnd` are binary strings. */
export interface KeyPermission {
  type: PermissionType;
  key: string;
  /** `""`: the single key; `"\0"`: every key from `key` on; else the exclusive end. */
  rangeEnd: string;
}

/** Keys under this prefix are refused to everyone, root included (T4's reserved namespace). */
export const RESERVED_PREFIX = "\x00auth/";

/** A half-open interval `[start, end)`; `end === undefined` runs to the end of the keyspace. */
interface Interval {
  start: string;
  end: string | undefined;
}

/** Whether end `a` reaches at least as far as end `b`. */
function reaches(a: string | undefined, b: string | undefined): boolean {
  return a === undefined || (b !== undefined && a >= b);
}

/** The interval a permission grants, or undefined when it grants nothing. */
function grantedInterval(key: string, rangeEnd: string): Interval | undefined {
  if (rangeEnd === "") return { start: key, end: key + "\0" };
  if (rangeEnd === "\0") return { start: key, end: undefined };
  return rangeEnd > key ? { start: key, end: rangeEnd } : undefined;
}

/** The interval a request touches; an empty or inverted range counts as its start key. */
function requestedInterval(key: string, rangeEnd: string): Interval {
  if (rangeEnd === "\0") return { start: key, end: undefined };
  if (rangeEnd === "" || rangeEnd <= key) return { start: key, end: key + "\0" };
  return { start: key, end: rangeEnd };
}

/** Sorts and merges intervals; touching intervals (`end === next.start`) merge too. */
function merge(intervals: Interval[]): Interval[] {
  intervals.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const out: Interval[] = [];
  for (const next of intervals) {
    const last = out[out.length - 1];
    if (last && (last.end === undefined || next.start <= last.end)) {
      if (!reaches(last.end, next.end)) last.end = next.end;
    } else {
      out.push({ ...next });
    }
  }
  return out;
}

/** Whether one interval of the sorted, disjoint `merged` contains all of `want`. */
function covers(merged: readonly Interval[], want: Interval): boolean {
  // the last interval starting at or before want.start is the only candidate
  let lo = 0;
  let hi = merged.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (merged[mid]!.start <= want.start) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  if (found < 0) return false;
  return reaches(merged[found]!.end, want.end);
}

/** Whether a request starting at `key` begins inside the reserved namespace. */
export function isReservedKey(key: string): boolean {
  return key.startsWith(RESERVED_PREFIX);
}

/** The merged read and write intervals of one user; see the module doc. */
export class PermissionSet {
  readonly #read: Interval[];
  readonly #write: Interval[];

  private constructor(read: Interval[], write: Interval[]) {
    this.#read = merge(read);
    this.#write = merge(write);
  }

  /** Merges the permissions of every role a user holds. */
  static of(permissions: Iterable<KeyPermission>): PermissionSet {
    const read: Interval[] = [];
    const write: Interval[] = [];
    for (const p of permissions) {
      const ivl = grantedInterval(p.key, p.rangeEnd);
      if (!ivl) continue;
      if (p.type !== "write") read.push(ivl);
      if (p.type !== "read") write.push({ ...ivl });
    }
    return new PermissionSet(read, write);
  }

  /** Whether `kind` access to every key of `[key, rangeEnd)` (etcd's forms) is granted. */
  allows(kind: "read" | "write", key: string, rangeEnd = ""): boolean {
    return covers(kind === "read" ? this.#read : this.#write, requestedInterval(key, rangeEnd));
  }
}
