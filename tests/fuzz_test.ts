/**
 * The fuzzers in CI (`src/fuzz/`): every decoder for a bounded time, and a running server fed
 * hostile HTTP/2 and gRPC over TCP.
 *
 * Each target runs `T4_FUZZ_SECONDS` (default 3) seconds: half with a fixed seed, half with a
 * seed taken from the clock (or `T4_FUZZ_SEED`), printed with every failure so it can be run
 * again with `deno task fuzz --target T --seed S`.
 */

import { assert, assertEquals } from "./_assert.ts";
import { EtcdTestClient } from "./_etcd_client.ts";
import { etcdctl, startServer } from "./_server.ts";
import { describeFailure, type FuzzReport } from "../src/fuzz/harness.ts";
import { conversation, mutateFrames } from "../src/fuzz/h2_inputs.ts";
import { concat, mutateBytes } from "../src/fuzz/mutate.ts";
import { Rng } from "../src/fuzz/rng.ts";
import { FuzzRunner } from "../src/fuzz/runner.ts";
import { summarize } from "../src/fuzz/run.ts";
import { TARGETS } from "../src/fuzz/targets.ts";
import { PREFACE } from "../src/server/h2/frame.ts";
import * as pb from "../src/server/pb/mod.ts";
import { GrpcError } from "../src/server/status.ts";

const SECONDS = Number(Deno.env.get("T4_FUZZ_SECONDS") ?? "3");
const FIXED_SEED = 0x7454f022;
const TIME_SEED = Number(Deno.env.get("T4_FUZZ_SEED") ?? (Date.now() % 0x1_0000_0000)) >>> 0;

Deno.test("fuzz: every decoder returns a value or a clear error on hostile input", async (t) => {
  console.log(`fuzz seeds: fixed ${FIXED_SEED}, time ${TIME_SEED}; ${SECONDS} s per target`);
  using runner = new FuzzRunner();
  for (const target of TARGETS) {
    await t.step(target.name, async () => {
      const reports: FuzzReport[] = [];
      for (const seed of [FIXED_SEED, TIME_SEED]) {
        reports.push(await runner.run(target.name, { seed, seconds: SECONDS / 2 }));
      }
      for (const r of reports) console.log(summarize(r));
      const failures = reports.flatMap((r) => r.failures);
      if (failures.length > 0) {
        throw new Error(
          `${target.name}: ${failures.length} inputs broke the property ` +
            `(seeds ${FIXED_SEED} and ${TIME_SEED}):\n` +
            failures.slice(0, 4).map((f) => describeFailure(f)).join("\n"),
        );
      }
    });
  }
});

// ------------------------------------------------------------------------- the live server

/** Writes `bytes` on a new connection, reads what comes back for up to `ms`, closes. */
async function sendRaw(port: number, bytes: Uint8Array, ms: number): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const timer = setTimeout(() => {
    try {
      conn.close();
    } catch { /* closed by the server */ }
  }, ms);
  let received = 0;
  try {
    const writing = conn.write(bytes).catch(() => 0); // the server may close first
    const buf = new Uint8Array(64 * 1024);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      received += n;
    }
    await writing;
  } catch { /* reset by the server, or closed by the timer */ }
  clearTimeout(timer);
  try {
    conn.close();
  } catch { /* already closed */ }
  return received;
}

/** Runs `job` over `items`, `width` at a time. */
async function pool<T>(items: readonly T[], width: number, job: (item: T) => Promise<unknown>) {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await job(items[next++]!);
  }));
}

const te = new TextEncoder();
const b = (s: string) => te.encode(s);

/** Unary methods a client may call, each with one valid request (nothing that changes auth). */
const UNARY: [string, Uint8Array][] = [
  [
    "/etcdserverpb.KV/Range",
    pb.encodeRangeRequest({ key: b("fuzz/"), rangeEnd: b("fuzz0"), limit: 5 }),
  ],
  ["/etcdserverpb.KV/Put", pb.encodePutRequest({ key: b("fuzz/a"), value: b("v"), prevKv: true })],
  ["/etcdserverpb.KV/DeleteRange", pb.encodeDeleteRangeRequest({ key: b("fuzz/b") })],
  [
    "/etcdserverpb.KV/Txn",
    pb.encodeTxnRequest({
      compare: [{
        key: b("fuzz/a"),
        target: pb.CompareTarget.VERSION,
        targetUnion: { case: "version", value: 1 },
      }],
      success: [{ request: { case: "requestPut", value: { key: b("fuzz/c"), value: b("1") } } }],
      failure: [{ request: { case: "requestRange", value: { key: b("fuzz/a") } } }],
    }),
  ],
  ["/etcdserverpb.KV/Compact", pb.encodeCompactionRequest({ revision: 1 })],
  ["/etcdserverpb.Lease/LeaseGrant", pb.encodeLeaseGrantRequest({ TTL: 60 })],
  ["/etcdserverpb.Lease/LeaseRevoke", pb.encodeLeaseRevokeRequest({ ID: 1n })],
  ["/etcdserverpb.Lease/LeaseTimeToLive", pb.encodeLeaseTimeToLiveRequest({ ID: 1n, keys: true })],
  ["/etcdserverpb.Lease/LeaseLeases", pb.encodeLeaseLeasesRequest({})],
  ["/etcdserverpb.Maintenance/Status", pb.encodeStatusRequest({})],
  ["/etcdserverpb.Maintenance/HashKV", pb.encodeHashKVRequest({ revision: 0 })],
  ["/etcdserverpb.Cluster/MemberList", pb.encodeMemberListRequest({})],
  [
    "/etcdserverpb.Auth/Authenticate",
    pb.encodeAuthenticateRequest({ name: "root", password: "x" }),
  ],
  ["/etcdserverpb.Auth/UserGet", pb.encodeAuthUserGetRequest({ name: "u" })],
  ["/etcdserverpb.Auth/RoleGet", pb.encodeAuthRoleGetRequest({ role: "r" })],
  ["/grpc.health.v1.Health/Check", pb.encodeHealthCheckRequest({ service: "" })],
].map(([path, body]) => [path as string, (body as Uint8Array).slice()]);

const WATCH = pb.encodeWatchRequest({
  requestUnion: {
    case: "createRequest",
    value: { key: b("fuzz/"), rangeEnd: b("fuzz0"), prevKv: true },
  },
}).slice();
const KEEPALIVE = pb.encodeLeaseKeepAliveRequest({ ID: 1n }).slice();

/** A valid body, mutated, or random bytes. */
function badBody(valid: Uint8Array, rng: Rng, all: readonly Uint8Array[]): Uint8Array {
  if (rng.chance(0.15)) return rng.bytes(rng.size(64));
  return mutateBytes(valid, rng, all, 4096).bytes;
}

Deno.test("fuzz: a running server survives hostile HTTP/2 and gRPC bytes and still answers", async () => {
  const rng = new Rng(TIME_SEED);
  const what = `(seed ${TIME_SEED}; T4_FUZZ_SEED=${TIME_SEED} runs it again)`;
  await using srv = await startServer();
  const started = performance.now();

  // 1. Raw connections: random bytes, then client conversations broken frame by frame.
  const conversations = Array.from({ length: 24 }, () => conversation(rng));
  const raw: Uint8Array[] = [];
  for (let i = 0; i < 30; i++) {
    raw.push(
      rng.chance(0.5) ? concat(PREFACE, rng.bytes(rng.size(2000))) : rng.bytes(rng.size(2000)),
    );
  }
  for (let i = 0; i < 200; i++) {
    let bytes = rng.pick(conversations);
    for (let n = 1 + rng.int(3); n > 0; n--) {
      bytes = rng.chance(0.6)
        ? mutateFrames(bytes, rng)
        : mutateBytes(bytes, rng, conversations, 128 * 1024).bytes;
    }
    raw.push(bytes);
  }
  await pool(raw, 8, (bytes) => sendRaw(srv.port, bytes, 200));

  // 2. Valid HTTP/2 and gRPC framing around broken protobuf bodies.
  using client = new EtcdTestClient(srv.endpoint, { timeoutMs: 5000 });
  const bodies = UNARY.map(([, body]) => body);
  const codes = new Map<number, number>();
  const calls = Array.from({ length: 300 }, () => {
    const [path, body] = rng.pick(UNARY);
    return [path, badBody(body, rng, bodies)] as const;
  });
  await pool(calls, 8, async ([path, body]) => {
    try {
      await client.raw.unary(path, body, { timeoutMs: 5000 });
      codes.set(0, (codes.get(0) ?? 0) + 1);
    } catch (err: unknown) {
      if (!(err instanceof GrpcError)) throw err;
      codes.set(err.code, (codes.get(err.code) ?? 0) + 1);
    }
  });
  for (let i = 0; i < 20; i++) {
    const [path, valid] = rng.chance(0.5)
      ? ["/etcdserverpb.Watch/Watch", WATCH]
      : ["/etcdserverpb.Lease/LeaseKeepAlive", KEEPALIVE];
    const stream = client.raw.stream(path, { timeoutMs: 5000 });
    stream.onMessage(() => {});
    for (let n = 1 + rng.int(4); n > 0; n--) stream.write(badBody(valid, rng, [WATCH, KEEPALIVE]));
    if (rng.chance(0.5)) stream.end();
    else setTimeout(() => stream.cancel(), 50);
    const status = await stream.done;
    codes.set(status.code, (codes.get(status.code) ?? 0) + 1);
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `live fuzz: ${raw.length} raw connections, ${calls.length} unary calls and 20 streams in ` +
      `${seconds} s; status codes ${JSON.stringify(Object.fromEntries(codes))} ${what}`,
  );

  // 3. The server is still up and answers a valid request, by etcdctl and by our client.
  const put = await etcdctl(srv.endpoint, ["put", "fuzz/after", "still-here"]);
  assertEquals(put.code, 0, `etcdctl put after fuzzing ${what}: ${put.out}\n${srv.log()}`);
  const get = await etcdctl(srv.endpoint, ["get", "fuzz/after", "--print-value-only"]);
  assertEquals(get.out.trim(), "still-here", `etcdctl get after fuzzing ${what}`);
  const res = await client.range({ key: b("fuzz/after") });
  assertEquals(new TextDecoder().decode(res.kvs[0]?.value), "still-here");

  // 4. Nothing reached a client as an unexplained internal error (UNKNOWN, logged once).
  assert(!codes.has(2), `a call ended UNKNOWN ${what}`);
  const log = srv.log();
  const bad = log.split("\n").filter((l) =>
    /unexpected error in a request|HTTP\/2 connection failed|Uncaught/.test(l)
  );
  assert(
    bad.length === 0,
    `the server logged internal errors ${what}:\n${bad.slice(0, 5).join("\n")}`,
  );
  // The client closes before the server stops (disposal runs in reverse order): a Deno
  // node:http2 client that gets the server's GOAWAY after calls like these can crash the test
  // process inside nghttp2.
});
