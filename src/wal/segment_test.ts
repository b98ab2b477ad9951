import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { WalCorruptError } from "../errors.ts";
import { crc32c } from "./crc32c.ts";
import { encodeFrames, FORMAT_VERSION } from "./frame.ts";
import { parseSegment, parseSegmentName, segmentName } from "./segment.ts";
import { makeRecords, segmentBytes } from "./_testing.ts";

const NAME = segmentName(1, 1);
const RECORDS = makeRecords(1, 10);
const CLEAN = segmentBytes(1, 1, RECORDS);
/** Offsets where each frame starts, plus the end. */
const STARTS = (() => {
  const out = [28];
  for (const r of RECORDS) out.push(out[out.length - 1]! + 32 + r.data.length);
  return out;
})();

function corruptError(fn: () => unknown): WalCorruptError {
  try {
    fn();
  } catch (err: unknown) {
    if (err instanceof WalCorruptError) return err;
    throw err;
  }
  throw new Error("expected a WalCorruptError");
}

Deno.test("segmentName() and parseSegmentName() round-trip and reject other names", () => {
  strictEqual(segmentName(12, 345), "0000000012-00000000000000000345.wal");
  deepStrictEqual(parseSegmentName(segmentName(12, 345)), { term: 12, firstSeq: 345 });
  deepStrictEqual(parseSegmentName(segmentName(12345678901, 1)), {
    term: 12345678901,
    firstSeq: 1,
  });
  for (
    const bad of [
      "x.wal",
      "0000000012-00000000000000000345.wal.tmp",
      "12-345.wal",
      "00000000012-00000000000000000345.wal",
      "0000000001-00000000000000000000.wal",
    ]
  ) {
    strictEqual(parseSegmentName(bad), undefined, bad);
  }
});

Deno.test("parseSegment() reads a clean segment to its end", async (t) => {
  await t.step("ends at a frame boundary", () => {
    const p = parseSegment(NAME, CLEAN, { isLast: false });
    deepStrictEqual(p.records, RECORDS);
    strictEqual(p.end, CLEAN.length);
    strictEqual(p.lastSeq, 10);
    strictEqual(p.tornTail, undefined);
  });
  await t.step("zero padding after the last frame is a clean end, in any segment", () => {
    const padded = new Uint8Array(CLEAN.length + 5000);
    padded.set(CLEAN);
    for (const isLast of [true, false]) {
      const p = parseSegment(NAME, padded, { isLast });
      strictEqual(p.records.length, 10);
      strictEqual(p.end, CLEAN.length);
      strictEqual(p.tornTail, undefined);
    }
    const short = padded.subarray(0, CLEAN.length + 3); // fewer zeros than a frame header
    strictEqual(parseSegment(NAME, short, { isLast: false }).end, CLEAN.length);
    // Whole frames replaced by zeros look the same: a clean end. Lost entries are caught by
    // the seq chain (the next segment, or the caller's expected last seq), not here.
    const zeroed = padded.slice();
    zeroed.fill(0, STARTS[8]!);
    strictEqual(parseSegment(NAME, zeroed, { isLast: false }).lastSeq, 8);
  });
  await t.step("a header alone, or a header and zeros, is an empty segment", () => {
    for (
      const bytes of [
        CLEAN.subarray(0, 28),
        new Uint8Array([...CLEAN.subarray(0, 28), 0, 0, 0, 0, 0, 0, 0, 0, 0]),
      ]
    ) {
      const p = parseSegment(NAME, bytes, { isLast: true });
      deepStrictEqual(p.records, []);
      strictEqual(p.lastSeq, 0);
      strictEqual(p.end, 28);
    }
  });
});

/** Damaged copies of CLEAN whose damage is confined to the last frame (or its tail). */
function tornVariants(): [string, Uint8Array, number][] {
  const last = STARTS[9]!;
  // The page holding the end of frame 9 and frame 10 never reached the disk.
  const zeroedPage = new Uint8Array(CLEAN.length + 4096);
  zeroedPage.set(CLEAN.subarray(0, STARTS[8]! + 40));
  const flipped = CLEAN.slice();
  flipped[CLEAN.length - 1]! ^= 0x01;
  const flippedCrc = CLEAN.slice();
  flippedCrc[last + 5]! ^= 0x80;
  return [
    ["cut mid frame header", CLEAN.subarray(0, last + 5), last],
    ["cut after the length field", CLEAN.subarray(0, last + 4), last],
    ["cut mid payload", CLEAN.subarray(0, last + 20), last],
    ["cut one byte short", CLEAN.subarray(0, CLEAN.length - 1), last],
    ["zeroed page at the end", zeroedPage, STARTS[8]!],
    ["data byte flipped in the last frame", flipped, last],
    ["CRC flipped in the last frame", flippedCrc, last],
  ];
}

Deno.test("parseSegment() treats damage at the end of the last segment as a torn tail", async (t) => {
  for (const [name, bytes, offset] of tornVariants()) {
    await t.step(name, () => {
      const p = parseSegment(NAME, bytes, { isLast: true });
      deepStrictEqual(p.records, RECORDS.filter((r) => STARTS[r.seq]! <= offset));
      strictEqual(p.end, offset);
      deepStrictEqual(p.tornTail, { segment: NAME, offset, droppedBytes: bytes.length - offset });
    });
  }
});

Deno.test("parseSegment() reports the same damage in a non-last segment as corruption", async (t) => {
  for (const [name, bytes, offset] of tornVariants()) {
    await t.step(name, () => {
      const err = corruptError(() => parseSegment(NAME, bytes, { isLast: false }));
      strictEqual(err.segment, NAME);
      strictEqual(err.offset, offset);
      strictEqual(err.code, "wal-corrupt");
      match(err.message, new RegExp(`WAL segment "${NAME}" is corrupt at offset ${offset}: `));
    });
  }
});

Deno.test("parseSegment() reports a bad frame followed by a valid one as corruption", async (t) => {
  const cases: [string, (b: Uint8Array) => void, string][] = [
    ["data byte flipped", (b) => b[STARTS[4]! + 40]! ^= 0x10, "checksum mismatch"],
    ["seq byte flipped", (b) => b[STARTS[4]! + 15]! ^= 0x01, "checksum mismatch"],
    ["length made huge", (b) => b[STARTS[4]!]! = 0x7f, "impossible frame length"],
    ["length made short", (b) => b[STARTS[4]! + 3]! = 3, "impossible frame length"],
    ["frame zeroed", (b) => b.fill(0, STARTS[4]!, STARTS[5]!), "zero-length frame"],
  ];
  for (const [name, damage, reason] of cases) {
    await t.step(name, () => {
      const bytes = CLEAN.slice();
      damage(bytes);
      const err = corruptError(() => parseSegment(NAME, bytes, { isLast: true }));
      strictEqual(err.offset, STARTS[4]);
      match(err.message, new RegExp(reason));
      match(err.message, /last good entry seq 4 ends at offset \d+/);
      match(err.message, new RegExp(`valid entries resume at offset ${STARTS[5]} with seq 6`));
    });
  }
});

Deno.test("parseSegment() reports missing entries even at the end of the last segment", () => {
  const records = [...makeRecords(1, 3), ...makeRecords(5, 2)];
  const err = corruptError(() => parseSegment(NAME, segmentBytes(1, 1, records), { isLast: true }));
  match(err.message, /entry seq 5 where seq 4 was expected \(entries 4\.\.4 are missing\)/);
  const wrongFirst = segmentBytes(1, 1, makeRecords(2, 2));
  match(
    corruptError(() => parseSegment(NAME, wrongFirst, { isLast: true })).message,
    /seq 2 where seq 1/,
  );
});

Deno.test("parseSegment() rejects a payload longer than maxRecordBytes", () => {
  const bytes = segmentBytes(1, 1, makeRecords(1, 2, 1, 500));
  const err = corruptError(() => parseSegment(NAME, bytes, { isLast: false, maxRecordBytes: 100 }));
  match(err.message, /impossible frame length 524/);
});

Deno.test("parseSegment() rejects a bad header, naming the file", async (t) => {
  const cases: [string, (b: Uint8Array) => Uint8Array, RegExp][] = [
    ["bad magic", (b) => (b[0] = 0x55, b), /bad magic/],
    ["bad CRC", (b) => (b[12]! ^= 1, b), /checksum mismatch/],
    ["newer version", (b) => withVersion(b, FORMAT_VERSION + 1), /newer than this build reads/],
    ["version 0", (b) => withVersion(b, 0), /unknown format version 0/],
    ["non-zero flags", (b) => withFlags(b, 1), /unsupported flags/],
    ["too short", (b) => b.subarray(0, 20), /shorter than the 28-byte header/],
    ["empty file", () => new Uint8Array(0), /shorter than the 28-byte header/],
  ];
  for (const [name, damage, reason] of cases) {
    await t.step(name, () => {
      for (const isLast of [true, false]) {
        const err = corruptError(() => parseSegment(NAME, damage(CLEAN.slice()), { isLast }));
        strictEqual(err.offset, 0);
        match(err.message, new RegExp(`WAL segment "${NAME}" has a bad header: `));
        match(err.message, reason);
      }
    });
  }
  await t.step("header disagrees with the file name", () => {
    const err = corruptError(() => parseSegment(segmentName(2, 1), CLEAN, { isLast: true }));
    match(err.message, /file name says term 2/);
  });
});

function withVersion(b: Uint8Array, version: number): Uint8Array {
  new DataView(b.buffer).setUint16(4, version);
  new DataView(b.buffer).setUint32(24, crc32c(b.subarray(0, 24)));
  return b;
}

function withFlags(b: Uint8Array, flags: number): Uint8Array {
  new DataView(b.buffer).setUint16(6, flags);
  new DataView(b.buffer).setUint32(24, crc32c(b.subarray(0, 24)));
  return b;
}

Deno.test("parseSegment() finds no false resume point in random garbage", () => {
  // A torn write of random bytes after the last frame: nothing in it passes the checks.
  let x = 12345;
  const garbage = new Uint8Array(64 * 1024).map(() => (x = (x * 1103515245 + 12345) >>> 0) >>> 24);
  const bytes = new Uint8Array(CLEAN.length + garbage.length);
  bytes.set(CLEAN);
  bytes.set(garbage, CLEAN.length);
  const p = parseSegment(NAME, bytes, { isLast: true });
  strictEqual(p.records.length, 10);
  ok(p.tornTail);
  strictEqual(encodeFrames([]).length, 0);
});
