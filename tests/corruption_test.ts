/**
 * Damaged files at the node level, on real files: each kind of damage gets its designed outcome
 * and a message that says what and where. To make the WAL matter, the engine file is removed
 * after the writes, so recovery must replay every segment from the first.
 */

import { assert, assertEquals, assertRejects } from "./_assert.ts";
import { open } from "../mod.ts";
import { KvError, WalCorruptError } from "../src/errors.ts";

const SMALL_SEGMENTS = { segmentBytes: 8192, walCleanupIntervalMs: 3_600_000 };

/** Writes 200 puts with small segments, closes, removes the engine; returns the WAL files. */
async function prepare(dir: string): Promise<string[]> {
  {
    await using db = await open({ dataDir: dir, ...SMALL_SEGMENTS });
    for (let i = 0; i < 200; i++) await db.put(`key-${i}`, "v".repeat(100));
    db.node.keepLocalWal = true; // as after a crash: the segments are still there
  }
  await Deno.remove(`${dir}/engine.db`);
  await Deno.remove(`${dir}/engine.db-wal`).catch(() => {});
  const files: string[] = [];
  for await (const e of Deno.readDir(`${dir}/wal`)) if (e.name.endsWith(".wal")) files.push(e.name);
  files.sort();
  assert(files.length >= 4, `expected several segments, got ${files.length}`);
  return files;
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "t4-corrupt-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("WAL replay without damage rebuilds the engine from every segment", async () => {
  await withDir(async (dir) => {
    await prepare(dir);
    await using db = await open({ dataDir: dir, ...SMALL_SEGMENTS });
    assertEquals(db.revision, 201);
    assertEquals(db.node.recovery.replayedEntries, 200);
    assertEquals(db.node.check(), []);
  });
});

Deno.test("a flipped byte in the middle of a segment: refuse to open, naming segment and offset", async () => {
  await withDir(async (dir) => {
    const files = await prepare(dir);
    const victim = files[1]!;
    const path = `${dir}/wal/${victim}`;
    const bytes = await Deno.readFile(path);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x40;
    await Deno.writeFile(path, bytes);
    const err = await assertRejects(
      () => open({ dataDir: dir, ...SMALL_SEGMENTS }),
      WalCorruptError,
    );
    assertEquals(err.segment, victim);
    assert(err.offset > 0, `offset ${err.offset}`);
    assert(err.message.includes(victim), err.message);
    // The operator's way out: keep the valid prefix.
    await using db = await open({ dataDir: dir, ...SMALL_SEGMENTS, truncateCorruptWal: true });
    const t = db.node.recovery.truncated!;
    assertEquals(t.segment, victim);
    assert(db.revision > 1 && db.revision < 201, `revision ${db.revision}`);
  });
});

Deno.test("a torn tail of the last segment is a clean end, cut on open", async () => {
  await withDir(async (dir) => {
    const files = await prepare(dir);
    const last = `${dir}/wal/${files.at(-1)!}`;
    const size = (await Deno.stat(last)).size;
    await Deno.truncate(last, size - 37);
    await using db = await open({ dataDir: dir, ...SMALL_SEGMENTS });
    assertEquals(db.node.recovery.tornTail?.segment, files.at(-1));
    assertEquals(db.revision, 200, "the torn last entry is dropped, nothing else");
  });
});

Deno.test("a missing segment: refuse to open, naming the gap", async () => {
  await withDir(async (dir) => {
    const files = await prepare(dir);
    await Deno.remove(`${dir}/wal/${files[2]!}`);
    const err = await assertRejects(() => open({ dataDir: dir, ...SMALL_SEGMENTS }), KvError);
    assert(/missing/i.test(err.message), err.message);
    assert(err.message.includes(files[3]!) || err.message.includes(files[2]!), err.message);
  });
});

Deno.test("a damaged engine file: refuse to open, naming the file", async () => {
  await withDir(async (dir) => {
    {
      await using db = await open({ dataDir: dir });
      for (let i = 0; i < 2000; i++) await db.put(`key-${i}`, "v".repeat(200));
    }
    const path = `${dir}/engine.db`;
    const bytes = await Deno.readFile(path);
    const page = 4096 * Math.floor(bytes.length / 4096 / 2);
    bytes.fill(0xa5, page, page + 4096);
    await Deno.writeFile(path, bytes);
    const err = await assertRejects(() => open({ dataDir: dir }), KvError);
    assert(err.message.includes("engine.db"), err.message);
    assert(/corrupt|malformed/i.test(err.message), err.message);
  });
});

Deno.test("a deleted engine file after a clean stop: refuse to start empty", async () => {
  await withDir(async (dir) => {
    {
      await using db = await open({ dataDir: dir });
      for (let i = 0; i < 20; i++) await db.put(`key-${i}`, "v");
    }
    // A clean stop folded the WAL into the engine and dropped it.
    await Deno.remove(`${dir}/engine.db`);
    const err = await assertRejects(() => open({ dataDir: dir }), KvError);
    assert(err.message.includes("engine.db") && /missing/.test(err.message), err.message);
    // With the WAL from the first entry on, replay rebuilds it instead (see above).
  });
});
