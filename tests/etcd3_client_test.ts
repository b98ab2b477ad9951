/**
 * The npm `etcd3` client library against a real server process over real gRPC: kv, txn,
 * watch and lease, the way an application would use them.
 */

import { Etcd3 } from "etcd3";
import { assert, assertEquals, assertRejects } from "./_assert.ts";
import { startServer } from "./_server.ts";

async function withClient(fn: (client: Etcd3) => Promise<void>): Promise<void> {
  await using server = await startServer();
  const client = new Etcd3({ hosts: server.endpoint });
  try {
    await fn(client);
  } finally {
    client.close();
  }
}

function waitFor(pred: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (pred()) resolve();
      else if (Date.now() > deadline) reject(new Error("timed out"));
      else setTimeout(tick, 20);
    };
    tick();
  });
}

Deno.test("etcd3 client: kv put, get, prefix, delete and revisions", async () => {
  await withClient(async (client) => {
    await client.put("app/a").value("1");
    await client.put("app/b").value("2");
    await client.put("app/a").value("3");
    assertEquals(await client.get("app/a").string(), "3");
    assertEquals(await client.getAll().prefix("app/").strings(), { "app/a": "3", "app/b": "2" });
    assertEquals(await client.getAll().prefix("app/").count(), 2);
    const res = await client.get("app/a").exec();
    assertEquals(res.kvs[0]!.version, "2");
    assertEquals(res.kvs[0]!.create_revision, "2");
    assertEquals(res.kvs[0]!.mod_revision, "4");
    assertEquals(res.header.revision, "4");
    const del = await client.delete().prefix("app/").exec();
    assertEquals(del.deleted, "2");
    assertEquals(await client.get("app/a").string(), null);
  });
});

Deno.test("etcd3 client: txn compare-and-swap on mod revision", async () => {
  await withClient(async (client) => {
    await client.put("cas").value("v1");
    const rev = (await client.get("cas").exec()).kvs[0]!.mod_revision;
    const ok = await client.if("cas", "Mod", "==", rev).then(client.put("cas").value("v2"))
      .else(client.get("cas")).commit();
    assertEquals(ok.succeeded, true);
    const again = await client.if("cas", "Mod", "==", rev).then(client.put("cas").value("v3"))
      .else(client.get("cas")).commit();
    assertEquals(again.succeeded, false);
    assertEquals(
      again.responses[0]!.response_range!.kvs[0]!.value.toString(),
      "v2",
    );
    const created = await client.if("new", "Create", "==", 0).then(client.put("new").value("x"))
      .commit();
    assertEquals(created.succeeded, true);
    await assertRejects(() => client.put("x").lease("12345").exec());
  });
});

Deno.test("etcd3 client: watch sees puts and deletes in order, with prev kv", async () => {
  await withClient(async (client) => {
    const seen: string[] = [];
    const watcher = await client.watch().prefix("w/").withPreviousKV().create();
    watcher.on(
      "put",
      (kv, prev) => seen.push(`put ${kv.key}=${kv.value} prev=${prev?.value ?? "-"}`),
    );
    watcher.on("delete", (kv, prev) => seen.push(`del ${kv.key} prev=${prev?.value ?? "-"}`));
    await client.put("w/1").value("a");
    await client.put("w/1").value("b");
    await client.delete().key("w/1");
    await waitFor(() => seen.length === 3);
    assertEquals(seen, ["put w/1=a prev=-", "put w/1=b prev=a", "del w/1 prev=b"]);
    await watcher.cancel();
  });
});

Deno.test("etcd3 client: leases grant, attach, keep alive, revoke", async () => {
  await withClient(async (client) => {
    const lease = client.lease(10, { autoKeepAlive: false });
    const id = await lease.grant();
    await lease.put("session").value("alive");
    const ttl = await client.leaseClient.leaseTimeToLive({ ID: id, keys: true });
    assertEquals(ttl.keys.map((k) => k.toString()), ["session"]);
    assert(Number(ttl.TTL) > 0 && Number(ttl.TTL) <= 10, `ttl ${ttl.TTL}`);
    const ka = await lease.keepaliveOnce();
    assertEquals(ka.TTL, "10");
    const leases = await client.leaseClient.leaseLeases();
    assert(leases.leases.some((l) => l.ID === id), "lease listed");
    assertEquals(await client.get("session").string(), "alive");
    await lease.revoke();
    assertEquals(await client.get("session").string(), null);
  });
});
