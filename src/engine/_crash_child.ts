/**
 * Child process for `durability_test.ts`: writes numbered batches to the engine file given as
 * the first argument until it is killed, printing each batch number after its write returned.
 *
 * Batch `n` puts revisions (n, 0) .. (n, ROWS_PER_BATCH - 1) into the log table and sets
 * meta["last"] to revision (n, 0); when `n % 10 === 0` it also deletes batch `n - 5` with a
 * range delete. A second run continues after the last batch the file holds.
 *
 * @module
 */

import { Engine, TABLE_LOG, TABLE_META, WriteBatch } from "./mod.ts";
import { revisionKey, revisionMain, utf8, valueFor } from "./_testing.ts";

/** Rows each batch writes to the log table. */
export const ROWS_PER_BATCH = 40;
/** The meta key holding the last batch's revision. */
export const LAST_KEY: Uint8Array = utf8("last");

/** The value of row `sub` of batch `batch`. */
export function rowValue(batch: number, sub: number): Uint8Array {
  return valueFor(batch * 1000 + sub, 150 + ((batch * 31 + sub * 7) % 400));
}

/** The log rows of batch `batch`, as the child writes them. */
export function addBatch(writes: WriteBatch, batch: number): void {
  for (let sub = 0; sub < ROWS_PER_BATCH; sub++) {
    writes.put(TABLE_LOG, revisionKey(batch, sub), rowValue(batch, sub));
  }
  writes.put(TABLE_META, LAST_KEY, revisionKey(batch));
  if (batch % 10 === 0) {
    writes.deleteRange(TABLE_LOG, revisionKey(batch - 5), revisionKey(batch - 4));
  }
}

if (import.meta.main) {
  const [path] = Deno.args;
  if (path === undefined) throw new Error("Usage: _crash_child.ts <engine file>");
  // Small cache and frequent checkpoints, so that a kill also lands in evictions and
  // checkpoints, not only in WAL appends.
  const engine = await Engine.open(path, { cacheKiB: 256, autoCheckpointPages: 40 });
  const last = engine.get(TABLE_META, LAST_KEY);
  const writes = new WriteBatch();
  const encoder = new TextEncoder();
  for (let batch = (last ? revisionMain(last) : 0) + 1;; batch++) {
    writes.clear();
    addBatch(writes, batch);
    engine.write(writes);
    Deno.stdout.writeSync(encoder.encode(`${batch}\n`));
  }
}
