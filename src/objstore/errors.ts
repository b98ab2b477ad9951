/**
 * The errors every {@linkcode ObjectStore} implementation throws. Callers branch on the class
 * (or on `code`), never on a message or on an SDK error.
 *
 * @module
 */

import { KvError } from "../errors.ts";
import type { ObjectStore } from "./object_store.ts";

/** `get()` named a key that holds no object. */
export class ObjectNotFoundError extends KvError {
  /** Creates the error; `key` is the key relative to the store's prefix. */
  constructor(readonly key: string, message: string, options?: ErrorOptions) {
    super("object-not-found", message, options);
    this.name = "ObjectNotFoundError";
  }
}

/**
 * A conditional write lost: `putIfAbsent()` found an object, or `putIfMatch()` found a different
 * ETag or no object. S3's 412 PreconditionFailed, 409 ConditionalRequestConflict and (for
 * If-Match on a missing key) 404 all become this error.
 */
export class PreconditionFailedError extends KvError {
  /** Creates the error; `key` is the key relative to the store's prefix. */
  constructor(readonly key: string, message: string, options?: ErrorOptions) {
    super("precondition-failed", message, options);
    this.name = "PreconditionFailedError";
  }
}

/**
 * The store could not answer: S3 unreachable, timed out, 5xx after retries, access denied, a
 * missing bucket, a local I/O error. For a write the outcome is unknown: it may have been
 * applied, so read again before deciding.
 */
export class ObjectStoreUnavailableError extends KvError {
  /** Creates the error; `cause` carries the underlying error for logs, never for branching. */
  constructor(message: string, options?: ErrorOptions) {
    super("object-store-unavailable", message, options);
    this.name = "ObjectStoreUnavailableError";
  }
}

/** A key or prefix breaks the key rules in `mod.ts` (empty segment, `.`, `..`, NUL, …). */
export class InvalidObjectKeyError extends KvError {
  /** Creates the error for `key`, saying which rule it breaks. */
  constructor(readonly key: string, reason: string) {
    super("invalid-argument", `Invalid object key ${JSON.stringify(key)}: ${reason}`);
    this.name = "InvalidObjectKeyError";
  }
}

/** Words for the messages: `Cannot put object "k" to s3://b/p: …`. */
export type ObjectVerb = "get" | "head" | "put" | "delete" | "list";

/**
 * Builds the message prefix in std's grammar: `Cannot get object "k" from <store>`,
 * `Cannot put object "k" to <store>`, `Cannot list objects under "p" in <store>`.
 */
export function cannot(
  verb: ObjectVerb,
  key: string,
  options: { store: ObjectStore | string },
): string {
  const { store } = options;
  const where = typeof store === "string" ? store : store.describe();
  const name = JSON.stringify(key);
  switch (verb) {
    case "get":
    case "head":
      return `Cannot ${verb} object ${name} from ${where}`;
    case "put":
      return `Cannot put object ${name} to ${where}`;
    case "delete":
      return `Cannot delete object ${name} from ${where}`;
    case "list":
      return `Cannot list objects under ${name} in ${where}`;
  }
}
