/**
 * The `ObjectStore` interface: the few S3 operations T4 needs, with the same meaning on every
 * implementation (S3, a local directory, memory). `mod.ts` states the invariants.
 *
 * @module
 */

/** An object's bytes and its ETag (unquoted). */
export interface StoredObject {
  /** The object's content; the caller owns this copy. */
  data: Uint8Array;
  /** The object's ETag, without quotes. */
  etag: string;
}

/** What `head()` reports about an object. */
export interface ObjectHead {
  /** The object's ETag, without quotes. */
  etag: string;
  /** The object's length in bytes. */
  size: number;
}

/** What a successful write returns. */
export interface PutResult {
  /** The new object's ETag, without quotes: pass it to `putIfMatch()` to replace it. */
  etag: string;
}

/** One entry of `list()`. */
export interface ListedObject {
  /** The key, relative to the store's prefix. */
  key: string;
  /** The object's length in bytes. */
  size: number;
}

/** Options for `list()`. */
export interface ListOptions {
  /** Return only keys strictly greater than this one (relative to the store's prefix). */
  startAfter?: string;
}

/**
 * The operation names, as T4's `t4_object_store_ops_total{op}` label values. `get_etag` is
 * `head()`.
 */
export type ObjectStoreOp =
  | "get"
  | "put"
  | "delete"
  | "delete_many"
  | "list"
  | "get_etag"
  | "put_if_absent"
  | "put_if_match";

/** Every {@linkcode ObjectStoreOp}, in a stable order (for tables and metric set-up). */
export const OBJECT_STORE_OPS: readonly ObjectStoreOp[] = [
  "get",
  "put",
  "delete",
  "delete_many",
  "list",
  "get_etag",
  "put_if_absent",
  "put_if_match",
];

/**
 * A flat key → bytes store with ETags and conditional writes (S3's model). Keys are relative to
 * the store's prefix. Errors: `ObjectNotFoundError`, `PreconditionFailedError`,
 * `ObjectStoreUnavailableError`, `InvalidObjectKeyError` (see `errors.ts`); nothing else.
 */
export interface ObjectStore {
  /** Where the objects live, for messages: `s3://bucket/prefix`, `file:///dir`, `memory://`. */
  describe(): string;

  /** Reads an object; throws `ObjectNotFoundError` if there is none. */
  get(key: string): Promise<StoredObject>;

  /** Reads an object's ETag and size, or `undefined` if there is no object. */
  head(key: string): Promise<ObjectHead | undefined>;

  /** Creates or replaces an object, atomically: readers see the old or the new bytes. */
  put(key: string, data: Uint8Array): Promise<PutResult>;

  /**
   * Creates an object only if there is none (S3 `If-None-Match: *`); throws
   * `PreconditionFailedError` otherwise. Among concurrent callers exactly one wins.
   */
  putIfAbsent(key: string, data: Uint8Array): Promise<PutResult>;

  /**
   * Replaces an object only if its ETag is `etag` (S3 `If-Match`); throws
   * `PreconditionFailedError` if the ETag differs or there is no object. Among concurrent
   * callers with the same `etag` (and different data) exactly one wins.
   */
  putIfMatch(key: string, data: Uint8Array, etag: string): Promise<PutResult>;

  /**
   * Every object whose key starts with `prefix`, in lexicographic order of the keys (Unicode
   * code points, which is UTF-8 byte order, as S3 sorts). Paginates internally.
   */
  list(prefix: string, options?: ListOptions): Promise<ListedObject[]>;

  /** Deletes an object; deleting a key with no object is not an error. */
  delete(key: string): Promise<void>;

  /** Deletes many objects (S3 DeleteObjects, 1,000 keys per request); absent keys are fine. */
  deleteMany(keys: readonly string[]): Promise<void>;

  /** Releases connections or handles; idempotent. The store must not be used afterwards. */
  close(): Promise<void>;
}
