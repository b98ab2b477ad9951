/**
 * Fuzz targets for the protobuf codec (`server/pb/`): the gRPC requests every service decodes
 * (and converts for the MVCC layer), every other etcd message (responses, which clients and
 * `t4 migrate` decode), and the peer protocol's messages (`proto/peer.proto`) that leaders and
 * followers exchange.
 *
 * An input is one selector byte (which decoder) and the message bytes, so a mutation of the
 * first byte feeds one message type's bytes to another. The valid corpus bootstraps itself from
 * the codec: random field streams that decode are encoded again by the project's own encoder,
 * which gives canonical messages with their fields populated, nested ones included. The check is
 * a round trip: a decoded value encodes, decodes again to the same bytes, and a canonical input
 * encodes back to itself.
 *
 * @module
 */

import { deepStrictEqual } from "node:assert/strict";
import * as pb from "../server/pb/mod.ts";
import * as peer from "../server/pb/peer.ts";
import { deleteFromPb, putFromPb, rangeFromPb, txnFromPb } from "../server/convert.ts";
import type { FuzzTarget } from "./harness.ts";
import { concat, varint } from "./mutate.ts";
import type { Rng } from "./rng.ts";

/** One message type's encoder and decoder. */
interface Codec {
  name: string;
  encode(m: unknown): Uint8Array;
  decode(b: Uint8Array): unknown;
  /** What the service does next with a decoded request (MVCC conversion), if anything. */
  convert?(m: unknown): unknown;
  /** Hand-made valid messages, besides the bootstrapped ones. */
  seeds?: unknown[];
}

/** Every `encodeX`/`decodeX` pair `module` exports, by name. */
function codecsOf(module: Record<string, unknown>): Codec[] {
  const out: Codec[] = [];
  for (const key of Object.keys(module).sort()) {
    if (!key.startsWith("decode")) continue;
    const name = key.slice("decode".length);
    const encode = module[`encode${name}`];
    const decode = module[key];
    if (typeof encode !== "function" || typeof decode !== "function") continue;
    out.push({
      name,
      encode: encode as Codec["encode"],
      decode: decode as Codec["decode"],
    });
  }
  return out;
}

const te = new TextEncoder();
const b = (s: string) => te.encode(s);

const CONVERTERS: Record<string, (m: unknown) => unknown> = {
  RangeRequest: (m) => rangeFromPb(m as pb.RangeRequest),
  PutRequest: (m) => putFromPb(m as pb.PutRequest),
  DeleteRangeRequest: (m) => deleteFromPb(m as pb.DeleteRangeRequest),
  TxnRequest: (m) => txnFromPb(m as pb.TxnRequest),
};

const NESTED_TXN: pb.PartialMessage<pb.TxnRequest> = {
  compare: [
    {
      result: pb.CompareResult.EQUAL,
      target: pb.CompareTarget.VERSION,
      key: b("a"),
      targetUnion: { case: "version", value: 3 },
    },
    {
      result: pb.CompareResult.LESS,
      target: pb.CompareTarget.VALUE,
      key: b("b"),
      rangeEnd: b("c"),
      targetUnion: { case: "value", value: b("v") },
    },
    { target: pb.CompareTarget.LEASE, key: b("l"), targetUnion: { case: "lease", value: -5n } },
  ],
  success: [
    {
      request: {
        case: "requestPut",
        value: { key: b("a"), value: b("1"), lease: 7n, prevKv: true },
      },
    },
    {
      request: {
        case: "requestRange",
        value: { key: b("a"), rangeEnd: b("\0"), limit: 10, revision: 3 },
      },
    },
    {
      request: {
        case: "requestTxn",
        value: {
          success: [{
            request: { case: "requestDeleteRange", value: { key: b("z"), prevKv: true } },
          }],
        },
      },
    },
  ],
  failure: [{ request: { case: "requestDeleteRange", value: { key: b("x"), rangeEnd: b("y") } } }],
};

const SEEDS: Record<string, unknown[]> = {
  RangeRequest: [
    {
      key: b("/registry/pods/"),
      rangeEnd: b("/registry/pods0"),
      limit: 500,
      revision: 12,
      sortOrder: 2,
      sortTarget: 4,
      countOnly: true,
    },
    {
      key: b("\0"),
      rangeEnd: b("\0"),
      keysOnly: true,
      minModRevision: 1,
      maxCreateRevision: 2 ** 40,
    },
  ],
  PutRequest: [{
    key: b("k"),
    value: new Uint8Array(300).fill(7),
    lease: 0x694d7e3f1c2a5b11n,
    prevKv: true,
    ignoreLease: true,
  }],
  DeleteRangeRequest: [{ key: b("a"), rangeEnd: b("b"), prevKv: true }],
  TxnRequest: [NESTED_TXN],
  WatchRequest: [
    {
      requestUnion: {
        case: "createRequest",
        value: {
          key: b("a"),
          rangeEnd: b("b"),
          startRevision: 4,
          progressNotify: true,
          filters: [0, 1],
          prevKv: true,
          watchId: 9,
          fragment: true,
        },
      },
    },
    { requestUnion: { case: "cancelRequest", value: { watchId: 9 } } },
    { requestUnion: { case: "progressRequest", value: {} } },
  ],
  LeaseKeepAliveRequest: [{ ID: -1n }],
  LeaseGrantRequest: [{ TTL: 60, ID: 42n }],
  FollowRequest: [
    {
      hello: {
        nodeId: "n1",
        memberId: 2n ** 63n,
        lastSeq: 10,
        lastTerm: 2,
        appliedSeq: 9,
        peerAddr: "127.0.0.1:1",
        clientUrl: "http://x",
        version: 1,
      },
    },
    { ack: { durableSeq: 11, appliedSeq: 10 } },
  ],
  FollowResponse: [
    {
      start: {
        term: 3,
        truncateAfter: 5,
        commitSeq: 5,
        leaderId: "n1",
        members: [{ nodeId: "n2", memberId: 5n, peerAddr: "a:1", clientUrl: "http://b" }],
      },
    },
    {
      entries: {
        records: [{ seq: 6, term: 3, rev: 9, data: b("entry") }, {
          seq: 7,
          term: 3,
          rev: 9,
          data: new Uint8Array(0),
        }],
        commitSeq: 6,
      },
    },
    { commit: { commitSeq: 7, members: [] } },
    { resync: { reason: "behind" } },
    { shutdown: { reason: "stepping down", successor: "n2" } },
  ],
  ForwardRequest: [{
    method: "/etcdserverpb.KV/Put",
    request: b("\x0a\x01k"),
    metadata: [{ key: "token", value: "t" }],
  }],
  ForwardResponse: [{ response: b("\x0a\x00"), code: 0, details: "", commitSeq: 12 }],
};

const FIELD_NUMBERS = [1, 1, 1, 2, 2, 2, 3, 3, 4, 4, 5, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 16, 64];

/**
 * A random stream of fields: mostly the low field numbers every message uses, with varints,
 * length-delimited payloads (often themselves field streams, to fill nested messages) and
 * fixed-width values.
 */
function fieldSoup(rng: Rng, depth = 3): Uint8Array {
  const out: Uint8Array[] = [];
  for (let n = rng.size(10); n > 0; n--) {
    const no = rng.chance(0.95) ? rng.pick(FIELD_NUMBERS) : rng.range(1, 2 ** 29 - 1);
    const wt = rng.pick([0, 0, 0, 2, 2, 2, 2, 1, 5]);
    out.push(new Uint8Array(varint(no * 8 + wt)));
    if (wt === 0) {
      const v = rng.chance(0.8) ? rng.int(rng.pick([2, 5, 300, 2 ** 31])) : rng.int(2 ** 53);
      out.push(new Uint8Array(varint(v)));
    } else if (wt === 2) {
      const body = depth > 0 && rng.chance(0.5)
        ? fieldSoup(rng, depth - 1)
        : rng.bytes(rng.size(24));
      out.push(new Uint8Array(varint(body.length)), body);
    } else out.push(rng.bytes(wt === 1 ? 8 : 4));
  }
  return concat(...out);
}

/** A pb target over `codecs`; `label` names it. */
function pbTarget(
  name: string,
  description: string,
  codecs: readonly Codec[],
): FuzzTarget<unknown> {
  if (codecs.length === 0 || codecs.length > 256) {
    throw new Error(`pb target ${name}: ${codecs.length} codecs`);
  }
  const framed = (i: number, bytes: Uint8Array) => concat(new Uint8Array([i]), bytes);
  const codecOf = (input: Uint8Array) => codecs[(input[0] ?? 0) % codecs.length]!;
  return {
    name,
    description,
    maxInputBytes: 16 * 1024,
    corpus(rng) {
      const out: Uint8Array[] = [];
      codecs.forEach((c, i) => {
        out.push(framed(i, c.encode({}).slice()));
        for (const seed of c.seeds ?? []) out.push(framed(i, c.encode(seed).slice()));
        // Field streams that decode, encoded again: canonical messages with fields set.
        let kept = 0;
        for (let tries = 0; tries < 200 && kept < 6; tries++) {
          let value: unknown;
          try {
            value = c.decode(fieldSoup(rng));
          } catch {
            continue;
          }
          const bytes = c.encode(value).slice();
          if (bytes.length === 0) continue;
          out.push(framed(i, bytes));
          kept++;
        }
      });
      return out;
    },
    generate(rng) {
      return framed(rng.int(codecs.length), fieldSoup(rng));
    },
    expected: (err) => err instanceof pb.ProtoDecodeError,
    decode(input) {
      const c = codecOf(input);
      const value = c.decode(input.subarray(1));
      // What a service does next: conversion never throws for a message that decoded.
      c.convert?.(value);
      return value;
    },
    check(input, value, valid) {
      const c = codecOf(input);
      const once = c.encode(value).slice();
      const twice = c.encode(c.decode(once)).slice();
      deepStrictEqual(twice, once, `${c.name}: encode(decode(encode(m))) differs from encode(m)`);
      if (valid) deepStrictEqual(once, input.slice(1), `${c.name}: a canonical message changes`);
    },
  };
}

const etcdCodecs = codecsOf(pb as unknown as Record<string, unknown>);
for (const c of etcdCodecs) {
  const convert = CONVERTERS[c.name];
  if (convert) c.convert = convert;
  const seeds = SEEDS[c.name];
  if (seeds) c.seeds = seeds;
}
const peerCodecs = codecsOf(peer as unknown as Record<string, unknown>);
for (const c of peerCodecs) {
  const seeds = SEEDS[c.name];
  if (seeds) c.seeds = seeds;
}

const isRequest = (c: Codec) => c.name.endsWith("Request");

/** Every request message the etcd services decode, and their MVCC conversion. */
export const grpcRequestsTarget: FuzzTarget<unknown> = pbTarget(
  "grpc-requests",
  `etcd gRPC requests (${
    etcdCodecs.filter(isRequest).length
  } message types) and their MVCC conversion`,
  etcdCodecs.filter(isRequest),
);

/** Every other etcd message: responses and their parts. */
export const pbMessagesTarget: FuzzTarget<unknown> = pbTarget(
  "pb-messages",
  `etcd responses and other messages (${
    etcdCodecs.filter((c) => !isRequest(c)).length
  } message types)`,
  etcdCodecs.filter((c) => !isRequest(c)),
);

/** The peer protocol's messages. */
export const peerMessagesTarget: FuzzTarget<unknown> = pbTarget(
  "peer-messages",
  `peer protocol messages (${peerCodecs.map((c) => c.name).join(", ")})`,
  peerCodecs,
);
