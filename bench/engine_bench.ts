/**
 * Engine benchmarks: appends, point gets, range scans and open, on a log table of 1M rows with
 * 12-byte revision keys and 300-byte values (about 370 MB), the shape T4's MVCC layer writes.
 *
 * Run: `deno task build:wasm && deno bench -A bench/engine_bench.ts` (about 1.5 minutes, most of
 * it building the 1M-row file). Rows per second = iterations per second × rows per iteration.
 *
 * @module
 */

import { Engine, TABLE_LOG, WriteBatch } from "../src/engine/mod.ts";

const ROWS = 1_000_000;
const VALUE_BYTES = 300;
const BATCH_ROWS = 200;
const CACHE_KIB = 65536;
const KEY_POOL = 1 << 16;

const dir = await Deno.makeTempDir({ prefix: "t4_engine_bench_" });
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));

const value = valueFor(1, VALUE_BYTES);
const batch = new WriteBatch();
const key = new Uint8Array(12);
const keyView = new DataView(key.buffer);

/** Appends revisions [from, from + BATCH_ROWS) in one write (the batch copies each key). */
function appendBatch(engine: Engine, from: number): void {
  batch.clear();
  for (let main = from; main < from + BATCH_ROWS; main++) {
    keyView.setUint32(4, main);
    batch.put(TABLE_LOG, key, value);
  }
  engine.write(batch);
}

// The 1M-row file, then a closed copy of it for the open benchmark.
const path = `${dir}/engine.db`;
const engine = await Engine.open(path, { cacheKiB: CACHE_KIB });
for (let main = 0; main < ROWS; main += BATCH_ROWS) appendBatch(engine, main);
engine.checkpoint(true);
const closedCopy = `${dir}/closed.db`;
await Deno.copyFile(path, closedCopy);
{
  // Let the kernel finish writing the copy back now, not during the write benchmarks.
  using copy = await Deno.open(closedCopy, { read: true, write: true });
  await copy.syncData();
}

// Random keys drawn ahead of time, so the benchmarks measure the engine, not the RNG.
const randomKeys = Array.from(
  { length: KEY_POOL },
  () => revisionKey(Math.floor(Math.random() * ROWS)),
);
const scanStarts = Array.from(
  { length: KEY_POOL },
  () => revisionKey(Math.floor(Math.random() * (ROWS - 100))),
);
let next = 0;

// Warm the page cache the way a running server's would be.
for (let i = 0; i < 200_000; i++) engine.get(TABLE_LOG, randomKeys[i % KEY_POOL]!);

const appender = await Engine.open(`${dir}/append.db`, { cacheKiB: CACHE_KIB });
let appendNext = 0;

Deno.bench({
  group: "write",
  name: "append 200-row batch (12 B keys, 300 B values), empty start",
  baseline: true,
  // Enough batches (500k rows) to include their share of automatic checkpoints.
  n: 2500,
  fn() {
    appendBatch(appender, appendNext);
    appendNext += BATCH_ROWS;
  },
});

Deno.bench({
  group: "write",
  name: "append 200-row batch (12 B keys, 300 B values), after 1M rows",
  n: 2500,
  fn() {
    appendBatch(engine, ROWS + next * BATCH_ROWS);
    next++;
  },
});

Deno.bench({
  group: "get",
  name: "get random, 1M rows, 64 MiB cache",
  baseline: true,
  fn() {
    engine.get(TABLE_LOG, randomKeys[next++ & (KEY_POOL - 1)]!);
  },
});

Deno.bench({
  group: "get",
  name: "get one hot key, 1M rows",
  fn() {
    engine.get(TABLE_LOG, randomKeys[0]!);
  },
});

Deno.bench({
  group: "get",
  name: "get missing key, 1M rows",
  fn() {
    engine.get(TABLE_LOG, revisionKey(ROWS * 10 + next++));
  },
});

Deno.bench({
  group: "scan",
  name: "scan 100 consecutive rows, 1M rows, 64 MiB cache",
  baseline: true,
  fn() {
    engine.scan(TABLE_LOG, scanStarts[next++ & (KEY_POOL - 1)]!, undefined, { limit: 100 }, noop);
  },
});

Deno.bench({
  group: "scan",
  name: "scan 100 rows in reverse, 1M rows, 64 MiB cache",
  fn() {
    const start = scanStarts[next++ & (KEY_POOL - 1)]!;
    engine.scan(TABLE_LOG, new Uint8Array(0), start, { limit: 100, reverse: true }, noop);
  },
});

Deno.bench({
  group: "scan",
  name: "count 100 rows, 1M rows",
  fn() {
    const start = scanStarts[next++ & (KEY_POOL - 1)]!;
    const end = revisionKey(new DataView(start.buffer).getUint32(4) + 100);
    engine.count(TABLE_LOG, start, end);
  },
});

Deno.bench({
  group: "open",
  name: "open a closed 1M-row file + first get",
  baseline: true,
  async fn() {
    const opened = await Engine.open(closedCopy, { cacheKiB: CACHE_KIB });
    opened.get(TABLE_LOG, randomKeys[0]!);
    opened.close();
  },
});

function noop(): void {}

/** A 12-byte revision key: `main` as 8 bytes big-endian, then a zero 4-byte `sub`. */
function revisionKey(main: number): Uint8Array {
  const key = new Uint8Array(12);
  new DataView(key.buffer).setUint32(4, main);
  return key;
}

/** `length` pseudo-random bytes. */
function valueFor(seed: number, length: number): Uint8Array {
  const value = new Uint8Array(length);
  let x = seed * 2654435761 >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    value[i] = x & 0xff;
  }
  return value;
}
