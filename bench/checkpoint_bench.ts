/**
 * Checkpoints of a realistic store (issue #5): 1M keys of 256 B through the node, a first
 * checkpoint (time, bytes uploaded), then 1% of the keys updated and a second checkpoint, which
 * should upload at most 5% of the bytes (chunks are content-addressed; MVCC appends new
 * revisions at the log's right edge). Also single node with S3 vs without, put with 16 clients.
 *
 * Run: `deno run -A bench/checkpoint_bench.ts [--keys 1000000]`. With `T4_TEST_S3_ENDPOINT`,
 * `T4_TEST_S3_ACCESS_KEY`, `T4_TEST_S3_SECRET_KEY` and `T4_BENCH_S3_BUCKET` set (a running RGW,
 * e.g. `bash scripts/rgw.sh up DIR PORT MONPORT`) it uploads to S3; otherwise to a local
 * directory object store (the same code path minus the network). Prints one line per result.
 *
 * @module
 */

import { open } from "../mod.ts";
import { LocalDirObjectStore, type ObjectStore, S3ObjectStore } from "../src/objstore/mod.ts";

const args = Deno.args;
const keys = Number(args[args.indexOf("--keys") + 1] ?? 0) || 1_000_000;
const dir = await Deno.makeTempDir({ prefix: "t4_checkpoint_bench_" });
const value = new TextEncoder().encode("v".repeat(256));
const key = (i: number) => `/registry/pods/ns-${String(i % 1000).padStart(3, "0")}/pod-${i}`;

function objectStore(prefix: string): ObjectStore {
  const endpoint = Deno.env.get("T4_TEST_S3_ENDPOINT");
  const bucket = Deno.env.get("T4_BENCH_S3_BUCKET");
  if (endpoint && bucket) {
    return new S3ObjectStore({
      endpoint,
      bucket,
      prefix,
      region: "us-east-1",
      forcePathStyle: true,
      accessKeyId: Deno.env.get("T4_TEST_S3_ACCESS_KEY") ?? "test",
      secretAccessKey: Deno.env.get("T4_TEST_S3_SECRET_KEY") ?? "testsecret",
    });
  }
  return new LocalDirObjectStore(`${dir}/objects/${prefix}`);
}

async function putsPerSecond(
  db: Awaited<ReturnType<typeof open>>,
  clients: number,
  total: number,
): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: clients }, async () => {
    while (next < total) await db.put(`/bench/k${next++ % 1000}`, value);
  }));
  return total / ((performance.now() - started) / 1000);
}

try {
  const where = Deno.env.get("T4_BENCH_S3_BUCKET") ? "S3 (RGW)" : "local dir store";
  {
    // Put, 16 clients: no object store, then every WAL batch uploaded before the ack.
    await using plain = await open({ dataDir: `${dir}/plain` });
    const without = await putsPerSecond(plain, 16, 4000);
    await using s3 = await open({ dataDir: `${dir}/s3put`, objectStore: objectStore("put/") });
    const withS3 = await putsPerSecond(s3, 16, 4000);
    console.log(
      `put c16: ${without.toFixed(0)}/s without an object store, ${
        withS3.toFixed(0)
      }/s with ${where} (${(withS3 / without).toFixed(2)}x)`,
    );
  }

  await using db = await open({
    dataDir: `${dir}/big`,
    objectStore: objectStore("big/"),
    checkpointIntervalMs: 24 * 3600_000,
    checkpointEntries: 0,
  });
  for (let i = 0; i < keys; i += 5000) {
    await db.node.submit((s) => {
      for (let j = i; j < Math.min(keys, i + 5000); j++) s.put({ key: key(j), value });
    });
  }
  const durability = db.node.durability!;
  let started = performance.now();
  const first = (await durability.checkpointNow())!;
  console.log(
    `checkpoint of ${keys} keys: ${((performance.now() - started) / 1000).toFixed(1)} s, ` +
      `${(first.uploadedBytes / 1e6).toFixed(1)} MB uploaded of ${
        (first.totalBytes / 1e6).toFixed(1)
      } MB (${first.uploadedChunks} chunks)`,
  );

  const changed = Math.floor(keys / 100);
  for (let i = 0; i < changed; i += 1000) {
    await db.node.submit((s) => {
      for (let j = i; j < Math.min(changed, i + 1000); j++) {
        s.put({ key: key(Math.floor(Math.random() * keys)), value });
      }
    });
  }
  started = performance.now();
  const second = (await durability.checkpointNow())!;
  const share = (100 * second.uploadedBytes) / second.totalBytes;
  console.log(
    `checkpoint after updating 1% of keys: ${
      ((performance.now() - started) / 1000).toFixed(1)
    } s, ` +
      `${(second.uploadedBytes / 1e6).toFixed(1)} MB of ${
        (second.totalBytes / 1e6).toFixed(1)
      } MB ` +
      `(${share.toFixed(1)}%, target <= 5%)`,
  );
} finally {
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
