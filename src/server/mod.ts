/**
 * The etcd v3 gRPC server: KV, Watch, Lease, Maintenance, Cluster and gRPC health over
 * `@grpc/grpc-js`, with etcd's exact errors (`status.ts`), limits and headers, plus the HTTP
 * metrics and health endpoints.
 *
 * Invariants: handlers answer only after the node has made a write durable; every error a client
 * sees goes through the one table in `status.ts`; request bytes are decoded by our own codec
 * (`pb/`), so malformed messages get etcd's INTERNAL status and never crash the server.
 *
 * @module
 */

export { type HostPort, parseHostPort, SERVER_DEFAULTS, type ServerConfig } from "./config.ts";
export { configFromFlags, envName, type FlagSpec, parseDuration, RUN_FLAGS } from "./flags.ts";
export {
  runServer,
  type StartOptions,
  startServer,
  type StopReason,
  type T4Server,
} from "./server.ts";
export { ERROR_TABLE, GrpcCode, type GrpcStatus, statusString, toStatus } from "./status.ts";
