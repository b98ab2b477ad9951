import { deepStrictEqual, ok } from "node:assert/strict";
import { WalCorruptError } from "../errors.ts";
import { encodeFrames, encodeSegmentHeader, type WalRecord } from "./frame.ts";
import { parseSegment } from "./segment.ts";
import { WalWriter } from "./writer.ts";
import { makeRecords, replayAll, tempDir } from "./_testing.ts";

/** Deterministic PRNG (mulberry32) so a failure can be replayed from its seed. */
function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296 * n) | 0;
  };
}

function assertPrefix(got: WalRecord[], all: WalRecord[], context: string): void {
  ok(got.length <= all.length, context);
  for (let i = 0; i < got.length; i++) deepStrictEqual(got[i], all[i], `${context}: record ${i}`);
}

type Damage = "cut" | "flip" | "zero" | "garbage" | "delete";

function damage(bytes: Uint8Array, kind: Damage, rand: (n: number) => number): Uint8Array {
  const b = bytes.slice();
  const at = rand(b.length);
  switch (kind) {
    case "cut":
      return b.subarray(0, at);
    case "flip":
      b[at]! ^= 1 << rand(8);
      return b;
    case "zero":
      b.fill(0, at, at + 1 + rand(600));
      return b;
    case "garbage":
      for (let i = at; i < Math.min(b.length, at + 1 + rand(100)); i++) b[i] = rand(256);
      return b;
    case "delete":
      return b;
  }
}

Deno.test("replayWal() on a randomly damaged WAL returns a prefix or throws WalCorruptError", async () => {
  const seed = Number(Deno.env.get("WAL_PROPERTY_SEED") ?? 20240601);
  const rand = prng(seed);
  await using src = await tempDir();
  await using work = await tempDir();
  {
    await using wal = await WalWriter.open(src.path, { term: 1, nextSeq: 1, segmentBytes: 8192 });
    let seq = 1;
    while (seq <= 250) {
      const n = 1 + rand(6);
      wal.append(makeRecords(seq, n, wal.term, rand(3) === 0 ? rand(900) : undefined));
      seq += n;
      if (rand(10) === 0) await wal.rotate(wal.term + rand(2));
    }
  }
  const original = await replayAll(src.path);
  const all = original.records;
  const files: [string, Uint8Array][] = [];
  for await (const e of Deno.readDir(src.path)) {
    files.push([e.name, await Deno.readFile(`${src.path}/${e.name}`)]);
  }
  files.sort((a, b) => a[0] < b[0] ? -1 : 1);
  ok(files.length > 5, `${files.length} segments`);

  const kinds: Damage[] = ["cut", "flip", "zero", "garbage", "delete"];
  for (let iter = 0; iter < 200; iter++) {
    const victim = rand(files.length);
    const kind = kinds[rand(kinds.length)]!;
    const context = `seed ${seed} iteration ${iter}: ${kind} in segment ${victim}`;
    for await (const e of Deno.readDir(work.path)) await Deno.remove(`${work.path}/${e.name}`);
    for (const [i, [name, bytes]] of files.entries()) {
      if (i === victim && kind === "delete") continue;
      await Deno.writeFile(
        `${work.path}/${name}`,
        i === victim ? damage(bytes, kind, rand) : bytes,
      );
    }
    const { error, records } = await replayAll(work.path);
    if (error !== undefined && !(error instanceof WalCorruptError)) throw error;
    assertPrefix(records, all, context);
    if (kind === "cut" && victim === files.length - 1 && error instanceof WalCorruptError) {
      // A cut of the last segment is a torn tail, never an error, unless it cuts the header.
      ok(error.message.includes("bad header"), context);
    }
    if (error instanceof WalCorruptError && !error.message.includes("replay starts after")) {
      // The operator's recovery always leaves a readable WAL holding a prefix.
      const cut = await replayAll(work.path, { afterSeq: 0, truncateCorrupt: true });
      if (cut.error !== undefined) throw cut.error;
      assertPrefix(cut.records, all, `${context} (truncateCorrupt)`);
      const again = await replayAll(work.path);
      if (again.error !== undefined) throw again.error;
      deepStrictEqual(again.records.length, cut.records.length, context);
    }
  }
});

Deno.test("parseSegment() on random damage returns a prefix or throws WalCorruptError", () => {
  const rand = prng(7);
  for (let iter = 0; iter < 2000; iter++) {
    const records = makeRecords(1, 1 + rand(30), 1, rand(2) ? rand(200) : undefined);
    const frames = encodeFrames(records);
    const clean = new Uint8Array(28 + frames.length + rand(2) * rand(500)); // maybe zero padding
    clean.set(encodeSegmentHeader(1, 1));
    clean.set(frames, 28);
    const bytes = damage(clean, (["cut", "flip", "zero", "garbage"] as const)[rand(4)]!, rand);
    const isLast = rand(2) === 0;
    try {
      const parsed = parseSegment("0000000001-00000000000000000001.wal", bytes, { isLast });
      assertPrefix(parsed.records, records, `iteration ${iter}`);
    } catch (err: unknown) {
      if (!(err instanceof WalCorruptError)) throw err;
    }
  }
});
