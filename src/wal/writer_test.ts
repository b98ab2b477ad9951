import { deepStrictEqual, match, ok, rejects, strictEqual, throws } from "node:assert/strict";
import { WalWriter, type WalWriterOptions } from "./writer.ts";
import { segmentName } from "./segment.ts";
import type { SegmentInfo } from "./writer.ts";
import { assertGoodRecords, makeRecords, replayAll, tempDir } from "./_testing.ts";

const SMALL: WalWriterOptions = { term: 1, nextSeq: 1, segmentBytes: 4096 };

async function segmentFiles(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

Deno.test("WalWriter round-trips records across several segments and rotations", async (t) => {
  for (const preallocate of [true, false]) {
    await t.step(`preallocate: ${preallocate}`, async () => {
      await using dir = await tempDir();
      const sealed: SegmentInfo[] = [];
      {
        await using wal = await WalWriter.open(dir.path, { ...SMALL, preallocate });
        wal.onSealed = (s) => sealed.push(s);
        let seq = 1;
        for (let batch = 0; batch < 60; batch++) {
          const n = 1 + (batch % 7);
          wal.append(makeRecords(seq, n));
          seq += n;
          if (batch % 3 === 0) await wal.sync();
        }
        await wal.rotate();
        wal.append(makeRecords(seq, 3));
        strictEqual(wal.nextSeq, seq + 3);
        ok(wal.segments().length > 5);
      }
      const { result, records, error } = await replayAll(dir.path);
      strictEqual(error, undefined);
      assertGoodRecords(records, 1);
      strictEqual(result?.lastSeq, records.length);
      const files = await segmentFiles(dir.path);
      strictEqual(files.length, result?.segments);
      ok(files.every((f) => f.endsWith(".wal")), "no .tmp files left");
      // Every segment was sealed exactly once, in order, with its exact size.
      deepStrictEqual(sealed.map((s) => s.name), files);
      for (const s of sealed) strictEqual((await Deno.stat(s.path)).size, s.bytes);
      strictEqual(sealed[0]!.firstSeq, 1);
      strictEqual(sealed[sealed.length - 1]!.lastSeq, records.length);
    });
  }
});

Deno.test("WalWriter.rotate() starts a segment with a new term", async () => {
  await using dir = await tempDir();
  {
    await using wal = await WalWriter.open(dir.path, SMALL);
    wal.append(makeRecords(1, 2, 1));
    await wal.rotate(3);
    strictEqual(wal.term, 3);
    wal.append(makeRecords(3, 2, 3));
    await wal.rotate(4); // an empty active segment is replaced, not sealed
    await wal.rotate(5);
    wal.append(makeRecords(5, 1, 5));
    await rejects(wal.rotate(4), RangeError);
  }
  deepStrictEqual(await segmentFiles(dir.path), [
    segmentName(1, 1),
    segmentName(3, 3),
    segmentName(5, 5),
  ]);
  const { records, result } = await replayAll(dir.path);
  deepStrictEqual(records.map((r) => r.term), [1, 1, 3, 3, 5]);
  strictEqual(result?.lastTerm, 5);
});

Deno.test("WalWriter.append() checks dense seqs and sizes before writing anything", async () => {
  await using dir = await tempDir();
  {
    await using wal = await WalWriter.open(dir.path, { ...SMALL, maxRecordBytes: 1000 });
    throws(() => wal.append(makeRecords(2, 1)), /seq 2, expected 1/);
    throws(() => wal.append([...makeRecords(1, 2), ...makeRecords(4, 1)]), /seq 4, expected 3/);
    throws(() => wal.append(makeRecords(1, 1, 1, 977)), /exceed the limit of 1000 bytes/);
    throws(() => wal.append([{ ...makeRecords(1, 1)[0]!, rev: -1 }]), RangeError);
    strictEqual(wal.nextSeq, 1);
    wal.append([]);
    wal.append(makeRecords(1, 1, 1, 976));
    strictEqual(wal.nextSeq, 2);
  }
  strictEqual((await replayAll(dir.path)).records.length, 1);
});

Deno.test("WalWriter gives a record bigger than a segment a segment of its own", async () => {
  await using dir = await tempDir();
  {
    await using wal = await WalWriter.open(dir.path, SMALL);
    wal.append(makeRecords(1, 1, 1, 10));
    wal.append(makeRecords(2, 1, 1, 10_000));
    wal.append(makeRecords(3, 1, 1, 10));
    await wal.sync();
    deepStrictEqual(wal.segments().map((s) => [s.firstSeq, s.lastSeq]), [[1, 1], [2, 2], [3, 3]]);
  }
  const { records } = await replayAll(dir.path);
  deepStrictEqual(records.map((r) => r.data.length), [10, 10_000, 10]);
});

Deno.test("WalWriter.rollback() removes records appended after the mark", async (t) => {
  await t.step("before sync", async () => {
    await using dir = await tempDir();
    {
      await using wal = await WalWriter.open(dir.path, SMALL);
      wal.append(makeRecords(1, 3));
      const mark = wal.mark();
      wal.append(makeRecords(4, 2));
      await wal.rollback(mark);
      strictEqual(wal.nextSeq, 4);
      wal.append(makeRecords(4, 1));
    }
    const { records } = await replayAll(dir.path);
    assertGoodRecords(records, 1);
    strictEqual(records.length, 4);
  });

  await t.step("after sync, then a crash (no close)", async () => {
    await using dir = await tempDir();
    await using copy = await tempDir();
    {
      await using wal = await WalWriter.open(dir.path, SMALL);
      wal.append(makeRecords(1, 3));
      await wal.sync();
      const mark = wal.mark();
      wal.append(makeRecords(4, 2));
      await wal.sync();
      await wal.rollback(mark);
      // What a crash right now leaves on disk:
      for await (const e of Deno.readDir(dir.path)) {
        await Deno.copyFile(`${dir.path}/${e.name}`, `${copy.path}/${e.name}`);
      }
    }
    const { records, result } = await replayAll(copy.path);
    strictEqual(result?.lastSeq, 3);
    assertGoodRecords(records, 1);
  });

  await t.step("across rotations, even into a sealed segment", async () => {
    await using dir = await tempDir();
    {
      await using wal = await WalWriter.open(dir.path, SMALL);
      wal.append(makeRecords(1, 3));
      const mark = wal.mark();
      for (let seq = 4; seq < 80; seq += 4) wal.append(makeRecords(seq, 4));
      await wal.rotate(2);
      wal.append(makeRecords(80, 1, 2));
      await wal.sync();
      ok(wal.segments().length > 3);
      await wal.rollback(mark);
      strictEqual(wal.segments().length, 1);
      strictEqual(wal.term, 1);
      strictEqual(wal.nextSeq, 4);
      wal.append(makeRecords(4, 2));
      await wal.sync();
    }
    deepStrictEqual(await segmentFiles(dir.path), [segmentName(1, 1)]);
    const { records } = await replayAll(dir.path);
    assertGoodRecords(records, 1);
    strictEqual(records.length, 5);
  });

  await t.step("rejects an unknown mark", async () => {
    await using dir = await tempDir();
    await using wal = await WalWriter.open(dir.path, SMALL);
    await rejects(wal.rollback({ segment: "x", offset: 0, nextSeq: 1 }), RangeError);
  });
});

Deno.test("WalWriter.sync() coalesces concurrent callers and resolves each after its records", async () => {
  await using dir = await tempDir();
  {
    await using wal = await WalWriter.open(dir.path, { ...SMALL, segmentBytes: 64 * 1024 });
    const pending: Promise<void>[] = [];
    for (let seq = 1; seq <= 500; seq++) {
      wal.append(makeRecords(seq, 1));
      pending.push(wal.sync());
      if (seq % 50 === 0) await Promise.resolve();
      if (seq % 97 === 0) await pending[pending.length - 1];
    }
    await Promise.all(pending);
    await wal.sync(); // nothing new: resolves at once
  }
  assertGoodRecords((await replayAll(dir.path)).records, 1);
});

Deno.test("WalWriter.sync() keeps the event loop free while fdatasync runs", async () => {
  await using dir = await tempDir();
  await using wal = await WalWriter.open(dir.path, { ...SMALL, segmentBytes: 1 << 20 });
  let ticks = 0;
  const timer = setInterval(() => ticks++, 0);
  const started = performance.now();
  for (let seq = 1; seq <= 200; seq++) {
    wal.append(makeRecords(seq, 1));
    await wal.sync(); // a blocking fdatasync would never let the interval run here
  }
  const elapsed = performance.now() - started;
  clearInterval(timer);
  // Blocking syncs would allow no tick at all; on a disk where 200 syncs take no time
  // (tmpfs) there is nothing to prove.
  const expected = Math.min(5, Math.floor(elapsed / 20));
  ok(ticks >= expected, `only ${ticks} timer ticks during ${elapsed.toFixed(0)} ms of syncs`);
});

Deno.test("WalWriter.open() continues a WAL left by a crash", async () => {
  await using dir = await tempDir();
  await using crashed = await tempDir();
  {
    await using wal = await WalWriter.open(dir.path, SMALL);
    wal.append(makeRecords(1, 5));
    await wal.sync();
    wal.append(makeRecords(6, 1));
    for await (const e of Deno.readDir(dir.path)) {
      await Deno.copyFile(`${dir.path}/${e.name}`, `${crashed.path}/${e.name}`);
    }
  }
  // The copy holds a preallocated active segment and a prepared .tmp file.
  ok((await segmentFiles(crashed.path)).some((n) => n.endsWith(".tmp")));
  const replay = await replayAll(crashed.path, { afterSeq: 0, repair: true });
  ok(replay.result && replay.result.lastSeq >= 5);
  const next = replay.result.lastSeq + 1;
  {
    await using wal = await WalWriter.open(crashed.path, { ...SMALL, nextSeq: next });
    strictEqual(wal.segments()[0]!.sealed, true);
    strictEqual(wal.segments()[0]!.lastSeq, next - 1);
    wal.append(makeRecords(next, 3));
  }
  const files = await segmentFiles(crashed.path);
  strictEqual(files.length, 2);
  strictEqual(
    (await Deno.stat(`${crashed.path}/${files[0]}`)).size,
    replay.result &&
      28 + (next - 1) * 32 + makeRecords(1, next - 1).reduce((n, r) => n + r.data.length, 0),
    "zeros truncated",
  );
  const { records } = await replayAll(crashed.path);
  assertGoodRecords(records, 1);
  strictEqual(records.length, next + 2);
});

Deno.test("WalWriter.open() refuses to overwrite entries or lower the term", async () => {
  await using dir = await tempDir();
  {
    await using wal = await WalWriter.open(dir.path, { ...SMALL, term: 2 });
    wal.append(makeRecords(1, 5, 2));
  }
  await rejects(
    WalWriter.open(dir.path, { ...SMALL, term: 2, nextSeq: 5 }),
    /already holds entries through seq 5/,
  );
  await rejects(WalWriter.open(dir.path, { ...SMALL, term: 1, nextSeq: 6 }), /has term 2/);
  // A later nextSeq (a checkpoint covers the hole) is allowed.
  {
    await using wal = await WalWriter.open(dir.path, { ...SMALL, term: 2, nextSeq: 10 });
    wal.append(makeRecords(10, 1, 2));
  }
  strictEqual((await replayAll(dir.path, { afterSeq: 9 })).result?.lastSeq, 10);
  match(String((await replayAll(dir.path)).error), /missing entries 6\.\.9/);
});

Deno.test("WalWriter.close() deletes an empty active segment", async () => {
  await using dir = await tempDir();
  {
    await using wal = await WalWriter.open(dir.path, SMALL);
    wal.append(makeRecords(1, 2));
    await wal.rotate();
  }
  deepStrictEqual(await segmentFiles(dir.path), [segmentName(1, 1)]);
  {
    await using _wal = await WalWriter.open(dir.path, { ...SMALL, nextSeq: 3 });
  }
  deepStrictEqual(await segmentFiles(dir.path), [segmentName(1, 1)]);
});

Deno.test("WalWriter.removeSegmentsThrough() deletes only sealed segments at or below seq", async () => {
  await using dir = await tempDir();
  await using wal = await WalWriter.open(dir.path, SMALL);
  for (let seq = 1; seq <= 30; seq += 10) {
    wal.append(makeRecords(seq, 10));
    await wal.rotate();
  }
  wal.append(makeRecords(31, 1));
  await wal.sync();
  deepStrictEqual(wal.segments().map((s) => [s.firstSeq, s.lastSeq, s.sealed]), [
    [1, 10, true],
    [11, 20, true],
    [21, 30, true],
    [31, 31, false],
  ]);
  strictEqual(await wal.removeSegmentsThrough(15), 1);
  strictEqual(await wal.removeSegmentsThrough(100), 2);
  strictEqual(wal.segments().length, 1);
  deepStrictEqual(await segmentFiles(dir.path).then((f) => f.filter((n) => n.endsWith(".wal"))), [
    segmentName(1, 31),
  ]);
  strictEqual((await replayAll(dir.path, { afterSeq: 30 })).result?.lastSeq, 31);
});

Deno.test("WalWriter with preallocation never grows the active file", async () => {
  await using dir = await tempDir();
  await using wal = await WalWriter.open(dir.path, { ...SMALL, segmentBytes: 32 * 1024 });
  for (let seq = 1; seq <= 400; seq++) {
    wal.append(makeRecords(seq, 1));
    if (seq % 10 === 0) {
      await wal.sync();
      const active = wal.segments().at(-1)!;
      strictEqual((await Deno.stat(active.path)).size, 32 * 1024, `at seq ${seq}`);
    }
  }
  ok(wal.segments().length > 2);
});

Deno.test("WalWriter refuses calls after close", async () => {
  await using dir = await tempDir();
  const wal = await WalWriter.open(dir.path, SMALL);
  await wal.close();
  await wal.close();
  throws(() => wal.append(makeRecords(1, 1)), /closed/);
});
