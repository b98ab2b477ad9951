import { ok } from "node:assert/strict";
import protobuf from "protobufjs";
import { MAX_TXN_DEPTH, ProtoDecodeError } from "./mod.ts";
import {
  type Codec,
  codecFor,
  fullName,
  loadRoot,
  messageTypes,
  randomMessage,
  Rng,
} from "./_testing.ts";

// Every decoder, fed hostile input, either returns or throws ProtoDecodeError: never another
// error, never a hang, never an allocation sized by a length prefix. Bounded to a few seconds.

const root = loadRoot();
const types = messageTypes(root);
const SEED = 0xf022;
const PER_TYPE = 200;
const SLOW_MS = 250;

let slowest = 0;

function attempt(codec: Codec, input: Uint8Array, what: string): void {
  const t0 = performance.now();
  try {
    codec.decode(input);
  } catch (err: unknown) {
    if (!(err instanceof ProtoDecodeError)) {
      const h = Array.from(input, (x) => x.toString(16).padStart(2, "0")).join("");
      throw new Error(`${what}: ${String(err)} for input ${h}`, { cause: err });
    }
  }
  const ms = performance.now() - t0;
  slowest = Math.max(slowest, ms);
  ok(ms < SLOW_MS, `${what}: one decode took ${ms.toFixed(1)} ms`);
}

function varint(v: number): number[] {
  const out: number[] = [];
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/** A plausible field stream for `type`: its own field numbers with random wire types and payloads. */
function fieldSoup(type: protobuf.Type, rng: Rng): Uint8Array {
  const out: number[] = [];
  const ids = type.fieldsArray.map((f) => f.id).concat([1, 2, 15, 16, 100, 536870911]);
  for (let n = rng.int(8); n > 0; n--) {
    const wt = rng.pick([0, 0, 1, 2, 2, 2, 5, 3, 4, 6, 7]);
    out.push(...varint(rng.pick(ids) * 8 + wt));
    if (wt === 0) out.push(...varint(rng.int(2 ** 32)), ...(rng.chance(0.2) ? [0xff, 0x01] : []));
    else if (wt === 1) out.push(...rng.bytes(rng.int(10)));
    else if (wt === 5) out.push(...rng.bytes(rng.int(6)));
    else if (wt === 2) {
      const len = rng.chance(0.1) ? rng.int(2 ** 31) : rng.int(12);
      out.push(...varint(len), ...rng.bytes(Math.min(len, rng.int(14))));
    }
  }
  return new Uint8Array(out);
}

/** One to three mutations of a valid encoding. */
function mutate(valid: Uint8Array, rng: Rng): Uint8Array {
  let b = Array.from(valid);
  for (let n = 1 + rng.int(3); n > 0; n--) {
    const at = rng.int(b.length + 1);
    switch (rng.int(6)) {
      case 0: // bit flip
        if (b.length) b[at % b.length]! ^= 1 << rng.int(8);
        break;
      case 1: // truncation
        b = b.slice(0, at);
        break;
      case 2: // inserted bytes
        b.splice(at, 0, ...rng.bytes(1 + rng.int(3)));
        break;
      case 3: // a huge length where a length may be read
        b.splice(
          at,
          0,
          ...rng.pick([[0xff, 0xff, 0xff, 0xff, 0x0f], [0x80, 0x80, 0x80, 0x80, 0x08]]),
        );
        break;
      case 4: // a byte set to a continuation byte
        if (b.length) b[at % b.length] = 0xff;
        break;
      default: // a duplicated slice
        b.splice(at, 0, ...b.slice(rng.int(b.length + 1), rng.int(b.length + 1)));
    }
  }
  return new Uint8Array(b);
}

Deno.test("every decoder only returns or throws ProtoDecodeError on hostile input", async (t) => {
  const rng = new Rng(SEED);
  const t0 = performance.now();
  for (const type of types) {
    const codec = codecFor(type)!;
    await t.step(fullName(type), () => {
      for (let i = 0; i < PER_TYPE; i++) {
        const what = `${fullName(type)} (seed ${SEED}) #${i}`;
        attempt(codec, rng.bytes(rng.int(48)), `${what} random bytes`);
        attempt(codec, fieldSoup(type, rng), `${what} field soup`);
        attempt(codec, mutate(codec.encode(randomMessage(type, rng)), rng), `${what} mutation`);
      }
    });
  }
  const ms = performance.now() - t0;
  console.log(
    `fuzz: ${types.length * PER_TYPE * 3} inputs in ${ms.toFixed(0)} ms, slowest ${
      slowest.toFixed(1)
    } ms`,
  );
});

/** Bytes of `levels` nested length-delimited fields, tags `tags` from the outside in, repeated. */
function nested(levels: number, tags: number[]): Uint8Array {
  const prefixes: number[][] = [];
  let len = 0;
  for (let i = 0; i < levels; i++) {
    for (let k = tags.length - 1; k >= 0; k--) {
      const p = [tags[k]!, ...varint(len)];
      prefixes.push(p);
      len += p.length;
    }
  }
  return new Uint8Array(prefixes.reverse().flat());
}

Deno.test("deep nesting: Txns beyond MAX_TXN_DEPTH and deep unknown fields stay bounded", () => {
  const txn = codecFor(root.lookupType("etcdserverpb.TxnRequest"))!;
  const resp = codecFor(root.lookupType("etcdserverpb.TxnResponse"))!;
  // TxnRequest{success: [RequestOp{request_txn: TxnRequest{…}}]} 10 000 levels deep
  const req = nested(10_000, [0x12, 0x22]);
  const res = nested(10_000, [0x1a, 0x22]);
  for (const [codec, b] of [[txn, req], [resp, res]] as const) {
    try {
      codec.decode(b);
      ok(false, "decoded 10 000 nested txns");
    } catch (err: unknown) {
      ok(err instanceof ProtoDecodeError && /deeper than 64/.test(err.message), String(err));
    }
  }
  ok(MAX_TXN_DEPTH === 64);
  // an unknown field whose payload nests 10 000 levels is skipped without being parsed
  const unknown = nested(10_000, [0x7a]); // field 15, length-delimited
  for (const type of types) attempt(codecFor(type)!, unknown, fullName(type));
});
