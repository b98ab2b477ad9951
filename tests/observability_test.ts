/**
 * Observability against a running server: the metrics a dashboard reads move under a short load
 * (counters count what was done, histograms observe it), and `/readyz` answers 503 with the
 * reason while a node restores a checkpoint from a slow S3, then 200.
 */

import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { b, EtcdTestClient } from "./_etcd_client.ts";
import { startProxy } from "./_proxy.ts";
import { s3Skipped, s3TestStore } from "./_s3.ts";
import { freePort, startServer } from "./_server.ts";

/** The sum of every sample of `name` whose labels include all of `labels`. */
function sample(
  text: string,
  name: string,
  labels: Record<string, string> = {},
  missing?: number,
): number {
  let sum = 0;
  let found = false;
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = m[2] ?? "";
    if (Object.entries(labels).every(([k, v]) => have.includes(`${k}="${v}"`))) {
      sum += Number(m[3]);
      found = true;
    }
  }
  if (!found && missing !== undefined) return missing;
  if (!found) throw new Error(`no sample of ${name} ${JSON.stringify(labels)}`);
  return sum;
}

async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  assertEquals(res.status, 200);
  return await res.text();
}

async function probe(port: number, path: string): Promise<[number, string]> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return [res.status, (await res.text()).trim()];
}

Deno.test("metrics: counters and histograms move under a short load", async () => {
  await using server = await startServer();
  using c = new EtcdTestClient(server.endpoint);
  const before = await scrape(server.metricsPort);

  const watch = c.watch();
  watch.create({ key: b("load/"), rangeEnd: b("load0") });
  await watch.until((r) => r.some((x) => x.created), 10_000);
  const puts = 200;
  await Promise.all(Array.from({ length: 4 }, async (_, w) => {
    for (let i = 0; i < puts / 4; i++) await c.put(`load/${w}/${i}`, `v${i}`);
  }));
  for (let i = 0; i < 50; i++) await c.range({ key: b(`load/0/${i}`) });
  await c.del({ key: b("load/0/0") });
  await c.txn({
    compare: [{
      key: b("load/1/1"),
      target: 0,
      result: 0,
      targetUnion: { case: "version", value: 1 },
    }],
    success: [{
      request: { case: "requestPut", value: { key: b("load/1/1"), value: b("again") } },
    }],
  });
  await watch.until((r) => r.reduce((n, x) => n + x.events.length, 0) >= puts + 2, 10_000);
  watch.close();
  const revision = (await c.status()).header!.revision;

  const after = await scrape(server.metricsPort);
  const moved = (name: string, labels: Record<string, string> = {}) =>
    sample(after, name, labels) - sample(before, name, labels, 0);
  const atLeast = (name: string, want: number, labels: Record<string, string> = {}) => {
    const got = moved(name, labels);
    assert(got >= want, `${name} ${JSON.stringify(labels)} moved by ${got}, want >= ${want}`);
  };
  atLeast("grpc_server_handled_total", puts, { grpc_method: "Put", grpc_code: "OK" });
  atLeast("grpc_server_handled_total", 50, { grpc_method: "Range", grpc_code: "OK" });
  atLeast("grpc_server_handled_total", 1, { grpc_method: "Txn", grpc_code: "OK" });
  atLeast("grpc_server_handling_seconds_count", puts, { grpc_method: "Put" });
  atLeast("grpc_server_started_total", 1, { grpc_method: "Watch" });
  atLeast("grpc_server_msg_sent_total", 2, { grpc_method: "Watch" });
  atLeast("etcd_mvcc_put_total", puts + 1);
  atLeast("etcd_mvcc_delete_total", 1);
  atLeast("etcd_mvcc_txn_total", 1);
  atLeast("etcd_mvcc_range_total", 50);
  atLeast("t4_writes_total", puts + 2);
  atLeast("t4_write_duration_seconds_count", puts + 2);
  assert(moved("t4_write_duration_seconds_sum") > 0, "write durations observed");
  atLeast("etcd_disk_wal_fsync_duration_seconds_count", 1);
  atLeast("etcd_disk_backend_commit_duration_seconds_count", 1);
  atLeast("t4_wal_fsync_batch_size_count", 1);
  atLeast("etcd_server_proposals_committed_total", puts + 2);
  atLeast("etcd_network_client_grpc_received_bytes_total", puts * 10);
  atLeast("etcd_network_client_grpc_sent_bytes_total", puts * 10);
  atLeast("t4_watch_events_sent_total", puts + 2);
  assertEquals(sample(after, "t4_current_revision"), revision);
  assertEquals(sample(after, "etcd_debugging_mvcc_keys_total"), puts - 1);
  assertEquals(sample(after, "t4_role", { role: "single" }), 1);
  assertEquals(await probe(server.metricsPort, "/readyz"), [200, "ok"]);
  assertEquals((await probe(server.metricsPort, "/healthz/leader"))[0], 200);
});

Deno.test({
  name: "readyz: 503 with the reason while a checkpoint restores from a slow S3, then 200",
  ignore: s3Skipped,
}, async (t) => {
  await using s3 = await s3TestStore(t);
  const url = new URL(s3.options.endpoint!);
  await using proxy = startProxy(`${url.hostname}:${url.port}`);
  const args = [
    "--s3-bucket",
    s3.options.bucket,
    "--s3-prefix",
    "ready/",
    "--s3-endpoint",
    `http://${proxy.address}`,
    "--s3-access-key-id",
    "test",
    "--s3-secret-access-key",
    "testsecret",
  ];
  // About 3 MB of values, then a checkpoint that holds them.
  {
    await using server = await startServer({ args: [...args, "--checkpoint-entries", "300"] });
    using c = new EtcdTestClient(server.endpoint);
    const value = "x".repeat(10_000);
    await Promise.all(Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; i < 80; i++) await c.put(`big/${w}/${i}`, `${value}${i}`);
    }));
    const deadline = Date.now() + 30_000;
    while (!/checkpoint written .*seq=3\d\d/.test(server.log())) {
      assert(Date.now() < deadline, `no checkpoint:\n${server.log()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  // A fresh disk restores through a proxy limited to 250 kB/s a connection: seconds of 503.
  proxy.throttle(250_000);
  const metricsPort = freePort();
  const seen: [number, string][] = [];
  let ready = false;
  const starting = startServer({ args, metricsPort }).finally(() => (ready = true));
  const deadline = Date.now() + 60_000;
  for (;;) {
    assert(Date.now() < deadline, `no 200 from /readyz: ${JSON.stringify(seen.slice(-3))}`);
    try {
      const answer = await probe(metricsPort, "/readyz");
      if (seen.at(-1)?.[1] !== answer[1]) seen.push(answer);
      if (answer[0] === 200) break;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  await using server = await starting;
  assert(ready);
  const restoring = seen.find(([code, why]) => code === 503 && /restoring a checkpoint/.test(why));
  assert(restoring, `no 503 while restoring: ${JSON.stringify(seen)}`);
  assertEquals(seen.at(-1), [200, "ok"]);
  assertMatch(server.log(), /restoring checkpoint .*percent=/);
  using c = new EtcdTestClient(server.endpoint);
  assertEquals(
    (await c.range({ key: b("big/"), rangeEnd: b("big0"), countOnly: true })).count,
    320,
  );
});
