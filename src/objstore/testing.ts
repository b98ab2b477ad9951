/**
 * Test doubles for other folders' tests: `FaultyObjectStore` wraps any store with switches
 * (S3 down, failing writes, failing key prefixes, lost answers, latency, a gate that holds
 * operations) and counts operations per kind and key.
 *
 * @module
 */

import { cannot, ObjectStoreUnavailableError, type ObjectVerb } from "./errors.ts";
import type {
  ListedObject,
  ListOptions,
  ObjectHead,
  ObjectStore,
  ObjectStoreOp,
  PutResult,
  StoredObject,
} from "./object_store.ts";

const VERBS: Record<ObjectStoreOp, ObjectVerb> = {
  "get": "get",
  "get_etag": "head",
  "put": "put",
  "put_if_absent": "put",
  "put_if_match": "put",
  "delete": "delete",
  "delete_many": "delete",
  "list": "list",
};

const WRITES = new Set<ObjectStoreOp>([
  "put",
  "put_if_absent",
  "put_if_match",
  "delete",
  "delete_many",
]);

function bump(counts: Map<string, Map<string, number>>, op: ObjectStoreOp, key: string): void {
  const perKey = counts.get(op) ?? new Map<string, number>();
  perKey.set(key, (perKey.get(key) ?? 0) + 1);
  counts.set(op, perKey);
}

function sum(perKey: Map<string, number> | undefined, prefix: string): number {
  let total = 0;
  for (const [key, n] of perKey ?? []) if (key.startsWith(prefix)) total += n;
  return total;
}

/**
 * Wraps a store with fault switches and counters. Each call, in order: is counted, waits
 * `latencyMs`, waits at the gate if one holds its key, fails if a switch says so, runs on the
 * inner store, and (with `loseWriteAnswers`) fails after a write was applied.
 *
 * @example
 * ```ts
 * import { FaultyObjectStore } from "./testing.ts";
 * import { MemoryObjectStore } from "./memory.ts";
 * const store = new FaultyObjectStore(new MemoryObjectStore());
 * store.down = true;
 * await store.get("k").then(() => { throw new Error("expected a failure"); }, () => {});
 * store.heal();
 * await store.put("chunk/a", new Uint8Array([1]));
 * if (store.count("put", "chunk/") !== 1) throw new Error("one put expected");
 * ```
 */
export class FaultyObjectStore implements ObjectStore {
  /** Every operation fails with `ObjectStoreUnavailableError`, as if S3 were down. */
  down = false;
  /** Every write (put, conditional put, delete) fails before reaching the inner store. */
  failWrites = false;
  /** Writes reach the inner store, then fail anyway: the write happened, its answer was lost. */
  loseWriteAnswers = false;
  /** Milliseconds every operation waits before it starts. */
  latencyMs = 0;

  #inner: ObjectStore;
  #failPrefixes = new Set<string>();
  #gate: { prefix: string; opened: Promise<void>; open: () => void } | undefined;
  #blocked = 0;
  #onBlocked: (() => void)[] = [];
  #calls = new Map<string, Map<string, number>>();
  #applied = new Map<string, Map<string, number>>();

  /** Wraps `inner`; all switches start off. */
  constructor(inner: ObjectStore) {
    this.#inner = inner;
  }

  /** Makes every operation on a key starting with `prefix` fail (a list fails if it overlaps). */
  failPrefix(prefix: string): void {
    this.#failPrefixes.add(prefix);
  }

  /** Turns every switch off and opens the gate. Counters are kept. */
  heal(): void {
    this.down = this.failWrites = this.loseWriteAnswers = false;
    this.latencyMs = 0;
    this.#failPrefixes.clear();
    this.release();
  }

  /** Holds every operation on a key starting with `prefix` until {@linkcode release}. */
  block(prefix = ""): void {
    let open = () => {};
    const opened = new Promise<void>((resolve) => (open = resolve));
    this.#gate = { prefix, opened, open };
  }

  /** Lets every held operation go on; later ones are not held. */
  release(): void {
    this.#gate?.open();
    this.#gate = undefined;
  }

  /** How many operations wait at the gate now. */
  get blocked(): number {
    return this.#blocked;
  }

  /** Resolves once at least `n` operations wait at the gate. */
  async whenBlocked(n = 1): Promise<void> {
    while (this.#blocked < n) await new Promise<void>((resolve) => this.#onBlocked.push(resolve));
  }

  /** How many calls of `op` (failed ones too) named a key starting with `prefix`. */
  count(op: ObjectStoreOp, prefix = ""): number {
    return sum(this.#calls.get(op), prefix);
  }

  /** How many calls of `op` on keys starting with `prefix` succeeded on the inner store. */
  countApplied(op: ObjectStoreOp, prefix = ""): number {
    return sum(this.#applied.get(op), prefix);
  }

  /** Calls of `op` per key, for keys starting with `prefix` ("no chunk was uploaded twice"). */
  callsPerKey(op: ObjectStoreOp, prefix = ""): Map<string, number> {
    const perKey = [...(this.#calls.get(op) ?? [])].filter(([key]) => key.startsWith(prefix));
    return new Map(perKey);
  }

  /** Forgets every count. */
  resetCounts(): void {
    this.#calls.clear();
    this.#applied.clear();
  }

  /** The inner store's description. */
  describe(): string {
    return this.#inner.describe();
  }

  /** See {@linkcode ObjectStore.get}. */
  get(key: string): Promise<StoredObject> {
    return this.#run("get", [key], () => this.#inner.get(key));
  }

  /** See {@linkcode ObjectStore.head}. */
  head(key: string): Promise<ObjectHead | undefined> {
    return this.#run("get_etag", [key], () => this.#inner.head(key));
  }

  /** See {@linkcode ObjectStore.put}. */
  put(key: string, data: Uint8Array): Promise<PutResult> {
    return this.#run("put", [key], () => this.#inner.put(key, data));
  }

  /** See {@linkcode ObjectStore.putIfAbsent}. */
  putIfAbsent(key: string, data: Uint8Array): Promise<PutResult> {
    return this.#run("put_if_absent", [key], () => this.#inner.putIfAbsent(key, data));
  }

  /** See {@linkcode ObjectStore.putIfMatch}. */
  putIfMatch(key: string, data: Uint8Array, etag: string): Promise<PutResult> {
    return this.#run("put_if_match", [key], () => this.#inner.putIfMatch(key, data, etag));
  }

  /** See {@linkcode ObjectStore.list}; counted under the list prefix. */
  list(prefix: string, options?: ListOptions): Promise<ListedObject[]> {
    return this.#run("list", [prefix], () => this.#inner.list(prefix, options));
  }

  /** See {@linkcode ObjectStore.delete}. */
  delete(key: string): Promise<void> {
    return this.#run("delete", [key], () => this.#inner.delete(key));
  }

  /** See {@linkcode ObjectStore.deleteMany}; counted once per key. */
  deleteMany(keys: readonly string[]): Promise<void> {
    return this.#run("delete_many", keys, () => this.#inner.deleteMany(keys));
  }

  /** Closes the inner store. */
  close(): Promise<void> {
    return this.#inner.close();
  }

  async #run<T>(op: ObjectStoreOp, keys: readonly string[], fn: () => Promise<T>): Promise<T> {
    for (const key of keys) bump(this.#calls, op, key);
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    const gate = this.#gate;
    if (gate !== undefined && keys.some((key) => key.startsWith(gate.prefix))) {
      this.#blocked++;
      this.#onBlocked.splice(0).forEach((wake) => wake());
      await gate.opened;
      this.#blocked--;
    }
    const key = keys[0] ?? "";
    const isWrite = WRITES.has(op);
    const overlaps = (p: string) =>
      keys.some((k) => k.startsWith(p) || (op === "list" && p.startsWith(k)));
    if (this.down) throw this.#fault(op, key, "S3 is down");
    if (this.failWrites && isWrite) throw this.#fault(op, key, "writes fail");
    const failing = [...this.#failPrefixes].find(overlaps);
    if (failing !== undefined) throw this.#fault(op, key, `keys under "${failing}" fail`);
    const result = await fn();
    for (const k of keys) bump(this.#applied, op, k);
    if (this.loseWriteAnswers && isWrite) throw this.#fault(op, key, "the answer was lost");
    return result;
  }

  #fault(op: ObjectStoreOp, key: string, why: string): ObjectStoreUnavailableError {
    return new ObjectStoreUnavailableError(
      `${cannot(VERBS[op], key, { store: this })}: injected: ${why}`,
    );
  }
}
