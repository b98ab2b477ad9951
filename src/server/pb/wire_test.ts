import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import {
  decodeCompare,
  decodeKeyValue,
  decodePutRequest,
  decodeRangeRequest,
  decodeRangeResponse,
  decodeRequestOp,
  decodeResponseHeader,
  decodeStatusRequest,
  decodeTxnRequest,
  decodeTxnResponse,
  decodeWatchCreateRequest,
  decodeWatchResponse,
  encodeCompare,
  encodeKeyValue,
  encodeLeaseGrantRequest,
  encodePutRequest,
  encodeRangeRequest,
  encodeRangeResponse,
  encodeRequestOp,
  encodeResponseHeader,
  encodeTxnRequest,
  encodeTxnResponse,
  encodeWatchResponse,
  MAX_TXN_DEPTH,
  type PartialMessage,
  ProtoDecodeError,
  type TxnRequest,
  type TxnResponse,
} from "./mod.ts";
import { utf8Size } from "./_wire.ts";

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

function bytes(h: string): Uint8Array {
  return new Uint8Array(h.match(/../g)!.map((x) => parseInt(x, 16)));
}

function rejects(fn: () => unknown, re: RegExp): void {
  throws(fn, (err: unknown) => err instanceof ProtoDecodeError && re.test(err.message));
}

Deno.test("Writer.int64() writes the varints Go writes, negatives as 10 bytes", async (t) => {
  const cases: [number, string][] = [
    [1, "01"],
    [127, "7f"],
    [128, "8001"],
    [2 ** 31, "8080808008"],
    [2 ** 32, "8080808010"],
    [Number.MAX_SAFE_INTEGER, "ffffffffffffff0f"],
    [-1, "ffffffffffffffffff01"],
    [-(2 ** 31), "80808080f8ffffffff01"],
    [-Number.MAX_SAFE_INTEGER, "81808080808080f0ff01"],
  ];
  for (const [v, h] of cases) {
    await t.step(String(v), () => {
      const b = encodeRangeRequest({ limit: v });
      strictEqual(hex(b), "18" + h);
      strictEqual(decodeRangeRequest(b).limit, v);
    });
  }
});

Deno.test("Reader.int64() rejects values beyond ±(2^53 - 1) instead of rounding them", () => {
  rejects(() => decodeRangeRequest(bytes("1880808080808080" + "10")), /int64 beyond/); // 2^53
  rejects(() => decodeRangeRequest(bytes("18ffffffffffffffff7f")), /int64 beyond/); // 2^63 - 1
  rejects(() => decodeRangeRequest(bytes("1880808080808080f0ff01")), /int64 beyond/); // -2^53
  strictEqual(decodeRangeRequest(bytes("1881808080808080f0ff01")).limit, -(2 ** 53 - 1));
  rejects(() => decodeResponseHeader(bytes("2080808080808080" + "10")), /uint64 beyond/);
  strictEqual(decodeResponseHeader(bytes("20ffffffffffffff0f")).raftTerm, 2 ** 53 - 1);
});

Deno.test("ID fields are bigints over the whole 64-bit range", () => {
  const max = 2n ** 64n - 1n;
  const h = decodeResponseHeader(encodeResponseHeader({ clusterId: max, memberId: 1n }));
  deepStrictEqual([h.clusterId, h.memberId], [max, 1n]);
  const put = encodePutRequest({ lease: -1n });
  strictEqual(hex(put), "18ffffffffffffffffff01");
  strictEqual(decodePutRequest(put).lease, -1n);
  strictEqual(decodePutRequest(encodePutRequest({ lease: 2n ** 63n - 1n })).lease, 2n ** 63n - 1n);
  strictEqual(decodePutRequest(encodePutRequest({ lease: -(2n ** 63n) })).lease, -(2n ** 63n));
});

Deno.test("encoders throw RangeError for numbers that are not safe integers", () => {
  throws(() => encodeRangeRequest({ revision: 1.5 }), RangeError);
  throws(() => encodeRangeRequest({ revision: 2 ** 53 }), RangeError);
  throws(() => encodeRangeRequest({ revision: -Infinity }), RangeError);
  throws(() => encodeResponseHeader({ raftTerm: -1 }), RangeError);
  throws(() => encodeLeaseGrantRequest({ TTL: 2 ** 60 }), RangeError);
});

Deno.test("Reader rejects groups, reserved wire types and field number 0", () => {
  rejects(() => decodePutRequest(bytes("0b")), /group/); // field 1, start group
  rejects(() => decodePutRequest(bytes("0c")), /group/); // field 1, end group
  rejects(() => decodePutRequest(bytes("0e")), /invalid wire type 6/);
  rejects(() => decodePutRequest(bytes("0f")), /invalid wire type 7/);
  rejects(() => decodePutRequest(bytes("00")), /field number 0/);
  rejects(() => decodePutRequest(bytes("0200")), /field number 0/);
  rejects(() => decodeStatusRequest(bytes("a30601")), /group/); // unknown field 100 as a group
});

Deno.test("Reader rejects truncated and overlong varints", () => {
  rejects(() => decodeRangeRequest(bytes("18")), /truncated varint/);
  rejects(() => decodeRangeRequest(bytes("1880")), /truncated varint/);
  rejects(() => decodeRangeRequest(bytes("18ffffffffffffffffff02")), /overflows 64 bits/);
  rejects(() => decodeRangeRequest(bytes("18ffffffffffffffffffff01")), /overflows 64 bits/);
  rejects(() => decodePutRequest(bytes("f8")), /truncated varint/); // a 2-byte tag cut short
});

Deno.test("Reader rejects a length beyond the input without allocating it", () => {
  rejects(() => decodePutRequest(bytes("0affffffff0f")), /length 4294967295 exceeds the 0/);
  rejects(() => decodePutRequest(bytes("0a0561")), /length 5 exceeds the 1 bytes left/);
  rejects(() => decodePutRequest(bytes("0affffffffffffffff7f")), /length beyond 2\^32/);
  rejects(() => decodePutRequest(bytes("a2060a6161")), /length 10 exceeds/); // unknown field
  rejects(() => decodePutRequest(bytes("a106" + "0102")), /truncated/); // fixed64 cut short
  rejects(() => decodePutRequest(bytes("a506" + "01")), /truncated/); // fixed32 cut short
});

Deno.test("a nested message cannot read past its parent's length", () => {
  // RangeResponse.kvs (len 3) holding KeyValue.key with length 5: the key would run on into
  // the parent's next field (count = 7).
  rejects(() => decodeRangeResponse(bytes("12030a0561" + "2007")), /length 5 exceeds the 1/);
  // a varint that straddles the end of a nested message
  rejects(() => decodeRangeResponse(bytes("12021080" + "2001")), /truncated varint/);
});

Deno.test("Reader skips unknown fields of every wire type", () => {
  const known = encodePutRequest({ key: new Uint8Array([1]), prevKv: true });
  const unknown = "a006" + "ffffffffffffffffff01" + // 100: varint
    "a906" + "0102030405060708" + // 101: fixed64
    "b20603616263" + // 102: length-delimited
    "bd06" + "01020304" + // 103: fixed32
    "08" + "05"; // 1 (key, bytes) sent as a varint: wrong wire type, skipped like protobuf-go
  const put = decodePutRequest(bytes(hex(known) + unknown));
  deepStrictEqual(put.key, new Uint8Array([1]));
  strictEqual(put.prevKv, true);
});

Deno.test("WatchCreateRequest.filters decodes packed and unpacked encodings", () => {
  deepStrictEqual(decodeWatchCreateRequest(bytes("2a020100")).filters, [1, 0]);
  deepStrictEqual(decodeWatchCreateRequest(bytes("28012800")).filters, [1, 0]);
  deepStrictEqual(decodeWatchCreateRequest(bytes("2801" + "2a0100" + "2801")).filters, [1, 0, 1]);
  rejects(() => decodeWatchCreateRequest(bytes("2a0201")), /length 2 exceeds/);
  rejects(() => decodeWatchCreateRequest(bytes("2a0180")), /truncated varint/);
});

Deno.test("decoded bytes are zero-copy views of the input", () => {
  const input = encodeKeyValue({ key: new Uint8Array([1, 2, 3]), value: new Uint8Array([9]) });
  const kv = decodeKeyValue(input);
  strictEqual(kv.key.buffer, input.buffer);
  input[2] = 42; // key[0]
  strictEqual(kv.key[0], 42);
});

Deno.test("decoding an empty buffer gives every field its proto3 default", () => {
  deepStrictEqual(decodePutRequest(new Uint8Array(0)), {
    key: new Uint8Array(0),
    value: new Uint8Array(0),
    lease: 0n,
    prevKv: false,
    ignoreValue: false,
    ignoreLease: false,
  });
  deepStrictEqual(decodeWatchResponse(new Uint8Array(0)), {
    header: undefined,
    watchId: 0,
    created: false,
    canceled: false,
    compactRevision: 0,
    cancelReason: "",
    fragment: false,
    events: [],
  });
});

Deno.test("a repeated singular field keeps the last value, also within a oneof", () => {
  strictEqual(decodeRangeRequest(bytes("18011802")).limit, 2);
  deepStrictEqual(decodeCompare(bytes("2001" + "3a0161")).targetUnion, {
    case: "value",
    value: new Uint8Array([0x61]),
  });
});

Deno.test("a oneof member is written even at its default value", () => {
  strictEqual(hex(encodeCompare({ targetUnion: { case: "version", value: 0 } })), "2000");
  strictEqual(
    hex(encodeCompare({ targetUnion: { case: "value", value: new Uint8Array(0) } })),
    "3a00",
  );
  deepStrictEqual(decodeCompare(bytes("2000")).targetUnion, { case: "version", value: 0 });
  strictEqual(hex(encodeCompare({ rangeEnd: new Uint8Array([0]) })), "820401" + "00");
});

Deno.test("a pre-encoded header gives the same bytes as the header object", () => {
  const header = { clusterId: 0xdeadbeefcafebaben, memberId: 7n, revision: 99, raftTerm: 2 };
  const kvs = [{ key: new Uint8Array([1]), modRevision: 5 }];
  strictEqual(
    hex(encodeRangeResponse({ header: encodeResponseHeader(header), kvs, count: 1 })),
    hex(encodeRangeResponse({ header, kvs, count: 1 })),
  );
});

Deno.test("encoders hand out separate slab pieces, and large messages get their own buffer", () => {
  const a = encodePutRequest({ key: new Uint8Array([1]) });
  const b = encodePutRequest({ key: new Uint8Array([2]) });
  strictEqual(hex(a), "0a0101");
  strictEqual(hex(b), "0a0102");
  const big = encodePutRequest({ value: new Uint8Array(20000) });
  strictEqual(big.byteOffset, 0);
  strictEqual(big.buffer.byteLength, big.length);
});

Deno.test("strings: UTF-8 both ways, invalid input becomes U+FFFD", () => {
  for (
    const s of ["", "abc", "é€中\u{1F600}", "x".repeat(40), "\uD800", "a\uDC00b", "\uD800\uD800"]
  ) {
    strictEqual(utf8Size(s), new TextEncoder().encode(s).length, JSON.stringify(s));
    const back = decodeWatchResponse(encodeWatchResponse({ cancelReason: s })).cancelReason;
    strictEqual(back, new TextDecoder().decode(new TextEncoder().encode(s)));
  }
  strictEqual(decodeWatchResponse(bytes("3202c328")).cancelReason, "\uFFFD(");
});

function nestedTxn(depth: number): PartialMessage<TxnRequest> {
  let txn: PartialMessage<TxnRequest> = { compare: [{ key: new Uint8Array([1]) }] };
  for (let i = 1; i < depth; i++) {
    txn = { success: [{ request: { case: "requestTxn", value: txn } }] };
  }
  return txn;
}

function nestedTxnResponse(depth: number): PartialMessage<TxnResponse> {
  let txn: PartialMessage<TxnResponse> = { succeeded: true };
  for (let i = 1; i < depth; i++) {
    txn = { responses: [{ response: { case: "responseTxn", value: txn } }] };
  }
  return txn;
}

Deno.test(`decodeTxnRequest() accepts ${MAX_TXN_DEPTH} nested txns and rejects more`, () => {
  let t = decodeTxnRequest(encodeTxnRequest(nestedTxn(MAX_TXN_DEPTH)));
  for (let i = 1; i < MAX_TXN_DEPTH; i++) {
    const op = t.success[0]!.request!;
    ok(op.case === "requestTxn");
    t = op.value;
  }
  strictEqual(t.compare.length, 1);
  rejects(() => decodeTxnRequest(encodeTxnRequest(nestedTxn(MAX_TXN_DEPTH + 1))), /nested deeper/);
  const op = encodeRequestOp({ request: { case: "requestTxn", value: nestedTxn(MAX_TXN_DEPTH) } });
  strictEqual(decodeRequestOp(op).request?.case, "requestTxn");
  decodeTxnResponse(encodeTxnResponse(nestedTxnResponse(MAX_TXN_DEPTH)));
  rejects(
    () => decodeTxnResponse(encodeTxnResponse(nestedTxnResponse(MAX_TXN_DEPTH + 1))),
    /nested deeper/,
  );
});

Deno.test("ProtoDecodeError carries the malformed-request code and the offset", () => {
  try {
    decodePutRequest(bytes("0a0161" + "0b"));
    ok(false, "no error");
  } catch (err: unknown) {
    ok(err instanceof ProtoDecodeError);
    strictEqual(err.code, "malformed-request");
    strictEqual(err.offset, 4);
  }
});
