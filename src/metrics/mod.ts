/**
 * Observability: every Prometheus metric of a T4 node, and the HTTP server on
 * `--metrics-addr` that exposes them with the health probes.
 *
 * - {@linkcode createMetrics} builds one typed {@linkcode Metrics} object: T4's metric table
 *   (`t4_*`, same names, labels and buckets as Go T4), etcd's names for etcd dashboards
 *   (`etcd_*`), go-grpc-prometheus's per-method metrics (`grpc_server_*`) and process
 *   metrics that are right under Deno (`process_*`, `nodejs_*`, `deno_version_info`).
 * - {@linkcode startMetricsServer} serves `/metrics`, `/healthz`, `/readyz` and
 *   `/healthz/leader`, reading the node's state from a {@linkcode HealthSource}
 *   ({@linkcode NodeHealth} is the one the node feeds).
 * - {@linkcode parseListenAddress} turns `0.0.0.0:9090`, `[::1]:9090` or `:9090` into a
 *   hostname and port.
 *
 * Invariants: metrics register only on the `Registry` passed in, never on prom-client's
 * global one. This folder is the only importer of `prom-client`; other folders take
 * `Registry` (re-exported here) from this module. A metric's name, type and
 * labels never change once published, since dashboards and alerts (`docs/grafana-dashboard.json`,
 * `docs/prometheus-alerts.yml`, checked by this folder's tests) depend on them. `docs/metrics.md`
 * lists every metric and what moves it.
 *
 * @example Serve the metrics of one node
 * ```ts
 * import {
 *   createMetrics,
 *   NodeHealth,
 *   parseListenAddress,
 *   Registry,
 *   startMetricsServer,
 * } from "./mod.ts";
 *
 * const registry = new Registry();
 * const metrics = createMetrics(registry);
 * const health = new NodeHealth({ metrics });
 * const { hostname, port } = parseListenAddress("127.0.0.1:0");
 * await using server = await startMetricsServer({ hostname, port, registry, health });
 *
 * health.markStarted();
 * health.markRecovered();
 * health.setRole("single");
 * metrics.writes.inc({ op: "create" });
 *
 * const response = await fetch(`http://127.0.0.1:${server.addr.port}/metrics`);
 * const body = await response.text();
 * if (!body.includes('t4_writes_total{op="create"} 1')) throw new Error("missing write count");
 * ```
 *
 * @module
 */

/** prom-client's registry and metric types, re-exported so no other folder imports `prom-client`. */
export { type Counter, type Gauge, type Histogram, Registry } from "prom-client";
export {
  type ListenAddress,
  parseListenAddress,
  type ParseListenAddressOptions,
} from "./address.ts";
export {
  type ClusterMetrics,
  ELECTION_OUTCOMES,
  NODE_ROLES,
  type NodeRole,
  RESYNC_REASONS,
  type ResyncReason,
  type RoleGauges,
  setRole,
} from "./cluster_metrics.ts";
export { ETCD_DISK_BUCKETS, type EtcdMetrics } from "./etcd_metrics.ts";
export {
  GRPC_CODE_NAMES,
  grpcCodeName,
  type GrpcMethodLabel,
  type GrpcMethodLabels,
  grpcMethodLabels,
  type GrpcMetrics,
  type GrpcType,
} from "./grpc_metrics.ts";
export {
  type HealthRole,
  type HealthSource,
  NodeHealth,
  type NodeHealthOptions,
  type Readiness,
} from "./health.ts";
export { type MetricsServer, type MetricsServerOptions, startMetricsServer } from "./http.ts";
export { createMetrics, type CreateMetricsOptions, type Metrics } from "./metrics.ts";
export {
  type ProcessMetricsReport,
  PROM_CLIENT_PROCESS_METRICS,
  registerProcessMetrics,
} from "./process_metrics.ts";
export {
  CHECKPOINT_CHUNK_RESULTS,
  OBJECT_STORE_OPS,
  OBJECT_STORE_RESULTS,
  type ObjectStoreOp,
  type StorageMetrics,
} from "./storage_metrics.ts";
export { WATCH_SCAN_RESULTS, type WatchMetrics } from "./watch_metrics.ts";
export {
  AUTH_RESULTS,
  type AuthResult,
  FORWARD_OPS,
  type ForwardOp,
  WRITE_OPS,
  type WriteMetrics,
  type WriteOp,
} from "./write_metrics.ts";
