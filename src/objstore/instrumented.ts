/**
 * `InstrumentedObjectStore`: reports every operation's name, outcome and duration to a
 * callback, so metrics (`t4_object_store_ops_total`, `t4_object_store_duration_seconds`) can be
 * wired up later without this folder knowing about them.
 *
 * @module
 */

import { ObjectNotFoundError, PreconditionFailedError } from "./errors.ts";
import type {
  ListedObject,
  ListOptions,
  ObjectHead,
  ObjectStore,
  ObjectStoreOp,
  PutResult,
  StoredObject,
} from "./object_store.ts";

/**
 * Receives one call per operation. `result` is `"success"` when the store answered, which
 * includes the expected answers "not found" and "precondition failed" (a lost election is not
 * an S3 error); it is `"error"` for everything else (unavailable, invalid key).
 */
export type ObjectStoreObserver = (
  op: ObjectStoreOp,
  result: "success" | "error",
  seconds: number,
) => void;

function isAnswer(err: unknown): boolean {
  return err instanceof ObjectNotFoundError || err instanceof PreconditionFailedError;
}

/**
 * Wraps a store and reports each call to `observe`. An observer that throws is ignored: metrics
 * must never fail an operation.
 *
 * @example
 * ```ts
 * import { InstrumentedObjectStore } from "./instrumented.ts";
 * import { MemoryObjectStore } from "./memory.ts";
 * const seen: string[] = [];
 * const store = new InstrumentedObjectStore(new MemoryObjectStore(), (op, result) => {
 *   seen.push(`${op}:${result}`);
 * });
 * await store.head("missing");
 * if (seen[0] !== "get_etag:success") throw new Error(seen.join());
 * ```
 */
export class InstrumentedObjectStore implements ObjectStore {
  #inner: ObjectStore;
  #observe: ObjectStoreObserver;

  /** Wraps `inner`; `observe` is called once per operation, after it settles. */
  constructor(inner: ObjectStore, observe: ObjectStoreObserver) {
    this.#inner = inner;
    this.#observe = observe;
  }

  /** The wrapped store's description. */
  describe(): string {
    return this.#inner.describe();
  }

  /** See {@linkcode ObjectStore.get}. */
  get(key: string): Promise<StoredObject> {
    return this.#timed("get", () => this.#inner.get(key));
  }

  /** See {@linkcode ObjectStore.head}; reported as `get_etag`. */
  head(key: string): Promise<ObjectHead | undefined> {
    return this.#timed("get_etag", () => this.#inner.head(key));
  }

  /** See {@linkcode ObjectStore.put}. */
  put(key: string, data: Uint8Array): Promise<PutResult> {
    return this.#timed("put", () => this.#inner.put(key, data));
  }

  /** See {@linkcode ObjectStore.putIfAbsent}. */
  putIfAbsent(key: string, data: Uint8Array): Promise<PutResult> {
    return this.#timed("put_if_absent", () => this.#inner.putIfAbsent(key, data));
  }

  /** See {@linkcode ObjectStore.putIfMatch}. */
  putIfMatch(key: string, data: Uint8Array, etag: string): Promise<PutResult> {
    return this.#timed("put_if_match", () => this.#inner.putIfMatch(key, data, etag));
  }

  /** See {@linkcode ObjectStore.list}. */
  list(prefix: string, options?: ListOptions): Promise<ListedObject[]> {
    return this.#timed("list", () => this.#inner.list(prefix, options));
  }

  /** See {@linkcode ObjectStore.delete}. */
  delete(key: string): Promise<void> {
    return this.#timed("delete", () => this.#inner.delete(key));
  }

  /** See {@linkcode ObjectStore.deleteMany}. */
  deleteMany(keys: readonly string[]): Promise<void> {
    return this.#timed("delete_many", () => this.#inner.deleteMany(keys));
  }

  /** Closes the wrapped store. */
  close(): Promise<void> {
    return this.#inner.close();
  }

  async #timed<T>(op: ObjectStoreOp, fn: () => Promise<T>): Promise<T> {
    const started = performance.now();
    let result: "success" | "error" = "success";
    try {
      return await fn();
    } catch (err: unknown) {
      if (!isAnswer(err)) result = "error";
      throw err;
    } finally {
      try {
        this.#observe(op, result, (performance.now() - started) / 1000);
      } catch {
        // An observer bug must not turn a successful write into a failure.
      }
    }
  }
}
