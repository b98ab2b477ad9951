/**
 * How incremental checkpoints are on a realistic engine file: 100k rows of 200 B (about 25 MB),
 * then changes the way T4 makes them (new revisions appended at the right edge of the log
 * table, old ones compacted away at the left edge), and the worst case (rows rewritten in place
 * all over the file). Prints the fractions it measures.
 */

import { ok, strictEqual } from "node:assert/strict";
import { TABLE_LOG, WriteBatch } from "../engine/mod.ts";
import { FaultyObjectStore, MemoryObjectStore } from "../objstore/mod.ts";
import { type CheckpointWriteResult, writeCheckpoint } from "./checkpoint.ts";
import { openEngine, putRows, revKey, tempDir } from "./_testing.ts";

const ROWS = 100_000;
const CHANGED = ROWS / 100;

Deno.test("writeCheckpoint() after 1% changes uploads only the changed chunks", async () => {
  await using dir = await tempDir();
  const store = new FaultyObjectStore(new MemoryObjectStore());
  const engineFile = `${dir.path}/engine.db`;
  const engine = await openEngine(engineFile);
  let previous: CheckpointWriteResult | undefined;
  let seq = 0;
  const lines: string[] = [];
  const checkpoint = async (what: string) => {
    engine.checkpoint(true);
    store.resetCounts();
    const r = await writeCheckpoint(store, {
      engineFile,
      term: 1,
      seq: ++seq,
      revision: seq,
      compactRevision: 0,
      ...(previous ? { known: new Set(previous.manifest.chunks) } : {}),
    });
    strictEqual(store.count("put", "chunk/"), r.uploadedChunks);
    const share = (100 * r.uploadedBytes / r.totalBytes).toFixed(1);
    lines.push(
      `${what}: ${r.uploadedChunks}/${r.manifest.chunks.length} chunks, ` +
        `${r.uploadedBytes} of ${r.totalBytes} B (${share}%) in ${r.seconds.toFixed(2)} s`,
    );
    previous = r;
    return r.uploadedBytes / r.totalBytes;
  };
  try {
    putRows(engine, 1, ROWS);
    strictEqual(await checkpoint("first checkpoint"), 1);
    strictEqual(await checkpoint("unchanged"), 0);

    putRows(engine, ROWS + 1, CHANGED); // 1% new revisions
    const compact = new WriteBatch();
    for (let i = 1; i <= CHANGED; i++) compact.delete(TABLE_LOG, revKey(i)); // 1% compacted
    engine.write(compact);
    const mvcc = await checkpoint("1% appended + 1% compacted");
    ok(mvcc < 0.3, `${mvcc}`);

    putRows(engine, ROWS + CHANGED + 1, CHANGED);
    const append = await checkpoint("1% appended");
    ok(append < 0.2, `${append}`);

    for (let i = 0; i < CHANGED; i++) {
      putRows(engine, CHANGED + 1 + (i * 7919) % (ROWS - CHANGED), 1, { version: 1 });
    }
    await checkpoint("1% rewritten in place, spread over the file (worst case)");
  } finally {
    engine.close();
  }
  console.log(`1 MiB chunks, ${ROWS} rows of 200 B:\n  ${lines.join("\n  ")}`);
});
