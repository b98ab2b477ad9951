/**
 * Typed errors shared by every layer.
 *
 * Each layer throws a `KvError` subclass with a literal `code`. Only `src/server/status.ts` knows
 * how a code maps to a gRPC status; it keys its table by {@linkcode KvErrorCode}, so adding a
 * code here without a mapping there fails to type-check.
 *
 * @module
 */

/** Every error code a layer may raise. */
export type KvErrorCode =
  // request validation (etcd's InvalidArgument family)
  | "empty-key"
  | "key-not-found"
  | "value-provided"
  | "lease-provided"
  | "too-many-ops"
  | "duplicate-key"
  | "request-too-large"
  | "invalid-argument"
  // revisions
  | "compacted"
  | "future-revision"
  // leases
  | "lease-not-found"
  | "lease-exists"
  | "lease-ttl-too-large"
  // capacity
  | "too-many-requests"
  // node state
  | "closed"
  | "fenced"
  | "unavailable"
  // storage
  | "wal-corrupt"
  | "wal-io"
  | "engine"
  // object store and checkpoints
  | "object-not-found"
  | "precondition-failed"
  | "object-store-unavailable"
  | "checkpoint-corrupt"
  | "format-unsupported"
  // wire
  | "malformed-request"
  // auth (etcd's rpctypes auth family)
  | AuthErrorCode;

/** The codes of {@linkcode AuthError}: etcd's auth errors, one per `rpctypes` message. */
export type AuthErrorCode =
  | "auth-failed"
  | "auth-not-enabled"
  | "user-empty"
  | "user-exists"
  | "user-not-found"
  | "role-empty"
  | "role-exists"
  | "role-not-found"
  | "role-not-granted"
  | "permission-denied"
  | "permission-not-granted"
  | "permission-not-given"
  | "root-missing"
  | "root-role-missing"
  | "invalid-token"
  | "invalid-auth-mgmt"
  // Maintenance's admin check: etcd 3.4 returns the auth store's own error there, which
  // reaches the client as `Unknown` with the bare text ("auth: permission denied").
  | "auth-raw";

/** Base class: an error with a literal code that the server layer maps to a gRPC status. */
export class KvError extends Error {
  /** The code that decides how the server layer reports this error. */
  readonly code: KvErrorCode;

  /** Creates an error with `code` and a human-readable `message`. */
  constructor(code: KvErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = "KvError";
  }
}

/** A read or compaction asked for a revision that compaction already removed. */
export class CompactedError extends KvError {
  /** Creates the error; `compactRevision` is the store's compact revision. */
  constructor(readonly compactRevision: number) {
    super("compacted", "mvcc: required revision has been compacted");
    this.name = "CompactedError";
  }
}

/** A read or compaction asked for a revision newer than the store's current revision. */
export class FutureRevisionError extends KvError {
  /** Creates the error. */
  constructor() {
    super("future-revision", "mvcc: required revision is a future revision");
    this.name = "FutureRevisionError";
  }
}

/** A request failed validation; `code` says which rule it broke. */
export class InvalidRequestError extends KvError {
  /** Creates the error with a code from the validation family. */
  constructor(
    code:
      | "empty-key"
      | "key-not-found"
      | "value-provided"
      | "lease-provided"
      | "too-many-ops"
      | "duplicate-key"
      | "request-too-large"
      | "invalid-argument",
    message: string,
  ) {
    super(code, message);
    this.name = "InvalidRequestError";
  }
}

/** A lease operation named a lease that does not exist, or reused an existing ID. */
export class LeaseError extends KvError {
  /** Creates the error. */
  constructor(code: "lease-not-found" | "lease-exists" | "lease-ttl-too-large", message: string) {
    super(code, message);
    this.name = "LeaseError";
  }
}

/**
 * A WAL segment is damaged somewhere other than its tail. `segment` is the file name and
 * `offset` the byte offset of the first bad frame; entries before it are intact.
 */
export class WalCorruptError extends KvError {
  /** Creates the error naming the segment and offset. */
  constructor(
    readonly segment: string,
    readonly offset: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super("wal-corrupt", message, options);
    this.name = "WalCorruptError";
  }
}

/** The storage engine reported an error (I/O, corruption, full disk). */
export class EngineError extends KvError {
  /** Creates the error; `sqliteCode` is SQLite's result code when there is one. */
  constructor(message: string, readonly sqliteCode = 0, options?: ErrorOptions) {
    super("engine", message, options);
    this.name = "EngineError";
  }
}

/** The node stopped accepting writes after a WAL or engine failure; `cause` says why. */
export class FencedError extends KvError {
  /** Creates the error. */
  constructor(message: string, options?: ErrorOptions) {
    super("fenced", message, options);
    this.name = "FencedError";
  }
}

/** The store was closed. */
export class ClosedError extends KvError {
  /** Creates the error. */
  constructor() {
    super("closed", "the store is closed");
    this.name = "ClosedError";
  }
}

/**
 * An authentication or authorization failure, or a refused user/role change. The message is
 * etcd's text without the `etcdserver: ` prefix; for `auth-raw` it is the whole text sent.
 */
export class AuthError extends KvError {
  /** Creates the error. */
  constructor(code: AuthErrorCode, message: string) {
    super(code, message);
    this.name = "AuthError";
  }
}
