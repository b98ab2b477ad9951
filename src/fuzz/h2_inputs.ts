/**
 * How the HTTP/2 targets build their inputs: an HPACK encoder (every field representation,
 * Huffman or not), gRPC message framing, HTTP/2 frames written with the server's own
 * `OutBuffer`, whole client conversations, and frame-aware mutations. The live test
 * (`tests/fuzz_test.ts`) sends the same conversations to a real server.
 *
 * @module
 */

import * as pb from "../server/pb/mod.ts";
import { ErrorCode, Flag, FrameType, PREFACE } from "../server/h2/frame.ts";
import { huffmanEncode } from "../server/h2/huffman.ts";
import { OutBuffer } from "../server/h2/out_buffer.ts";
import { concat } from "./mutate.ts";
import type { Rng } from "./rng.ts";

/** The methods conversations call (the h2-connection target serves each). */
export const PATHS: readonly string[] = [
  "/etcdserverpb.KV/Range",
  "/etcdserverpb.KV/Txn",
  "/etcdserverpb.Watch/Watch",
  "/etcdserverpb.Lease/LeaseKeepAlive",
];

/** Latin1 bytes of a string (header names and values are octet strings). */
export function octets(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/** An HPACK integer with an `prefix`-bit prefix and the high bits `first` (RFC 7541 §5.1). */
function hpackInt(out: number[], first: number, prefix: number, v: number): void {
  const max = (1 << prefix) - 1;
  if (v < max) return void out.push(first | v);
  out.push(first | max);
  v -= max;
  while (v >= 128) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

function hpackString(out: number[], s: string, huffman: boolean): void {
  const raw = octets(s);
  const bytes = huffman ? huffmanEncode(raw) : raw;
  hpackInt(out, huffman ? 0x80 : 0, 7, bytes.length);
  out.push(...bytes);
}

/** Field representations of RFC 7541 §6, chosen by `rng`. */
export function encodeBlock(
  fields: readonly [string, string][],
  rng: Rng,
  options: { tableUpdate?: boolean; indexedTail?: boolean } = {},
): Uint8Array {
  const out: number[] = [];
  if (options.tableUpdate) hpackInt(out, 0x20, 5, rng.pick([0, 256, 4096]));
  for (const [name, value] of fields) {
    const huffman = rng.chance(0.5);
    switch (rng.int(4)) {
      case 0: // literal with incremental indexing, new name
        out.push(0x40);
        hpackString(out, name, huffman);
        break;
      case 1: // literal without indexing, new name
        out.push(0x00);
        hpackString(out, name, huffman);
        break;
      case 2: // never indexed, new name
        out.push(0x10);
        hpackString(out, name, huffman);
        break;
      default: // indexed name from the static table (:path is 4, content-type 31)
        if (name === ":path") hpackInt(out, 0x40, 6, 4);
        else if (name === "content-type") hpackInt(out, 0x00, 4, 31);
        else {
          out.push(0x40);
          hpackString(out, name, huffman);
        }
    }
    hpackString(out, value, rng.chance(0.5));
  }
  // Indexed fields: from the static table (:method POST is 3) and the dynamic one (62 = newest).
  if (options.indexedTail !== false && rng.chance(0.5)) {
    hpackInt(out, 0x80, 7, rng.pick([3, 6, 62, 63]));
  }
  return new Uint8Array(out);
}

/** The header fields of a gRPC request to `path`, with optional extras. */
export function requestFields(path: string, rng: Rng): [string, string][] {
  const fields: [string, string][] = [
    [":method", "POST"],
    [":scheme", "http"],
    [":path", path],
    [":authority", "127.0.0.1:2379"],
    ["content-type", rng.pick(["application/grpc", "application/grpc+proto"])],
    ["te", "trailers"],
  ];
  if (rng.chance(0.4)) fields.push(["grpc-timeout", rng.pick(["1S", "250m", "99999999H", "5u"])]);
  if (rng.chance(0.4)) fields.push(["token", rng.text(20)]);
  if (rng.chance(0.2)) fields.push(["user-agent", "grpc-go/1.59.0"]);
  return fields;
}

/** A gRPC message: the 5-byte prefix (not compressed, 32-bit length) and the body. */
export function grpcMessage(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + body.length);
  new DataView(out.buffer).setUint32(1, body.length);
  out.set(body, 5);
  return out;
}

/** Blocks framed as `[u16 length][block]…` (the hpack target's input). */
export function frameBlocks(blocks: Uint8Array[]): Uint8Array {
  return concat(
    ...blocks.flatMap((blk) => [new Uint8Array([blk.length >> 8, blk.length & 0xff]), blk]),
  );
}

/** The `[start, end)` of each block of {@linkcode frameBlocks} input (lengths clamped). */
export function splitBlocks(input: Uint8Array): [number, number][] {
  const out: [number, number][] = [];
  let pos = 0;
  while (pos < input.length) {
    if (input.length - pos < 2) {
      out.push([pos, input.length]);
      break;
    }
    const len = (input[pos]! << 8) | input[pos + 1]!;
    const start = pos + 2;
    const end = Math.min(input.length, start + len);
    out.push([start, end]);
    pos = end;
  }
  return out;
}

/** Hash of `input` (seeds the chunking, so an input is read the same way every time). */
export function hash(input: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < input.length; i += 1 + (input.length >> 10)) {
    h = Math.imul(h ^ input[i]!, 0x01000193);
  }
  return (h ^ input.length) >>> 0;
}

/** Frames of a byte stream after the preface (a trailing partial frame is left out). */
export function parseFrames(bytes: Uint8Array, from: number): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  let pos = from;
  while (bytes.length - pos >= 9) {
    const len = (bytes[pos]! << 16) | (bytes[pos + 1]! << 8) | bytes[pos + 2]!;
    const end = pos + 9 + len;
    if (end > bytes.length) break;
    out.push({ start: pos, end });
    pos = end;
  }
  return out;
}

function prefaceLength(input: Uint8Array): number {
  for (let i = 0; i < PREFACE.length; i++) if (input[i] !== PREFACE[i]) return 0;
  return PREFACE.length;
}

function frameBytes(type: number, flags: number, id: number, payload: Uint8Array): Uint8Array {
  const out = new OutBuffer();
  out.frameHeader(payload.length, type, flags, id);
  out.bytes(payload);
  return out.view().slice();
}

/** Frame-aware mutations: change one frame's header, drop, repeat or reorder frames, add one. */
export function mutateFrames(input: Uint8Array, rng: Rng): Uint8Array {
  const skip = prefaceLength(input);
  const frames = parseFrames(input, skip);
  const parts: Uint8Array[] = frames.map((f) => input.slice(f.start, f.end));
  const tail = input.subarray(frames.length > 0 ? frames[frames.length - 1]!.end : skip);
  const i = rng.int(parts.length + 1);
  switch (rng.int(6)) {
    case 0: { // one header field
      const p = parts[i];
      if (!p) break;
      const field = rng.int(4);
      if (field === 0) p[3] = rng.chance(0.7) ? rng.int(10) : rng.int(256);
      else if (field === 1) p[4] = rng.pick([0, 1, 4, 5, 8, 0x20, 0x25, 0x2d, 0xff]);
      else if (field === 2) {
        new DataView(p.buffer).setUint32(
          5,
          rng.pick([0, 1, 2, 3, 5, 0x7fffffff, 0x80000001, rng.int(100)]),
        );
      } else {
        const len = rng.pick([0, 1, 4, 5, 8, 16_384, 16_385, 0xffffff, rng.int(p.length)]);
        p[0] = len >> 16;
        p[1] = len >> 8;
        p[2] = len;
      }
      break;
    }
    case 1:
      parts.splice(i, 1);
      break;
    case 2: { // a flood of one frame
      const p = parts[i];
      if (p) parts.splice(i, 0, ...Array.from({ length: rng.pick([2, 10, 600, 6000]) }, () => p));
      break;
    }
    case 3: {
      const j = rng.int(parts.length);
      if (parts[i] && parts[j]) [parts[i], parts[j]] = [parts[j]!, parts[i]!];
      break;
    }
    default: { // a new frame of any type
      const payload = rng.chance(0.3)
        ? rng.bytes(rng.pick([0, 4, 5, 6, 8, 9]))
        : rng.bytes(rng.size(64));
      parts.splice(
        i,
        0,
        frameBytes(rng.int(11), rng.int(256), rng.pick([0, 1, 3, 2, rng.int(50)]), payload),
      );
    }
  }
  return concat(input.subarray(0, skip), ...parts, tail);
}

/** A client conversation: preface, SETTINGS, and calls of every kind, some split or padded. */
export function conversation(rng: Rng): Uint8Array {
  const out = new OutBuffer();
  out.bytes(PREFACE);
  out.settings(
    rng.chance(0.5) ? [] : [0x2, 0, 0x4, rng.pick([0, 65_535, 1 << 20]), 0x5, 16_384, 0x1, 4096],
  );
  if (rng.chance(0.5)) out.frameHeader(0, FrameType.SETTINGS, Flag.ACK, 0);
  if (rng.chance(0.5)) out.windowUpdate(0, 1 << 20);
  let id = 1;
  for (let n = rng.range(1, 4); n > 0; n--, id += 2) {
    const path = rng.pick(PATHS);
    const block = encodeBlock(requestFields(path, rng), rng, { indexedTail: false });
    out.headerBlock(id, 0, block, rng.chance(0.3) ? 1 + rng.int(16) : 16_384);
    const bodies: Uint8Array[] = [];
    const messages = path.endsWith("Watch") ? rng.range(1, 3) : 1;
    for (let m = 0; m < messages; m++) {
      const body = path.endsWith("Range")
        ? pb.encodeRangeRequest({ key: rng.bytes(rng.size(40)), rangeEnd: rng.bytes(rng.size(4)) })
        : path.endsWith("Watch")
        ? pb.encodeWatchRequest({
          requestUnion: { case: "createRequest", value: { key: rng.bytes(4), prevKv: true } },
        })
        : path.endsWith("KeepAlive")
        ? pb.encodeLeaseKeepAliveRequest({ ID: BigInt(rng.int(1000)) })
        : pb.encodeTxnRequest({});
      bodies.push(grpcMessage(body.slice()));
    }
    const data = concat(...bodies);
    // DATA frames: one, or the stream cut at random points, some padded.
    let at = 0;
    while (at < data.length || at === 0) {
      const n = Math.min(data.length - at, rng.chance(0.5) ? data.length : 1 + rng.int(20));
      const last = at + n >= data.length;
      const flags = last && rng.chance(0.9) ? Flag.END_STREAM : 0;
      if (rng.chance(0.2)) {
        const pad = rng.int(10);
        out.frameHeader(1 + n + pad, FrameType.DATA, flags | Flag.PADDED, id);
        out.u8(pad);
        out.bytes(data, at, at + n);
        out.bytes(new Uint8Array(pad));
      } else {
        out.frameHeader(n, FrameType.DATA, flags, id);
        out.bytes(data, at, at + n);
      }
      at += n;
      if (n === 0) break;
    }
    if (rng.chance(0.2)) out.ping(0, rng.bytes(8), 0);
    if (rng.chance(0.1)) out.rstStream(id, ErrorCode.CANCEL);
    if (rng.chance(0.1)) {
      out.frameHeader(5, FrameType.PRIORITY, 0, id);
      out.bytes(new Uint8Array(5));
    }
  }
  if (rng.chance(0.2)) out.goaway(0, 0, "bye");
  return out.view().slice();
}
