/**
 * Helpers for tests that need a real S3: the Ceph RGW that `tests/run.ts` starts once per run
 * and describes in `T4_TEST_S3_ENDPOINT`, `T4_TEST_S3_ACCESS_KEY` and `T4_TEST_S3_SECRET_KEY`.
 * Each test gets a fresh, uniquely named bucket, deleted (with its objects) on dispose.
 *
 * ```ts ignore
 * Deno.test({ name: "…", ignore: s3Skipped, fn: async (t) => {
 *   await using s3 = await s3TestStore(t);
 *   await s3.store.put("k", data);
 * } });
 * ```
 *
 * With `T4_TEST_SKIP_S3=1` such tests are reported as ignored. Without it and without the
 * variables (plain `deno test`), they fail with a message saying how to run them.
 *
 * @module
 */

import {
  createBucket,
  deleteBucket,
  S3ObjectStore,
  type S3ObjectStoreOptions,
} from "../src/objstore/mod.ts";

/** True when the run skips S3 (`T4_TEST_SKIP_S3=1`): pass it as `Deno.test`'s `ignore`. */
export const s3Skipped: boolean = Deno.env.get("T4_TEST_SKIP_S3") === "1";

/** True when the environment names an S3 server and the run does not skip S3. */
export const s3Available: boolean = !s3Skipped && Deno.env.get("T4_TEST_S3_ENDPOINT") !== undefined;

/** Where the test S3 server is and how to sign in. */
export interface S3TestEnv {
  /** `http://127.0.0.1:<port>`. */
  endpoint: string;
  /** The access key ID. */
  accessKeyId: string;
  /** The secret key. */
  secretAccessKey: string;
}

/**
 * Reads the test S3 server from the environment.
 *
 * @throws {Error} with instructions if a variable is missing (and S3 is not skipped).
 */
export function s3TestEnv(): S3TestEnv {
  const read = (name: string) => {
    const value = Deno.env.get(name);
    if (value === undefined || value === "") {
      throw new Error(
        `${name} is not set: run the S3 tests through \`deno run -A tests/run.ts\` (it starts ` +
          `Ceph RGW and sets T4_TEST_S3_*), or set T4_TEST_SKIP_S3=1 to skip them.`,
      );
    }
    return value;
  };
  return {
    endpoint: read("T4_TEST_S3_ENDPOINT"),
    accessKeyId: read("T4_TEST_S3_ACCESS_KEY"),
    secretAccessKey: read("T4_TEST_S3_SECRET_KEY"),
  };
}

/** A fresh bucket on the test server; `await using` deletes it and closes every store. */
export interface S3TestStore extends AsyncDisposable {
  /** A store on the bucket, with the prefix asked for. */
  store: S3ObjectStore;
  /** The bucket's name. */
  bucket: string;
  /** The options `store` was made with (endpoint, credentials, bucket, prefix). */
  options: S3ObjectStoreOptions;
  /** Opens another store on the same bucket (closed on dispose too). */
  open(prefix?: string, extra?: Partial<S3ObjectStoreOptions>): S3ObjectStore;
}

function bucketName(label: string): string {
  const slug = label.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  const unique = `${Date.now().toString(36)}-${crypto.randomUUID().slice(0, 8)}`;
  return `t4-${slug.slice(0, 63 - 4 - unique.length - 1) || "test"}-${unique}`
    .replace(/--+/g, "-");
}

/**
 * Creates a uniquely named bucket (named after the test when `t` is given) and returns a store
 * on it. Options in `extra` (a prefix, timeouts, …) apply to `store`.
 */
export async function s3TestStore(
  t?: Deno.TestContext | string,
  extra: Partial<S3ObjectStoreOptions> = {},
): Promise<S3TestStore> {
  const env = s3TestEnv();
  const bucket = bucketName(typeof t === "string" ? t : t?.name ?? "test");
  const base: S3ObjectStoreOptions = { ...env, bucket };
  await createBucket(base);
  const opened: S3ObjectStore[] = [];
  const open = (prefix = "", more: Partial<S3ObjectStoreOptions> = {}) => {
    const store = new S3ObjectStore({ ...base, ...more, prefix });
    opened.push(store);
    return store;
  };
  const options = { ...base, ...extra };
  return {
    store: open(extra.prefix ?? "", extra),
    bucket,
    options,
    open,
    async [Symbol.asyncDispose]() {
      await Promise.all(opened.map((store) => store.close()));
      await deleteBucket(base);
    },
  };
}
