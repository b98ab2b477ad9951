/**
 * The 1M-key dataset: loads N keys of 256 B values (default 1,000,000, as Kubernetes-like
 * paths), closes the store, then measures what an operator sees: the time to open and recover
 * it, the process RSS after opening, and bytes on disk per key. Targets (issue #2): open ≤ 3 s,
 * RSS ≤ 600 MB, ≤ 350 B per key.
 *
 * Run: `deno run -A bench/dataset_bench.ts [keys]` (a script, not `deno bench`: each figure is
 * one measurement of a one-time event; run it several times for a spread).
 *
 * @module
 */

import { open } from "../mod.ts";

const KEYS = Number(Deno.args[0] ?? 1_000_000);
const value = new TextEncoder().encode("v".repeat(256));
const dir = await Deno.makeTempDir({ prefix: "t4_dataset_" });
const key = (i: number) => `/registry/pods/ns-${String(i % 1000).padStart(3, "0")}/pod-${i}`;

async function du(path: string): Promise<number> {
  let total = 0;
  for await (const e of Deno.readDir(path)) {
    const p = `${path}/${e.name}`;
    if (e.isDirectory) total += await du(p);
    else if (e.isFile) total += (await Deno.stat(p)).size;
  }
  return total;
}

try {
  let t = performance.now();
  {
    await using db = await open({ dataDir: dir });
    for (let i = 0; i < KEYS; i += 5000) {
      await db.node.submit((s) => {
        for (let j = i; j < Math.min(KEYS, i + 5000); j++) s.put({ key: key(j), value });
      });
    }
  }
  const loadS = (performance.now() - t) / 1000;
  const bytes = await du(dir);
  const rssBefore = Deno.memoryUsage().rss;
  t = performance.now();
  await using db = await open({ dataDir: dir });
  const openS = (performance.now() - t) / 1000;
  // let the old instance's memory go before reading RSS
  (globalThis as { gc?: () => void }).gc?.();
  const rss = Deno.memoryUsage().rss;
  const probe = await db.get(key(KEYS - 1));
  if (!probe) throw new Error("last key missing after reopen");
  console.log(JSON.stringify({
    keys: KEYS,
    loadSeconds: +loadS.toFixed(1),
    loadKeysPerSecond: Math.round(KEYS / loadS),
    openSeconds: +openS.toFixed(2),
    rssMB: Math.round(rss / 2 ** 20),
    rssBeforeOpenMB: Math.round(rssBefore / 2 ** 20),
    diskBytes: bytes,
    bytesPerKey: Math.round(bytes / KEYS),
  }));
} finally {
  await Deno.remove(dir, { recursive: true });
}
