/**
 * Randomized check of remote WAL replay and WAL GC against a model: several leader terms, each
 * taking over at or before the previous one's end (overwriting its tail), batches uploaded as
 * objects, sealed segments uploaded over some of them, then replay from random points, before
 * and after GC at random horizons.
 */

import { deepStrictEqual, ok } from "node:assert/strict";
import { MemoryObjectStore } from "../objstore/mod.ts";
import type { WalRecord } from "../wal/mod.ts";
import { writeCheckpoint } from "./checkpoint.ts";
import { collectGarbage } from "./gc.ts";
import { encodeWalObject, walObjectKey } from "./wal_objects.ts";
import { replayRemoteWal } from "./wal_replay.ts";
import { tempDir } from "./_testing.ts";

/** A small deterministic PRNG (mulberry32). */
function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

function record(seq: number, term: number): WalRecord {
  const data = new Uint8Array(1 + ((seq * 7 + term * 13) % 40));
  data.fill((seq * 31 + term) & 0xff);
  return { seq, term, rev: seq * 2 + term, data };
}

/** Builds a random history in `store`; returns the final log (index = seq). */
async function history(store: MemoryObjectStore, rand: (n: number) => number) {
  const log: WalRecord[] = [];
  let start = 1;
  const terms = 1 + rand(4);
  for (let term = 1; term <= terms; term++) {
    const end = start + 5 + rand(40);
    const batches: [number, number][] = [];
    for (let s = start; s <= end;) {
      const e = Math.min(end, s + rand(5));
      batches.push([s, e]);
      s = e + 1;
    }
    const records = (from: number, to: number) => {
      const out: WalRecord[] = [];
      for (let s = from; s <= to; s++) out.push(record(s, term));
      return out;
    };
    const uploaded = new Set<number>();
    for (const [s, e] of batches) {
      if (rand(6) === 0) continue; // uploaded only as part of a segment
      await store.put(walObjectKey(term, s), encodeWalObject(records(s, e), term));
      uploaded.add(s);
    }
    // Sealed segments over runs of batches (some batches were never uploaded on their own).
    for (let i = 0; i < batches.length;) {
      const n = 1 + rand(8);
      const run = batches.slice(i, i + n);
      const [first] = run[0] as [number, number];
      const [, last] = run.at(-1) as [number, number];
      if (rand(3) === 0 || run.some(([s]) => !uploaded.has(s))) {
        await store.put(walObjectKey(term, first), encodeWalObject(records(first, last), term));
      }
      i += n;
    }
    for (let s = start; s <= end; s++) log[s] = record(s, term);
    if (term < terms) {
      start = end + 1 - rand(Math.min(10, end - start)); // the next leader overwrites the tail
      log.length = start;
    }
  }
  return log;
}

async function replayed(store: MemoryObjectStore, afterSeq: number) {
  const out: WalRecord[] = [];
  await replayRemoteWal(store, { afterSeq }, (r) => out.push({ ...r, data: r.data.slice() }));
  return out;
}

Deno.test("replayRemoteWal() and collectGarbage() agree with a model of leader terms", async () => {
  await using dir = await tempDir();
  await Deno.writeFile(`${dir.path}/e.db`, new Uint8Array(10));
  for (let seed = 1; seed <= 150; seed++) {
    const rand = prng(seed);
    const store = new MemoryObjectStore();
    const log = await history(store, rand);
    const lastSeq = log.length - 1;
    const expect = (after: number) => log.slice(after + 1);
    for (const after of [0, rand(lastSeq), rand(lastSeq), lastSeq]) {
      deepStrictEqual(await replayed(store, after), expect(after), `seed ${seed} after ${after}`);
    }
    const horizon = rand(lastSeq + 1);
    await writeCheckpoint(store, {
      engineFile: `${dir.path}/e.db`,
      term: 9,
      seq: horizon,
      revision: 0,
      compactRevision: 0,
    });
    const gc = await collectGarbage(store, { keep: 1 });
    ok((await store.list("wal/")).length > 0, `seed ${seed}: GC left no WAL object`);
    for (const after of [horizon, horizon + rand(lastSeq - horizon + 1)]) {
      deepStrictEqual(
        await replayed(store, after),
        expect(after),
        `seed ${seed}: after GC at ${horizon} (${gc.walObjectsDeleted} deleted), after ${after}`,
      );
    }
  }
});
