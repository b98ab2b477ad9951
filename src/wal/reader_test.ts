import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { WalCorruptError } from "../errors.ts";
import { replayWal } from "./reader.ts";
import { segmentName } from "./segment.ts";
import {
  assertGoodRecords,
  makeRecords,
  replayAll,
  segmentBytes,
  tempDir,
  writeSegment,
} from "./_testing.ts";

/** Three segments: seqs 1..10 (term 1), 11..20 (term 2), 21..30 (term 2). */
async function threeSegments(dir: string): Promise<string[]> {
  return [
    await writeSegment(dir, 1, 1, makeRecords(1, 10, 1)),
    await writeSegment(dir, 2, 11, makeRecords(11, 10, 2)),
    await writeSegment(dir, 2, 21, makeRecords(21, 10, 2)),
  ];
}

function asCorrupt(err: unknown): WalCorruptError {
  if (err instanceof WalCorruptError) return err;
  throw new Error(`expected a WalCorruptError, got ${err}`);
}

Deno.test("replayWal() on a missing or empty directory returns afterSeq", async () => {
  await using dir = await tempDir();
  const missing = await replayWal(`${dir.path}/nope`, { afterSeq: 7 }, () => {});
  deepStrictEqual(missing, { lastSeq: 7, lastTerm: 0, lastRev: 0, records: 0, segments: 0 });
  const empty = await replayWal(dir.path, { afterSeq: 0 }, () => {});
  strictEqual(empty.lastSeq, 0);
});

Deno.test("replayWal() delivers records after afterSeq across segments", async () => {
  await using dir = await tempDir();
  await threeSegments(dir.path);
  await Deno.writeFile(`${dir.path}/unrelated.txt`, new Uint8Array(3));
  const all = await replayAll(dir.path);
  assertGoodRecords(all.records, 1);
  deepStrictEqual(all.result, { lastSeq: 30, lastTerm: 2, lastRev: 130, records: 30, segments: 3 });

  const tail = await replayAll(dir.path, { afterSeq: 15 });
  assertGoodRecords(tail.records, 16);
  strictEqual(tail.result?.segments, 2); // the first segment ends before seq 15: not read

  const none = await replayAll(dir.path, { afterSeq: 30 });
  deepStrictEqual(none.result, { lastSeq: 30, lastTerm: 2, lastRev: 130, records: 0, segments: 1 });
  // The WAL ends below afterSeq (a newer checkpoint): nothing to do, no error.
  const ahead = await replayAll(dir.path, { afterSeq: 99 });
  deepStrictEqual(ahead.result, { lastSeq: 99, lastTerm: 0, lastRev: 0, records: 0, segments: 1 });
});

Deno.test("replayWal() ends cleanly at a torn tail and truncates it on repair", async () => {
  await using dir = await tempDir();
  const names = await threeSegments(dir.path);
  const last = `${dir.path}/${names[2]}`;
  const bytes = await Deno.readFile(last);
  await Deno.writeFile(last, bytes.subarray(0, bytes.length - 10));
  const torn = (await Deno.stat(last)).size;

  const read = await replayAll(dir.path);
  assertGoodRecords(read.records, 1);
  strictEqual(read.result?.lastSeq, 29);
  const offset = bytes.length - 32 - makeRecords(30, 1)[0]!.data.length;
  deepStrictEqual(read.result?.tornTail, {
    segment: names[2],
    offset,
    droppedBytes: torn - offset,
  });
  strictEqual((await Deno.stat(last)).size, torn, "no repair: file untouched");

  const repaired = await replayAll(dir.path, { afterSeq: 0, repair: true });
  strictEqual(repaired.result?.lastSeq, 29);
  strictEqual((await Deno.stat(last)).size, offset);
  const again = await replayAll(dir.path, { afterSeq: 0, repair: true });
  strictEqual(again.result?.tornTail, undefined);
  strictEqual(again.result?.lastSeq, 29);
});

Deno.test("replayWal() throws WalCorruptError after delivering the valid prefix", async (t) => {
  await t.step("flipped byte in a middle frame of the last segment", async () => {
    await using dir = await tempDir();
    const names = await threeSegments(dir.path);
    const path = `${dir.path}/${names[2]}`;
    const bytes = await Deno.readFile(path);
    const offset = segmentBytes(2, 21, makeRecords(21, 4, 2)).length; // frame of seq 25
    bytes[offset + 30]! ^= 0xff;
    await Deno.writeFile(path, bytes);
    const { error, records } = await replayAll(dir.path, { afterSeq: 0, repair: true });
    const err = asCorrupt(error);
    strictEqual(err.segment, names[2]);
    strictEqual(err.offset, offset);
    match(
      err.message,
      new RegExp(
        `WAL segment "${
          names[2]
        }" is corrupt at offset ${offset}: checksum mismatch \\(last good entry seq 24 ends at offset ${offset}; valid entries resume at offset \\d+ with seq 26\\)`,
      ),
    );
    assertGoodRecords(records, 1);
    strictEqual(records.length, 24);
    strictEqual((await Deno.stat(path)).size, bytes.length, "repair never cuts corruption");
  });

  await t.step("torn end of a segment that is not the last", async () => {
    await using dir = await tempDir();
    const names = await threeSegments(dir.path);
    const path = `${dir.path}/${names[1]}`;
    const bytes = await Deno.readFile(path);
    await Deno.writeFile(path, bytes.subarray(0, bytes.length - 3));
    const { error, records } = await replayAll(dir.path, { afterSeq: 0, repair: true });
    const err = asCorrupt(error);
    strictEqual(err.segment, names[1]);
    match(err.message, /not the last segment/);
    strictEqual(records.length, 19);
  });

  await t.step("a deleted middle segment", async () => {
    await using dir = await tempDir();
    const names = await threeSegments(dir.path);
    await Deno.remove(`${dir.path}/${names[1]}`);
    const { error, records } = await replayAll(dir.path);
    const err = asCorrupt(error);
    strictEqual(err.segment, names[2]);
    match(
      err.message,
      new RegExp(
        `missing entries 11\\.\\.20 between segments "${names[0]}" \\(last entry seq 10\\) and "${
          names[2]
        }"`,
      ),
    );
    strictEqual(records.length, 10);
    // A hole wholly covered by afterSeq is fine.
    const covered = await replayAll(dir.path, { afterSeq: 20 });
    strictEqual(covered.result?.lastSeq, 30);
    assertGoodRecords(covered.records, 21);
  });

  await t.step("the first segment starts after afterSeq + 1", async () => {
    await using dir = await tempDir();
    await threeSegments(dir.path);
    await Deno.remove(`${dir.path}/${segmentName(1, 1)}`);
    const err = asCorrupt((await replayAll(dir.path, { afterSeq: 5 })).error);
    match(err.message, /WAL is missing entries 6\.\.10: replay starts after seq 5/);
    strictEqual(err.segment, segmentName(2, 11));
  });

  await t.step("bad segment header and newer format version", async () => {
    for (
      const [byte, value, reason] of [[0, 0x41, /bad magic/], [5, 2, /format version 2/]] as const
    ) {
      await using dir = await tempDir();
      const names = await threeSegments(dir.path);
      const path = `${dir.path}/${names[1]}`;
      const bytes = await Deno.readFile(path);
      bytes[byte] = value;
      await Deno.writeFile(path, bytes);
      const { error, records } = await replayAll(dir.path, { afterSeq: 0, repair: true });
      const err = asCorrupt(error);
      strictEqual(err.segment, names[1]);
      match(err.message, new RegExp(`"${names[1]}" has a bad header`));
      match(err.message, reason);
      strictEqual(records.length, 10);
    }
  });

  await t.step("overlapping segments and a term going backwards", async () => {
    await using dir = await tempDir();
    await writeSegment(dir.path, 2, 1, makeRecords(1, 10, 2));
    await writeSegment(dir.path, 2, 5, makeRecords(5, 10, 2));
    match(String((await replayAll(dir.path)).error), /segments overlap/);
    await using dir2 = await tempDir();
    await writeSegment(dir2.path, 2, 1, makeRecords(1, 10, 2));
    await writeSegment(dir2.path, 1, 11, makeRecords(11, 10, 1));
    match(String((await replayAll(dir2.path)).error), /term goes backwards/);
  });
});

Deno.test("replayWal() with truncateCorrupt cuts at the bad frame and deletes later segments", async () => {
  await using dir = await tempDir();
  const names = await threeSegments(dir.path);
  const path = `${dir.path}/${names[1]}`;
  const bytes = await Deno.readFile(path);
  const offset = segmentBytes(2, 11, makeRecords(11, 3, 2)).length; // frame of seq 14
  bytes[offset + 8]! ^= 1;
  await Deno.writeFile(path, bytes);

  const { result, records } = await replayAll(dir.path, { afterSeq: 0, truncateCorrupt: true });
  assertGoodRecords(records, 1);
  strictEqual(result?.lastSeq, 13);
  ok(result?.truncated);
  strictEqual(result.truncated.segment, names[1]);
  strictEqual(result.truncated.offset, offset);
  strictEqual(result.truncated.droppedBytes, bytes.length - offset);
  deepStrictEqual(result.truncated.deletedSegments, [names[2]]);
  match(result.truncated.reason, /checksum mismatch/);
  strictEqual((await Deno.stat(path)).size, offset);

  const after = await replayAll(dir.path);
  strictEqual(after.error, undefined);
  strictEqual(after.result?.lastSeq, 13);
});

Deno.test("replayWal() with truncateCorrupt deletes a segment with a bad header and the rest", async () => {
  await using dir = await tempDir();
  const names = await threeSegments(dir.path);
  await Deno.writeFile(`${dir.path}/${names[1]}`, new Uint8Array(100));
  const { result } = await replayAll(dir.path, { afterSeq: 0, truncateCorrupt: true });
  strictEqual(result?.lastSeq, 10);
  deepStrictEqual(result?.truncated?.deletedSegments, [names[1], names[2]]);
  deepStrictEqual((await replayAll(dir.path)).result?.lastSeq, 10);
});
