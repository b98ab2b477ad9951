/**
 * Fuzz targets for our own HTTP/2 server: HPACK header blocks (with the dynamic table carried
 * across blocks, and Huffman strings), gRPC message deframing and request heads, and whole
 * client conversations fed to a real {@linkcode H2Connection} over an in-memory socket, with a
 * unary and a streaming method behind it that decode their requests with the etcd codec.
 *
 * @module
 */

import { deepStrictEqual, ok } from "node:assert/strict";
import * as pb from "../server/pb/mod.ts";
import { decode } from "../server/decode.ts";
import type { Method } from "../server/grpc.ts";
import { toStatus } from "../server/status.ts";
import { GrpcCall } from "../server/h2/call.ts";
import { type ConnectionHost, H2Connection } from "../server/h2/connection.ts";
import type { CallHost } from "../server/h2/context.ts";
import { ErrorCode, FrameType, H2ConnectionError } from "../server/h2/frame.ts";
import { RESPONSE_HEADERS, trailersBlock } from "../server/h2/grpc_framing.ts";
import { HpackDecoder, latin1 } from "../server/h2/hpack.ts";
import { huffmanDecode, huffmanEncode } from "../server/h2/huffman.ts";
import { MAX_HEADER_LIST_BYTES } from "../server/h2/limits.ts";
import { MessageReader, type MessageSink } from "../server/h2/message_reader.ts";
import { parseRequestHead, parseTimeout } from "../server/h2/request.ts";
import type { H2Stream } from "../server/h2/stream.ts";
import type { FuzzTarget } from "./harness.ts";
import {
  conversation,
  encodeBlock,
  frameBlocks,
  grpcMessage,
  hash,
  mutateFrames,
  octets,
  parseFrames,
  requestFields,
  splitBlocks,
} from "./h2_inputs.ts";
import { concat } from "./mutate.ts";
import { Rng } from "./rng.ts";

// ---------------------------------------------------------------------------------- HPACK

function isOctets(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return false;
  return true;
}

const td = new TextDecoder();

/** HPACK decoding of a connection's successive header blocks. */
export const hpackTarget: FuzzTarget<string[][]> = {
  name: "hpack",
  description: "HPACK header blocks in sequence on one decoder (dynamic table, Huffman)",
  maxInputBytes: 16 * 1024,
  corpus(rng) {
    const out: Uint8Array[] = [];
    for (let i = 0; i < 30; i++) {
      const blocks: Uint8Array[] = [];
      for (let n = rng.range(1, 3); n > 0; n--) {
        blocks.push(
          encodeBlock(
            requestFields(`/etcdserverpb.KV/${rng.pick(["Range", "Put", "Txn"])}`, rng),
            rng,
            { tableUpdate: n === 1 && rng.chance(0.3) },
          ),
        );
      }
      out.push(frameBlocks(blocks));
    }
    out.push(
      frameBlocks([
        RESPONSE_HEADERS,
        trailersBlock(3, "etcdserver: key is not provided", { trailersOnly: true }),
      ]),
    );
    out.push(frameBlocks([trailersBlock(14, "é%\n".repeat(3000), { trailersOnly: false })]));
    return out;
  },
  expected: (err) =>
    err instanceof H2ConnectionError && err.errorCode === ErrorCode.COMPRESSION_ERROR,
  decode(input) {
    const d = new HpackDecoder();
    const lists: string[][] = [];
    for (const [start, end] of splitBlocks(input)) {
      const list: string[] = [];
      const size = d.decode(input, start, end, list, MAX_HEADER_LIST_BYTES);
      ok(Number.isSafeInteger(size) && size >= 0, `header list size ${size}`);
      lists.push(list);
    }
    return lists;
  },
  check(_input, lists) {
    const rng = new Rng(lists.length);
    for (const list of lists) {
      ok(list.length % 2 === 0, "an odd header list");
      for (const s of list) ok(isOctets(s), "a header string holds a char above 0xff");
      // The decoded fields, encoded again (literals, Huffman or not), decode to themselves.
      const pairs: [string, string][] = [];
      for (let i = 0; i < list.length; i += 2) pairs.push([list[i]!, list[i + 1]!]);
      const block = encodeBlock(pairs, rng, { indexedTail: false });
      const again: string[] = [];
      new HpackDecoder().decode(block, 0, block.length, again, MAX_HEADER_LIST_BYTES);
      deepStrictEqual(again, list, "re-encoded header block differs");
    }
    for (const s of lists.flat().slice(0, 8)) {
      const raw = octets(s);
      const code = huffmanEncode(raw);
      const outBuf = new Uint8Array(code.length * 2 + 8);
      const n = huffmanDecode(code, 0, code.length, outBuf);
      deepStrictEqual(outBuf.subarray(0, n), raw, "Huffman round trip");
    }
  },
};

// --------------------------------------------------------------------------- gRPC framing

interface Framing {
  messages: Uint8Array[];
  refusal: string | undefined;
  partial: boolean;
  held: number;
  head: ReturnType<typeof parseRequestHead>;
}

/**
 * gRPC message deframing (`MessageReader`, the bytes split into DATA payloads at random
 * points) and request heads (`parseRequestHead`, the bytes read as a NUL-separated header list).
 */
export const grpcFramingTarget: FuzzTarget<Framing> = {
  name: "grpc-framing",
  description: "gRPC message deframing across DATA payloads, and request head parsing",
  corpus(rng) {
    const out: Uint8Array[] = [];
    for (let i = 0; i < 30; i++) {
      const bodies = [];
      for (let n = rng.range(1, 4); n > 0; n--) {
        bodies.push(
          grpcMessage(
            pb.encodeRangeRequest({ key: rng.bytes(rng.size(40)), limit: rng.int(100) }).slice(),
          ),
        );
      }
      out.push(concat(...bodies));
    }
    for (let i = 0; i < 10; i++) {
      out.push(octets(requestFields("/etcdserverpb.Watch/Watch", rng).flat().join("\0")));
    }
    out.push(grpcMessage(new Uint8Array(0)), grpcMessage(new Uint8Array(5000)));
    return out;
  },
  expected: (err) => err instanceof H2ConnectionError,
  decode(input) {
    const held = { heldBytes: 0 };
    const messages: Uint8Array[] = [];
    let refusal: string | undefined;
    const sink: MessageSink = {
      message: (m) => void messages.push(m),
      refuse: (code, details) => void (refusal = `${code} ${details}`),
    };
    const reader = new MessageReader(4096, held, sink);
    const rng = new Rng(hash(input));
    let at = 0;
    while (at < input.length) {
      const n = Math.min(input.length - at, rng.chance(0.5) ? 1 + rng.int(8) : 1 + rng.int(2048));
      // A payload sits inside a larger read buffer, as DATA frames do.
      const frame = concat(rng.bytes(3), input.subarray(at, at + n), rng.bytes(2));
      reader.push(frame, 3, 3 + n);
      at += n;
    }
    const partial = reader.partial;
    reader.stop();
    const headers = latin1(input, 0, Math.min(input.length, 8192)).split("\0");
    if (headers.length % 2 === 1) headers.push("");
    for (let i = 1; i < headers.length; i += 2) parseTimeout(headers[i]!);
    return { messages, refusal, partial, held: held.heldBytes, head: parseRequestHead(headers) };
  },
  check(input, f) {
    ok(f.held === 0, `${f.held} held bytes not given back`);
    if (f.refusal === undefined) {
      // The messages, framed again, are exactly the input's whole messages.
      const framed = concat(...f.messages.map(grpcMessage));
      deepStrictEqual(framed, input.slice(0, framed.length), "messages differ from the input");
      ok(f.partial === (framed.length < input.length), "partial disagrees with what was read");
    }
    const head = f.head;
    if (typeof head === "object" && "path" in head) {
      ok(
        head.timeoutMs === -1 || (Number.isFinite(head.timeoutMs) && head.timeoutMs >= 0),
        `timeout ${head.timeoutMs}`,
      );
    } else if (typeof head === "object") ok(head.details.length > 0, "a refusal without details");
  },
};

// ------------------------------------------------------------------------ the connection

/** A `Deno.Conn` that yields `input` in chunks, then EOF, and swallows what is written. */
class FakeConn {
  readonly #chunks: Uint8Array[];
  #i = 0;
  closed = false;
  written: Uint8Array[] = [];
  writtenBytes = 0;
  readonly remoteAddr: Deno.NetAddr = { transport: "tcp", hostname: "127.0.0.1", port: 40000 };
  readonly localAddr: Deno.NetAddr = { transport: "tcp", hostname: "127.0.0.1", port: 2379 };

  constructor(input: Uint8Array) {
    const rng = new Rng(hash(input));
    this.#chunks = [];
    for (let at = 0; at < input.length;) {
      const n = Math.min(
        input.length - at,
        rng.chance(0.3) ? 1 + rng.int(16) : 1 + rng.int(70_000),
      );
      this.#chunks.push(input.subarray(at, at + n));
      at += n;
    }
  }

  async read(p: Uint8Array): Promise<number | null> {
    // Let the connection's microtasks (flushes, handler results) run between reads.
    for (let i = 0; i < 3; i++) await Promise.resolve();
    if (this.closed) throw new Deno.errors.BadResource("the connection is closed");
    const chunk = this.#chunks[this.#i];
    if (chunk === undefined) return null;
    const n = Math.min(p.length, chunk.length);
    p.set(chunk.subarray(0, n));
    if (n < chunk.length) this.#chunks[this.#i] = chunk.subarray(n);
    else this.#i++;
    return n;
  }

  write(p: Uint8Array): Promise<number> {
    if (this.closed) return Promise.reject(new Deno.errors.BadResource("the connection is closed"));
    if (this.writtenBytes < 1 << 20) this.written.push(p.slice());
    this.writtenBytes += p.length;
    return Promise.resolve(p.length);
  }

  close(): void {
    this.closed = true;
  }

  setNoDelay(): void {}
}

const METHODS: Record<string, Method> = {
  "/etcdserverpb.KV/Range": {
    kind: "unary",
    handler(bytes) {
      const req = decode(bytes, pb.decodeRangeRequest);
      return pb.encodeRangeResponse({
        header: { revision: 1 },
        kvs: [{ key: req.key, value: req.rangeEnd }],
        count: 1,
      });
    },
  },
  "/etcdserverpb.KV/Txn": { kind: "unary", handler: () => new Promise<Uint8Array>(() => {}) },
  "/etcdserverpb.Watch/Watch": {
    kind: "bidi",
    handler(call) {
      return {
        message(bytes) {
          const req = decode(bytes, pb.decodeWatchRequest);
          call.write(
            pb.encodeWatchResponse({
              watchId: 1,
              created: req.requestUnion?.case === "createRequest",
            }),
          );
        },
        end: () => call.finish(),
      };
    },
  },
  "/etcdserverpb.Lease/LeaseKeepAlive": {
    kind: "serverStream",
    handler(bytes, call) {
      call.write(
        pb.encodeLeaseKeepAliveResponse({
          ID: decode(bytes, pb.decodeLeaseKeepAliveRequest).ID,
          TTL: 5,
        }),
      );
      call.finish();
    },
  },
};

interface ConnectionRun {
  internal: unknown[];
  unexpected: unknown[];
  streams: number;
  held: number;
  closed: boolean;
  written: Uint8Array;
  writtenBytes: number;
}

/** Serves `input` as one client connection; what went wrong is collected, never thrown. */
async function serveConnection(input: Uint8Array): Promise<ConnectionRun> {
  const internal: unknown[] = [];
  const unexpected: unknown[] = [];
  const calls: CallHost = {
    maxReceiveBytes: 64 * 1024,
    timed: false,
    status(_path, err) {
      const s = toStatus(err);
      if (s.unexpected) unexpected.push(err);
      return { code: s.code, details: s.details };
    },
    observe() {},
    unaryStarted() {},
    unaryEnded() {},
    streamStarted() {},
    streamEnded() {},
  };
  const host: ConnectionHost = {
    keepaliveTimeMs: 2 * 60 * 60 * 1000,
    keepaliveTimeoutMs: 20_000,
    // As H2GrpcServer opens a stream.
    open(conn: H2Connection, stream: H2Stream, headers: readonly string[]) {
      const head = parseRequestHead(headers);
      if (head === "malformed") return stream.fail(ErrorCode.PROTOCOL_ERROR);
      if ("httpStatus" in head) {
        const { code, details, httpStatus } = head;
        return stream.finish(trailersBlock(code, details, { trailersOnly: true, httpStatus }));
      }
      const method = METHODS[head.path];
      if (method === undefined) {
        return stream.finish(trailersBlock(12, "unknown method", { trailersOnly: true }));
      }
      stream.listener = new GrpcCall(calls, stream, {
        path: head.path,
        method,
        peer: conn.peer,
        headers,
        timeoutMs: head.timeoutMs,
        held: conn,
      });
    },
    closed() {},
    internalError: (err) => void internal.push(err),
  };
  const socket = new FakeConn(input);
  const conn = new H2Connection(socket as unknown as Deno.Conn, host);
  await conn.serve();
  return {
    internal,
    unexpected,
    streams: conn.streams.size,
    held: conn.heldBytes,
    closed: conn.closed,
    written: concat(...socket.written),
    writtenBytes: socket.writtenBytes,
  };
}

/** Whole client connections against a real `H2Connection` and `GrpcCall`s. */
export const h2ConnectionTarget: FuzzTarget<ConnectionRun> = {
  name: "h2-connection",
  description:
    "HTTP/2 client conversations against a server connection (frames, HPACK, gRPC calls)",
  maxInputBytes: 128 * 1024,
  mutators: { mutateFrames },
  allocBudget: (input) => 64 * 1024 * 1024 + 64 * input.length,
  corpus(rng) {
    return Array.from({ length: 40 }, () => conversation(rng));
  },
  generate: conversation,
  expected: () => false, // serveConnection never throws; anything thrown is a bug
  decode: serveConnection,
  check(_input, run, valid) {
    ok(run.internal.length === 0, `the connection failed internally: ${describe(run.internal[0])}`);
    ok(
      run.unexpected.length === 0,
      `a call ended with an unexpected error: ${describe(run.unexpected[0])}`,
    );
    ok(run.closed, "the connection is not closed after EOF");
    ok(run.streams === 0, `${run.streams} streams left after the connection closed`);
    ok(run.held === 0, `${run.held} held bytes left after the connection closed`);
    if (run.writtenBytes === run.written.length) {
      // What the server wrote is whole, well-formed frames.
      const frames = parseFrames(run.written, 0);
      const end = frames.length > 0 ? frames[frames.length - 1]!.end : 0;
      ok(
        end === run.written.length,
        `the server wrote a partial frame (${run.written.length - end} bytes)`,
      );
      for (const f of frames) {
        const len = f.end - f.start - 9;
        ok(len <= 16_384, `the server wrote a frame of ${len} bytes`);
      }
      if (valid) {
        // A valid conversation is never answered with GOAWAY(error).
        for (const f of frames) {
          if (run.written[f.start + 3] === FrameType.GOAWAY) {
            const code = new DataView(run.written.buffer, f.start + 13, 4).getUint32(0);
            const debug = td.decode(run.written.subarray(f.start + 17, f.end));
            ok(code === 0, `a valid conversation got GOAWAY ${code}: ${debug}`);
          }
        }
      }
    }
  },
};

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}\n${err.stack ?? ""}` : String(err);
}
