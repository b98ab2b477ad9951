/**
 * The error table: the only place that knows gRPC status codes. Every {@linkcode KvErrorCode}
 * maps to a code and, for etcd's errors, the exact `details` text of etcd's `rpctypes`, which
 * clients match byte for byte (clientv3 turns the text back into typed errors).
 *
 * @module
 */

import { KvError, type KvErrorCode } from "../errors.ts";

/** gRPC status codes (the numbers are fixed by the gRPC spec). */
export const GrpcCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/** A gRPC status code. */
export type GrpcCode = typeof GrpcCode[keyof typeof GrpcCode];

/** The status a call ends with. */
export interface GrpcStatus {
  code: GrpcCode;
  details: string;
}

/** `details` absent: the error's own message is sent. */
interface Mapping {
  code: GrpcCode;
  details?: string;
}

const C = GrpcCode;

/** The table; adding a code to `KvErrorCode` without a row here fails to type-check. */
export const ERROR_TABLE: Record<KvErrorCode, Mapping> = {
  "empty-key": { code: C.INVALID_ARGUMENT, details: "etcdserver: key is not provided" },
  "key-not-found": { code: C.INVALID_ARGUMENT, details: "etcdserver: key not found" },
  "value-provided": { code: C.INVALID_ARGUMENT, details: "etcdserver: value is provided" },
  "lease-provided": { code: C.INVALID_ARGUMENT, details: "etcdserver: lease is provided" },
  "too-many-ops": {
    code: C.INVALID_ARGUMENT,
    details: "etcdserver: too many operations in txn request",
  },
  "duplicate-key": {
    code: C.INVALID_ARGUMENT,
    details: "etcdserver: duplicate key given in txn request",
  },
  "request-too-large": { code: C.INVALID_ARGUMENT, details: "etcdserver: request is too large" },
  "invalid-argument": { code: C.INVALID_ARGUMENT },
  "compacted": {
    code: C.OUT_OF_RANGE,
    details: "etcdserver: mvcc: required revision has been compacted",
  },
  "future-revision": {
    code: C.OUT_OF_RANGE,
    details: "etcdserver: mvcc: required revision is a future revision",
  },
  "lease-not-found": { code: C.NOT_FOUND, details: "etcdserver: requested lease not found" },
  "lease-exists": { code: C.FAILED_PRECONDITION, details: "etcdserver: lease already exists" },
  "lease-ttl-too-large": { code: C.OUT_OF_RANGE, details: "etcdserver: too large lease TTL" },
  "too-many-requests": { code: C.RESOURCE_EXHAUSTED, details: "etcdserver: too many requests" },
  "closed": { code: C.UNAVAILABLE, details: "etcdserver: server stopped" },
  "fenced": { code: C.UNAVAILABLE, details: "etcdserver: no leader" },
  "unavailable": { code: C.UNAVAILABLE },
  "wal-corrupt": { code: C.UNAVAILABLE, details: "etcdserver: server stopped" },
  "wal-io": { code: C.UNAVAILABLE, details: "etcdserver: server stopped" },
  "engine": { code: C.UNAVAILABLE, details: "etcdserver: server stopped" },
  "object-not-found": { code: C.NOT_FOUND },
  "precondition-failed": { code: C.FAILED_PRECONDITION },
  "object-store-unavailable": { code: C.UNAVAILABLE, details: "etcdserver: request timed out" },
  "checkpoint-corrupt": { code: C.INTERNAL },
  "format-unsupported": { code: C.INTERNAL },
  "malformed-request": { code: C.INTERNAL },
  "auth-failed": {
    code: C.INVALID_ARGUMENT,
    details: "etcdserver: authentication failed, invalid user ID or password",
  },
  "auth-not-enabled": {
    code: C.FAILED_PRECONDITION,
    details: "etcdserver: authentication is not enabled",
  },
  "user-empty": { code: C.INVALID_ARGUMENT, details: "etcdserver: user name is empty" },
  "user-exists": { code: C.FAILED_PRECONDITION, details: "etcdserver: user name already exists" },
  "user-not-found": { code: C.FAILED_PRECONDITION, details: "etcdserver: user name not found" },
  "role-empty": { code: C.INVALID_ARGUMENT, details: "etcdserver: role name is empty" },
  "role-exists": { code: C.FAILED_PRECONDITION, details: "etcdserver: role name already exists" },
  "role-not-found": { code: C.FAILED_PRECONDITION, details: "etcdserver: role name not found" },
  "role-not-granted": {
    code: C.FAILED_PRECONDITION,
    details: "etcdserver: role is not granted to the user",
  },
  "permission-denied": { code: C.PERMISSION_DENIED, details: "etcdserver: permission denied" },
  "permission-not-granted": {
    code: C.FAILED_PRECONDITION,
    details: "etcdserver: permission is not granted to the role",
  },
  "permission-not-given": { code: C.INVALID_ARGUMENT, details: "etcdserver: permission not given" },
  "root-missing": { code: C.FAILED_PRECONDITION, details: "etcdserver: root user does not exist" },
  "root-role-missing": {
    code: C.FAILED_PRECONDITION,
    details: "etcdserver: root user does not have root role",
  },
  "invalid-token": { code: C.UNAUTHENTICATED, details: "etcdserver: invalid auth token" },
  "invalid-auth-mgmt": { code: C.INVALID_ARGUMENT, details: "etcdserver: invalid auth management" },
  "auth-raw": { code: C.UNKNOWN },
};

/** An error that carries its own gRPC status (Unimplemented methods, transport limits). */
export class GrpcError extends Error {
  /** Creates the error. */
  constructor(readonly code: GrpcCode, readonly details: string) {
    super(details);
    this.name = "GrpcError";
  }
}

/**
 * The status for `err`: the table's row for a `KvError`, the error's own status for a
 * {@linkcode GrpcError}, and `UNKNOWN` with the message for anything else (the caller logs it).
 */
export function toStatus(err: unknown): GrpcStatus & { unexpected: boolean } {
  if (err instanceof GrpcError) return { code: err.code, details: err.details, unexpected: false };
  if (err instanceof KvError) {
    const row = ERROR_TABLE[err.code];
    return { code: row.code, details: row.details ?? err.message, unexpected: false };
  }
  const details = err instanceof Error ? err.message : String(err);
  return { code: C.UNKNOWN, details, unexpected: true };
}

/** grpc-go's names of the codes, as its `Error()` strings print them. */
const GO_CODE_NAMES: readonly string[] = [
  "OK",
  "Canceled",
  "Unknown",
  "InvalidArgument",
  "DeadlineExceeded",
  "NotFound",
  "AlreadyExists",
  "PermissionDenied",
  "ResourceExhausted",
  "FailedPrecondition",
  "Aborted",
  "OutOfRange",
  "Unimplemented",
  "Internal",
  "Unavailable",
  "DataLoss",
  "Unauthenticated",
];

/** The text etcd puts in a cancel reason: the whole status, as grpc-go's `Error()` prints it. */
export function statusString(status: GrpcStatus): string {
  const name = GO_CODE_NAMES[status.code] ?? `Code(${status.code})`;
  return `rpc error: code = ${name} desc = ${status.details}`;
}
