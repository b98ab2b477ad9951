/**
 * Test helpers for the codec: our `.proto` files loaded with protobufjs (the reference codec,
 * used only here), random messages of any type in our shape, and converters between our shape
 * and protobufjs's, all driven by protobufjs's reflection of the `.proto` files, so a field our
 * codec numbers differently from the `.proto` shows up as a mismatch.
 *
 * @module
 */

import protobuf from "protobufjs";
import * as pb from "./mod.ts";

const PROTO_DIR = new URL("../../../proto/", import.meta.url).pathname;

/** The packages whose messages the codec covers. */
export const PACKAGES = ["mvccpb", "authpb", "etcdserverpb", "grpc.health.v1"];

/**
 * The 64-bit fields our codec carries as `bigint` (random identifiers), by protobufjs name;
 * every other int64/uint64 is a `number`.
 */
export const BIGINT_FIELDS: ReadonlySet<string> = new Set([
  "mvccpb.KeyValue.lease",
  "etcdserverpb.ResponseHeader.clusterId",
  "etcdserverpb.ResponseHeader.memberId",
  "etcdserverpb.PutRequest.lease",
  "etcdserverpb.Compare.lease",
  "etcdserverpb.LeaseGrantRequest.ID",
  "etcdserverpb.LeaseGrantResponse.ID",
  "etcdserverpb.LeaseRevokeRequest.ID",
  "etcdserverpb.LeaseKeepAliveRequest.ID",
  "etcdserverpb.LeaseKeepAliveResponse.ID",
  "etcdserverpb.LeaseTimeToLiveRequest.ID",
  "etcdserverpb.LeaseTimeToLiveResponse.ID",
  "etcdserverpb.LeaseStatus.ID",
  "etcdserverpb.Member.ID",
  "etcdserverpb.MemberRemoveRequest.ID",
  "etcdserverpb.MemberUpdateRequest.ID",
  "etcdserverpb.MemberPromoteRequest.ID",
  "etcdserverpb.MoveLeaderRequest.targetID",
  "etcdserverpb.StatusResponse.leader",
  "etcdserverpb.AlarmRequest.memberID",
  "etcdserverpb.AlarmMember.memberID",
]);

/** Loads `proto/etcd/rpc.proto` (with its imports) and `proto/grpc/health.proto`. */
export function loadRoot(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin: string, target: string) => PROTO_DIR + target;
  root.loadSync(["etcd/rpc.proto", "grpc/health.proto"]);
  root.resolveAll();
  return root;
}

/** Every message type of {@linkcode PACKAGES}, nested ones included. */
export function messageTypes(root: protobuf.Root): protobuf.Type[] {
  const out: protobuf.Type[] = [];
  const visit = (ns: protobuf.NamespaceBase) => {
    for (const o of ns.nestedArray) {
      if (o instanceof protobuf.Type) out.push(o);
      if (o instanceof protobuf.Namespace || o instanceof protobuf.Type) visit(o);
    }
  };
  for (const p of PACKAGES) visit(root.lookup(p) as protobuf.Namespace);
  return out;
}

/** Every enum of {@linkcode PACKAGES}. */
export function enumTypes(root: protobuf.Root): protobuf.Enum[] {
  const out: protobuf.Enum[] = [];
  const visit = (ns: protobuf.NamespaceBase) => {
    for (const o of ns.nestedArray) {
      if (o instanceof protobuf.Enum) out.push(o);
      if (o instanceof protobuf.Namespace || o instanceof protobuf.Type) visit(o);
    }
  };
  for (const p of PACKAGES) visit(root.lookup(p) as protobuf.Namespace);
  return out;
}

/** "pkg.Message" without the leading dot. */
export function fullName(t: protobuf.ReflectionObject): string {
  return t.fullName.replace(/^\./, "");
}

/** Our encode/decode pair for a message, looked up by the naming rule `encodeX`/`decodeX`. */
export interface Codec {
  /** `encodeX` */
  encode: (m: unknown) => Uint8Array;
  /** `decodeX` */
  decode: (b: Uint8Array) => unknown;
}

/** The codec for `type` from `mod.ts`, or undefined when `mod.ts` has none. */
export function codecFor(type: protobuf.Type): Codec | undefined {
  const api = pb as unknown as Record<string, unknown>;
  const encode = api["encode" + type.name];
  const decode = api["decode" + type.name];
  if (typeof encode !== "function" || typeof decode !== "function") return undefined;
  return { encode, decode } as Codec;
}

/** A seeded PRNG (mulberry32), so a failing case can be replayed from its seed. */
export class Rng {
  #s: number;

  /** Creates a generator from a 32-bit seed. */
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of `list`. */
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)]!;
  }

  /** `n` random bytes. */
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }

  /** A random unsigned 64-bit bigint. */
  u64(): bigint {
    return (BigInt(this.int(2 ** 32)) << 32n) | BigInt(this.int(2 ** 32));
  }
}

const SAFE = Number.MAX_SAFE_INTEGER;
const INT64_EDGES = [1, -1, 127, 128, 16383, 16384, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32];
const MORE_EDGES = [2 ** 35, 2 ** 42, 2 ** 49, 2 ** 52, SAFE, -SAFE, -(2 ** 31), -(2 ** 32)];
const CHARS = ["a", "Z", "0", "/", " ", "é", "ß", "€", "中", "\u{1F600}", "\u{10FFFF}", "\u0000"];

function randomInt64(rng: Rng, unsigned: boolean): number {
  let v: number;
  switch (rng.int(4)) {
    case 0:
      v = rng.pick(INT64_EDGES);
      break;
    case 1:
      v = rng.pick(MORE_EDGES);
      break;
    case 2:
      v = rng.int(1000);
      break;
    default:
      v = Math.floor((rng.next() * 2 - 1) * SAFE);
  }
  return unsigned ? Math.abs(v) : v === 0 ? 0 : v;
}

function randomBigint(rng: Rng, unsigned: boolean): bigint {
  const v = rng.chance(0.2) ? BigInt(rng.int(1000)) : rng.u64();
  return unsigned ? v : BigInt.asIntN(64, v);
}

function randomString(rng: Rng): string {
  const n = rng.chance(0.1) ? 30 + rng.int(80) : rng.int(12);
  let s = "";
  for (let i = 0; i < n; i++) s += rng.chance(0.7) ? rng.pick(CHARS.slice(0, 5)) : rng.pick(CHARS);
  return s;
}

/** A random non-default value for scalar/enum field `f` (in our representation). */
export function randomScalar(f: protobuf.Field, rng: Rng): unknown {
  const big = BIGINT_FIELDS.has(`${fullName(f.parent!)}.${f.name}`);
  if (f.resolvedType instanceof protobuf.Enum) {
    const values = Object.values(f.resolvedType.values);
    return rng.chance(0.85) ? rng.pick(values) : rng.pick([-1, 5, 127, 128, 2 ** 31 - 1]);
  }
  switch (f.type) {
    case "bytes":
      return rng.bytes(rng.chance(0.1) ? 120 + rng.int(200) : rng.int(20));
    case "string":
      return randomString(rng);
    case "bool":
      return rng.chance(0.5);
    case "uint32":
      return rng.chance(0.5) ? rng.int(300) : rng.int(2 ** 32);
    case "int64":
    case "uint64":
      return big ? randomBigint(rng, f.type === "uint64") : randomInt64(rng, f.type === "uint64");
  }
  throw new Error(`no generator for ${f.type}`);
}

/** Like {@linkcode randomScalar}, but never the field's default, so it is always written. */
export function nonDefaultScalar(f: protobuf.Field, rng: Rng): unknown {
  for (;;) {
    const v = randomScalar(f, rng);
    if (!isDefault(v)) return v;
  }
}

/** The proto3 default of scalar/enum field `f` in our representation. */
export function defaultOf(f: protobuf.Field): unknown {
  if (f.resolvedType instanceof protobuf.Enum) return 0;
  switch (f.type) {
    case "bytes":
      return new Uint8Array(0);
    case "string":
      return "";
    case "bool":
      return false;
    case "int64":
    case "uint64":
      return BIGINT_FIELDS.has(`${fullName(f.parent!)}.${f.name}`) ? 0n : 0;
  }
  return 0;
}

function isDefault(v: unknown): boolean {
  return v === 0 || v === 0n || v === false || v === "" ||
    (v instanceof Uint8Array && v.length === 0);
}

/** A random message of `type` in our representation, every field present. */
export function randomMessage(type: protobuf.Type, rng: Rng, depth = 0): Record<string, unknown> {
  const m: Record<string, unknown> = {};
  for (const o of type.oneofsArray) {
    const members = o.fieldsArray.filter((f) =>
      depth < 3 || !(f.resolvedType instanceof protobuf.Type)
    );
    if (members.length === 0 || rng.chance(0.25)) m[o.name] = undefined;
    else {
      const f = rng.pick(members);
      const isMsg = f.resolvedType instanceof protobuf.Type;
      // a oneof member is written even at its default value, so generate that too
      const value = !isMsg && rng.chance(0.2) ? defaultOf(f) : randomValue(f, rng, depth);
      m[o.name] = { case: f.name, value };
    }
  }
  for (const f of type.fieldsArray) {
    if (f.partOf) continue;
    const isMsg = f.resolvedType instanceof protobuf.Type;
    if (f.repeated) {
      const n = depth >= 3 && isMsg
        ? 0
        : rng.chance(0.3)
        ? 0
        : 1 + rng.int(rng.chance(0.1) ? 12 : 3);
      m[f.name] = Array.from({ length: n }, () => randomValue(f, rng, depth));
    } else if (isMsg) {
      m[f.name] = depth >= 3 || rng.chance(0.3) ? undefined : randomValue(f, rng, depth);
    } else m[f.name] = rng.chance(0.3) ? defaultOf(f) : randomScalar(f, rng);
  }
  return m;
}

function randomValue(f: protobuf.Field, rng: Rng, depth: number): unknown {
  if (f.resolvedType instanceof protobuf.Type) return randomMessage(f.resolvedType, rng, depth + 1);
  return randomScalar(f, rng);
}

/** A message of `type` with every field at its default (oneofs unset, message fields absent). */
export function emptyMessage(type: protobuf.Type): Record<string, unknown> {
  const m: Record<string, unknown> = {};
  for (const o of type.oneofsArray) m[o.name] = undefined;
  for (const f of type.fieldsArray) {
    if (f.partOf) continue;
    if (f.repeated) m[f.name] = [];
    else if (f.resolvedType instanceof protobuf.Type) m[f.name] = undefined;
    else m[f.name] = defaultOf(f);
  }
  return m;
}

const Long = protobuf.util.Long as unknown as {
  fromString(s: string, unsigned: boolean): unknown;
};

function scalarToPbjs(f: protobuf.Field, v: unknown): unknown {
  if (f.type === "int64" || f.type === "uint64") {
    return Long.fromString(String(v), f.type === "uint64");
  }
  return v;
}

/** Our representation → a plain object protobufjs encodes to the same bytes (defaults omitted). */
export function toPbjs(type: protobuf.Type, m: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const conv = (f: protobuf.Field, v: unknown) =>
    f.resolvedType instanceof protobuf.Type
      ? toPbjs(f.resolvedType, v as Record<string, unknown>)
      : scalarToPbjs(f, v);
  for (const f of type.fieldsArray) {
    if (f.partOf) {
      const u = m[f.partOf.name] as { case: string; value: unknown } | undefined;
      if (u?.case === f.name) out[f.name] = conv(f, u.value);
    } else if (f.repeated) {
      const list = m[f.name] as unknown[];
      if (list.length) out[f.name] = list.map((v) => conv(f, v));
    } else if (f.resolvedType instanceof protobuf.Type) {
      if (m[f.name] !== undefined) out[f.name] = conv(f, m[f.name]);
    } else if (!isDefault(m[f.name])) out[f.name] = conv(f, m[f.name]);
  }
  return out;
}

function scalarFromPbjs(f: protobuf.Field, v: unknown): unknown {
  if (f.type === "int64" || f.type === "uint64") {
    const s = (v as { toString(): string }).toString();
    return BIGINT_FIELDS.has(`${fullName(f.parent!)}.${f.name}`) ? BigInt(s) : Number(s);
  }
  if (f.type === "bytes") return new Uint8Array(v as Uint8Array);
  return v;
}

/** A message protobufjs decoded → our representation. */
export function fromPbjs(
  type: protobuf.Type,
  msg: Record<string, unknown>,
): Record<string, unknown> {
  const out = emptyMessage(type);
  const conv = (f: protobuf.Field, v: unknown) =>
    f.resolvedType instanceof protobuf.Type
      ? fromPbjs(f.resolvedType, v as Record<string, unknown>)
      : scalarFromPbjs(f, v);
  for (const f of type.fieldsArray) {
    const own = Object.hasOwn(msg, f.name);
    if (f.partOf) {
      if (own) out[f.partOf.name] = { case: f.name, value: conv(f, msg[f.name]) };
    } else if (f.repeated) out[f.name] = ((msg[f.name] ?? []) as unknown[]).map((v) => conv(f, v));
    else if (f.resolvedType instanceof protobuf.Type) {
      out[f.name] = own && msg[f.name] != null ? conv(f, msg[f.name]) : undefined;
    } else if (own) out[f.name] = conv(f, msg[f.name]);
  }
  return out;
}
