import { assert, assertEquals, assertRejects } from "../../../tests/_assert.ts";
import { CompactedError } from "../../errors.ts";
import type { StreamCall } from "../grpc.ts";
import { GrpcCode, GrpcError } from "../status.ts";
import { b, s, sleep, startH2Server, until } from "./_test_server.ts";

async function expectStatus(p: Promise<unknown>, code: number, details?: string) {
  const err = await assertRejects(() => p, GrpcError);
  assertEquals(err.code, code, `status ${err.code} ${err.details}`);
  if (details !== undefined) assertEquals(err.details, details);
}

Deno.test("H2GrpcServer unary calls see the same context as on GrpcServer", async (t) => {
  let seen: { method: string; peer: string; cn: string | undefined } | undefined;
  await using srv = await startH2Server({
    "test.Echo": {
      Echo: { kind: "unary", handler: (req) => req },
      Later: {
        kind: "unary",
        handler: async (req) => {
          await sleep(2);
          return new Uint8Array([...req, ...req]);
        },
      },
      Meta: {
        kind: "unary",
        handler: (_req, ctx) => {
          seen = { method: ctx.method, peer: ctx.peer, cn: ctx.commonName };
          return b(`${ctx.metadata("token")}|${ctx.metadata("hasleader")}|${ctx.metadata("x")}`);
        },
      },
    },
  });
  const c = srv.client;

  await t.step("sync and async handlers answer", async () => {
    assertEquals(s(await c.unary("/test.Echo/Echo", b("hello"))), "hello");
    assertEquals(s(await c.unary("/test.Echo/Echo", new Uint8Array())), "");
    assertEquals(s(await c.unary("/test.Echo/Later", b("ab"))), "abab");
  });

  await t.step("metadata, method, peer and commonName", async () => {
    const out = await c.unary("/test.Echo/Meta", new Uint8Array(), {
      metadata: { token: "tok123", hasleader: "true" },
    });
    assertEquals(s(out), "tok123|true|undefined");
    assertEquals(seen?.method, "/test.Echo/Meta");
    assert(/^127\.0\.0\.1:\d+$/.test(seen!.peer), seen!.peer);
    assertEquals(seen?.cn, undefined);
  });

  await t.step("2,000 concurrent calls on one connection", async () => {
    const calls = Array.from({ length: 2000 }, (_, i) => c.unary("/test.Echo/Later", b(`${i}`)));
    const out = await Promise.all(calls);
    out.forEach((r, i) => assertEquals(s(r), `${i}${i}`));
  });

  await t.step("the observer sees every call", () => {
    const echo = srv.observed.filter(([m]) => m === "/test.Echo/Echo");
    assertEquals(echo.length, 2);
    assertEquals(echo[0], ["/test.Echo/Echo", "unary", 0, 1, 1]);
  });
});

Deno.test("H2GrpcServer moves a 2 MiB request and a 4 MiB response (flow control)", async () => {
  await using srv = await startH2Server({
    "test.Big": {
      Grow: {
        kind: "unary",
        handler: (req) => {
          const out = new Uint8Array(req.length * 2);
          out.set(req);
          out.set(req, req.length);
          return out;
        },
      },
    },
  });
  const req = new Uint8Array(2 * 1024 * 1024);
  for (let i = 0; i < req.length; i++) req[i] = (i * 7) & 0xff;
  const [r1, r2] = await Promise.all([
    srv.client.unary("/test.Big/Grow", req),
    srv.client.unary("/test.Big/Grow", req),
  ]);
  for (const out of [r1, r2]) {
    assertEquals(out.length, 4 * 1024 * 1024);
    assertEquals(out[123_457], (123_457 * 7) & 0xff);
    assertEquals(out[req.length + 99], (99 * 7) & 0xff);
  }
});

Deno.test("H2GrpcServer bidi streams: thousands of messages, backpressure, drain", async () => {
  let sawFull = 0;
  let drains = 0;
  let closed = 0;
  let received = 0;
  const TOTAL = 3000;
  const payload = new Uint8Array(16 * 1024).fill(1);
  await using srv = await startH2Server({
    "test.Stream": {
      Flood: {
        kind: "bidi",
        handler: (call: StreamCall) => {
          let sent = 0;
          const pump = () => {
            while (sent < TOTAL) {
              sent++;
              if (!call.write(payload)) {
                sawFull++;
                call.onDrain(() => {
                  drains++;
                  pump();
                });
                return;
              }
            }
            call.finish();
          };
          return {
            message(m) {
              received++;
              if (s(m) === "go") pump();
            },
            closed: () => void closed++,
          };
        },
      },
    },
  });
  const stream = srv.client.stream("/test.Stream/Flood");
  let got = 0;
  let bytes = 0;
  stream.onMessage((m) => {
    got++;
    bytes += m.length;
  });
  for (let i = 0; i < 5000; i++) stream.write(b(`m${i}`));
  stream.write(b("go"));
  const status = await stream.done;
  assertEquals(status.code, GrpcCode.OK);
  assertEquals(got, TOTAL);
  assertEquals(bytes, TOTAL * payload.length);
  await until(() => received === 5001, 5000, "all client messages");
  assert(sawFull > 0, "write() returned false at least once");
  assertEquals(drains, sawFull);
  assertEquals(closed, 1);
  const obs = srv.observed.find(([m]) => m === "/test.Stream/Flood")!;
  assertEquals(obs.slice(1), ["bidi", 0, 5001, TOTAL]);
});

Deno.test("H2GrpcServer client cancel aborts the call and runs its cleanup", async () => {
  let call: StreamCall | undefined;
  let closed = false;
  let aborted = false;
  await using srv = await startH2Server({
    "test.Stream": {
      Hold: {
        kind: "bidi",
        handler: (c) => {
          call = c;
          c.ctx.signal.addEventListener("abort", () => (aborted = true));
          return { message: (m) => void c.write(m), closed: () => void (closed = true) };
        },
      },
    },
  });
  const stream = srv.client.stream("/test.Stream/Hold");
  const echoed: string[] = [];
  stream.onMessage((m) => echoed.push(s(m)));
  stream.write(b("one"));
  await until(() => echoed.length === 1, 5000, "echo");
  stream.cancel();
  assertEquals((await stream.done).code, GrpcCode.CANCELLED);
  await until(() => closed && aborted, 5000, "server-side cleanup");
  assert(call!.ended);
  assertEquals(call!.write(b("late")), false);
  await until(() => srv.observed.length === 1);
  assertEquals(srv.observed[0]!.slice(1, 3), ["bidi", GrpcCode.CANCELLED]);
});

Deno.test("H2GrpcServer deadlines abort the handler and end with DEADLINE_EXCEEDED", async () => {
  let signal: AbortSignal | undefined;
  await using srv = await startH2Server({
    "test.Slow": {
      Never: {
        kind: "unary",
        handler: (_req, ctx) => {
          signal = ctx.signal;
          return new Promise((_resolve, reject) => {
            ctx.signal.addEventListener("abort", () => reject(new Error("aborted")));
          });
        },
      },
      Watch: { kind: "bidi", handler: () => ({ message() {} }) },
    },
  });
  await expectStatus(
    srv.client.unary("/test.Slow/Never", new Uint8Array(), { timeoutMs: 100 }),
    GrpcCode.DEADLINE_EXCEEDED,
  );
  await until(() => signal?.aborted === true, 5000, "signal aborted");
  const stream = srv.client.stream("/test.Slow/Watch", { timeoutMs: 100 });
  assertEquals((await stream.done).code, GrpcCode.DEADLINE_EXCEEDED);
});

Deno.test("H2GrpcServer maps errors to statuses with exact details", async (t) => {
  await using srv = await startH2Server({
    "test.Fail": {
      Compacted: {
        kind: "unary",
        handler: () => {
          throw new CompactedError(5);
        },
      },
      Rejects: {
        kind: "unary",
        handler: () => Promise.reject(new GrpcError(GrpcCode.PERMISSION_DENIED, "no 100% ünïcode")),
      },
      Unexpected: {
        kind: "unary",
        handler: () => {
          throw new Error("kaput");
        },
      },
      StreamFails: {
        kind: "serverStream",
        handler: (_req, call) => {
          call.write(b("first"));
          call.finish(new GrpcError(GrpcCode.UNAVAILABLE, "etcdserver: no leader"));
        },
      },
      Counts: {
        kind: "serverStream",
        handler: (req, call) => {
          for (let i = 0; i < Number(s(req)); i++) call.write(b(`${i}`));
          call.finish();
        },
      },
    },
  });
  const c = srv.client;
  await t.step("a KvError gets etcd's text", async () => {
    await expectStatus(
      c.unary("/test.Fail/Compacted", new Uint8Array()),
      GrpcCode.OUT_OF_RANGE,
      "etcdserver: mvcc: required revision has been compacted",
    );
  });
  await t.step("grpc-message is percent-encoded and decoded back", async () => {
    await expectStatus(
      c.unary("/test.Fail/Rejects", new Uint8Array()),
      GrpcCode.PERMISSION_DENIED,
      "no 100% ünïcode",
    );
  });
  await t.step("anything else is UNKNOWN, logged once", async () => {
    await expectStatus(
      c.unary("/test.Fail/Unexpected", new Uint8Array()),
      GrpcCode.UNKNOWN,
      "kaput",
    );
    await expectStatus(
      c.unary("/test.Fail/Unexpected", new Uint8Array()),
      GrpcCode.UNKNOWN,
      "kaput",
    );
    assertEquals(srv.logs.filter((l) => l.includes("unexpected error")).length, 1);
  });
  await t.step("server streams: messages, then the status", async () => {
    const got: string[] = [];
    const r = c.serverStream("/test.Fail/StreamFails", new Uint8Array(), (m) => got.push(s(m)));
    assertEquals(await r.done, { code: GrpcCode.UNAVAILABLE, details: "etcdserver: no leader" });
    assertEquals(got, ["first"]);
    const counts: string[] = [];
    const ok = c.serverStream("/test.Fail/Counts", b("300"), (m) => counts.push(s(m)));
    assertEquals((await ok.done).code, GrpcCode.OK);
    assertEquals(counts.length, 300);
    assertEquals(counts[299], "299");
  });
  await t.step("unknown services and methods, in grpc-go's words", async () => {
    await expectStatus(
      c.unary("/test.Fail/Nope", new Uint8Array()),
      GrpcCode.UNIMPLEMENTED,
      "unknown method Nope for service test.Fail",
    );
    await expectStatus(
      c.unary("/no.Such/Thing", new Uint8Array()),
      GrpcCode.UNIMPLEMENTED,
      "unknown service no.Such",
    );
  });
});

Deno.test("H2GrpcServer refuses an oversized message and keeps the connection", async () => {
  await using srv = await startH2Server(
    { "test.Echo": { Echo: { kind: "unary", handler: (req) => req } } },
    { maxReceiveBytes: 1024 * 1024 },
  );
  await expectStatus(
    srv.client.unary("/test.Echo/Echo", new Uint8Array(1_572_864)),
    GrpcCode.RESOURCE_EXHAUSTED,
    "grpc: received message larger than max (1572864 vs. 1048576)",
  );
  assertEquals((await srv.client.unary("/test.Echo/Echo", new Uint8Array(1000))).length, 1000);
});

Deno.test("H2GrpcServer.shutdown() ends streams with UNAVAILABLE and lets unary calls finish", async () => {
  let release: () => void = () => {};
  const srv = await startH2Server({
    "test.S": {
      Wait: {
        kind: "unary",
        handler: () => new Promise((resolve) => (release = () => resolve(b("done")))),
      },
      Hold: { kind: "bidi", handler: () => ({ message() {} }) },
    },
  });
  const stream = srv.client.stream("/test.S/Hold");
  stream.write(b("x"));
  const pending = srv.client.unary("/test.S/Wait", new Uint8Array());
  await sleep(50);
  const stopping = srv.server.shutdown(5000);
  assertEquals(await stream.done, {
    code: GrpcCode.UNAVAILABLE,
    details: "etcdserver: server stopped",
  });
  release();
  assertEquals(s(await pending), "done");
  await stopping;
  srv.client.close();
});
