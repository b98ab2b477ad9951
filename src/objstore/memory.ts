/**
 * `MemoryObjectStore`: the `ObjectStore` semantics in a `Map`, for unit tests and as the base of
 * fault-injection wrappers. Each operation checks and updates the map with no `await` in
 * between, so conditional writes are atomic.
 *
 * @module
 */

import { cannot, ObjectNotFoundError, PreconditionFailedError } from "./errors.ts";
import {
  checkKey,
  checkListPrefix,
  compareKeys,
  contentEtag,
  normalizePrefix,
  unquoteEtag,
} from "./keys.ts";
import type {
  ListedObject,
  ListOptions,
  ObjectHead,
  ObjectStore,
  PutResult,
  StoredObject,
} from "./object_store.ts";

/** Options for {@linkcode MemoryObjectStore}. */
export interface MemoryObjectStoreOptions {
  /** A key prefix, normalized like S3's (`"p"`, `"/p/"` → `"p/"`). Default: none. */
  prefix?: string;
}

/**
 * An in-memory `ObjectStore`. ETags are the hex SHA-256 of the content. Data is copied on the
 * way in and out, so callers may reuse their buffers.
 *
 * @example
 * ```ts
 * import { MemoryObjectStore } from "./memory.ts";
 * const store = new MemoryObjectStore();
 * const { etag } = await store.putIfAbsent("leader-lock", new TextEncoder().encode("a"));
 * await store.putIfMatch("leader-lock", new TextEncoder().encode("b"), etag);
 * ```
 */
export class MemoryObjectStore implements ObjectStore {
  #objects: Map<string, StoredObject>;
  #prefix: string;

  /** Creates an empty store. */
  constructor(options: MemoryObjectStoreOptions = {}) {
    this.#objects = new Map();
    this.#prefix = normalizePrefix(options.prefix ?? "");
  }

  /**
   * Returns a store that shares this one's objects under an extra prefix (resolved from the
   * root, not from this store's prefix), as a second S3 client on the same bucket would.
   */
  withPrefix(prefix: string): MemoryObjectStore {
    const view = new MemoryObjectStore({ prefix });
    view.#objects = this.#objects;
    return view;
  }

  /** Returns `memory://<prefix>`. */
  describe(): string {
    return `memory://${this.#prefix}`;
  }

  /** Reads an object; throws `ObjectNotFoundError` if there is none. */
  get(key: string): Promise<StoredObject> {
    return Promise.try(() => {
      checkKey(key);
      const found = this.#objects.get(this.#prefix + key);
      if (found === undefined) {
        throw new ObjectNotFoundError(
          key,
          `${cannot("get", key, { store: this })}: no such object`,
        );
      }
      return { data: found.data.slice(), etag: found.etag };
    });
  }

  /** Reads an object's ETag and size, or `undefined` if there is none. */
  head(key: string): Promise<ObjectHead | undefined> {
    return Promise.try(() => {
      checkKey(key);
      const found = this.#objects.get(this.#prefix + key);
      return found && { etag: found.etag, size: found.data.length };
    });
  }

  /** Creates or replaces an object. */
  async put(key: string, data: Uint8Array): Promise<PutResult> {
    checkKey(key);
    const object = { data: data.slice(), etag: await contentEtag(data) };
    this.#objects.set(this.#prefix + key, object);
    return { etag: object.etag };
  }

  /** Creates an object only if there is none; throws `PreconditionFailedError` otherwise. */
  async putIfAbsent(key: string, data: Uint8Array): Promise<PutResult> {
    checkKey(key);
    const object = { data: data.slice(), etag: await contentEtag(data) };
    if (this.#objects.has(this.#prefix + key)) {
      throw new PreconditionFailedError(
        key,
        `${cannot("put", key, { store: this })}: the object exists`,
      );
    }
    this.#objects.set(this.#prefix + key, object);
    return { etag: object.etag };
  }

  /** Replaces an object only if its ETag is `etag`; throws `PreconditionFailedError` otherwise. */
  async putIfMatch(key: string, data: Uint8Array, etag: string): Promise<PutResult> {
    checkKey(key);
    const object = { data: data.slice(), etag: await contentEtag(data) };
    const current = this.#objects.get(this.#prefix + key);
    if (current === undefined || current.etag !== unquoteEtag(etag)) {
      const why = current === undefined ? "no such object" : `its ETag is not ${etag}`;
      throw new PreconditionFailedError(key, `${cannot("put", key, { store: this })}: ${why}`);
    }
    this.#objects.set(this.#prefix + key, object);
    return { etag: object.etag };
  }

  /** Every object under `prefix`, in key order. */
  list(prefix: string, options: ListOptions = {}): Promise<ListedObject[]> {
    return Promise.try(() => {
      checkListPrefix(prefix);
      const full = this.#prefix + prefix;
      const after = options.startAfter;
      const listed: ListedObject[] = [];
      for (const [stored, object] of this.#objects) {
        if (!stored.startsWith(full)) continue;
        const key = stored.slice(this.#prefix.length);
        if (after === undefined || compareKeys(key, after) > 0) {
          listed.push({ key, size: object.data.length });
        }
      }
      return listed.sort((a, b) => compareKeys(a.key, b.key));
    });
  }

  /** Deletes an object; an absent key is not an error. */
  delete(key: string): Promise<void> {
    return Promise.try(() => {
      checkKey(key);
      this.#objects.delete(this.#prefix + key);
    });
  }

  /** Deletes many objects; absent keys are fine. */
  deleteMany(keys: readonly string[]): Promise<void> {
    return Promise.try(() => {
      keys.forEach((key) => checkKey(key));
      for (const key of keys) this.#objects.delete(this.#prefix + key);
    });
  }

  /** Does nothing: there is nothing to release. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}
