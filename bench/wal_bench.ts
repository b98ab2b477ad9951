/**
 * WAL benchmarks: durable appends (the group-commit primitive), batch appends, CRC32C, replay,
 * and the fdatasync variants the writer chose between. Run on the disk that will hold the WAL:
 * `deno bench -A bench/wal_bench.ts` (temporary files go under $WAL_BENCH_DIR, default /work).
 *
 * @module
 */

import * as fs from "node:fs";
import { crc32c, replayWal, type WalRecord, WalWriter } from "../src/wal/mod.ts";

const BASE = Deno.env.get("WAL_BENCH_DIR") ?? "/work";
const dirs: string[] = [];
globalThis.addEventListener("unload", () => {
  for (const d of dirs) Deno.removeSync(d, { recursive: true });
});

async function benchDir(): Promise<string> {
  const d = await Deno.makeTempDir({ dir: BASE, prefix: "wal-bench-" });
  dirs.push(d);
  return d;
}

function batch(seq: number, n: number, size: number): WalRecord[] {
  const data = new Uint8Array(size).fill(7);
  return Array.from({ length: n }, (_, i) => ({ seq: seq + i, term: 1, rev: seq + i, data }));
}

async function writer(preallocate: boolean): Promise<WalWriter> {
  return await WalWriter.open(await benchDir(), { term: 1, nextSeq: 1, preallocate });
}

const pre = await writer(true);
const grow = await writer(false);

Deno.bench({
  group: "append+sync 1 record",
  name: "1 × 300 B record + sync, preallocated segment",
  baseline: true,
  async fn() {
    pre.append(batch(pre.nextSeq, 1, 300));
    await pre.sync();
  },
});

Deno.bench({
  group: "append+sync 1 record",
  name: "1 × 300 B record + sync, growing segment (no preallocation)",
  async fn() {
    grow.append(batch(grow.nextSeq, 1, 300));
    await grow.sync();
  },
});

Deno.bench({
  group: "append 200 records + sync",
  name: "200 × 300 B records + 1 sync, preallocated segment",
  baseline: true,
  async fn() {
    pre.append(batch(pre.nextSeq, 200, 300));
    await pre.sync();
  },
});

Deno.bench({
  group: "append 200 records + sync",
  name: "200 × 300 B records + 1 sync, growing segment (no preallocation)",
  async fn() {
    grow.append(batch(grow.nextSeq, 200, 300));
    await grow.sync();
  },
});

Deno.bench({
  group: "append 200 records + sync",
  name: "200 × 300 B records, append only (no sync)",
  fn() {
    pre.append(batch(pre.nextSeq, 200, 300));
  },
});

const concurrentWal = await writer(true);
Deno.bench({
  group: "group commit",
  name: "64 concurrent clients × 10 rounds of (append 1 × 300 B, await sync)",
  async fn() {
    await Promise.all(Array.from({ length: 64 }, async () => {
      for (let round = 0; round < 10; round++) {
        concurrentWal.append(batch(concurrentWal.nextSeq, 1, 300));
        await concurrentWal.sync();
      }
    }));
  },
});

const small = new Uint8Array(324).fill(1);
const large = new Uint8Array(1 << 20).fill(1);
Deno.bench({ group: "crc32c", name: "crc32c 324 B", baseline: true, fn: () => void crc32c(small) });
Deno.bench({ group: "crc32c", name: "crc32c 1 MiB", fn: () => void crc32c(large) });

const replayDir = await benchDir();
{
  await using w = await WalWriter.open(replayDir, { term: 1, nextSeq: 1, segmentBytes: 4 << 20 });
  for (let seq = 1; seq <= 100_000; seq += 1000) w.append(batch(seq, 1000, 300));
}
Deno.bench({
  group: "replay",
  name: "replay 100k × 300 B records (≈32 MiB, 8 segments)",
  async fn() {
    await replayWal(replayDir, { afterSeq: 0 }, () => {});
  },
});

// The fdatasync primitives themselves, each after a 300 B pwrite inside a preallocated file.
const rawDir = await benchDir();
const rawPath = `${rawDir}/raw`;
fs.writeFileSync(rawPath, new Uint8Array(64 << 20));
const rawFd = fs.openSync(rawPath, "r+");
const rawFile = await Deno.open(rawPath, { read: true, write: true });
fs.fdatasyncSync(rawFd);
let rawPos = 0;
// Let the writers' background preallocation (64 MiB zero-fill + fdatasync each) finish first.
await new Promise((resolve) => setTimeout(resolve, 5000));
const record = new Uint8Array(300).fill(3);
function rawWrite(): void {
  fs.writeSync(rawFd, record, 0, 300, rawPos);
  rawPos = (rawPos + 300) % (60 << 20);
}
Deno.bench({
  group: "fdatasync primitive",
  name: "node:fs fdatasync(fd, cb) (thread pool; the writer uses this)",
  baseline: true,
  async fn() {
    rawWrite();
    await new Promise<void>((ok, fail) => fs.fdatasync(rawFd, (e) => e ? fail(e) : ok()));
  },
});
Deno.bench({
  group: "fdatasync primitive",
  name: "Deno.FsFile.syncData() on a second handle (thread pool)",
  async fn() {
    rawWrite();
    await rawFile.syncData();
  },
});
Deno.bench({
  group: "fdatasync primitive",
  name: "node:fs fdatasyncSync(fd) (blocks the JS thread: not used)",
  fn() {
    rawWrite();
    fs.fdatasyncSync(rawFd);
  },
});
