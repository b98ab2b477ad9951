import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import protobuf from "protobufjs";
import * as pb from "./mod.ts";
import {
  codecFor,
  emptyMessage,
  enumTypes,
  fromPbjs,
  fullName,
  loadRoot,
  messageTypes,
  nonDefaultScalar,
  randomMessage,
  Rng,
  toPbjs,
} from "./_testing.ts";

const root = loadRoot();
const types = messageTypes(root);
const SEED = 0x7a11c0de;
const RUNS = 150;

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

Deno.test("mod.ts has encodeX/decodeX for every message of the .proto files, and no others", () => {
  const names = types.map((t) => t.name);
  strictEqual(new Set(names).size, names.length, "message names are unique across packages");
  for (const t of types) ok(codecFor(t), `no encode${t.name}/decode${t.name} for ${fullName(t)}`);
  const helpers = new Set(["Empty", "HeaderResponse"]);
  for (const key of Object.keys(pb)) {
    const m = /^(?:encode|decode)(\w+)$/.exec(key);
    if (m && !helpers.has(m[1]!)) ok(names.includes(m[1]!), `${key} has no message in the .proto`);
  }
});

Deno.test("enum consts match the .proto enums", () => {
  const consts: Record<string, string> = {
    "mvccpb.Event.EventType": "EventType",
    "authpb.Permission.Type": "PermissionType",
    "etcdserverpb.RangeRequest.SortOrder": "SortOrder",
    "etcdserverpb.RangeRequest.SortTarget": "SortTarget",
    "etcdserverpb.Compare.CompareResult": "CompareResult",
    "etcdserverpb.Compare.CompareTarget": "CompareTarget",
    "etcdserverpb.WatchCreateRequest.FilterType": "FilterType",
    "etcdserverpb.AlarmType": "AlarmType",
    "etcdserverpb.AlarmRequest.AlarmAction": "AlarmAction",
    "etcdserverpb.DowngradeRequest.DowngradeAction": "DowngradeAction",
    "grpc.health.v1.HealthCheckResponse.ServingStatus": "ServingStatus",
  };
  const enums = enumTypes(root);
  strictEqual(enums.length, Object.keys(consts).length);
  for (const e of enums) {
    const name = consts[fullName(e)];
    ok(name, `no const for enum ${fullName(e)}`);
    deepStrictEqual((pb as unknown as Record<string, unknown>)[name], e.values, fullName(e));
  }
});

Deno.test("every field, set alone, crosses between our codec and protobufjs by its number", async (t) => {
  const rng = new Rng(SEED);
  for (const type of types) {
    const codec = codecFor(type)!;
    await t.step(fullName(type), () => {
      for (const f of type.fieldsArray) {
        const m = emptyMessage(type);
        const sub = f.resolvedType instanceof protobuf.Type
          ? randomMessage(f.resolvedType, rng, 2)
          : nonDefaultScalar(f, rng);
        if (f.partOf) m[f.partOf.name] = { case: f.name, value: sub };
        else m[f.name] = f.repeated ? [sub] : sub;
        const ours = codec.encode(m);
        const wire = `${fullName(type)}.${f.name} = ${f.id}`;
        ok(ours.length > 0, `${wire}: nothing written`);
        const back = fromPbjs(type, type.decode(ours) as unknown as Record<string, unknown>);
        deepStrictEqual(back, m, `${wire}: protobufjs reads our field differently`);
        const theirs = type.encode(toPbjs(type, m)).finish();
        deepStrictEqual(codec.decode(theirs), m, `${wire}: we read protobufjs's field differently`);
        strictEqual(hex(ours), hex(theirs), `${wire}: bytes differ`);
      }
    });
  }
});

Deno.test("random messages of every type: same bytes as protobufjs, and each reads the other's", async (t) => {
  const rng = new Rng(SEED + 1);
  for (const type of types) {
    const codec = codecFor(type)!;
    await t.step(fullName(type), () => {
      for (let i = 0; i < RUNS; i++) {
        const m = randomMessage(type, rng);
        const ours = codec.encode(m);
        const theirs = type.encode(toPbjs(type, m)).finish();
        const what = `${fullName(type)} #${i} (seed ${SEED + 1})`;
        strictEqual(hex(ours), hex(theirs), `${what}: bytes differ`);
        deepStrictEqual(fromPbjs(type, type.decode(ours) as never), m, `${what}: protobufjs read`);
        deepStrictEqual(codec.decode(theirs), m, `${what}: our read`);
      }
    });
  }
});
