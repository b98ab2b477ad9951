/**
 * The in-memory key index: for every key, where its newest record is and what it says.
 *
 * etcd keeps every revision of every key in memory (`keyIndex.generations`). We keep one small
 * object per key and find older revisions through the records' `prev` chain in the engine
 * (see `revision.ts`). A worked example, key `k`:
 *
 * ```
 * rev 2  put k=a    record 2/0: create 2, version 1, prev none
 * rev 5  put k=b    record 5/0: create 2, version 2, prev 2/0
 * rev 7  del k      record 7/0: tombstone,            prev 5/0
 * rev 9  put k=c    record 9/0: create 9, version 1, prev 7/0
 * ```
 *
 * The index holds `{ mod 9/0, create 9, version 1 }`. A read at revision 6 walks 9/0 → 7/0 →
 * 5/0, the first record at or below 6, and answers `b` (create 2, version 2). A read at 8 stops
 * at the tombstone 7/0: the key did not exist. Tombstoned keys stay in the index (version 0)
 * until compaction passes them, so reads at older revisions still find them.
 *
 * @module
 */

import { BTree } from "./btree.ts";

/** The head state of one key. `version === 0` marks a tombstone. */
export class KeyIndex {
  /** Binary-string key. */
  readonly key: string;
  modMain = 0;
  modSub = 0;
  createRevision = 0;
  version = 0;
  lease = 0n;
  /** The current value when cached (see `value_cache.ts`); undefined when not cached. */
  value: Uint8Array | undefined = undefined;

  /** Creates an empty (tombstone-like) index entry for `key`. */
  constructor(key: string) {
    this.key = key;
  }

  /** Whether the newest record is a tombstone. */
  get deleted(): boolean {
    return this.version === 0;
  }
}

/** The ordered index plus a hash map for point lookups. */
export class Index {
  #tree = new BTree<KeyIndex>();
  #map = new Map<string, KeyIndex>();

  /**
   * Replaces the whole index with `entries` (the rebuild at open): `map` must hold exactly
   * `sorted`, which is in ascending key order.
   */
  load(map: Map<string, KeyIndex>, sorted: readonly KeyIndex[]): void {
    this.#map = map;
    this.#tree = BTree.fromSorted(sorted);
  }

  /** Number of keys, tombstoned ones included. */
  get size(): number {
    return this.#map.size;
  }

  /** The entry for `key`. */
  get(key: string): KeyIndex | undefined {
    return this.#map.get(key);
  }

  /** Adds a new entry. */
  insert(ki: KeyIndex): void {
    this.#map.set(ki.key, ki);
    this.#tree.set(ki);
  }

  /** Removes the entry for `key`. */
  remove(key: string): void {
    if (this.#map.delete(key)) this.#tree.delete(key);
  }

  /** Visits entries in `[start, end)` ascending; `end` undefined: to the end. */
  scan(start: string, end: string | undefined, visit: (ki: KeyIndex) => boolean | void): void {
    this.#tree.scan(start, end, visit);
  }

  /** Visits entries in `[start, end)` descending. */
  scanReverse(
    start: string,
    end: string | undefined,
    visit: (ki: KeyIndex) => boolean | void,
  ): void {
    this.#tree.scanReverse(start, end, visit);
  }

  /** Visits every entry in key order. */
  forEach(visit: (ki: KeyIndex) => void): void {
    this.#tree.scan("", undefined, visit);
  }
}
