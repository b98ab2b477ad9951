/**
 * The options of `S3ObjectStore`, their defaults, and the `S3Client` settings they give, as
 * plain data (`s3.ts` stays the only file that imports the SDK).
 *
 * @module
 */

import { KvError } from "../errors.ts";
import type { S3Timeouts } from "./_s3_responses.ts";

/** How to reach a bucket. Credentials: static keys if given, else `profile`, else the chain. */
export interface S3ObjectStoreOptions {
  /** The bucket name. */
  bucket: string;
  /** A key prefix: `"t4/"`, `"/t4"` and `"t4"` all give keys `t4/<key>`. Default: none. */
  prefix?: string;
  /** A custom endpoint (`http://127.0.0.1:7480`); implies path-style URLs. Default: AWS. */
  endpoint?: string;
  /** The region. Default: `us-east-1`. */
  region?: string;
  /** Path-style URLs (`endpoint/bucket/key`). Default: true with `endpoint`, else false. */
  forcePathStyle?: boolean;
  /** A static access key ID; needs `secretAccessKey`. */
  accessKeyId?: string;
  /** The static secret key. */
  secretAccessKey?: string;
  /** A session token for temporary static credentials. */
  sessionToken?: string;
  /** A profile in `~/.aws/credentials` / `~/.aws/config`, used when no static keys are given. */
  profile?: string;
  /** How long connecting may take, per attempt. Default: 3,000 ms. */
  connectTimeoutMs?: number;
  /** How long a request may take, per attempt. Default: 10,000 ms. */
  requestTimeoutMs?: number;
  /** Attempts per operation, retries included (5xx, throttling, timeouts). Default: 3. */
  maxAttempts?: number;
  /** Keys per ListObjectsV2 page (1–1,000), for tests of pagination. Default: 1,000. */
  listPageSize?: number;
}

/** The default connect timeout per attempt, in milliseconds. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 3_000;
/** The default request timeout per attempt, in milliseconds. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/** {@linkcode S3ObjectStoreOptions} with defaults applied and credentials checked. */
export interface ResolvedS3Options {
  /** The region. */
  region: string;
  /** The endpoint, when not AWS. */
  endpoint?: string;
  /** Whether URLs are path-style. */
  forcePathStyle: boolean;
  /** Attempts per operation. */
  maxAttempts: number;
  /** The timeouts per attempt. */
  timeouts: S3Timeouts;
  /** Keys per list page. */
  listPageSize: number;
  /** Static credentials, if given. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** The profile, if given and there are no static credentials. */
  profile?: string;
  /** Where requests go, for messages: the endpoint or `region <r>`. */
  where: string;
}

/**
 * Applies the defaults. Without static keys or a profile, `credentials` stays unset and the
 * SDK's provider chain finds them (environment, `~/.aws`, web identity, instance profile).
 *
 * @throws {KvError} `invalid-argument` if only one of the access key and the secret is given.
 */
export function resolveS3Options(options: S3ObjectStoreOptions): ResolvedS3Options {
  const region = options.region ?? "us-east-1";
  const resolved: ResolvedS3Options = {
    region,
    forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
    maxAttempts: options.maxAttempts ?? 3,
    timeouts: {
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    },
    listPageSize: options.listPageSize ?? 1000,
    where: options.endpoint ?? `region ${region}`,
  };
  if (options.endpoint !== undefined) resolved.endpoint = options.endpoint;
  const { accessKeyId, secretAccessKey, sessionToken } = options;
  if (accessKeyId !== undefined || secretAccessKey !== undefined) {
    if (!accessKeyId || !secretAccessKey) {
      throw new KvError("invalid-argument", "S3 credentials need both an access key and a secret");
    }
    resolved.credentials = { accessKeyId, secretAccessKey };
    if (sessionToken !== undefined) resolved.credentials.sessionToken = sessionToken;
  } else if (options.profile !== undefined) {
    resolved.profile = options.profile;
  }
  return resolved;
}

/** The `S3Client` settings for `options`, as plain data; `maxAttempts` overrides the option. */
export function sdkClientConfig(options: S3ObjectStoreOptions, maxAttempts?: number): {
  region: string;
  forcePathStyle: boolean;
  maxAttempts: number;
  requestChecksumCalculation: "WHEN_REQUIRED";
  responseChecksumValidation: "WHEN_REQUIRED";
  requestHandler: {
    connectionTimeout: number;
    requestTimeout: number;
    throwOnRequestTimeout: true;
  };
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  profile?: string;
} {
  const resolved = resolveS3Options(options);
  return {
    region: resolved.region,
    forcePathStyle: resolved.forcePathStyle,
    maxAttempts: maxAttempts ?? resolved.maxAttempts,
    // Older S3-compatible servers reject the newer default checksum headers.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    requestHandler: {
      connectionTimeout: resolved.timeouts.connectTimeoutMs,
      requestTimeout: resolved.timeouts.requestTimeoutMs,
      throwOnRequestTimeout: true, // else a timeout only logs a warning
    },
    ...(resolved.endpoint === undefined ? {} : { endpoint: resolved.endpoint }),
    ...(resolved.credentials === undefined ? {} : { credentials: resolved.credentials }),
    ...(resolved.profile === undefined ? {} : { profile: resolved.profile }),
  };
}
