/**
 * Conditional PUTs that never misreport their outcome, written against three small steps so the
 * logic is tested without a server (`s3_conditional_test.ts`).
 *
 * Why not let the SDK retry: a retried conditional PUT whose first try landed (answer lost)
 * gets 412 on the retry, and we would report "precondition failed" for our own write. And Ceph
 * RGW answers the losers of a concurrent `If-Match` race with HTTP 500 (`ECANCELED`), not 412.
 *
 * So each conditional PUT carries a unique write ID in its metadata, is sent once per attempt,
 * and after any ambiguous failure (5xx, timeout, a 412 after such a failure) we HEAD the key:
 * - it carries our write ID → we won (the answer was lost);
 * - it changed otherwise (a different ETag, or now exists) → we lost;
 * - it is unchanged → our write did not land, so sending it again is safe.
 *
 * @module
 */

import { ObjectStoreUnavailableError, PreconditionFailedError } from "./errors.ts";
import {
  etagOf,
  isMissingObject,
  isPreconditionFailure,
  isRetryable,
  type S3Failure,
} from "./_s3_responses.ts";

/** The user-metadata key (`x-amz-meta-t4-write-id`) that tags each conditional write. */
export const WRITE_ID_METADATA = "t4-write-id";

/** `If-None-Match: *`, or `If-Match` with an unquoted ETag. */
export type PutCondition = { ifNoneMatch: "*" } | { ifMatch: string };

/** What is stored under the key, as far as the resolution needs to know. */
export interface StoredState {
  /** The current ETag, unquoted. */
  etag: string;
  /** The write ID in the object's metadata, if any. */
  writeId: string | undefined;
}

/** The I/O the algorithm needs; each step throws the SDK's error unchanged. */
export interface ConditionalPutSteps {
  /** Sends one conditional PutObject tagged with the write ID; resolves to the new ETag. */
  attempt(): Promise<string>;
  /** HEADs the key; `undefined` if there is no object. */
  inspect(): Promise<StoredState | undefined>;
  /** Classifies an error thrown by a step. */
  classify(err: unknown): S3Failure;
  /** Waits before attempt `n` (n ≥ 2). */
  pause(n: number): Promise<void>;
}

/** How a conditional PUT ended. `unknown`: an earlier attempt may still land or have landed. */
export type ConditionalPutOutcome =
  | { kind: "won"; etag: string }
  | { kind: "lost"; err: unknown }
  | { kind: "failed"; failure: S3Failure; err: unknown; unknown: boolean };

/** Runs a conditional PUT with up to `maxAttempts` attempts; see the module doc. */
export async function putConditionally(
  steps: ConditionalPutSteps,
  options: { condition: PutCondition; writeId: string; maxAttempts: number },
): Promise<ConditionalPutOutcome> {
  const { condition, writeId, maxAttempts } = options;
  let ambiguous: { failure: S3Failure; err: unknown } | undefined;
  for (let n = 1; n <= Math.max(1, maxAttempts); n++) {
    if (n > 1) await steps.pause(n);
    try {
      return { kind: "won", etag: await steps.attempt() };
    } catch (err: unknown) {
      const failure = steps.classify(err);
      // If-Match on a missing key: 404 NoSuchKey on AWS, 412 on RGW.
      const lost = isPreconditionFailure(failure) ||
        ("ifMatch" in condition && isMissingObject(failure));
      if (lost && ambiguous === undefined) return { kind: "lost", err };
      if (!lost && !isRetryable(failure)) {
        return { kind: "failed", failure, err, unknown: ambiguous !== undefined };
      }
      ambiguous = { failure, err };
      let state: StoredState | undefined;
      try {
        state = await steps.inspect();
      } catch {
        return { kind: "failed", failure, err, unknown: true };
      }
      if (state !== undefined && state.writeId === writeId) {
        return { kind: "won", etag: state.etag };
      }
      const unchanged = "ifMatch" in condition
        ? state?.etag === condition.ifMatch
        : state === undefined;
      if (lost || !unchanged) return { kind: "lost", err };
    }
  }
  return { kind: "failed", ...ambiguous!, unknown: true };
}

/** The two SDK calls a conditional PUT makes, as `s3.ts` provides them. */
export interface ConditionalPutIo {
  /** Sends one PutObject (no SDK retries) with these extra fields; resolves to its output. */
  put(extra: {
    Metadata: Record<string, string>;
    IfMatch?: string;
    IfNoneMatch?: string;
  }): Promise<{ ETag?: string | undefined }>;
  /** Sends a HeadObject for the same key. */
  head(): Promise<{ ETag?: string | undefined; Metadata?: Record<string, string> | undefined }>;
  /** Classifies an SDK error. */
  classify(err: unknown): S3Failure;
}

/**
 * Runs a conditional PUT through `io` and returns the new ETag, or throws
 * `PreconditionFailedError` / `ObjectStoreUnavailableError`, whose messages start with
 * `cannot` (e.g. `Cannot put object "k" to s3://b/p (http://…)`).
 */
export async function conditionalPut(
  io: ConditionalPutIo,
  context: { condition: PutCondition; key: string; maxAttempts: number; cannot: string },
): Promise<string> {
  const { condition } = context;
  const writeId = crypto.randomUUID();
  const outcome = await putConditionally(
    {
      attempt: async () => {
        const guard = "ifMatch" in condition
          ? { IfMatch: condition.ifMatch }
          : { IfNoneMatch: "*" };
        return etagOf(await io.put({ Metadata: { [WRITE_ID_METADATA]: writeId }, ...guard }));
      },
      inspect: async () => {
        try {
          const out = await io.head();
          return { etag: etagOf(out), writeId: out.Metadata?.[WRITE_ID_METADATA] };
        } catch (err: unknown) {
          if (isMissingObject(io.classify(err))) return undefined;
          throw err;
        }
      },
      classify: (err) => io.classify(err),
      pause: (n) => new Promise((resolve) => setTimeout(resolve, 25 * 2 ** n * Math.random())),
    },
    { condition, writeId, maxAttempts: context.maxAttempts },
  );
  switch (outcome.kind) {
    case "won":
      return outcome.etag;
    case "lost": {
      const why = "ifMatch" in condition
        ? `its ETag is not ${condition.ifMatch}`
        : "the object exists";
      throw new PreconditionFailedError(context.key, `${context.cannot}: ${why}`, {
        cause: outcome.err,
      });
    }
    case "failed": {
      const { failure, err } = outcome;
      const reason = outcome.unknown ? `outcome unknown: ${failure.reason}` : failure.reason;
      throw new ObjectStoreUnavailableError(`${context.cannot}: ${reason}`, { cause: err });
    }
  }
}
