import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Engine, TABLE_LOG, TABLE_META, WriteBatch } from "./mod.ts";
import { makeTempDir, revisionKey, revisionMain, valueFor } from "./_testing.ts";
import { LAST_KEY, ROWS_PER_BATCH, rowValue } from "./_crash_child.ts";

const EMPTY = new Uint8Array(0);
const CHILD = fileURLToPath(new URL("./_crash_child.ts", import.meta.url));

/**
 * Runs the writer child until it has reported `batches` commits, SIGKILLs it at a random moment
 * soon after, and returns the last batch it reported before it died (read to the end of its
 * output, so every batch whose write() returned counts).
 */
async function runAndKill(path: string, batches: number): Promise<number> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", CHILD, path],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const decoder = new TextDecoder();
  let text = "";
  let lastReported = 0;
  let reported = 0;
  let killed = false;
  for await (const chunk of child.stdout) {
    text += decoder.decode(chunk, { stream: true });
    const lines = text.split("\n");
    text = lines.pop() ?? "";
    for (const line of lines) {
      lastReported = Number(line);
      reported++;
    }
    if (!killed && reported >= batches) {
      // Land the kill anywhere: inside a write, a checkpoint or between them.
      const spins = Math.random() * 200_000;
      for (let i = 0; i < spins; i++) Math.sqrt(i);
      child.kill("SIGKILL");
      killed = true;
    }
  }
  const status = await child.status;
  assert.equal(status.signal, "SIGKILL", `the child died on its own (code ${status.code})`);
  return lastReported;
}

/** Checks that batches 1 ..= last are all there (minus the ones the child deleted). */
function verifyBatches(engine: Engine, last: number): void {
  const rows = new Map<number, number>();
  engine.scan(TABLE_LOG, EMPTY, undefined, {}, (key, value) => {
    const batch = revisionMain(key);
    const sub = new DataView(key.buffer, key.byteOffset).getUint32(8);
    assert.deepEqual(value, rowValue(batch, sub), `value of revision (${batch}, ${sub})`);
    rows.set(batch, (rows.get(batch) ?? 0) + 1);
  });
  for (let batch = 1; batch <= last + 1; batch++) {
    const deleted = batch % 10 === 5 && batch + 5 <= last;
    const expected = batch > last || deleted ? 0 : ROWS_PER_BATCH;
    assert.equal(rows.get(batch) ?? 0, expected, `rows of batch ${batch} (last ${last})`);
  }
  assert.equal(Math.max(0, ...rows.keys()), last, "no rows after the last batch");
}

Deno.test("Engine keeps every committed batch when its process is killed with SIGKILL", async () => {
  await using dir = await makeTempDir();
  const path = `${dir.path}/engine.db`;
  for (let round = 0; round < 5; round++) {
    const reported = await runAndKill(path, 30 + Math.floor(Math.random() * 150));
    using engine = await Engine.open(path);
    const lastKey = engine.get(TABLE_META, LAST_KEY);
    assert.ok(lastKey, "meta holds the last batch");
    const last = revisionMain(lastKey);
    // The child may have committed one more batch than it managed to print.
    assert.ok(last === reported || last === reported + 1, `file ${last}, reported ${reported}`);
    verifyBatches(engine, last);
    assert.deepEqual(engine.check(), []);
  }
});

Deno.test("Engine.checkpoint(true) leaves a main file that can be copied while writes go on", async () => {
  await using dir = await makeTempDir();
  const path = `${dir.path}/engine.db`;
  const snapshot = `${dir.path}/snapshot.db`;
  using engine = await Engine.open(path, { autoCheckpointPages: 0 });
  const batch = new WriteBatch();
  const writeRange = (from: number, to: number) => {
    batch.clear();
    for (let main = from; main < to; main++) {
      batch.put(TABLE_LOG, revisionKey(main), valueFor(main, 300));
    }
    batch.put(TABLE_META, LAST_KEY, revisionKey(to - 1));
    engine.write(batch);
  };
  for (let main = 0; main < 20_000; main += 1000) writeRange(main, main + 1000);
  // Everything committed so far goes into the main file; later writes stay in the WAL.
  engine.checkpoint(true);
  assert.equal(engine.stats().walBytes, 0);

  let copied = false;
  const copying = Deno.copyFile(path, snapshot).then(() => {
    copied = true;
  });
  let next = 20_000;
  do {
    writeRange(next, next + 200); // lands in the engine WAL, not in the main file
    next += 200;
    await new Promise((resolve) => setTimeout(resolve, 0));
  } while (!copied || next < 21_000);
  await copying;
  engine.setAutoCheckpoint(4096);

  using copy = await Engine.open(snapshot);
  assert.deepEqual(copy.check(), []);
  assert.equal(copy.count(TABLE_LOG, EMPTY, undefined), 20_000);
  assert.equal(revisionMain(copy.get(TABLE_META, LAST_KEY)!), 19_999);
  assert.deepEqual(copy.get(TABLE_LOG, revisionKey(12_345)), valueFor(12_345, 300));
  assert.equal(engine.count(TABLE_LOG, EMPTY, undefined), next);
});
