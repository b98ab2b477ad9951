/**
 * Per-method gRPC server metrics under go-grpc-prometheus's names, so dashboards built for etcd
 * and other Go gRPC servers (`grpc_server_handled_total{grpc_code}` …) work unchanged.
 *
 * This file does not import `@grpc/grpc-js`: the server layer passes the method path and the
 * numeric status code, and {@linkcode grpcMethodLabels} and {@linkcode grpcCodeName} turn them
 * into go-grpc-prometheus's label values.
 *
 * @module
 */

import type { Counter, Histogram, Registry } from "prom-client";
import { counter, histogram } from "./_define.ts";

/** The four gRPC call shapes, as go-grpc-prometheus spells the `grpc_type` label. */
export type GrpcType = "unary" | "client_stream" | "server_stream" | "bidi_stream";

/** The labels that identify one method: `grpc_type`, `grpc_service`, `grpc_method`. */
export type GrpcMethodLabel = "grpc_type" | "grpc_service" | "grpc_method";

/** Label values of one method, from {@linkcode grpcMethodLabels}. */
export type GrpcMethodLabels = Record<GrpcMethodLabel, string>;

/**
 * gRPC status code names indexed by numeric code, as Go's `codes.Code.String()` prints them
 * (`grpc_code="NotFound"`).
 */
export const GRPC_CODE_NAMES: readonly string[] = [
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

/** Handling-time buckets: go-grpc-prometheus's defaults, plus 0.5–2.5 ms for fast KV calls. */
const HANDLING_BUCKETS = [
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
];

/** Metrics of every gRPC call the client-facing server handles. */
export interface GrpcMetrics {
  /** `grpc_server_started_total{grpc_type,grpc_service,grpc_method}`: +1 when a call arrives. */
  grpcStarted: Counter<GrpcMethodLabel>;
  /**
   * `grpc_server_handled_total{grpc_type,grpc_service,grpc_method,grpc_code}`: +1 when a call
   * finishes (a stream when it closes), with its status name from {@linkcode grpcCodeName}.
   */
  grpcHandled: Counter<GrpcMethodLabel | "grpc_code">;
  /** `grpc_server_msg_received_total{…}`: +1 per request message (unary: 1 per call). */
  grpcMsgReceived: Counter<GrpcMethodLabel>;
  /** `grpc_server_msg_sent_total{…}`: +1 per response message (unary: 1 per OK call). */
  grpcMsgSent: Counter<GrpcMethodLabel>;
  /**
   * `grpc_server_handling_seconds{grpc_type,grpc_service,grpc_method}`: one observation per
   * finished call, from arrival to status (streams: their whole lifetime).
   * Buckets .0005 .001 .0025 .005 .01 .025 .05 .1 .25 .5 1 2.5 5 10.
   */
  grpcHandlingSeconds: Histogram<GrpcMethodLabel>;
}

/** Creates and registers {@linkcode GrpcMetrics} on `registry`. */
export function createGrpcMetrics(registry: Registry): GrpcMetrics {
  const methodLabels: GrpcMethodLabel[] = ["grpc_type", "grpc_service", "grpc_method"];
  return {
    grpcStarted: counter(registry, {
      name: "grpc_server_started_total",
      help: "Total number of RPCs started on the server.",
      labelNames: methodLabels,
    }),
    grpcHandled: counter(registry, {
      name: "grpc_server_handled_total",
      help: "Total number of RPCs completed on the server, regardless of success or failure.",
      labelNames: [...methodLabels, "grpc_code"],
    }),
    grpcMsgReceived: counter(registry, {
      name: "grpc_server_msg_received_total",
      help: "Total number of RPC stream messages received on the server.",
      labelNames: methodLabels,
    }),
    grpcMsgSent: counter(registry, {
      name: "grpc_server_msg_sent_total",
      help: "Total number of gRPC stream messages sent by the server.",
      labelNames: methodLabels,
    }),
    grpcHandlingSeconds: histogram(registry, {
      name: "grpc_server_handling_seconds",
      help: "Histogram of response latency (seconds) of gRPC that had been application-level " +
        "handled by the server.",
      labelNames: methodLabels,
      buckets: HANDLING_BUCKETS,
    }),
  };
}

/**
 * Splits a method path such as `/etcdserverpb.KV/Range` into go-grpc-prometheus's labels
 * (`grpc_service="etcdserverpb.KV"`, `grpc_method="Range"`). A path without a service part
 * gets `grpc_service="unknown"`.
 */
export function grpcMethodLabels(path: string, type: GrpcType): GrpcMethodLabels {
  const trimmed = path.startsWith("/") ? path.slice(1) : path;
  const slash = trimmed.lastIndexOf("/");
  return {
    "grpc_type": type,
    "grpc_service": slash > 0 ? trimmed.slice(0, slash) : "unknown",
    "grpc_method": slash >= 0 ? trimmed.slice(slash + 1) : trimmed,
  };
}

/** The `grpc_code` value of a numeric status: `"OK"`, `"NotFound"` …, `"Code(42)"` if unknown. */
export function grpcCodeName(code: number): string {
  return GRPC_CODE_NAMES[code] ?? `Code(${code})`;
}
