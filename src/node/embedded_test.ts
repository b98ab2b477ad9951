import { assert, assertEquals, assertRejects } from "../../tests/_assert.ts";
import { CompactedError, FutureRevisionError, LeaseError } from "../errors.ts";
import { Store } from "./embedded.ts";

const td = new TextDecoder();
const text = (u: Uint8Array | undefined) => (u === undefined ? undefined : td.decode(u));

async function withStore<T>(fn: (db: Store, dir: string) => Promise<T>, config = {}): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "t4-embedded-" });
  try {
    await using db = await Store.open({ dataDir: dir, ...config });
    return await fn(db, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("Store: put, get, range options and history", async () => {
  await withStore(async (db) => {
    assertEquals(db.revision, 1);
    await db.put("a/1", "x");
    await db.put("a/2", new Uint8Array([0, 255]));
    const r3 = await db.put("a/1", "y", { prevKv: true });
    assertEquals(text(r3.prevKv?.value), "x");
    const kv = await db.get("a/1");
    assertEquals([kv!.createRevision, kv!.modRevision, kv!.version], [2, 4, 2]);
    assertEquals(text((await db.get("a/1", { revision: 2 }))!.value), "x");
    const page = await db.range("a/", { prefix: true, limit: 1 });
    assertEquals([page.kvs.length, page.more, page.count], [1, true, 2]);
    const desc = await db.range("a/", { prefix: true, sortOrder: "descend", sortTarget: "key" });
    assertEquals(desc.kvs.map((k) => text(k.key)), ["a/2", "a/1"]);
    const keysOnly = await db.range("a", { fromKey: true, keysOnly: true });
    assertEquals(keysOnly.kvs.map((k) => k.value.length), [0, 0]);
    assertEquals((await db.range("a/", { prefix: true, countOnly: true })).count, 2);
    await assertRejects(() => db.get("a/1", { revision: 99 }), FutureRevisionError);
    const del = await db.delete("a/", { prefix: true, prevKv: true });
    assertEquals(del.deleted, 2);
    assertEquals(del.prevKvs!.map((k) => text(k.value)), ["y", "\u0000\ufffd"]);
    await db.compact(4);
    await assertRejects(() => db.get("a/1", { revision: 3 }), CompactedError);
    assertEquals(text((await db.get("a/1", { revision: 4 }))!.value), "y");
  });
});

Deno.test("Store: nested transactions are atomic at one revision", async () => {
  await withStore(async (db) => {
    await db.put("n", "0");
    const res = await db.txn({
      compare: [{ key: "n", target: "value", result: "equal", value: "0" }],
      success: [
        { put: { key: "n", value: "1" } },
        {
          txn: {
            compare: [{ key: "m", target: "version", result: "equal", value: 0 }],
            success: [{ put: { key: "m", value: "created" } }, { get: { key: "n" } }],
          },
        },
      ],
      failure: [{ get: { key: "n" } }],
    });
    assert(res.succeeded);
    assertEquals(res.revision, 3);
    const inner = res.responses[1]!;
    assert("txn" in inner && inner.txn.succeeded);
    const read = inner.txn.responses[1]!;
    assert("get" in read);
    assertEquals(text(read.get.kvs[0]!.value), "1");
    assertEquals((await db.get("m"))!.modRevision, 3);
  });
});

Deno.test("Store: watch replays history, then follows, and ends on cancel", async () => {
  await withStore(async (db) => {
    await db.put("w", "1");
    const watch = db.watch("w", { startRevision: 2, prevKv: true });
    const seen: string[] = [];
    const done = (async () => {
      for await (const batch of watch) {
        for (const e of batch.events) {
          seen.push(`${e.type}:${text(e.kv.value)}:${text(e.prevKv?.value) ?? "-"}`);
        }
        if (seen.length === 3) watch.cancel();
      }
    })();
    await db.put("w", "2");
    await db.delete("w");
    await done;
    assertEquals(seen, ["put:1:-", "put:2:1", "delete::2"]);
  });
});

Deno.test("Store: leases expire on the injected clock and take their keys", async () => {
  let now = 0;
  await withStore(async (db) => {
    const { id, ttl } = await db.grantLease(5);
    assertEquals(ttl, 5);
    await db.put("session", "alive", { lease: id });
    assertEquals(db.leaseTimeToLive(id, { keys: true }).keys.map(text), ["session"]);
    assertEquals(db.keepAlive(id), 5);
    const rev = db.revision;
    now += 4000;
    assertEquals(db.keepAlive(id), 5, "a keepalive renews in memory");
    assertEquals(db.revision, rev, "keepalives never touch the revision");
    now += 6000;
    for (let i = 0; i < 100 && db.leases().length > 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assertEquals(db.leases(), []);
    assertEquals(await db.get("session"), undefined);
    assertEquals(db.revision, rev + 1, "the revoke deleted the key at one revision");
    assertEquals(db.keepAlive(id), 0);
    assertEquals(db.leaseTimeToLive(id).ttl, -1);
    await assertRejects(() => db.put("x", "y", { lease: id }), LeaseError);
  }, { now: () => now, leaseCheckIntervalMs: 5 });
});

Deno.test("Store: reopen keeps data, leases and the compact revision", async () => {
  const dir = await Deno.makeTempDir({ prefix: "t4-embedded-" });
  try {
    let lease: bigint;
    {
      await using db = await Store.open({ dataDir: dir });
      for (let i = 0; i < 50; i++) await db.put(`k${i}`, `v${i}`);
      lease = (await db.grantLease(100)).id;
      await db.put("leased", "x", { lease });
      await db.compact(10);
    }
    await using db = await Store.open({ dataDir: dir });
    assertEquals(db.revision, 52);
    assertEquals(db.compactRevision, 10);
    assertEquals(text((await db.get("k49"))!.value), "v49");
    assertEquals(db.leases(), [lease]);
    assertEquals((await db.get("leased"))!.lease, lease);
    assertEquals(db.node.recovery.revision, 52);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Store: a second process-local open of the same directory is refused", async () => {
  await withStore(async (_db, dir) => {
    await assertRejects(() => Store.open({ dataDir: dir }), Error, "lock");
  });
});

Deno.test("Store: an empty key with prefix or fromKey spans every key, as etcd's clients send it", async () => {
  await withStore(async (db) => {
    await db.put("a", "1");
    await db.put("b/c", "2");
    assertEquals((await db.range("", { prefix: true })).count, 2);
    assertEquals((await db.range("", { fromKey: true })).count, 2);
    assertEquals((await db.range("b", { prefix: true })).count, 1);
    const all = await db.txn({
      compare: [{ key: "", prefix: true, target: "version", result: "greater", value: 0 }],
      success: [],
    });
    assertEquals(all.succeeded, true);
    assertEquals((await db.delete("", { prefix: true })).deleted, 2);
    assertEquals((await db.range("", { prefix: true })).count, 0);
  });
});
