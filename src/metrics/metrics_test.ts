import { deepStrictEqual, ok, throws } from "node:assert/strict";
import { register as globalRegistry, Registry } from "prom-client";
import {
  createMetrics,
  grpcCodeName,
  grpcMethodLabels,
  registerProcessMetrics,
  setRole,
} from "./mod.ts";
import { metricShapes } from "./_testing.ts";

type Row = [name: string, type: string, labels: string[], buckets?: number[]];

const ETCD_DISK = [
  0.001,
  0.002,
  0.004,
  0.008,
  0.016,
  0.032,
  0.064,
  0.128,
  0.256,
  0.512,
  1.024,
  2.048,
  4.096,
  8.192,
];

/** `reference/t4.md` §6.3, with the buckets of T4's `internal/metrics/metrics.go`. */
const T4_TABLE: Row[] = [
  ["t4_writes_total", "counter", ["op"]],
  ["t4_write_errors_total", "counter", ["op"]],
  ["t4_write_duration_seconds", "histogram", ["op"], [.0001, .0005, .001, .005, .01, .05, .1, .5]],
  ["t4_forwarded_writes_total", "counter", ["op"]],
  ["t4_forward_duration_seconds", "histogram", ["op"], [
    .001,
    .005,
    .01,
    .025,
    .05,
    .1,
    .25,
    .5,
    1,
  ]],
  ["t4_current_revision", "gauge", []],
  ["t4_compact_revision", "gauge", []],
  ["t4_role", "gauge", ["role"]],
  ["t4_wal_uploads_total", "counter", []],
  ["t4_wal_upload_errors_total", "counter", []],
  ["t4_wal_upload_duration_seconds", "histogram", [], [.01, .05, .1, .5, 1, 5, 10]],
  ["t4_wal_gc_segments_total", "counter", []],
  ["t4_checkpoints_total", "counter", []],
  ["t4_elections_total", "counter", ["outcome"]],
  ["t4_follower_resyncs_total", "counter", ["reason"]],
  ["t4_auth_attempts_total", "counter", ["result"]],
  ["t4_follower_lag_revisions", "gauge", ["follower_id"]],
  ["t4_object_store_ops_total", "counter", ["op", "result"]],
  ["t4_object_store_duration_seconds", "histogram", ["op"], [
    .005,
    .01,
    .025,
    .05,
    .1,
    .25,
    .5,
    1,
    2.5,
    5,
    10,
  ]],
  ["t4_watch_active", "gauge", []],
  ["t4_watch_active_prefixes", "gauge", []],
  ["t4_watch_scan_duration_seconds", "histogram", [], [
    .005,
    .01,
    .025,
    .05,
    .1,
    .25,
    .5,
    1,
    2.5,
    5,
    10,
  ]],
  ["t4_watch_scan_revision_span", "histogram", [], [1, 10, 100, 1000, 10000]],
  ["t4_watch_scan_entries_total", "counter", ["result"]],
];

/** Metrics this implementation adds under T4's prefix. */
const T4_TS_TABLE: Row[] = [
  ["t4_fenced", "gauge", []],
  ["t4_wal_fsync_batch_size", "histogram", []],
  ["t4_applied_sequence", "gauge", []],
  ["t4_watch_events_sent_total", "counter", []],
  ["t4_watch_slow_cancels_total", "counter", []],
  ["t4_checkpoint_duration_seconds", "histogram", []],
  ["t4_checkpoint_uploaded_bytes_total", "counter", []],
  ["t4_checkpoint_chunks_total", "counter", ["result"]],
  ["t4_restore_duration_seconds", "histogram", []],
  ["t4_leases_active", "gauge", []],
  ["t4_lease_expired_total", "counter", []],
];

const ETCD_TABLE: Row[] = [
  ["etcd_server_has_leader", "gauge", []],
  ["etcd_server_is_leader", "gauge", []],
  ["etcd_server_leader_changes_seen_total", "counter", []],
  ["etcd_server_proposals_committed_total", "counter", []],
  ["etcd_server_proposals_failed_total", "counter", []],
  ["etcd_mvcc_db_total_size_in_bytes", "gauge", []],
  ["etcd_mvcc_db_total_size_in_use_in_bytes", "gauge", []],
  ["etcd_debugging_mvcc_keys_total", "gauge", []],
  ["etcd_disk_wal_fsync_duration_seconds", "histogram", [], ETCD_DISK],
  ["etcd_disk_backend_commit_duration_seconds", "histogram", [], ETCD_DISK],
  ["etcd_mvcc_put_total", "counter", []],
  ["etcd_mvcc_delete_total", "counter", []],
  ["etcd_mvcc_txn_total", "counter", []],
  ["etcd_mvcc_range_total", "counter", []],
  ["etcd_debugging_mvcc_watcher_total", "gauge", []],
  ["etcd_network_client_grpc_received_bytes_total", "counter", []],
  ["etcd_network_client_grpc_sent_bytes_total", "counter", []],
];

const GRPC_METHOD = ["grpc_type", "grpc_service", "grpc_method"];
const GRPC_TABLE: Row[] = [
  ["grpc_server_started_total", "counter", GRPC_METHOD],
  ["grpc_server_handled_total", "counter", [...GRPC_METHOD, "grpc_code"]],
  ["grpc_server_msg_received_total", "counter", GRPC_METHOD],
  ["grpc_server_msg_sent_total", "counter", GRPC_METHOD],
  ["grpc_server_handling_seconds", "histogram", GRPC_METHOD],
];

const TABLES = { "t4.md §6.3": T4_TABLE, "T4-TS": T4_TS_TABLE, etcd: ETCD_TABLE, grpc: GRPC_TABLE };

Deno.test("createMetrics() registers every metric with its name, type, labels and buckets", async (t) => {
  const shapes = metricShapes(createMetricsOn(new Registry()));
  for (const [table, rows] of Object.entries(TABLES)) {
    await t.step(table, () => {
      for (const [name, type, labels, buckets] of rows) {
        const shape = shapes.get(name);
        ok(shape, `${name} is not registered`);
        deepStrictEqual([shape.type, shape.labelNames], [type, labels], name);
        if (buckets) deepStrictEqual(shape.buckets, buckets, `${name} buckets`);
      }
    });
  }
});

Deno.test("createMetrics() registers nothing beyond the tables and the process metrics", () => {
  const registry = new Registry();
  createMetrics(registry, { processMetrics: false });
  const expected = Object.values(TABLES).flat().map(([name]) => name).sort();
  deepStrictEqual(registry.getMetricsAsArray().map((m) => m.name).sort(), expected);

  const withProcess = new Registry();
  createMetrics(withProcess);
  const report = registerProcessMetrics(new Registry());
  const extra = withProcess.getMetricsAsArray().map((m) => m.name).filter((n) =>
    !expected.includes(n)
  );
  deepStrictEqual(extra.sort(), [...report.own, ...report.promClient].sort());
});

Deno.test("createMetrics() leaves prom-client's global registry empty", () => {
  const before = globalRegistry.getMetricsAsArray().length;
  createMetrics(new Registry());
  deepStrictEqual(globalRegistry.getMetricsAsArray().length, before);
  deepStrictEqual(globalRegistry.getSingleMetric("t4_writes_total"), undefined);
});

Deno.test("createMetrics() on two registries keeps them apart; twice on one throws", async () => {
  const a = new Registry();
  const b = new Registry();
  const ma = createMetrics(a);
  createMetrics(b);
  ma.writes.inc({ op: "create" }, 3);
  ok((await a.metrics()).includes('t4_writes_total{op="create"} 3'));
  ok((await b.metrics()).includes('t4_writes_total{op="create"} 0'));
  throws(() => createMetrics(a, { processMetrics: false }), Error, "already been registered");
});

Deno.test("createMetrics() starts fixed label sets at 0", async () => {
  const registry = new Registry();
  createMetrics(registry, { processMetrics: false });
  const text = await registry.metrics();
  for (
    const series of [
      't4_writes_total{op="txn"} 0',
      't4_write_errors_total{op="compact"} 0',
      't4_role{role="leader"} 0',
      't4_role{role="single"} 0',
      't4_elections_total{outcome="lost"} 0',
      't4_follower_resyncs_total{reason="stream_gap"} 0',
      't4_auth_attempts_total{result="locked"} 0',
      't4_object_store_ops_total{op="put_if_match",result="error"} 0',
      't4_checkpoint_chunks_total{result="reused"} 0',
      't4_watch_scan_entries_total{result="matched"} 0',
    ]
  ) ok(text.includes(series), series);
});

Deno.test("setRole() makes exactly one role 1 and moves etcd_server_is_leader", async (t) => {
  const metrics = createMetrics(new Registry(), { processMetrics: false });
  const read = async () => {
    const roles = (await metrics.role.get()).values.filter((v) => v.value === 1);
    const isLeader = (await metrics.etcdIsLeader.get()).values[0]?.value;
    return { roles: roles.map((v) => v.labels.role), isLeader };
  };
  for (
    const [role, expected] of [
      ["leader", { roles: ["leader"], isLeader: 1 }],
      ["follower", { roles: ["follower"], isLeader: 0 }],
      ["single", { roles: ["single"], isLeader: 1 }],
      ["unknown", { roles: [], isLeader: 0 }],
    ] as const
  ) {
    await t.step(role, async () => {
      setRole(metrics, role);
      deepStrictEqual(await read(), expected);
    });
  }
});

Deno.test("grpcMethodLabels() splits a method path as go-grpc-prometheus does", () => {
  deepStrictEqual(grpcMethodLabels("/etcdserverpb.KV/Range", "unary"), {
    "grpc_type": "unary",
    "grpc_service": "etcdserverpb.KV",
    "grpc_method": "Range",
  });
  deepStrictEqual(grpcMethodLabels("Watch", "bidi_stream").grpc_service, "unknown");
  deepStrictEqual(grpcCodeName(0), "OK");
  deepStrictEqual(grpcCodeName(5), "NotFound");
  deepStrictEqual(grpcCodeName(16), "Unauthenticated");
  deepStrictEqual(grpcCodeName(99), "Code(99)");
});

function createMetricsOn(registry: Registry): Registry {
  createMetrics(registry);
  return registry;
}
