import { deepStrictEqual, strictEqual } from "node:assert/strict";
import protobuf from "protobufjs";
import {
  CompareResult,
  CompareTarget,
  decodePutRequest,
  decodeRangeRequest,
  decodeTxnRequest,
  decodeWatchRequest,
  decodeWatchResponse,
  encodePutRequest,
  encodeRangeRequest,
  encodeTxnRequest,
  encodeWatchRequest,
  encodeWatchResponse,
  EventType,
  FilterType,
  type RangeRequest,
  SortOrder,
  SortTarget,
  type TxnRequest,
} from "./mod.ts";
import { codecFor, fullName, loadRoot, messageTypes, randomMessage, Rng } from "./_testing.ts";

const root = loadRoot();
const te = new TextEncoder();

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** `m` with every nested message (one level down) replaced by its own encoding. */
function preEncoded(type: protobuf.Type, m: Record<string, unknown>): Record<string, unknown> {
  const out = { ...m };
  const enc = (t: protobuf.Type, v: unknown) => codecFor(t)!.encode(v);
  for (const f of type.fieldsArray) {
    const t = f.resolvedType;
    if (!(t instanceof protobuf.Type)) continue;
    if (f.partOf) {
      const u = m[f.partOf.name] as { case: string; value: unknown } | undefined;
      if (u?.case === f.name) out[f.partOf.name] = { case: u.case, value: enc(t, u.value) };
    } else if (f.repeated) out[f.name] = (m[f.name] as unknown[]).map((v) => enc(t, v));
    else if (m[f.name] !== undefined) out[f.name] = enc(t, m[f.name]);
  }
  return out;
}

Deno.test("decodeX(encodeX(m)) returns m for random messages of every type", async (t) => {
  const rng = new Rng(0xdecade);
  for (const type of messageTypes(root)) {
    const codec = codecFor(type)!;
    await t.step(fullName(type), () => {
      for (let i = 0; i < 100; i++) {
        const m = randomMessage(type, rng);
        const bytes = codec.encode(m);
        deepStrictEqual(codec.decode(bytes), m, `${fullName(type)} #${i}`);
        strictEqual(hex(codec.encode(codec.decode(bytes))), hex(bytes), "re-encoding is stable");
        strictEqual(hex(codec.encode(preEncoded(type, m))), hex(bytes), "pre-encoded fields");
      }
    });
  }
});

Deno.test("encodePutRequest() writes etcd's bytes for a simple put", () => {
  const bytes = encodePutRequest({ key: te.encode("foo"), value: te.encode("bar") });
  strictEqual(hex(bytes), "0a03666f6f1203626172");
  const put = decodePutRequest(bytes);
  deepStrictEqual(put, {
    key: te.encode("foo"),
    value: te.encode("bar"),
    lease: 0n,
    prevKv: false,
    ignoreValue: false,
    ignoreLease: false,
  });
});

Deno.test("encodeRangeRequest() round-trips every field of a k8s-style list page", () => {
  const m: RangeRequest = {
    key: te.encode("/registry/pods/"),
    rangeEnd: te.encode("/registry/pods0"),
    limit: 500,
    revision: 2 ** 40 + 7,
    sortOrder: SortOrder.DESCEND,
    sortTarget: SortTarget.MOD,
    serializable: true,
    keysOnly: true,
    countOnly: false,
    minModRevision: 3,
    maxModRevision: Number.MAX_SAFE_INTEGER,
    minCreateRevision: 1,
    maxCreateRevision: 2,
  };
  deepStrictEqual(decodeRangeRequest(encodeRangeRequest(m)), m);
});

Deno.test("encodeTxnRequest() round-trips a k8s update txn with a nested txn", () => {
  const key = te.encode("/registry/configmaps/default/a");
  const m: TxnRequest = {
    compare: [{
      result: CompareResult.EQUAL,
      target: CompareTarget.MOD,
      key,
      targetUnion: { case: "modRevision", value: 41 },
      rangeEnd: new Uint8Array(0),
    }],
    success: [{
      request: {
        case: "requestPut",
        value: {
          key,
          value: te.encode("v2"),
          lease: -1n,
          prevKv: false,
          ignoreValue: false,
          ignoreLease: false,
        },
      },
    }],
    failure: [{
      request: {
        case: "requestTxn",
        value: {
          compare: [],
          success: [],
          failure: [{
            request: {
              case: "requestDeleteRange",
              value: { key, rangeEnd: new Uint8Array([0]), prevKv: true },
            },
          }],
        },
      },
    }],
  };
  deepStrictEqual(decodeTxnRequest(encodeTxnRequest(m)), m);
});

Deno.test("encodeWatchRequest() / encodeWatchResponse() round-trip create, progress and events", () => {
  const create = encodeWatchRequest({
    requestUnion: {
      case: "createRequest",
      value: { key: te.encode("a"), filters: [FilterType.NODELETE], watchId: -1 },
    },
  });
  const got = decodeWatchRequest(create);
  deepStrictEqual(got.requestUnion?.case, "createRequest");
  deepStrictEqual(got.requestUnion?.value, {
    key: te.encode("a"),
    rangeEnd: new Uint8Array(0),
    startRevision: 0,
    progressNotify: false,
    filters: [FilterType.NODELETE],
    prevKv: false,
    watchId: -1,
    fragment: false,
  });
  const progress = decodeWatchRequest(
    encodeWatchRequest({ requestUnion: { case: "progressRequest", value: {} } }),
  );
  deepStrictEqual(progress, { requestUnion: { case: "progressRequest", value: {} } });

  const kv = { key: te.encode("a"), modRevision: 9, value: te.encode("x") };
  const resp = decodeWatchResponse(encodeWatchResponse({
    header: { revision: 9 },
    watchId: 3,
    events: [{ type: EventType.PUT, kv }, { type: EventType.DELETE, kv, prevKv: kv }],
  }));
  strictEqual(resp.events.length, 2);
  strictEqual(resp.events[1]!.type, EventType.DELETE);
  strictEqual(resp.events[1]!.prevKv?.modRevision, 9);
  strictEqual(resp.events[0]!.prevKv, undefined);
  strictEqual(resp.header?.revision, 9);
});
