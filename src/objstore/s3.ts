/**
 * `S3ObjectStore`: the `ObjectStore` on S3 or an S3-compatible server (AWS, MinIO, Ceph RGW),
 * and `createBucket`/`deleteBucket` for tests and set-up tools. The only file that imports
 * `@aws-sdk/client-s3`; SDK errors become our errors here (`_s3_responses.ts`).
 *
 * Portable rules (`reference/s3.md`): `If-Match` goes without quotes (RGW matches only the bare
 * ETag); conditional writes are single-request PutObjects, resolved by `_s3_conditional.ts`.
 *
 * @module
 */

import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type PutObjectCommandInput,
  S3Client,
} from "@aws-sdk/client-s3";
import { KvError } from "../errors.ts";
import {
  cannot,
  ObjectNotFoundError,
  ObjectStoreUnavailableError,
  type ObjectVerb,
} from "./errors.ts";
import { checkKey, checkListPrefix, chunked, normalizePrefix, unquoteEtag } from "./keys.ts";
import type {
  ListedObject,
  ListOptions,
  ObjectHead,
  ObjectStore,
  PutResult,
  StoredObject,
} from "./object_store.ts";
import {
  type ResolvedS3Options,
  resolveS3Options,
  type S3ObjectStoreOptions,
  sdkClientConfig,
} from "./s3_options.ts";
import {
  classifyS3Error,
  etagOf,
  isMissingObject,
  type ListPage,
  nextPage,
  type S3Failure,
} from "./_s3_responses.ts";
import { conditionalPut, type PutCondition } from "./_s3_conditional.ts";

function putBody(data: Uint8Array) {
  return { Body: data, ContentLength: data.length, ContentType: "application/octet-stream" };
}

/**
 * An `ObjectStore` on an S3 bucket; ETags are S3's, unquoted. Plain operations are retried by
 * the SDK (`maxAttempts`); conditional PUTs retry themselves (`_s3_conditional.ts`). HEAD on a
 * missing bucket looks like a missing object (S3 sends no body), so `head()` then returns
 * `undefined`; every other operation reports the missing bucket.
 *
 * @example
 * ```ts ignore
 * const store = new S3ObjectStore({ bucket: "t4", prefix: "prod", endpoint: "http://127.0.0.1:7480" });
 * const { etag } = await store.putIfAbsent("leader-lock", new TextEncoder().encode("{}"));
 * await store.close();
 * ```
 */
export class S3ObjectStore implements ObjectStore {
  #client: S3Client;
  #once: S3Client; // maxAttempts 1, for conditional PUTs
  #bucket: string;
  #prefix: string;
  #resolved: ResolvedS3Options;

  /** Creates the clients; nothing is sent until the first operation. */
  constructor(options: S3ObjectStoreOptions) {
    this.#resolved = resolveS3Options(options);
    this.#client = new S3Client(sdkClientConfig(options));
    this.#once = new S3Client(sdkClientConfig(options, 1));
    this.#bucket = options.bucket;
    this.#prefix = normalizePrefix(options.prefix ?? "");
  }

  /** Returns `s3://bucket/prefix`. */
  describe(): string {
    return `s3://${this.#bucket}/${this.#prefix}`;
  }

  /** Reads an object; throws `ObjectNotFoundError` if there is none. */
  async get(key: string): Promise<StoredObject> {
    try {
      const out = await this.#client.send(new GetObjectCommand(this.#target(key)));
      return { data: await out.Body!.transformToByteArray(), etag: etagOf(out) };
    } catch (err: unknown) {
      if (!isMissingObject(this.#classify(err))) throw this.#error("get", key, err);
      throw new ObjectNotFoundError(key, `${cannot("get", key, { store: this })}: no such object`, {
        cause: err,
      });
    }
  }

  /** Reads an object's ETag and size, or `undefined` if there is none. */
  async head(key: string): Promise<ObjectHead | undefined> {
    try {
      const out = await this.#client.send(new HeadObjectCommand(this.#target(key)));
      return { etag: etagOf(out), size: out.ContentLength ?? 0 };
    } catch (err: unknown) {
      if (isMissingObject(this.#classify(err))) return undefined;
      throw this.#error("head", key, err);
    }
  }

  /** Creates or replaces an object. */
  put(key: string, data: Uint8Array): Promise<PutResult> {
    return this.#attempt("put", key, async () => {
      const input = { ...this.#target(key), ...putBody(data) };
      return { etag: etagOf(await this.#client.send(new PutObjectCommand(input))) };
    });
  }

  /** Creates an object only if there is none (`If-None-Match: *`). */
  putIfAbsent(key: string, data: Uint8Array): Promise<PutResult> {
    return this.#putConditionally(key, data, { ifNoneMatch: "*" });
  }

  /** Replaces an object only if its ETag is `etag` (`If-Match`, sent without quotes). */
  putIfMatch(key: string, data: Uint8Array, etag: string): Promise<PutResult> {
    return this.#putConditionally(key, data, { ifMatch: unquoteEtag(etag) });
  }

  /** Every object under `prefix`, in key order (ListObjectsV2, all pages). */
  async list(prefix: string, options: ListOptions = {}): Promise<ListedObject[]> {
    const listed: ListedObject[] = [];
    const { startAfter } = options;
    let page: ListPage | undefined = startAfter === undefined
      ? undefined
      : { StartAfter: this.#prefix + startAfter };
    try {
      checkListPrefix(prefix);
      do {
        const out = await this.#client.send(
          new ListObjectsV2Command({
            Bucket: this.#bucket,
            Prefix: this.#prefix + prefix,
            MaxKeys: this.#resolved.listPageSize,
            ...page,
          }),
        );
        for (const { Key = "", Size = 0 } of out.Contents ?? []) {
          if (Key.startsWith(this.#prefix)) {
            listed.push({ key: Key.slice(this.#prefix.length), size: Size });
          }
        }
        page = nextPage(out);
      } while (page !== undefined);
    } catch (err: unknown) {
      throw this.#error("list", prefix, err);
    }
    return listed;
  }

  /** Deletes an object; an absent key is not an error. */
  async delete(key: string): Promise<void> {
    await this.#attempt(
      "delete",
      key,
      () => this.#client.send(new DeleteObjectCommand(this.#target(key))),
    );
  }

  /** Deletes many objects with DeleteObjects, 1,000 keys per request. */
  async deleteMany(keys: readonly string[]): Promise<void> {
    keys.forEach((key) => checkKey(key));
    for (const chunk of chunked(keys, 1000)) {
      const Delete = { Objects: chunk.map((key) => ({ Key: this.#prefix + key })), Quiet: true };
      const input = { Bucket: this.#bucket, Delete };
      const out = await this.#attempt(
        "delete",
        chunk[0]!,
        () => this.#client.send(new DeleteObjectsCommand(input)),
      );
      const failed = (out.Errors ?? []).filter((e) => e.Code !== "NoSuchKey");
      if (failed.length > 0) {
        const key = (failed[0]!.Key ?? "").slice(this.#prefix.length);
        const why = `${failed[0]!.Code} (${failed.length} of ${chunk.length} keys failed)`;
        throw new ObjectStoreUnavailableError(
          `${cannot("delete", key, { store: this })} (${this.#resolved.where}): ${why}`,
        );
      }
    }
  }

  /** Closes the clients' connections; idempotent. */
  close(): Promise<void> {
    this.#client.destroy();
    this.#once.destroy();
    return Promise.resolve();
  }

  /** Same as {@linkcode close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #target(key: string): { Bucket: string; Key: string } {
    checkKey(key);
    return { Bucket: this.#bucket, Key: this.#prefix + key };
  }

  async #putConditionally(
    key: string,
    data: Uint8Array,
    condition: PutCondition,
  ): Promise<PutResult> {
    const target = this.#target(key);
    const io = {
      put: (extra: Partial<PutObjectCommandInput>) =>
        this.#once.send(new PutObjectCommand({ ...target, ...putBody(data), ...extra })),
      head: () => this.#client.send(new HeadObjectCommand(target)),
      classify: (err: unknown) => this.#classify(err),
    };
    const cannotPut = `${cannot("put", key, { store: this })} (${this.#resolved.where})`;
    const { maxAttempts } = this.#resolved;
    const context = { condition, key, maxAttempts, cannot: cannotPut };
    return { etag: await conditionalPut(io, context) };
  }

  #classify(err: unknown): S3Failure {
    return classifyS3Error(err, this.#resolved.timeouts);
  }

  async #attempt<T>(verb: ObjectVerb, key: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err: unknown) {
      throw this.#error(verb, key, err);
    }
  }

  // Our own errors (an invalid key) pass through; anything else becomes "unavailable".
  #error(verb: ObjectVerb, key: string, err: unknown): KvError {
    if (err instanceof KvError) return err;
    const { reason } = this.#classify(err);
    const message = `${cannot(verb, key, { store: this })} (${this.#resolved.where}): ${reason}`;
    return new ObjectStoreUnavailableError(message, { cause: err });
  }
}

// Runs `fn` with a client of its own; failures become "Cannot <verb> bucket …" errors.
async function onBucket(
  options: S3ObjectStoreOptions,
  verb: "create" | "delete",
  fn: (client: S3Client, Bucket: string) => Promise<unknown>,
): Promise<void> {
  const client = new S3Client(sdkClientConfig(options));
  try {
    await fn(client, options.bucket);
  } catch (err: unknown) {
    const { timeouts, where } = resolveS3Options(options);
    const { code, reason } = classifyS3Error(err, timeouts);
    if (verb === "create" && code === "BucketAlreadyOwnedByYou") return;
    const bucket = JSON.stringify(options.bucket);
    const message = `Cannot ${verb} bucket ${bucket} (${where}): ${reason}`;
    throw new ObjectStoreUnavailableError(message, { cause: err });
  } finally {
    client.destroy();
  }
}

/** Creates `options.bucket`; a bucket we already own is fine. */
export function createBucket(options: S3ObjectStoreOptions): Promise<void> {
  return onBucket(options, "create", (c, Bucket) => c.send(new CreateBucketCommand({ Bucket })));
}

/** Deletes every object in `options.bucket` (whatever the prefix), then the bucket itself. */
export function deleteBucket(options: S3ObjectStoreOptions): Promise<void> {
  return onBucket(options, "delete", async (client, Bucket) => {
    let listed;
    do {
      listed = await client.send(new ListObjectsV2Command({ Bucket }));
      const Objects = (listed.Contents ?? []).map((o) => ({ Key: o.Key ?? "" }));
      if (Objects.length === 0) continue;
      const out = await client.send(
        new DeleteObjectsCommand({ Bucket, Delete: { Objects, Quiet: true } }),
      );
      if (out.Errors?.length) throw new Error(`${out.Errors[0]!.Code} for "${out.Errors[0]!.Key}"`);
    } while (listed.IsTruncated);
    await client.send(new DeleteBucketCommand({ Bucket }));
  });
}
