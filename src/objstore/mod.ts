/**
 * Object stores: where T4 keeps WAL segments, checkpoints, chunks, the manifest and the leader
 * lock. One small interface, {@linkcode ObjectStore}, with three implementations that pass one
 * conformance suite (`_conformance.ts`): {@linkcode S3ObjectStore} (S3, MinIO, Ceph RGW; the
 * only code that imports `@aws-sdk/client-s3`), {@linkcode LocalDirObjectStore} (files in a
 * directory: the embedded default) and {@linkcode MemoryObjectStore} (unit tests).
 *
 * ## Invariants (every implementation)
 *
 * - **Keys** are `/`-separated segments relative to the store's prefix: no empty segment
 *   (`//`, a leading or trailing `/`), no `.` or `..`, no NUL, valid Unicode, at most 1,024
 *   bytes. Anything else throws `InvalidObjectKeyError` before any I/O, so keys never escape
 *   a directory and stored keys never contain `//`.
 * - **Prefixes** are normalized: `"t4/"`, `"/t4"` and `"t4"` all store `t4/<key>`; `""` stores
 *   `<key>`.
 * - **ETags** are opaque strings compared only for equality, always without quotes. S3's are
 *   MD5-based; the local stores use the hex SHA-256 of the content. Equal content may give equal
 *   ETags.
 * - **Writes are atomic**: a reader sees the old object or the new one, never a mix.
 * - **Conditional writes**: `putIfAbsent` (S3 `If-None-Match: *`) and `putIfMatch` (S3
 *   `If-Match`, sent without quotes) have exactly one winner among concurrent callers (across
 *   processes for S3 and the local directory). Losing throws `PreconditionFailedError`; S3's
 *   412, 409 ConditionalRequestConflict and 404 on `If-Match` all mean that.
 * - **`list`** returns every key under the prefix (pagination is internal), sorted by code point
 *   (UTF-8 byte order, as S3 sorts), with sizes; `startAfter` skips keys up to and including it.
 * - **`delete`** of an absent key is not an error; `deleteMany` sends 1,000 keys per request.
 * - **Errors** are only `ObjectNotFoundError` (`get`), `PreconditionFailedError`,
 *   `ObjectStoreUnavailableError` (unreachable, timed out, 5xx after retries, access denied,
 *   missing bucket, local I/O) and `InvalidObjectKeyError`, each a `KvError` with a one-line
 *   message naming the operation, key and store. A write that fails as unavailable may still
 *   have been applied: read before deciding. On S3 a conditional write tags itself with a
 *   write ID, so a lost answer (or RGW's HTTP 500 for the losers of an `If-Match` race) is
 *   settled by a HEAD, never misreported; when even that fails the message says "outcome
 *   unknown".
 * - One exception: a local directory cannot hold both a key and keys under it (`a` and `a/b`);
 *   that write throws `InvalidObjectKeyError`. T4's key layout never needs both.
 * - Never rely on conditional deletes or conditional multipart uploads: RGW ignores both
 *   (`reference/s3.md` §3.3), so this interface offers neither.
 *
 * @example Elect a leader with a conditional create, renew with compare-and-swap
 * ```ts
 * import { MemoryObjectStore, PreconditionFailedError } from "./mod.ts";
 * const store = new MemoryObjectStore({ prefix: "t4" });
 * const lock = (node: string) => new TextEncoder().encode(JSON.stringify({ node }));
 * const { etag } = await store.putIfAbsent("leader-lock", lock("a"));
 * try {
 *   await store.putIfAbsent("leader-lock", lock("b"));
 * } catch (err: unknown) {
 *   if (!(err instanceof PreconditionFailedError)) throw err; // b lost
 * }
 * await store.putIfMatch("leader-lock", lock("a"), etag); // a renews
 * ```
 *
 * @module
 */

export type {
  ListedObject,
  ListOptions,
  ObjectHead,
  ObjectStore,
  ObjectStoreOp,
  PutResult,
  StoredObject,
} from "./object_store.ts";
export { OBJECT_STORE_OPS } from "./object_store.ts";
export {
  InvalidObjectKeyError,
  ObjectNotFoundError,
  ObjectStoreUnavailableError,
  PreconditionFailedError,
} from "./errors.ts";
export { checkKey, compareKeys, normalizePrefix } from "./keys.ts";
export { MemoryObjectStore, type MemoryObjectStoreOptions } from "./memory.ts";
export { LocalDirObjectStore, type LocalDirObjectStoreOptions } from "./local_dir.ts";
export { createBucket, deleteBucket, S3ObjectStore } from "./s3.ts";
export {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type S3ObjectStoreOptions,
} from "./s3_options.ts";
export { InstrumentedObjectStore, type ObjectStoreObserver } from "./instrumented.ts";
export { FaultyObjectStore } from "./testing.ts";
