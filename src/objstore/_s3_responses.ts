/**
 * Reads what `@aws-sdk/client-s3` returns and throws, by shape, without importing the SDK:
 * errors become a status, a code and one clean line for our messages (raw SDK errors only
 * travel as `cause`); ETags lose their quotes; list pages give the next page.
 *
 * @module
 */

/** What `s3.ts` needs to know about a failed SDK call. */
export interface S3Failure {
  /** The HTTP status, if the server answered. */
  status: number | undefined;
  /** S3's error code (`NoSuchKey`, `PreconditionFailed`, …) or a socket code (`ECONNREFUSED`). */
  code: string;
  /** How many attempts the SDK made (1 when it did not retry). */
  attempts: number;
  /** One line saying what went wrong, for the end of a message; never a credential. */
  reason: string;
}

/** The timeouts a store runs with, quoted in timeout messages. */
export interface S3Timeouts {
  /** The connect timeout, in milliseconds. */
  connectTimeoutMs: number;
  /** The request timeout, in milliseconds. */
  requestTimeoutMs: number;
}

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: unknown; attempts?: unknown };
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function firstLine(value: string): string {
  return value.split("\n")[0]!.trim().slice(0, 200);
}

function plural(n: number): string {
  return n === 1 ? "1 attempt" : `${n} attempts`;
}

/** Classifies any error thrown by an SDK call; see {@linkcode S3Failure}. */
export function classifyS3Error(err: unknown, timeouts: S3Timeouts): S3Failure {
  const shape: SdkErrorShape = typeof err === "object" && err !== null ? err : {};
  const meta = shape.$metadata ?? {};
  const status = typeof meta.httpStatusCode === "number" ? meta.httpStatusCode : undefined;
  const attempts = typeof meta.attempts === "number" ? meta.attempts : 1;
  const name = text(shape.name);
  const code = text(shape.Code) || text(shape.code) || (name === "Error" ? "" : name) ||
    (status === undefined ? "Error" : `HTTP${status}`);
  return { status, code, attempts, reason: reasonFor(status, code, attempts, shape, timeouts) };
}

function reasonFor(
  status: number | undefined,
  code: string,
  attempts: number,
  shape: SdkErrorShape,
  timeouts: S3Timeouts,
): string {
  if (status !== undefined) {
    if (code === "InvalidAccessKeyId") {
      return "the server does not know the access key (InvalidAccessKeyId): check the credentials";
    }
    if (code === "SignatureDoesNotMatch") {
      return "the secret key does not match the access key (SignatureDoesNotMatch): " +
        "check the credentials";
    }
    if (status === 403) {
      return `access denied (HTTP 403 ${code}): check the credentials and the bucket's policy`;
    }
    if (code === "NoSuchBucket") return "the bucket does not exist (NoSuchBucket)";
    if (status >= 500) return `the server answered HTTP ${status} ${code} (${plural(attempts)})`;
    return `the server answered HTTP ${status} ${code}`;
  }
  if (code === "TimeoutError" || code === "ETIMEDOUT" || code === "RequestTimeout") {
    const limits = `connect timeout ${timeouts.connectTimeoutMs} ms, ` +
      `request timeout ${timeouts.requestTimeoutMs} ms`;
    return `no answer in time (${limits}; ${plural(attempts)})`;
  }
  if (code === "ECONNREFUSED") return `connection refused (${plural(attempts)})`;
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
    return `cannot resolve the endpoint's host name (${code})`;
  }
  if (code === "CredentialsProviderError") {
    return `no credentials: ${firstLine(text(shape.message))}`;
  }
  if (code.startsWith("E") && code === code.toUpperCase()) {
    return `connection failed (${code}; ${plural(attempts)})`;
  }
  const message = firstLine(text(shape.message));
  return message === "" ? code : `${code}: ${message}`;
}

/** 412, 409 ConditionalRequestConflict: a conditional PUT lost. */
export function isPreconditionFailure(failure: S3Failure): boolean {
  return failure.status === 412 ||
    (failure.status === 409 && failure.code === "ConditionalRequestConflict");
}

/** 404 for the object itself (NoSuchKey, or HEAD's bodiless NotFound), not for the bucket. */
export function isMissingObject(failure: S3Failure): boolean {
  return failure.status === 404 && failure.code !== "NoSuchBucket";
}

const THROTTLING = new Set(["SlowDown", "Throttling", "ThrottlingException", "RequestTimeout"]);

/** 5xx, throttling, timeouts and socket errors: worth another attempt. */
export function isRetryable(failure: S3Failure): boolean {
  const { status, code } = failure;
  if (status !== undefined) return status >= 500 || status === 429 || THROTTLING.has(code);
  return code === "TimeoutError" || /^E[A-Z]+$/.test(code);
}

/** The unquoted ETag of a PutObject, GetObject or HeadObject output. */
export function etagOf(out: { ETag?: string | undefined }): string {
  if (!out.ETag) throw new Error("the server returned no ETag");
  return out.ETag.replaceAll('"', "");
}

/** Where a ListObjectsV2 request starts. */
export type ListPage = { ContinuationToken: string } | { StartAfter: string };

/**
 * The next ListObjectsV2 page, or `undefined` after the last one. A server that truncates
 * without a token is continued after the last key, so a listing never stops short.
 */
export function nextPage(out: {
  IsTruncated?: boolean | undefined;
  NextContinuationToken?: string | undefined;
  Contents?: { Key?: string | undefined }[] | undefined;
}): ListPage | undefined {
  if (!out.IsTruncated) return undefined;
  if (out.NextContinuationToken) return { ContinuationToken: out.NextContinuationToken };
  const last = out.Contents?.at(-1)?.Key;
  if (last === undefined) throw new Error("the server truncated an empty listing page");
  return { StartAfter: last };
}
