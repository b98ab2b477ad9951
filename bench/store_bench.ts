/**
 * Store benchmarks through the embedded API (`mod.ts`): durable puts with 1 and 192 concurrent
 * writers (every put fsynced through group commit), a hot-key get, random gets over 1M keys and
 * 100-key lists. Targets (issue #2, this 2-core machine): put 1 writer ≥ 3,000/s, 192 writers
 * ≥ 50,000/s, hot get ≥ 1,000,000/s, random get over 1M keys ≥ 200,000/s, list 100 ≥ 30,000/s.
 *
 * Run: `deno task build:wasm && deno bench -A bench/store_bench.ts` (about 2 minutes, most of it
 * loading 1M keys). Ops per second = iterations per second × ops per iteration (in the name).
 *
 * @module
 */

import { open } from "../mod.ts";

const KEYS = Number(Deno.env.get("T4_BENCH_KEYS") ?? 1_000_000);
const VALUE = "v".repeat(256);
const dir = await Deno.makeTempDir({ prefix: "t4_store_bench_" });
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));

const db = await open({ dataDir: `${dir}/big` });
const key = (i: number) => `/registry/pods/ns-${String(i % 1000).padStart(3, "0")}/pod-${i}`;
for (let i = 0; i < KEYS; i += 5000) {
  await db.node.submit((s) => {
    for (let j = i; j < Math.min(KEYS, i + 5000); j++) {
      s.put({ key: key(j), value: new TextEncoder().encode(VALUE) });
    }
  });
}
await db.node.submit((s) => {
  for (let j = 0; j < 100; j++) {
    s.put({ key: `/list/${j}`, value: new TextEncoder().encode(VALUE) });
  }
});
const writes = await open({ dataDir: `${dir}/writes` });
let n = 0;
// a pool as large as the keyspace, so gets hit the engine as often as they would in life
const randomKeys = Array.from({ length: 1 << 20 }, () => key(Math.floor(Math.random() * KEYS)));
let r = 0;

Deno.bench({
  group: "put",
  name: "put 256 B, 1 writer (1 put/iter, fsynced)",
  baseline: true,
  async fn() {
    await writes.put(`serial/${n++ % 10000}`, VALUE);
  },
});

Deno.bench({
  group: "put",
  name: "put 256 B, 192 concurrent writers (192 puts/iter)",
  async fn() {
    const base = n;
    n += 192;
    await Promise.all(
      Array.from({ length: 192 }, (_, i) => writes.put(`par/${(base + i) % 100000}`, VALUE)),
    );
  },
});

Deno.bench({
  group: "get",
  name: "get hot key (100 gets/iter)",
  baseline: true,
  async fn() {
    for (let i = 0; i < 100; i++) await db.get(key(42));
  },
});

Deno.bench({
  group: "get",
  name: `get random key of ${KEYS} (100 gets/iter)`,
  async fn() {
    for (let i = 0; i < 100; i++) await db.get(randomKeys[r++ & 0xfffff]!);
  },
});

Deno.bench({
  group: "list",
  name: "list a prefix of 100 keys (10 lists/iter)",
  async fn() {
    for (let i = 0; i < 10; i++) await db.range("/list/", { prefix: true });
  },
});
