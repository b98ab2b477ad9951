/**
 * S3 durability for a single node against a real Ceph RGW (started once per run by
 * `tests/run.ts`): losing the disk loses nothing acknowledged; S3 going away fails writes with
 * Unavailable and loses nothing; branches fork without copying; damaged objects give clear
 * errors instead of silent data loss.
 */

import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { b, EtcdTestClient, s } from "./_etcd_client.ts";
import { startProxy } from "./_proxy.ts";
import { s3Skipped, s3TestStore } from "./_s3.ts";
import { startServer, type TestServer } from "./_server.ts";
import { GrpcCode, GrpcError } from "../src/server/status.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;

function s3Args(
  options: { endpoint?: string; bucket: string },
  prefix: string,
  endpoint?: string,
): string[] {
  return [
    "--s3-bucket",
    options.bucket,
    "--s3-prefix",
    prefix,
    "--s3-endpoint",
    endpoint ?? options.endpoint!,
    "--s3-access-key-id",
    "test",
    "--s3-secret-access-key",
    "testsecret",
  ];
}

/** Runs the CLI; a command still running after 60 s is killed (and reported as code -9). */
async function t4(args: string[]): Promise<{ code: number; out: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.kill("SIGKILL");
  }, 60_000);
  const o = await child.output();
  clearTimeout(timer);
  const d = new TextDecoder();
  return { code: killed ? -9 : o.code, out: d.decode(o.stdout) + d.decode(o.stderr) };
}

async function waitFor(pred: () => boolean | Promise<boolean>, ms: number, what: string) {
  const deadline = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Event {
  rev: number;
  key: string;
  type: number;
  value: string;
}

async function history(server: TestServer): Promise<Event[]> {
  using c = new EtcdTestClient(server.endpoint);
  const rev = (await c.status()).header!.revision;
  if (rev < 2) return [];
  const w = c.watch();
  w.create({ key: b("\0"), rangeEnd: b("\0"), startRevision: 2 });
  await w.until((r) => r.flatMap((x) => x.events).at(-1)?.kv?.modRevision === rev, 20_000);
  w.close();
  return w.responses.flatMap((r) =>
    r.events.map((e) => ({
      rev: e.kv!.modRevision,
      key: s(e.kv!.key),
      type: e.type,
      value: s(e.kv!.value),
    }))
  );
}

Deno.test({
  name:
    "S3: kill -9 a writing node, lose its disk, restart from S3 alone: nothing acknowledged lost",
  ignore: s3Skipped,
}, async (t) => {
  await using s3 = await s3TestStore(t);
  const args = s3Args(s3.options, "t4/");
  const acked = new Map<string, { value: string; rev: number }>();
  let before: Event[];
  {
    const server = await startServer({ args });
    using c = new EtcdTestClient(server.endpoint);
    const stop = Date.now() + 2500;
    await Promise.all(Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; Date.now() < stop; i++) {
        const key = `w${w}/k${i % 20}`;
        const value = `${w}-${i}`;
        const res = await c.put(key, value);
        acked.set(key, { value, rev: res.header!.revision });
      }
    }));
    before = await history(server);
    await server.kill(); // SIGKILL
    await Deno.remove(server.dataDir, { recursive: true });
  }
  assert(acked.size > 50, `only ${acked.size} keys written`);
  await using fresh = await startServer({ args });
  assertMatch(fresh.log(), /restored checkpoint|recovered/);
  using c = new EtcdTestClient(fresh.endpoint);
  for (const [key, want] of acked) {
    const got = await c.range({ key: b(key), revision: want.rev });
    assertEquals(s(got.kvs[0]!.value), want.value, `${key} at ${want.rev}`);
  }
  const after = await history(fresh);
  assertEquals(after.slice(0, before.length), before, "revisions and history identical");
});

Deno.test({
  name: "S3: unreachable S3 fails writes with Unavailable, loses nothing, recovers when S3 returns",
  ignore: s3Skipped,
}, async (t) => {
  await using s3 = await s3TestStore(t);
  const url = new URL(s3.options.endpoint!);
  await using proxy = startProxy(`${url.hostname}:${url.port}`);
  const args = s3Args(s3.options, "down/", `http://${proxy.address}`);
  const server = await startServer({ args });
  using c = new EtcdTestClient(server.endpoint);
  const acked: [string, string][] = [];
  for (let i = 0; i < 20; i++) {
    await c.put(`up/${i}`, `v${i}`);
    acked.push([`up/${i}`, `v${i}`]);
  }
  proxy.block();
  let failures = 0;
  for (let i = 0; i < 5; i++) {
    try {
      await c.put(`during/${i}`, "x");
      acked.push([`during/${i}`, "x"]);
    } catch (err: unknown) {
      assert(err instanceof GrpcError);
      assertEquals(err.code, GrpcCode.UNAVAILABLE, err.details);
      failures++;
    }
  }
  assertEquals(failures, 5, "writes fail while S3 is away");
  assertEquals((await c.range({ key: b("up/1") })).kvs.length, 1, "reads still work");
  proxy.heal();
  await waitFor(
    async () => {
      try {
        await c.put("after/0", "y");
        return true;
      } catch {
        return false;
      }
    },
    30_000,
    "writes to resume",
  );
  acked.push(["after/0", "y"]);
  for (const [k, v] of acked) assertEquals(s((await c.range({ key: b(k) })).kvs[0]!.value), v);
  await server.kill();
  await Deno.remove(server.dataDir, { recursive: true });
  await using fresh = await startServer({ args });
  using c2 = new EtcdTestClient(fresh.endpoint);
  for (const [k, v] of acked) assertEquals(s((await c2.range({ key: b(k) })).kvs[0]!.value), v, k);
});

Deno.test({
  name: "S3: a branch forks at a checkpoint without copying, diverges, and GC keeps what it pins",
  ignore: s3Skipped,
}, async (t) => {
  await using s3 = await s3TestStore(t);
  const storeArgs = s3Args(s3.options, "main/").slice(2); // everything but --s3-bucket
  const flags = ["--s3-bucket", s3.bucket, ...storeArgs];
  await using source = await startServer({ args: [...flags, "--checkpoint-entries", "40"] });
  using c = new EtcdTestClient(source.endpoint);
  for (let i = 0; i < 40; i++) await c.put(`k${i}`, `source-${i}`);
  await waitFor(
    () => /checkpoint written .*seq=40/.test(source.log()),
    20_000,
    "a checkpoint at seq 40",
  );
  const fork = await t4(["branch", "fork", "--branch-id", "b1", ...flags]);
  assertEquals(fork.code, 0, fork.out);
  const pinned = fork.out.trim().split("\n").at(-1)!;
  assertMatch(pinned, /^checkpoint\/\d{10}\/0{18}40\/manifest\.json$/);
  await c.put("k0", "source-later");

  const branchFlags = ["--s3-bucket", s3.bucket, ...s3Args(s3.options, "branch/").slice(2)];
  const branchArgs = [...branchFlags, "--branch-prefix", "main/", "--branch-checkpoint", "b1"];
  {
    await using branch = await startServer({ args: branchArgs });
    using bc = new EtcdTestClient(branch.endpoint);
    assertEquals(
      s((await bc.range({ key: b("k0") })).kvs[0]!.value),
      "source-0",
      "the branch sees the fork point",
    );
    await bc.put("k1", "branch-only");
    assertEquals(
      s((await c.range({ key: b("k1") })).kvs[0]!.value),
      "source-1",
      "the source does not see it",
    );
    await waitFor(
      () => /checkpoint written/.test(branch.log()),
      20_000,
      "the branch's first checkpoint",
    );
  }
  const branchChunks = await s3.open("branch/").list("chunk/");
  const sourceChunks = await s3.open("main/").list("chunk/");
  assert(branchChunks.length < sourceChunks.length, `branch copied ${branchChunks.length} chunks`);

  // More source checkpoints, then GC keeping one: the pinned checkpoint survives.
  for (let i = 0; i < 40; i++) await c.put(`more${i}`, "x");
  await waitFor(
    () => (source.log().match(/checkpoint written/g) ?? []).length >= 3,
    20_000,
    "more checkpoints",
  );
  const gc = await t4(["gc", "--keep", "1", ...flags]);
  assertEquals(gc.code, 0, gc.out);
  assert((await s3.open("main/").head(pinned)) !== undefined, "GC kept the pinned checkpoint");
  {
    // A branch node with a fresh disk still restores (its own checkpoint references the source's chunks).
    await using again = await startServer({ args: branchArgs });
    using bc = new EtcdTestClient(again.endpoint);
    assertEquals(s((await bc.range({ key: b("k1") })).kvs[0]!.value), "branch-only");
  }
  const unfork = await t4(["branch", "unfork", "--branch-id", "b1", ...flags]);
  assertEquals(unfork.code, 0, unfork.out);
  const gc2 = await t4(["gc", "--keep", "1", ...flags]);
  assertEquals(gc2.code, 0, gc2.out);
  assertEquals(await s3.open("main/").head(pinned), undefined, "unfork released the pin");
});

Deno.test({
  name: "S3: damaged objects stop a fresh node with a clear error, never an empty store",
  ignore: s3Skipped,
}, async (t) => {
  await using s3 = await s3TestStore(t);
  const flags = s3Args(s3.options, "bad/");
  {
    await using server = await startServer({ args: [...flags, "--checkpoint-entries", "10"] });
    using c = new EtcdTestClient(server.endpoint);
    for (let i = 0; i < 25; i++) await c.put(`k${i}`, `v${i}`);
    await waitFor(
      () => /checkpoint written .*seq=(1\d|2\d)/.test(server.log()),
      20_000,
      "a checkpoint",
    );
    // entries after the newest checkpoint, so recovery needs the WAL objects that hold them
    for (let i = 0; i < 5; i++) await c.put(`late${i}`, `v${i}`);
  }
  const store = s3.open("bad/");
  const latest = JSON.parse(new TextDecoder().decode((await store.get("manifest/latest")).data));
  const manifestKey: string = latest.checkpoint_key;
  const manifest = (await store.get(manifestKey)).data;
  const start = async () => {
    const dir = await Deno.makeTempDir({ prefix: "t4-bad-" });
    try {
      const r = await t4([
        "run",
        "--data-dir",
        dir,
        "--listen",
        "127.0.0.1:0",
        "--metrics-addr",
        "",
        ...flags,
      ]);
      assert(!r.out.includes("serving etcd v3 API"), `the node started anyway:\n${r.out}`);
      return r;
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  };
  await t.step("a corrupt manifest", async () => {
    await store.put(manifestKey, new TextEncoder().encode("{not json"));
    const r = await start();
    assertEquals(r.code, 1);
    assert(r.out.includes(manifestKey), r.out);
    await store.put(manifestKey, manifest);
  });
  await t.step("a newer format", async () => {
    const doc = JSON.parse(new TextDecoder().decode(manifest));
    doc.format_version = 99;
    await store.put(manifestKey, new TextEncoder().encode(JSON.stringify(doc)));
    const r = await start();
    assertEquals(r.code, 1);
    assertMatch(r.out, /format/i);
    await store.put(manifestKey, manifest);
  });
  await t.step("a missing chunk", async () => {
    const doc = JSON.parse(new TextDecoder().decode(manifest));
    const chunk = `chunk/${doc.chunks[0]}`;
    const saved = (await store.get(chunk)).data;
    await store.delete(chunk);
    const r = await start();
    assertEquals(r.code, 1);
    assert(r.out.includes(chunk), r.out);
    await store.put(chunk, saved);
  });
  await t.step("a truncated WAL object after the checkpoint", async () => {
    const wal = (await store.list("wal/")).at(-1)!;
    const saved = (await store.get(wal.key)).data;
    await store.put(wal.key, saved.subarray(0, saved.length - 7));
    const r = await start();
    assertEquals(r.code, 1);
    assert(r.out.includes(wal.key), r.out);
    await store.put(wal.key, saved);
  });
});
