/**
 * The gRPC server against hostile and edge-case input, and the watch protocol's details, over
 * real gRPC to a real server process.
 */

import { assert, assertEquals, assertRejects } from "./_assert.ts";
import { b, EtcdTestClient, s } from "./_etcd_client.ts";
import { startServer } from "./_server.ts";
import { GrpcCode, GrpcError } from "../src/server/status.ts";
import * as pb from "../src/server/pb/mod.ts";

async function expectStatus(p: Promise<unknown>, code: number, details?: string | RegExp) {
  const err = await assertRejects(() => p, GrpcError);
  assertEquals(err.code, code, `status ${err.code} ${err.details}`);
  if (typeof details === "string") assertEquals(err.details, details);
  else if (details) assert(details.test(err.details), err.details);
}

Deno.test("gRPC server answers bad input with etcd's errors and keeps serving", async (t) => {
  await using server = await startServer();
  using c = new EtcdTestClient(server.endpoint);

  await t.step("malformed protobuf is INTERNAL, as grpc-go says it", async () => {
    await expectStatus(
      c.raw.unary("/etcdserverpb.KV/Range", new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f])),
      GrpcCode.INTERNAL,
      /^grpc: error unmarshalling request: /,
    );
    await expectStatus(
      c.raw.unary("/etcdserverpb.KV/Put", new Uint8Array([0x0b])),
      GrpcCode.INTERNAL,
      /unmarshalling/,
    );
  });

  await t.step("unknown methods are UNIMPLEMENTED", async () => {
    await expectStatus(
      c.raw.unary("/etcdserverpb.KV/Nope", new Uint8Array()),
      GrpcCode.UNIMPLEMENTED,
    );
    await expectStatus(
      c.raw.unary("/no.Such/Service", new Uint8Array()),
      GrpcCode.UNIMPLEMENTED,
    );
  });

  await t.step("requests over the limit", async () => {
    const big = "x".repeat(1_600_000);
    await expectStatus(
      c.put("big", big),
      GrpcCode.INVALID_ARGUMENT,
      "etcdserver: request is too large",
    );
    const huge = "x".repeat(2_200_000);
    await expectStatus(c.put("huge", huge), GrpcCode.RESOURCE_EXHAUSTED);
    await c.put("fits", "x".repeat(1_500_000));
    assertEquals((await c.range({ key: b("fits") })).kvs[0]!.value.length, 1_500_000);
  });

  await t.step("validation errors", async () => {
    await expectStatus(
      c.put("", "v"),
      GrpcCode.INVALID_ARGUMENT,
      "etcdserver: key is not provided",
    );
    await expectStatus(
      c.range({ key: b("") }),
      GrpcCode.INVALID_ARGUMENT,
      "etcdserver: key is not provided",
    );
    await expectStatus(
      c.put("k", "v", { lease: 77n }),
      GrpcCode.NOT_FOUND,
      "etcdserver: requested lease not found",
    );
    await expectStatus(
      c.put("nokey", "", { ignoreValue: true }),
      GrpcCode.INVALID_ARGUMENT,
      "etcdserver: key not found",
    );
    await expectStatus(
      c.range({ key: b("k"), revision: 1_000_000 }),
      GrpcCode.OUT_OF_RANGE,
      "etcdserver: mvcc: required revision is a future revision",
    );
  });

  await t.step("an inverted range is empty, not an error", async () => {
    await c.put("m", "1");
    const r = await c.range({ key: b("z"), rangeEnd: b("a") });
    assertEquals(r.kvs.length, 0);
    assertEquals(r.count, 0);
  });

  await t.step("10,000 watches on one stream", async () => {
    const w = c.watch();
    for (let i = 0; i < 10_000; i++) w.create({ key: b(`many/${i}`) });
    await w.until((r) => r.filter((x) => x.created).length === 10_000, 30_000);
    const ids = new Set(w.responses.map((r) => r.watchId));
    assertEquals(ids.size, 10_000);
    await c.put("many/9999", "hit");
    await w.until((r) => r.some((x) => x.events.length > 0), 10_000);
    const hit = w.responses.find((x) => x.events.length > 0)!;
    assertEquals(s(hit.events[0]!.kv!.key), "many/9999");
    w.close();
  });

  await t.step("a client that vanishes mid-stream leaves nothing behind", async () => {
    const w = c.watch();
    for (let i = 0; i < 100; i++) w.create({ key: b("gone"), startRevision: 1 });
    await w.until((r) => r.filter((x) => x.created).length === 100);
    w.close();
    await new Promise((r) => setTimeout(r, 200));
    const metrics = await (await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`)).text();
    const active = /^t4_watch_active (\d+)/m.exec(metrics);
    assertEquals(active?.[1], "0");
    assertEquals(s((await c.range({ key: b("m") })).kvs[0]!.value), "1");
  });
});

Deno.test("Watch protocol details", async (t) => {
  await using server = await startServer({ args: ["--watch-progress-notify-interval", "300ms"] });
  using c = new EtcdTestClient(server.endpoint);
  for (let i = 0; i < 5; i++) await c.put(`k${i}`, `v${i}`); // revisions 2..6

  await t.step(
    "created comes first, then history in order, header at the current revision",
    async () => {
      const w = c.watch();
      w.create({ key: b("k"), rangeEnd: b("l"), startRevision: 2 });
      await w.until((r) => r.reduce((n, x) => n + x.events.length, 0) === 5);
      assert(w.responses[0]!.created);
      const revs = w.responses.flatMap((r) => r.events.map((e) => e.kv!.modRevision));
      assertEquals(revs, [2, 3, 4, 5, 6]);
      for (const r of w.responses.slice(1)) assertEquals(r.header!.revision, 6);
      w.close();
    },
  );

  await t.step("progress request: watch id -1 at the current revision", async () => {
    const w = c.watch();
    w.create({ key: b("k0") });
    await w.until((r) => r.length === 1);
    w.progress();
    await w.until((r) => r.length === 2);
    assertEquals(w.responses[1]!.watchId, -1);
    assertEquals(w.responses[1]!.header!.revision, 6);
    assertEquals(w.responses[1]!.events.length, 0);
    w.close();
  });

  await t.step("progress notify reaches idle synced watchers that asked for it", async () => {
    const w = c.watch();
    w.create({ key: b("idle"), progressNotify: true });
    w.create({ key: b("quiet") });
    await w.until(
      (r) => r.some((x) => !x.created && x.watchId === 0 && x.events.length === 0),
      3000,
    );
    assert(!w.responses.some((x) => !x.created && x.watchId === 1), "only watchers that asked");
    w.close();
  });

  await t.step("filters, prev_kv and delete events", async () => {
    const w = c.watch();
    w.create({ key: b("f"), prevKv: true, filters: [pb.FilterType.NOPUT] });
    await w.until((r) => r.length === 1);
    await c.put("f", "1");
    await c.put("f", "2");
    await c.del({ key: b("f") });
    await w.until((r) => r.some((x) => x.events.length > 0));
    const ev = w.responses.find((x) => x.events.length > 0)!.events;
    assertEquals(ev.length, 1);
    assertEquals(ev[0]!.type, pb.EventType.DELETE);
    assertEquals(s(ev[0]!.prevKv!.value), "2");
    w.close();
  });

  await t.step("client-chosen ids, duplicates and empty ranges are refused", async () => {
    const w = c.watch();
    w.create({ key: b("a"), watchId: 7 });
    w.create({ key: b("a"), watchId: 7 });
    w.create({ key: b("z"), rangeEnd: b("a") });
    await w.until((r) => r.length === 3);
    assertEquals(w.responses[0]!.watchId, 7);
    assertEquals([w.responses[1]!.created, w.responses[1]!.canceled], [true, true]);
    assertEquals(
      w.responses[1]!.cancelReason,
      "mvcc: duplicate watch ID provided on the WatchStream",
    );
    assertEquals(w.responses[2]!.cancelReason, "mvcc: watcher range is empty");
    w.cancel(7);
    await w.until((r) => r.some((x) => x.watchId === 7 && x.canceled));
    w.close();
  });

  await t.step("a start revision below the compact revision is cancelled with it", async () => {
    await c.compact(4);
    const w = c.watch();
    w.create({ key: b("k0"), startRevision: 2 });
    w.create({ key: b("k0"), startRevision: 4 });
    await w.until((r) => r.some((x) => x.canceled) && r.filter((x) => x.created).length === 2);
    const cancel = w.responses.find((x) => x.canceled)!;
    assertEquals([cancel.watchId, cancel.compactRevision], [0, 4]);
    assert(!w.responses.some((x) => x.watchId === 1 && x.canceled), "start at compact rev is fine");
    w.close();
  });

  await t.step("fragmented responses stay under the limit and reassemble", async () => {
    // four 450 KB puts replayed from history arrive as one 1.8 MB batch: over the 1.5 MiB limit
    const value = "v".repeat(450_000);
    const first = (await c.put("frag/0", value)).header!.revision;
    for (let i = 1; i < 4; i++) await c.put(`frag/${i}`, value);
    const w = c.watch();
    w.create({ key: b("frag/"), rangeEnd: b("frag0"), startRevision: first, fragment: true });
    await w.until((r) => r.some((x) => x.events.length > 0 && !x.fragment));
    const parts = w.responses.filter((x) => x.events.length > 0);
    assert(parts.length >= 2, `expected fragments, got ${parts.length}`);
    assert(parts.slice(0, -1).every((x) => x.fragment) && !parts.at(-1)!.fragment);
    assertEquals(parts.flatMap((x) => x.events).length, 4);
    w.close();
  });
});
