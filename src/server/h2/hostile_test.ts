/**
 * {@linkcode H2GrpcServer} against hand-made HTTP/2 — protocol rules, then hostile input. After
 * each case the server must still serve a normal client.
 */

import { assert, assertEquals } from "../../../tests/_assert.ts";
import type { Method, StreamCall } from "../grpc.ts";
import { ErrorCode, Flag, FrameType, PREFACE } from "./frame.ts";
import { MAX_STREAMS } from "./limits.ts";
import { HpackDecoder } from "./hpack.ts";
import {
  frame,
  grpcMessage,
  grpcRequestFields,
  literalBlock,
  RawClient,
  type RawFrame,
} from "./_raw_client.ts";
import { b, s, sleep, startH2Server, type TestH2Server, until } from "./_test_server.ts";

const ECHO = literalBlock(grpcRequestFields("/t.S/Echo"));

function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

function settings(...pairs: number[]): Uint8Array {
  const out = new Uint8Array(pairs.length * 3);
  const view = new DataView(out.buffer);
  for (let i = 0; i < pairs.length; i += 2) {
    view.setUint16(i * 3, pairs[i]!);
    view.setUint32(i * 3 + 2, pairs[i + 1]!);
  }
  return out;
}

function goawayCode(f: RawFrame | null): number | undefined {
  if (f === null || f.type !== FrameType.GOAWAY) return undefined;
  return new DataView(f.payload.buffer).getUint32(4);
}

/** Reads a response's header blocks (our server never uses the dynamic table). */
function fields(f: RawFrame): Record<string, string> {
  const list: string[] = [];
  new HpackDecoder().decode(f.payload, 0, f.payload.length, list, 1 << 20);
  const out: Record<string, string> = {};
  for (let i = 0; i < list.length; i += 2) out[list[i]!] = list[i + 1]!;
  return out;
}

const state = { floodWritten: 0, floodWaits: 0, holdAborted: 0, echoCalls: 0 };

const services: Record<string, Record<string, Method>> = {
  "t.S": {
    Echo: {
      kind: "unary",
      handler: (req) => {
        state.echoCalls++;
        return req;
      },
    },
    Flood: {
      kind: "serverStream",
      handler: (_req, call: StreamCall) => {
        const chunk = new Uint8Array(1024);
        const pump = () => {
          while (!call.ended && state.floodWritten < 64 * 1024) {
            state.floodWritten++;
            if (!call.write(chunk)) {
              state.floodWaits++;
              call.onDrain(pump);
              return;
            }
          }
        };
        pump();
      },
    },
    Hold: {
      kind: "bidi",
      handler: (call) => {
        call.ctx.signal.addEventListener("abort", () => state.holdAborted++);
        return { message() {} };
      },
    },
  },
};

async function stillServes(srv: TestH2Server): Promise<void> {
  assertEquals(s(await srv.client.unary("/t.S/Echo", b("alive"))), "alive");
}

async function handshake(srv: TestH2Server, ...extra: Uint8Array[]): Promise<RawClient> {
  const c = await RawClient.connect(srv.port);
  await c.send(PREFACE, frame(FrameType.SETTINGS, 0, 0, settings(...extra.length ? [] : [])));
  for (const e of extra) await c.send(e);
  return c;
}

Deno.test("H2GrpcServer follows RFC 9113 with a hand-made client", async (t) => {
  await using srv = await startH2Server(services);

  await t.step("SETTINGS is acked, PING is echoed, a request is answered", async () => {
    await using c = await handshake(srv);
    const first = await c.read();
    assertEquals(first?.type, FrameType.SETTINGS);
    assertEquals(first?.flags, 0);
    await c.send(frame(FrameType.PING, 0, 0, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])));
    const ack = await c.until((f) => f.type === FrameType.PING);
    assertEquals(ack?.flags, Flag.ACK);
    assertEquals([...ack!.payload], [1, 2, 3, 4, 5, 6, 7, 8]);
    await c.send(
      frame(FrameType.HEADERS, Flag.END_HEADERS, 1, ECHO),
      frame(FrameType.DATA, Flag.END_STREAM, 1, grpcMessage(b("hi"))),
    );
    const headers = await c.until((f) => f.type === FrameType.HEADERS && f.streamId === 1);
    assertEquals(fields(headers!)[":status"], "200");
    assertEquals(fields(headers!)["content-type"], "application/grpc");
    const data = await c.until((f) => f.type === FrameType.DATA);
    assertEquals([...data!.payload], [...grpcMessage(b("hi"))]);
    const trailers = await c.until((f) => f.type === FrameType.HEADERS);
    assertEquals(trailers!.flags & Flag.END_STREAM, Flag.END_STREAM);
    assertEquals(fields(trailers!)["grpc-status"], "0");
  });

  await t.step("padding and priority are handled; one frame may hold two messages", async () => {
    await using c = await handshake(srv);
    const padded = new Uint8Array([3, 0, 0, 0, 0, 16, ...ECHO, 0, 0, 0]);
    const twoHalves = new Uint8Array([...grpcMessage(b("ab"))]);
    await c.send(
      frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.PADDED | Flag.PRIORITY, 1, padded),
      frame(FrameType.PRIORITY, 0, 1, new Uint8Array(5)),
      frame(FrameType.DATA, Flag.PADDED, 1, new Uint8Array([2, ...twoHalves.slice(0, 3), 0, 0])),
      frame(FrameType.DATA, Flag.END_STREAM, 1, twoHalves.slice(3)),
    );
    const data = await c.until((f) => f.type === FrameType.DATA);
    assertEquals(s(data!.payload.slice(5)), "ab");
    // Two messages for a unary method: INTERNAL.
    const two = new Uint8Array([...grpcMessage(b("x")), ...grpcMessage(b("y"))]);
    await c.send(
      frame(FrameType.HEADERS, Flag.END_HEADERS, 3, ECHO),
      frame(FrameType.DATA, Flag.END_STREAM, 3, two),
    );
    const status = await c.until((f) => f.type === FrameType.HEADERS && f.streamId === 3);
    assertEquals(fields(status!)["grpc-status"], "13");
  });

  await t.step("a compressed message is refused", async () => {
    await using c = await handshake(srv);
    const msg = grpcMessage(b("z"));
    msg[0] = 1;
    await c.send(
      frame(FrameType.HEADERS, Flag.END_HEADERS, 1, ECHO),
      frame(FrameType.DATA, Flag.END_STREAM, 1, msg),
    );
    const status = await c.until((f) => f.type === FrameType.HEADERS && f.streamId === 1);
    assertEquals(fields(status!)["grpc-status"], String(13));
  });

  await t.step("a shrunk and regrown INITIAL_WINDOW_SIZE holds, then releases DATA", async () => {
    await using c = await handshake(srv, frame(FrameType.SETTINGS, 0, 0, settings(0x4, 0)));
    await c.send(
      frame(FrameType.HEADERS, Flag.END_HEADERS, 1, ECHO),
      frame(FrameType.DATA, Flag.END_STREAM, 1, grpcMessage(b("held"))),
    );
    const headers = await c.until((f) => f.type === FrameType.HEADERS && f.streamId === 1);
    assertEquals(fields(headers!)[":status"], "200");
    await assertNoFrame(c, FrameType.DATA, 200);
    await c.send(frame(FrameType.SETTINGS, 0, 0, settings(0x4, 65_535)));
    const data = await c.until((f) => f.type === FrameType.DATA);
    assertEquals(s(data!.payload.slice(5)), "held");
  });

  await t.step("connection errors: GOAWAY with the RFC's code", async (t) => {
    const cases: [string, Uint8Array[], number][] = [
      ["DATA on an idle stream", [frame(FrameType.DATA, 0, 5, new Uint8Array(1))], 1],
      ["an even stream id", [frame(FrameType.HEADERS, Flag.END_HEADERS, 2, ECHO)], 1],
      ["a frame over MAX_FRAME_SIZE", [frame(FrameType.DATA, 0, 1, new Uint8Array(20000))], 6],
      ["PING of 7 bytes", [frame(FrameType.PING, 0, 0, new Uint8Array(7))], 6],
      ["WINDOW_UPDATE of 0", [frame(FrameType.WINDOW_UPDATE, 0, 0, u32(0))], 1],
      ["stray CONTINUATION", [frame(FrameType.CONTINUATION, Flag.END_HEADERS, 1, ECHO)], 1],
      [
        "HPACK index out of range",
        [frame(FrameType.HEADERS, 5, 1, new Uint8Array([0xff, 0x7f]))],
        9,
      ],
      [
        "a truncated HPACK string",
        [frame(FrameType.HEADERS, 5, 1, new Uint8Array([0x40, 0x0a]))],
        9,
      ],
    ];
    for (const [name, frames, code] of cases) {
      await t.step(name, async () => {
        await using c = await handshake(srv, ...frames);
        assertEquals(goawayCode(await c.until((f) => f.type === FrameType.GOAWAY)), code);
        assertEquals(await c.read(), null);
      });
    }
    await t.step("a first frame that is not SETTINGS", async () => {
      await using c = await RawClient.connect(srv.port);
      await c.send(PREFACE, frame(FrameType.PING, 0, 0, new Uint8Array(8)));
      assertEquals(goawayCode(await c.until((f) => f.type === FrameType.GOAWAY)), 1);
    });
  });
  await stillServes(srv);
});

async function assertNoFrame(c: RawClient, type: number, ms: number): Promise<void> {
  try {
    const f = await c.until((f) => f.type === type, ms);
    throw new Error(`unexpected frame ${f?.type}`);
  } catch (err: unknown) {
    if (!(err instanceof Error) || !err.message.startsWith("Timed out")) throw err;
  }
}

Deno.test("H2GrpcServer survives hostile clients and keeps serving others", async (t) => {
  await using srv = await startH2Server(services);

  await t.step("garbage instead of the preface", async () => {
    await using c = await RawClient.connect(srv.port);
    await c.send(b("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    assertEquals(goawayCode(await c.until((f) => f.type === FrameType.GOAWAY)), 1);
    await stillServes(srv);
  });

  await t.step("a truncated frame, then silence, then a disconnect", async () => {
    await using _c = await handshake(srv, frame(FrameType.HEADERS, 5, 1, ECHO).slice(0, 12));
    await sleep(50);
    await stillServes(srv);
  });

  await t.step("a header block of 1 MB", async () => {
    await using c = await handshake(srv);
    const chunk = new Uint8Array(16 * 1024).fill(0x61);
    let open = await c.send(frame(FrameType.HEADERS, 0, 1, new Uint8Array([0x00, 0x7f])));
    for (let i = 0; i < 64 && open; i++) {
      open = await c.send(frame(FrameType.CONTINUATION, 0, 1, chunk));
    }
    assertEquals(goawayCode(await c.until((f) => f.type === FrameType.GOAWAY)), 0xb);
    await stillServes(srv);
  });

  await t.step("endless empty CONTINUATION frames", async () => {
    await using c = await handshake(srv);
    const frames = [frame(FrameType.HEADERS, 0, 1, ECHO.slice(0, 4))];
    for (let i = 0; i < 1000; i++) frames.push(frame(FrameType.CONTINUATION, 0, 1));
    await c.send(...frames);
    assertEquals(goawayCode(await c.until((f) => f.type === FrameType.GOAWAY)), 0xb);
  });

  await t.step("10,000 RST_STREAMs in a row", async () => {
    await using c = await handshake(srv);
    const resets = [
      frame(FrameType.HEADERS, Flag.END_HEADERS, 1, literalBlock(grpcRequestFields("/t.S/Hold"))),
    ];
    for (let i = 0; i < 10_000; i++) {
      resets.push(frame(FrameType.RST_STREAM, 0, 1, u32(ErrorCode.CANCEL)));
    }
    await c.send(...resets);
    assertEquals(goawayCode(await c.until((f) => f.type === FrameType.GOAWAY)), 0xb);
    await until(() => state.holdAborted >= 1, 5000, "the reset call aborted");
    await stillServes(srv);
  });

  await t.step("rapid reset: 10,000 streams opened and reset at once", async () => {
    await using c = await handshake(srv);
    const hold = literalBlock(grpcRequestFields("/t.S/Hold"));
    const frames: Uint8Array[] = [];
    for (let id = 1; id < 20_000; id += 2) {
      frames.push(frame(FrameType.HEADERS, Flag.END_HEADERS, id, hold));
      frames.push(frame(FrameType.RST_STREAM, 0, id, u32(ErrorCode.CANCEL)));
    }
    await c.send(...frames);
    assertEquals(goawayCode(await c.until((f) => f.type === FrameType.GOAWAY, 30_000)), 0xb);
    await stillServes(srv);
  });

  await t.step("a stream that never reads: sends stop at its window", async () => {
    state.floodWritten = 0;
    state.floodWaits = 0;
    await using c = await handshake(srv);
    await c.send(
      frame(FrameType.HEADERS, Flag.END_HEADERS, 1, literalBlock(grpcRequestFields("/t.S/Flood"))),
      frame(FrameType.DATA, Flag.END_STREAM, 1, grpcMessage(new Uint8Array())),
    );
    await until(() => state.floodWaits > 0, 5000, "the sender to be told to wait");
    await sleep(100);
    // 64 KiB of window plus 64 KiB of queue, in 1 KiB messages.
    assert(state.floodWritten < 140, `written ${state.floodWritten}`);
    let data = 0;
    while (data < 65_535) {
      const f = await c.read();
      if (f === null) break;
      if (f.type === FrameType.DATA) data += f.payload.length;
    }
    assertEquals(data, 65_535);
    await assertNoFrame(c, FrameType.DATA, 100);
    await stillServes(srv);
  });

  await t.step("a peer that opens its windows but never reads the socket", async () => {
    state.floodWritten = 0;
    state.floodWaits = 0;
    await using _c = await handshake(
      srv,
      frame(FrameType.SETTINGS, 0, 0, settings(0x4, 0x7fffffff)),
      frame(FrameType.WINDOW_UPDATE, 0, 0, u32(0x7fffffff - 65_535)),
      frame(FrameType.HEADERS, Flag.END_HEADERS, 1, literalBlock(grpcRequestFields("/t.S/Flood"))),
      frame(FrameType.DATA, Flag.END_STREAM, 1, grpcMessage(new Uint8Array())),
    );
    await until(() => state.floodWaits > 0, 5000, "the sender to be told to wait");
    await sleep(200);
    // Bounded by the output buffer's high-water mark plus what the kernel's socket buffers took.
    assert(state.floodWritten < 32 * 1024, `written ${state.floodWritten} KiB`);
    await stillServes(srv);
  });

  await t.step("more streams than MAX_CONCURRENT_STREAMS are refused", async () => {
    await using c = await handshake(srv);
    const hold = literalBlock(grpcRequestFields("/t.S/Hold"));
    const frames: Uint8Array[] = [];
    for (let id = 1; id <= 2 * MAX_STREAMS + 1; id += 2) {
      frames.push(frame(FrameType.HEADERS, Flag.END_HEADERS, id, hold));
    }
    await c.send(...frames);
    const refused = await c.until((f) => f.type === FrameType.RST_STREAM, 20_000);
    assertEquals(refused?.streamId, 2 * MAX_STREAMS + 1);
    assertEquals(new DataView(refused!.payload.buffer).getUint32(0), ErrorCode.REFUSED_STREAM);
    await stillServes(srv);
  });

  await t.step("a client that disconnects mid-request", async () => {
    const before = state.echoCalls;
    {
      await using c = await handshake(srv);
      await c.send(
        frame(FrameType.HEADERS, Flag.END_HEADERS, 1, ECHO),
        frame(FrameType.DATA, 0, 1, grpcMessage(new Uint8Array(1000)).slice(0, 100)),
      );
      await sleep(20);
    }
    await sleep(50);
    assertEquals(state.echoCalls, before);
    await stillServes(srv);
  });
});

Deno.test("H2GrpcServer pings idle clients and closes those that do not answer", async () => {
  await using srv = await startH2Server(services, {
    keepaliveTimeMs: 100,
    keepaliveTimeoutMs: 100,
  });
  await using silent = await handshake(srv);
  const polite = await handshake(srv);
  let pings = 0;
  const answering = (async () => {
    for (;;) {
      const ping = await polite.until((f) => f.type === FrameType.PING && f.flags === 0, 3000)
        .catch(() => null);
      if (ping === null) return;
      pings++;
      await polite.send(frame(FrameType.PING, Flag.ACK, 0, ping.payload));
    }
  })();
  // The silent client never acks: after the ping and its timeout, the server hangs up.
  assertEquals(await silent.until((f) => f.type === FrameType.GOAWAY, 2000), null);
  assert(pings >= 1 && !polite.eof);
  await polite[Symbol.asyncDispose]();
  await answering;
  await stillServes(srv);
});
