/**
 * Fuzz targets for the WAL: segment headers, whole segments (as files, S3 objects and peer
 * batches read them), directory replay with repair and `truncateCorrupt`, and the entry payload
 * codec (`mvcc/entry.ts`) that every frame carries.
 *
 * @module
 */

import { deepStrictEqual, ok } from "node:assert/strict";
import { WalCorruptError } from "../errors.ts";
import { decodeEntry, encodeEntry, type EntryOp } from "../mvcc/mod.ts";
import {
  encodeWalObject,
  parseWalObject,
  RemoteWalGapError,
  replayRemoteWal,
  walObjectKey,
} from "../checkpoint/mod.ts";
import { MemoryObjectStore } from "../objstore/mod.ts";
import {
  crc32c,
  encodeFrames,
  encodeSegmentHeader,
  type ParsedSegment,
  parseSegment,
  replayWal,
  SEGMENT_HEADER_BYTES,
  segmentName,
  type WalRecord,
} from "../wal/mod.ts";
import { decodeSegmentHeader, getU64 } from "../wal/frame.ts";
import { type FuzzTarget, settle, settleSync } from "./harness.ts";
import { concat } from "./mutate.ts";
import type { Rng } from "./rng.ts";

const TWO_32 = 0x1_0000_0000;

function isWalCorrupt(err: unknown): boolean {
  return err instanceof WalCorruptError;
}

/** A random binary-string key. */
function randomKey(rng: Rng): string {
  const n = rng.chance(0.1) ? rng.int(300) : rng.size(24);
  let s = "";
  for (let i = 0; i < n; i++) {
    s += String.fromCharCode(rng.chance(0.7) ? 0x61 + rng.int(26) : rng.int(256));
  }
  return s;
}

function randomLease(rng: Rng): bigint {
  return rng.chance(0.5) ? 0n : BigInt.asIntN(64, (BigInt(rng.u32()) << 32n) | BigInt(rng.u32()));
}

/** Random entry ops of every kind, as the commit pipeline writes them. */
export function randomOps(rng: Rng): EntryOp[] {
  const ops: EntryOp[] = [];
  for (let n = rng.size(12); n > 0; n--) {
    switch (rng.int(8)) {
      case 0:
        ops.push({
          op: "put",
          key: randomKey(rng),
          value: rng.bytes(rng.size(200)),
          lease: randomLease(rng),
        });
        break;
      case 1:
        ops.push({ op: "delete", key: randomKey(rng) });
        break;
      case 2:
        ops.push({
          op: "deleteRange",
          key: randomKey(rng),
          end: rng.chance(0.5) ? randomKey(rng) : undefined,
        });
        break;
      case 3:
        ops.push({ op: "grant", lease: randomLease(rng), ttl: rng.int(9_000_000_000) });
        break;
      case 4:
        ops.push({ op: "revoke", lease: randomLease(rng) });
        break;
      case 5:
        ops.push({ op: "compact", revision: rng.int(2 ** 40) });
        break;
      case 6:
        ops.push({
          op: "metaPut",
          key: "auth/user/" + randomKey(rng),
          value: rng.bytes(rng.size(64)),
        });
        break;
      default:
        ops.push({ op: "metaDelete", key: randomKey(rng) });
    }
  }
  return ops;
}

/** Records `firstSeq..` with entry payloads, as a leader of `term` writes them. */
function randomRecords(rng: Rng, firstSeq: number, term: number): WalRecord[] {
  const out: WalRecord[] = [];
  let rev = rng.int(1000) + 1;
  for (let i = rng.range(1, 6); i > 0; i--) {
    rev += rng.int(3);
    out.push({
      seq: firstSeq + out.length,
      term: rng.range(Math.max(0, term - 2), term),
      rev,
      data: encodeEntry(randomOps(rng)),
    });
  }
  return out;
}

function randomSegment(rng: Rng): Uint8Array {
  const term = rng.chance(0.2) ? rng.int(2 ** 40) : rng.range(1, 5);
  const firstSeq = rng.chance(0.2) ? rng.range(1, 2 ** 45) : rng.range(1, 100);
  const records = rng.chance(0.05) ? [] : randomRecords(rng, firstSeq, term);
  const padding = rng.chance(0.2) ? new Uint8Array(rng.int(200)) : new Uint8Array(0);
  return concat(encodeSegmentHeader(term, firstSeq), encodeFrames(records), padding);
}

/** Term and first seq as the header's bytes say, whether or not the header is valid. */
function headerFields(input: Uint8Array): { term: number; firstSeq: number } | undefined {
  if (input.length < SEGMENT_HEADER_BYTES) return undefined;
  const view = new DataView(input.buffer, input.byteOffset, SEGMENT_HEADER_BYTES);
  const term = getU64(view, 8);
  const firstSeq = getU64(view, 16);
  if (!Number.isSafeInteger(term) || !Number.isSafeInteger(firstSeq) || firstSeq < 1) {
    return undefined;
  }
  return { term, firstSeq };
}

/** The segment name that agrees with the header, so a mutated body is read past the name check. */
function nameFor(input: Uint8Array): string {
  const h = headerFields(input);
  return h ? segmentName(h.term, h.firstSeq) : segmentName(1, 1);
}

/**
 * Re-establishes the header CRC and the CRC of every frame whose length fits, and (half the
 * time, decided by the input) renumbers the seqs densely, so that mutations reach the seq and
 * payload checks behind the checksums.
 */
function fixSegment(input: Uint8Array): Uint8Array {
  const out = input.slice();
  if (out.length < SEGMENT_HEADER_BYTES) return out;
  const view = new DataView(out.buffer);
  view.setUint32(24, crc32c(out.subarray(0, 24)));
  const renumber = (out.length & 1) === 1;
  let seq = getU64(view, 16);
  let pos = SEGMENT_HEADER_BYTES;
  while (out.length - pos >= 8 + 24) {
    const len = view.getUint32(pos);
    if (len < 24 || len > out.length - pos - 8) break;
    if (renumber && Number.isSafeInteger(seq)) {
      view.setUint32(pos + 8, Math.floor(seq / TWO_32));
      view.setUint32(pos + 12, seq >>> 0);
      seq++;
    }
    view.setUint32(pos + 4, crc32c(out.subarray(pos + 8, pos + 8 + len)));
    pos += 8 + len;
  }
  return out;
}

function checkParsed(input: Uint8Array, p: ParsedSegment, what: string): void {
  ok(p.end >= SEGMENT_HEADER_BYTES && p.end <= input.length, `${what}: end ${p.end} out of range`);
  ok(p.lastSeq === p.firstSeq + p.records.length - 1, `${what}: lastSeq ${p.lastSeq} disagrees`);
  p.records.forEach((r, i) => {
    ok(r.seq === p.firstSeq + i, `${what}: record ${i} has seq ${r.seq}`);
    ok(r.data.buffer === input.buffer, `${what}: record data is not a view of the input`);
  });
  // Round trip: the records encode back to exactly the bytes they were read from.
  deepStrictEqual(encodeFrames(p.records), input.slice(SEGMENT_HEADER_BYTES, p.end), what);
  if (p.tornTail) {
    ok(p.tornTail.offset === p.end, `${what}: torn tail offset ${p.tornTail.offset} ≠ end`);
    ok(p.tornTail.droppedBytes === input.length - p.end, `${what}: torn tail size disagrees`);
  }
}

/** `decodeSegmentHeader`: the 28-byte header of every segment file and WAL object. */
export const walHeaderTarget: FuzzTarget<{ term: number; firstSeq: number }> = {
  name: "wal-header",
  description: "WAL segment headers (magic, version, flags, term, first seq, CRC)",
  maxInputBytes: 64,
  corpus(rng) {
    const out: Uint8Array[] = [];
    for (let i = 0; i < 40; i++) {
      out.push(
        encodeSegmentHeader(
          rng.chance(0.3) ? rng.int(2 ** 53) : rng.int(10),
          rng.range(1, 2 ** 53 - 1),
        ),
      );
    }
    return out;
  },
  decode(input) {
    const h = headerFields(input);
    return decodeSegmentHeader(nameFor(input), input, h);
  },
  expected: isWalCorrupt,
  fixup: fixSegment,
  check(input, h) {
    deepStrictEqual(encodeSegmentHeader(h.term, h.firstSeq), input.slice(0, SEGMENT_HEADER_BYTES));
  },
};

interface SegmentReads {
  last: ParsedSegment | undefined;
  sealed: ParsedSegment | undefined;
  object: ParsedSegment | undefined;
}

/** `parseSegment` (last and sealed) and `parseWalObject`: whole segments held in memory. */
export const walSegmentTarget: FuzzTarget<SegmentReads> = {
  name: "wal-segment",
  description: "WAL segments as the last file, a sealed file and a remote WAL object",
  regressions: [
    // A checksummed frame whose term is 2^64 - 1: delivered with an inexact term before the fix.
    fixSegment(concat(
      encodeSegmentHeader(1, 1),
      new Uint8Array([0, 0, 0, 24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
      new Uint8Array(8).fill(0xff),
      new Uint8Array([0, 0, 0, 0, 0, 0, 0, 1]),
    )),
  ],
  corpus(rng) {
    const out: Uint8Array[] = [];
    for (let i = 0; i < 40; i++) out.push(randomSegment(rng));
    const records = randomRecords(rng, 7, 3);
    out.push(encodeWalObject(records, 3));
    return out;
  },
  generate: randomSegment,
  fixup: fixSegment,
  decode(input) {
    const name = nameFor(input);
    const h = headerFields(input) ?? { term: 1, firstSeq: 1 };
    return {
      last: settleSync(() => parseSegment(name, input, { isLast: true }), isWalCorrupt),
      sealed: settleSync(() => parseSegment(name, input, { isLast: false }), isWalCorrupt),
      object: settleSync(
        () => parseWalObject(walObjectKey(h.term, h.firstSeq), input),
        isWalCorrupt,
      ),
    };
  },
  check(input, r, valid) {
    if (r.last) checkParsed(input, r.last, "isLast");
    if (r.sealed) checkParsed(input, r.sealed, "sealed");
    if (r.object) checkParsed(input, r.object, "object");
    if (r.sealed) {
      // Reading a segment as the last one only turns corruption into a torn tail.
      ok(r.last !== undefined, "a sealed segment parses but the same bytes as the last do not");
      ok(r.last.records.length === r.sealed.records.length, "last and sealed disagree");
    }
    if (r.object) ok(r.sealed !== undefined, "a WAL object parses but the segment does not");
    if (valid) {
      ok(r.sealed !== undefined && r.sealed.tornTail === undefined, "a valid segment is refused");
    }
  },
};

/** Records delivered by a replay, copied. */
interface Replayed {
  records: number;
  lastSeq: number;
  tornTail: boolean;
  error?: WalCorruptError;
}

let replayDir = "";

async function resetDir(): Promise<void> {
  for await (const e of Deno.readDir(replayDir)) await Deno.remove(`${replayDir}/${e.name}`);
}

async function replayOnce(
  options: { repair?: boolean; truncateCorrupt?: boolean },
): Promise<Replayed> {
  let records = 0;
  let expected = 1;
  try {
    const r = await replayWal(replayDir, { afterSeq: 0, ...options }, (rec) => {
      if (rec.seq !== expected) {
        throw new Error(`replay delivered seq ${rec.seq}, expected ${expected}`);
      }
      expected++;
      records++;
    });
    if (r.records !== records) throw new Error(`replay counted ${r.records}, delivered ${records}`);
    return { records, lastSeq: r.lastSeq, tornTail: r.tornTail !== undefined };
  } catch (err: unknown) {
    if (err instanceof WalCorruptError) {
      return { records, lastSeq: expected - 1, tornTail: false, error: err };
    }
    throw err;
  }
}

const FIRST_SEGMENT = encodeWalObject(
  [1, 2, 3].map((seq) => ({
    seq,
    term: 1,
    rev: seq + 1,
    data: encodeEntry([{ op: "delete", key: "k" }]),
  })),
  1,
);

/**
 * `replayWal` over a directory: a valid first segment, then the input as the newest segment.
 * Replay with `repair` either delivers dense records or throws `WalCorruptError`; after a
 * repair, replay again finds no torn tail; after `truncateCorrupt`, replay always succeeds.
 */
export const walReplayTarget: FuzzTarget<Replayed[]> = {
  name: "wal-replay",
  description: "WAL directory replay with torn-tail repair and truncateCorrupt recovery",
  maxInputBytes: 16 * 1024,
  async setup() {
    const base = await Deno.stat("/dev/shm").then(
      (s) => s.isDirectory ? "/dev/shm" : undefined,
      () => undefined,
    );
    replayDir = await Deno.makeTempDir({ prefix: "t4-fuzz-wal-", ...(base ? { dir: base } : {}) });
  },
  async teardown() {
    await Deno.remove(replayDir, { recursive: true });
  },
  corpus(rng) {
    const out: Uint8Array[] = [];
    for (let i = 0; i < 20; i++) {
      const term = rng.range(1, 3); // at least the first segment's, so the segments chain
      out.push(concat(encodeSegmentHeader(term, 4), encodeFrames(randomRecords(rng, 4, term))));
    }
    return out;
  },
  fixup: fixSegment,
  expected: () => false, // refusals are part of the result; anything thrown is a bug
  async decode(input) {
    await resetDir();
    await Deno.writeFile(`${replayDir}/${segmentName(1, 1)}`, FIRST_SEGMENT);
    const h = headerFields(input) ?? { term: 1, firstSeq: 4 };
    await Deno.writeFile(`${replayDir}/${segmentName(h.term, h.firstSeq)}`, input);
    // The same two segments as objects of a store, as a node restoring from S3 reads them.
    const store = new MemoryObjectStore();
    await store.put(walObjectKey(1, 1), FIRST_SEGMENT);
    await store.put(walObjectKey(h.term, h.firstSeq), input);
    let expected = 1;
    const remote = await settle(
      () =>
        replayRemoteWal(store, { afterSeq: 0 }, (rec) => {
          if (rec.seq !== expected) throw new Error(`remote replay delivered seq ${rec.seq}`);
          expected++;
        }),
      (err) => err instanceof WalCorruptError || err instanceof RemoteWalGapError,
    );
    if (remote) ok(remote.lastSeq === expected - 1, "remote replay's lastSeq disagrees");

    const first = await replayOnce({ repair: true });
    if (!first.error) return [first, await replayOnce({})];
    const cut = await replayOnce({ truncateCorrupt: true });
    return [first, cut, await replayOnce({})];
  },
  check(input, runs, valid) {
    const [first, second, third] = runs;
    const h = headerFields(input);
    if (h && h.term === 1 && h.firstSeq === 1) return; // the input replaced the first segment
    ok(
      first!.records >= 3 || first!.error !== undefined,
      "the valid first segment was not replayed",
    );
    if (!first!.error) {
      ok(!second!.error && !second!.tornTail, "replay after repair is not clean");
      ok(second!.records === first!.records, "replay after repair delivers other records");
      if (valid) ok(!first!.tornTail, "a valid WAL has a torn tail");
      return;
    }
    ok(!valid, `a valid WAL is refused: ${first!.error.message}`);
    ok(!second!.error, `truncateCorrupt still throws: ${second!.error?.message}`);
    ok(!third!.error && !third!.tornTail, "replay after truncateCorrupt is not clean");
    ok(third!.records === second!.records, "replay after truncateCorrupt delivers other records");
    ok(second!.records >= first!.records, "truncateCorrupt lost records before the damage");
  },
};

/** `decodeEntry`: the data of every WAL record (the state changes of one request). */
export const walEntryTarget: FuzzTarget<EntryOp[]> = {
  name: "wal-entry",
  description: "WAL entry payloads (put, delete, range delete, lease, compact, meta ops)",
  regressions: [
    // compact 2^64 - 1 and grant with a TTL of 2^63: decoded inexact before the fix.
    new Uint8Array([1, 0, 0, 0, 1, 6, 255, 255, 255, 255, 255, 255, 255, 255]),
    new Uint8Array([1, 0, 0, 0, 1, 4, 0, 0, 0, 0, 0, 0, 0, 1, 128, 0, 0, 0, 0, 0, 0, 0]),
  ],
  corpus(rng) {
    const out: Uint8Array[] = [encodeEntry([])];
    for (let i = 0; i < 60; i++) out.push(encodeEntry(randomOps(rng)));
    return out;
  },
  generate: (rng) => encodeEntry(randomOps(rng)),
  decode: decodeEntry,
  check(input, ops, valid) {
    for (const o of ops) {
      if (o.op === "compact") {
        ok(Number.isSafeInteger(o.revision), `compact revision ${o.revision} is not exact`);
      }
      if (o.op === "grant") ok(Number.isSafeInteger(o.ttl), `lease TTL ${o.ttl} is not exact`);
    }
    const again = encodeEntry(ops);
    deepStrictEqual(decodeEntry(again), ops, "decode(encode(ops)) differs");
    if (valid) deepStrictEqual(again, input, "a valid entry does not encode back to its bytes");
  },
};
