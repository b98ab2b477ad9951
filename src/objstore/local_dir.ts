/**
 * `LocalDirObjectStore`: objects as files under a directory, with the same atomicity as S3 for
 * every process on one machine. The embedded default: it lets a user try checkpoints, branches,
 * GC and several nodes on one machine without S3.
 *
 * Layout under the root: one file per object at its encoded key path (see `_local_fs.ts`), plus
 * `.tmp/` (files being written) and `.locks/` (lock files). How each write stays atomic:
 * - `put`: write a temp file, fsync, rename it over the target, fsync the directory.
 * - `putIfAbsent`: the same, but `link()` instead of rename: the kernel refuses if the target
 *   exists, so exactly one of any number of racing processes wins.
 * - `putIfMatch`: read, compare and rename while holding the key's `flock`; `put` and `delete`
 *   take the same lock, so no write can slip between the compare and the rename.
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import { KvError } from "../errors.ts";
import {
  cannot,
  InvalidObjectKeyError,
  ObjectNotFoundError,
  ObjectStoreUnavailableError,
  type ObjectVerb,
  PreconditionFailedError,
} from "./errors.ts";
import {
  encodeSegment,
  forEachLimited,
  isMissing,
  KeyLocks,
  MAX_NAME_BYTES,
  removeIfExists,
  removeOldFiles,
  syncDir,
  walkKeys,
  writeDurably,
} from "./_local_fs.ts";
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

/** Options for {@linkcode LocalDirObjectStore}. */
export interface LocalDirObjectStoreOptions {
  /** A key prefix, normalized like S3's (`"p"`, `"/p/"` → `"p/"`): a subdirectory. */
  prefix?: string;
}

/** Temp files older than this are leftovers of a crash and are removed when a store opens. */
const STALE_TEMP_MS = 60 * 60 * 1000;

const CONFLICT = 'a local directory cannot hold both a key and keys under it ("a" and "a/b")';

/**
 * An `ObjectStore` in a local directory. ETags are the hex SHA-256 of the content. A key and
 * keys under it (`a` and `a/b`) cannot both exist: that write throws `InvalidObjectKeyError`.
 * Deletes are not fsynced: after a crash a deleted object may come back.
 *
 * @example
 * ```ts
 * import { LocalDirObjectStore } from "./local_dir.ts";
 * const dir = await Deno.makeTempDir();
 * const store = new LocalDirObjectStore(dir, { prefix: "t4" });
 * await store.put("manifest/latest", new TextEncoder().encode("{}"));
 * const keys = (await store.list("manifest/")).map((o) => o.key); // ["manifest/latest"]
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class LocalDirObjectStore implements ObjectStore {
  #root: string;
  #prefix: string;
  #locks: KeyLocks;
  #ready: Promise<void> | undefined;

  /** Opens the store at `root` (created on first write); nothing is touched until first use. */
  constructor(root: string, options: LocalDirObjectStoreOptions = {}) {
    this.#root = resolve(root);
    this.#prefix = normalizePrefix(options.prefix ?? "");
    this.#locks = new KeyLocks(`${this.#root}/.locks`);
  }

  /** Returns `file://<root>/<prefix>`. */
  describe(): string {
    return `file://${this.#root}/${this.#prefix}`;
  }

  /** Reads an object; throws `ObjectNotFoundError` if there is none. */
  get(key: string): Promise<StoredObject> {
    return this.#guard("get", key, async () => {
      const data = await this.#read(key);
      if (data === undefined) {
        throw new ObjectNotFoundError(
          key,
          `${cannot("get", key, { store: this })}: no such object`,
        );
      }
      return { data, etag: await contentEtag(data) };
    });
  }

  /** Reads an object's ETag and size, or `undefined` if there is none. */
  head(key: string): Promise<ObjectHead | undefined> {
    return this.#guard("head", key, async () => {
      const data = await this.#read(key);
      return data && { etag: await contentEtag(data), size: data.length };
    });
  }

  /** Creates or replaces an object: temp file, fsync, rename, fsync the directory. */
  put(key: string, data: Uint8Array): Promise<PutResult> {
    return this.#write(key, data, (temp) => this.#locked(key, () => this.#install(temp, key)));
  }

  /** Creates an object only if there is none (`link()` refuses an existing target). */
  putIfAbsent(key: string, data: Uint8Array): Promise<PutResult> {
    return this.#write(key, data, async (temp) => {
      try {
        await this.#install(temp, key, "link");
      } catch (err: unknown) {
        if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
        if ((await Deno.lstat(this.#path(key))).isDirectory) {
          throw new InvalidObjectKeyError(key, CONFLICT);
        }
        const message = `${cannot("put", key, { store: this })}: the object exists`;
        throw new PreconditionFailedError(key, message, { cause: err });
      }
    });
  }

  /** Replaces an object only if its ETag is `etag`: read, compare, rename under the lock. */
  putIfMatch(key: string, data: Uint8Array, etag: string): Promise<PutResult> {
    return this.#write(key, data, (temp) =>
      this.#locked(key, async () => {
        const current = await this.#read(key);
        const found = current && await contentEtag(current);
        if (found !== unquoteEtag(etag)) {
          const why = found === undefined ? "no such object" : `its ETag is not ${etag}`;
          throw new PreconditionFailedError(key, `${cannot("put", key, { store: this })}: ${why}`);
        }
        await this.#install(temp, key);
      }));
  }

  /** Every object under `prefix`, in key order; walks only the directories that can match. */
  list(prefix: string, options: ListOptions = {}): Promise<ListedObject[]> {
    return this.#guard("list", prefix, async () => {
      checkListPrefix(prefix);
      const dirKey = prefix.slice(0, prefix.lastIndexOf("/") + 1);
      const filter = { dirKey, prefix, startAfter: options.startAfter };
      const listed = await walkKeys(this.#dirPath(dirKey), filter);
      return listed.sort((a, b) => compareKeys(a.key, b.key));
    });
  }

  /** Deletes an object (an absent key is fine), then prunes directories left empty. */
  delete(key: string): Promise<void> {
    return this.#guard("delete", key, () => this.#deleteOne(key));
  }

  /** Deletes many objects, eight at a time; absent keys are fine. */
  async deleteMany(keys: readonly string[]): Promise<void> {
    keys.forEach((key) => checkKey(key));
    await forEachLimited(keys, (key) => this.delete(key), { limit: 8 });
  }

  /** Does nothing: locks are held only during an operation. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  // The file of `key`; throws InvalidObjectKeyError for a bad key.
  #path(key: string): string {
    checkKey(key);
    const names = (this.#prefix + key).split("/").map(encodeSegment);
    if (names.some((name) => name.length > MAX_NAME_BYTES)) {
      throw new InvalidObjectKeyError(key, `a segment is longer than ${MAX_NAME_BYTES} bytes`);
    }
    return `${this.#root}/${names.join("/")}`;
  }

  // The directory of `dirKey` ("" or ending in "/"), relative to the store's prefix.
  #dirPath(dirKey: string): string {
    const path = (this.#prefix + dirKey).split("/").slice(0, -1).map(encodeSegment).join("/");
    return path === "" ? this.#root : `${this.#root}/${path}`;
  }

  // Runs `fn`; anything but our own errors becomes ObjectStoreUnavailableError.
  async #guard<T>(verb: ObjectVerb, key: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err: unknown) {
      if (err instanceof KvError) throw err;
      const reason = err instanceof Error ? err.message : String(err);
      throw new ObjectStoreUnavailableError(`${cannot(verb, key, { store: this })}: ${reason}`, {
        cause: err,
      });
    }
  }

  async #read(key: string): Promise<Uint8Array | undefined> {
    try {
      return await Deno.readFile(this.#path(key));
    } catch (err: unknown) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  // Writes `data` to a fresh temp file, runs `install(temp)`, and always removes the temp file.
  #write(
    key: string,
    data: Uint8Array,
    install: (temp: string) => Promise<void>,
  ): Promise<PutResult> {
    return this.#guard("put", key, async () => {
      this.#path(key); // reject a bad key before writing anything
      const etag = await contentEtag(data);
      await (this.#ready ??= this.#prepare());
      const temp = `${this.#root}/.tmp/${crypto.randomUUID()}`;
      await writeDurably(temp, data);
      try {
        await install(temp);
      } finally {
        await removeIfExists(temp);
      }
      return { etag };
    });
  }

  #locked<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.#locks.with(this.#prefix + key, fn);
  }

  async #prepare(): Promise<void> {
    await Deno.mkdir(`${this.#root}/.locks`, { recursive: true });
    await Deno.mkdir(`${this.#root}/.tmp`, { recursive: true });
    await removeOldFiles(`${this.#root}/.tmp`, STALE_TEMP_MS);
  }

  // Moves (rename) or links `temp` to the key's path and fsyncs the directory.
  async #install(temp: string, key: string, how: "rename" | "link" = "rename"): Promise<void> {
    const target = this.#path(key);
    const parent = dirname(target);
    for (let attempt = 1;; attempt++) {
      try {
        await Deno.mkdir(parent, { recursive: true });
      } catch (err: unknown) {
        // A file where a directory should be: the key "a" exists and this is "a/b".
        if (err instanceof Deno.errors.AlreadyExists || err instanceof Deno.errors.NotADirectory) {
          throw new InvalidObjectKeyError(key, CONFLICT);
        }
        throw err;
      }
      try {
        await (how === "rename" ? Deno.rename(temp, target) : Deno.link(temp, target));
        break;
      } catch (err: unknown) {
        // A concurrent delete() may have pruned the empty parent between mkdir and rename.
        if (err instanceof Deno.errors.NotFound && attempt < 5) continue;
        if (err instanceof Deno.errors.IsADirectory) throw new InvalidObjectKeyError(key, CONFLICT);
        throw err;
      }
    }
    await syncDir(parent);
  }

  async #deleteOne(key: string): Promise<void> {
    const path = this.#path(key);
    const removed = await this.#locked(key, async () => {
      const info = await Deno.lstat(path).catch((err: unknown) => {
        if (isMissing(err)) return undefined;
        throw err;
      });
      if (!info?.isFile) return false;
      await removeIfExists(path);
      return true;
    });
    if (!removed) return;
    // Prune now-empty directories up to the root; a concurrent put retries if it loses one.
    for (let dir = dirname(path); dir.length > this.#root.length; dir = dirname(dir)) {
      if (!await Deno.remove(dir).then(() => true, () => false)) break;
    }
  }
}
