/**
 * Protobuf codec benchmarks: our hand-written codec (`src/server/pb/`) against protobufjs on
 * the messages a busy server handles most, with the same `.proto` files and the same values.
 * protobufjs is the baseline of each group. Run: `deno bench -A bench/proto_bench.ts`.
 *
 * @module
 */

import protobuf from "protobufjs";
import {
  decodePutRequest,
  decodeRangeRequest,
  decodeRangeResponse,
  decodeWatchResponse,
  encodePutRequest,
  encodeRangeRequest,
  encodeRangeResponse,
  encodeResponseHeader,
  encodeWatchResponse,
  EventType,
  type KeyValue,
  type RangeRequest,
  type ResponseHeader,
} from "../src/server/pb/mod.ts";

const root = new protobuf.Root();
root.resolvePath = (_origin: string, target: string) =>
  new URL(`../proto/${target}`, import.meta.url).pathname;
root.loadSync(["etcd/rpc.proto"]);
const PbRangeRequest = root.lookupType("etcdserverpb.RangeRequest");
const PbRangeResponse = root.lookupType("etcdserverpb.RangeResponse");
const PbPutRequest = root.lookupType("etcdserverpb.PutRequest");
const PbWatchResponse = root.lookupType("etcdserverpb.WatchResponse");
const Long = protobuf.util.Long as unknown as { fromString(s: string, u: boolean): unknown };

const te = new TextEncoder();

function bytesOf(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
}

function keyValue(i: number): KeyValue {
  return {
    key: bytesOf(64, i),
    createRevision: 100_000 + i,
    modRevision: 1_000_000 + i,
    version: 1 + (i % 5),
    value: bytesOf(256, i + 7),
    lease: i % 4 === 0 ? 0x694d7e3f1c2a5b11n + BigInt(i) : 0n,
  };
}

/** The same KeyValue for protobufjs: the lease as a Long, defaults left out. */
function pbKeyValue(kv: Partial<KeyValue>): Record<string, unknown> {
  const m: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(kv)) {
    if (v === 0 || v === 0n || (v instanceof Uint8Array && v.length === 0)) continue;
    m[k] = typeof v === "bigint" ? Long.fromString(String(v), false) : v;
  }
  return m;
}

/** Throws unless protobufjs writes exactly our bytes, so both sides encode the same message. */
function sameBytes(what: string, ours: Uint8Array, theirs: Uint8Array): void {
  if (ours.length !== theirs.length || ours.some((b, i) => b !== theirs[i])) {
    throw new Error(`proto_bench: ${what}: protobufjs and t4 pb encode different bytes`);
  }
}

const header: ResponseHeader = {
  clusterId: 0xcdf818194e3b8c32n,
  memberId: 0x8e9e05c52164694dn,
  revision: 1_234_567,
  raftTerm: 3,
};
const pbHeader = {
  clusterId: Long.fromString(String(header.clusterId), true),
  memberId: Long.fromString(String(header.memberId), true),
  revision: header.revision,
  raftTerm: header.raftTerm,
};

// ---- RangeRequest: a k8s list page ----

const rangeRequest: Partial<RangeRequest> = {
  key: te.encode("/registry/pods/default/"),
  rangeEnd: te.encode("/registry/pods/default0"),
  limit: 500,
  revision: 1_234_567,
};
const pbRangeRequest = PbRangeRequest.fromObject(rangeRequest);
const rangeRequestBytes = encodeRangeRequest(rangeRequest);
sameBytes("RangeRequest", rangeRequestBytes, PbRangeRequest.encode(pbRangeRequest).finish());

Deno.bench({
  group: "encode RangeRequest (k8s list page)",
  name: "protobufjs",
  baseline: true,
  fn: () => void PbRangeRequest.encode(pbRangeRequest).finish(),
});
Deno.bench({
  group: "encode RangeRequest (k8s list page)",
  name: "t4 pb",
  fn: () => void encodeRangeRequest(rangeRequest),
});
Deno.bench({
  group: "decode RangeRequest (k8s list page)",
  name: "protobufjs",
  baseline: true,
  fn: () => void PbRangeRequest.decode(rangeRequestBytes),
});
Deno.bench({
  group: "decode RangeRequest (k8s list page)",
  name: "t4 pb",
  fn: () => void decodeRangeRequest(rangeRequestBytes),
});

// ---- PutRequest: 64 B key, 256 B value, with a lease ----

const put = { key: bytesOf(64, 1), value: bytesOf(256, 2), lease: 0x694d7e3f1c2a5b11n };
const pbPut = PbPutRequest.fromObject({ ...put, lease: String(put.lease) });
const putBytes = encodePutRequest(put);
sameBytes("PutRequest", putBytes, PbPutRequest.encode(pbPut).finish());

Deno.bench({
  group: "encode PutRequest 64 B key, 256 B value",
  name: "protobufjs",
  baseline: true,
  fn: () => void PbPutRequest.encode(pbPut).finish(),
});
Deno.bench({
  group: "encode PutRequest 64 B key, 256 B value",
  name: "t4 pb",
  fn: () => void encodePutRequest(put),
});
Deno.bench({
  group: "decode PutRequest 64 B key, 256 B value",
  name: "protobufjs",
  baseline: true,
  fn: () => void PbPutRequest.decode(putBytes),
});
Deno.bench({
  group: "decode PutRequest 64 B key, 256 B value",
  name: "t4 pb",
  fn: () => void decodePutRequest(putBytes),
});

// ---- RangeResponse: 100 kvs ----

const kvs = Array.from({ length: 100 }, (_, i) => keyValue(i));
const rangeResponse = { header, kvs, more: true, count: 1000 };
const encodedHeader = encodeResponseHeader(header);
const pbRangeResponse = PbRangeResponse.fromObject({
  header: pbHeader,
  kvs: kvs.map(pbKeyValue),
  more: true,
  count: 1000,
});
const rangeResponseBytes = encodeRangeResponse(rangeResponse);
sameBytes("RangeResponse", rangeResponseBytes, PbRangeResponse.encode(pbRangeResponse).finish());

Deno.bench({
  group: "encode RangeResponse 100 kvs (64 B keys, 256 B values)",
  name: "protobufjs",
  baseline: true,
  fn: () => void PbRangeResponse.encode(pbRangeResponse).finish(),
});
Deno.bench({
  group: "encode RangeResponse 100 kvs (64 B keys, 256 B values)",
  name: "t4 pb",
  fn: () => void encodeRangeResponse(rangeResponse),
});
Deno.bench({
  group: "encode RangeResponse 100 kvs (64 B keys, 256 B values)",
  name: "t4 pb, pre-encoded header",
  fn: () => void encodeRangeResponse({ ...rangeResponse, header: encodedHeader }),
});
Deno.bench({
  group: "decode RangeResponse 100 kvs (64 B keys, 256 B values)",
  name: "protobufjs",
  baseline: true,
  fn: () => void PbRangeResponse.decode(rangeResponseBytes),
});
Deno.bench({
  group: "decode RangeResponse 100 kvs (64 B keys, 256 B values)",
  name: "t4 pb",
  fn: () => void decodeRangeResponse(rangeResponseBytes),
});

// ---- WatchResponse: 64 events, a quarter of them deletes with prev_kv ----

const events = kvs.slice(0, 64).map((kv, i) =>
  i % 4 === 3
    ? { type: EventType.DELETE, kv: { key: kv.key, modRevision: kv.modRevision }, prevKv: kv }
    : { type: EventType.PUT, kv, prevKv: undefined }
);
const watchResponse = { header, watchId: 7, events };
const pbWatchResponse = PbWatchResponse.fromObject({
  header: pbHeader,
  watchId: 7,
  events: events.map((e) => ({
    ...(e.type ? { type: e.type } : {}),
    kv: pbKeyValue(e.kv),
    ...(e.prevKv ? { prevKv: pbKeyValue(e.prevKv) } : {}),
  })),
});
const watchResponseBytes = encodeWatchResponse(watchResponse);
sameBytes("WatchResponse", watchResponseBytes, PbWatchResponse.encode(pbWatchResponse).finish());

Deno.bench({
  group: "encode WatchResponse 64 events",
  name: "protobufjs",
  baseline: true,
  fn: () => void PbWatchResponse.encode(pbWatchResponse).finish(),
});
Deno.bench({
  group: "encode WatchResponse 64 events",
  name: "t4 pb",
  fn: () => void encodeWatchResponse(watchResponse),
});
Deno.bench({
  group: "decode WatchResponse 64 events",
  name: "protobufjs",
  baseline: true,
  fn: () => void PbWatchResponse.decode(watchResponseBytes),
});
Deno.bench({
  group: "decode WatchResponse 64 events",
  name: "t4 pb",
  fn: () => void decodeWatchResponse(watchResponseBytes),
});
