/**
 * The load generator of `bench/compare.ts`: one process that drives one etcd-API endpoint with
 * one workload and prints one JSON line of results. The same generator runs against etcd and
 * against T4, so the ratio compares the servers, not the clients.
 *
 * Usage: `deno run -A bench/loadgen.ts ENDPOINT WORKLOAD CLIENTS OPS [SECONDS]`
 * Workloads: put, get-lin, get-ser, txn-create (Kubernetes' create shape), list-100 (a 100-key
 * page of a 1,000-key prefix), watch-latency (put → event on a prefix watch, serial).
 * Every client has its own HTTP/2 connection; 64-byte keys, 256-byte values.
 *
 * @module
 */

import { GrpcClient } from "../src/server/grpc.ts";
import * as pb from "../src/server/pb/mod.ts";

const [endpoint, workload, clientsArg, opsArg, secondsArg] = Deno.args;
if (!endpoint || !workload) {
  console.error("usage: loadgen.ts ENDPOINT WORKLOAD CLIENTS OPS [SECONDS]");
  Deno.exit(2);
}
const clients = Number(clientsArg ?? 1);
const totalOps = Number(opsArg ?? 1000);
const deadline = performance.now() + Number(secondsArg ?? 60) * 1000;
const te = new TextEncoder();
const value = te.encode("v".repeat(256));
const key64 = (prefix: string, i: number) => te.encode((prefix + i).padEnd(64, "_"));

const conns = Array.from({ length: clients }, () => new GrpcClient(endpoint));
const latencies: number[] = [];

async function unary(c: GrpcClient, path: string, bytes: Uint8Array): Promise<Uint8Array> {
  return await c.unary(path, bytes, { timeoutMs: 30_000 });
}

async function setup(): Promise<void> {
  const c = conns[0]!;
  if (workload === "get-lin" || workload === "get-ser") {
    await unary(c, "/etcdserverpb.KV/Put", pb.encodePutRequest({ key: key64("get/", 0), value }));
  }
  if (workload === "list-100") {
    for (let i = 0; i < 1000; i += 100) {
      await unary(
        c,
        "/etcdserverpb.KV/Txn",
        pb.encodeTxnRequest({
          success: Array.from({ length: 100 }, (_, j) => ({
            request: {
              case: "requestPut" as const,
              value: { key: key64("list/", i + j), value },
            },
          })),
        }),
      );
    }
  }
}

let issued = 0;
function next(): number | undefined {
  if (issued >= totalOps || performance.now() > deadline) return undefined;
  return issued++;
}

const listEnd = te.encode("list0");
async function one(c: GrpcClient, i: number): Promise<void> {
  switch (workload) {
    case "put":
      await unary(
        c,
        "/etcdserverpb.KV/Put",
        pb.encodePutRequest({ key: key64("put/", i % 10000), value }),
      );
      return;
    case "get-lin":
    case "get-ser":
      await unary(
        c,
        "/etcdserverpb.KV/Range",
        pb.encodeRangeRequest({ key: key64("get/", 0), serializable: workload === "get-ser" }),
      );
      return;
    case "txn-create": {
      const key = key64(`create/${crypto.randomUUID()}/`, i);
      await unary(
        c,
        "/etcdserverpb.KV/Txn",
        pb.encodeTxnRequest({
          compare: [{
            key,
            target: pb.CompareTarget.MOD,
            result: pb.CompareResult.EQUAL,
            targetUnion: { case: "modRevision", value: 0 },
          }],
          success: [{ request: { case: "requestPut", value: { key, value } } }],
        }),
      );
      return;
    }
    case "list-100":
      await unary(
        c,
        "/etcdserverpb.KV/Range",
        pb.encodeRangeRequest({ key: te.encode("list/"), rangeEnd: listEnd, limit: 100 }),
      );
      return;
    default:
      throw new Error(`unknown workload ${workload}`);
  }
}

async function worker(c: GrpcClient): Promise<void> {
  for (let i = next(); i !== undefined; i = next()) {
    const t = performance.now();
    await one(c, i);
    latencies.push(performance.now() - t);
  }
}

async function watchLatency(): Promise<void> {
  const c = conns[0]!;
  const stream = c.stream("/etcdserverpb.Watch/Watch");
  let waiting: (() => void) | undefined;
  let created: () => void = () => {};
  const ready = new Promise<void>((r) => (created = r));
  stream.onMessage((m) => {
    const r = pb.decodeWatchResponse(m);
    if (r.created) created();
    if (r.events.length > 0) waiting?.();
  });
  stream.write(pb.encodeWatchRequest({
    requestUnion: {
      case: "createRequest",
      value: { key: te.encode("watch/"), rangeEnd: te.encode("watch0") },
    },
  }));
  await ready;
  for (let i = next(); i !== undefined; i = next()) {
    const t = performance.now();
    const seen = new Promise<void>((r) => (waiting = r));
    await unary(
      c,
      "/etcdserverpb.KV/Put",
      pb.encodePutRequest({ key: key64("watch/", i % 100), value }),
    );
    await seen;
    latencies.push(performance.now() - t);
  }
  stream.cancel();
}

function pct(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]! : 0;
}

await setup();
// Warm up every connection before timing.
await Promise.all(conns.map((c) => unary(c, "/etcdserverpb.Maintenance/Status", new Uint8Array())));
const started = performance.now();
if (workload === "watch-latency") await watchLatency();
else await Promise.all(conns.map(worker));
const seconds = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
console.log(JSON.stringify({
  workload,
  clients,
  ops: latencies.length,
  seconds: +seconds.toFixed(2),
  opsPerSecond: Math.round(latencies.length / seconds),
  p50ms: +pct(latencies, 0.5).toFixed(2),
  p90ms: +pct(latencies, 0.9).toFixed(2),
  p99ms: +pct(latencies, 0.99).toFixed(2),
}));
for (const c of conns) c.close();
Deno.exit(0);
