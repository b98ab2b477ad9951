/**
 * `t4 migrate` end to end: a real etcd 3.4 (its own temp data dir, 127.0.0.1, stopped by PID) as
 * the source, real T4 servers (`cli.ts run`) as targets, and the migration as a real subprocess
 * (`deno run -A cli.ts migrate …`) while the test keeps writing to the etcd. Checks that the
 * target holds exactly the source at the snapshot revision the migration reports (all keys, or
 * one prefix), the leases (IDs, keys), the count check line, the exit codes, the refusal of a
 * non-empty target, a dry run, a failed verification, and the one line for an unreachable source.
 *
 * @module
 */

import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { b, EtcdTestClient } from "./_etcd_client.ts";
import { freePort, startServer } from "./_server.ts";
import * as pb from "../src/server/pb/mod.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;
const KEYS_UNDER_PREFIX = 2000;
const KEYS_ELSEWHERE = 1000;
const LEASES = 5;
const KEYS_PER_LEASE = 40;
const PREFIX = "/registry/";

/** A running etcd 3.4 child process. */
interface TestEtcd extends AsyncDisposable {
  endpoint: string;
  pid: number;
  log(): string;
}

async function startEtcd(): Promise<TestEtcd> {
  const dir = await Deno.makeTempDir({ prefix: "t4-migrate-etcd-" });
  const client = freePort();
  const peer = freePort();
  const child = new Deno.Command("etcd", {
    args: [
      "--name=migrate-test",
      `--data-dir=${dir}/data`,
      `--listen-client-urls=http://127.0.0.1:${client}`,
      `--advertise-client-urls=http://127.0.0.1:${client}`,
      `--listen-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-cluster=migrate-test=http://127.0.0.1:${peer}`,
      "--logger=zap",
      "--log-level=error",
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let log = "";
  const pump = (async () => {
    const d = new TextDecoder();
    for await (const chunk of child.stderr) log += d.decode(chunk, { stream: true });
  })();
  let exited = false;
  const status = child.status.finally(() => exited = true);
  const endpoint = `127.0.0.1:${client}`;
  const stop = async () => {
    if (!exited) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => !exited && child.kill("SIGKILL"), 10_000);
      await status;
      clearTimeout(timer);
    }
    await pump;
    await Deno.remove(dir, { recursive: true });
  };
  using probe = new EtcdTestClient(endpoint);
  for (const deadline = Date.now() + 20_000;;) {
    if (exited) throw new Error(`etcd exited before it was ready:\n${log}`);
    try {
      await probe.range({ key: b("probe") });
      break;
    } catch (err: unknown) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`etcd did not become ready in 20 s: ${err}\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { endpoint, pid: child.pid, log: () => log, [Symbol.asyncDispose]: stop };
}

/** A small deterministic PRNG (mulberry32), so failures can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function bytes(rand: () => number, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
}

function put(key: Uint8Array, value: Uint8Array, lease = 0n): pb.PartialMessage<pb.RequestOp> {
  return { request: { case: "requestPut", value: { key, value, lease } } };
}

/** Loads the etcd: binary-ish values, a prefix and elsewhere, some keys on leases. */
async function load(etcd: EtcdTestClient): Promise<bigint[]> {
  const rand = random(7);
  const leases: bigint[] = [];
  for (let i = 0; i < LEASES; i++) {
    const res = pb.decodeLeaseGrantResponse(
      await etcd.raw.unary(
        "/etcdserverpb.Lease/LeaseGrant",
        pb.encodeLeaseGrantRequest({ TTL: 600 }),
      ),
    );
    leases.push(res.ID);
  }
  const ops: pb.PartialMessage<pb.RequestOp>[] = [];
  for (let i = 0; i < KEYS_UNDER_PREFIX + KEYS_ELSEWHERE; i++) {
    const base = i < KEYS_UNDER_PREFIX ? `${PREFIX}pods/ns-${i % 17}/pod-${i}` : `/other/${i}`;
    // a few keys with bytes that are not UTF-8 text
    const key = i % 250 === 0 ? new Uint8Array([...b(base), 0xff, 0x00, 0x80]) : b(base);
    const lease = i % 3 === 0 && i / 3 < LEASES * KEYS_PER_LEASE ? leases[(i / 3) % LEASES]! : 0n;
    ops.push(put(key, bytes(rand, Math.floor(rand() * 1500)), lease));
  }
  for (let i = 0; i < ops.length; i += 100) await etcd.txn({ success: ops.slice(i, i + 100) });
  // some history: overwrites and deletes before the migration
  for (let i = 0; i < 50; i++) await etcd.put(`${PREFIX}pods/ns-${i % 17}/pod-${i}`, `v2-${i}`);
  await etcd.del({ key: b(`/other/${KEYS_UNDER_PREFIX + 1}`) });
  return leases;
}

/** Writes to the etcd until `stop` is set (bounded: at most 3000 ops or 60 s). */
async function keepWriting(etcd: EtcdTestClient, stop: { done: boolean }): Promise<number> {
  const rand = random(11);
  const deadline = Date.now() + 60_000;
  let n = 0;
  for (; n < 3000 && !stop.done && Date.now() < deadline; n++) {
    const i = Math.floor(rand() * KEYS_UNDER_PREFIX);
    if (n % 5 === 4) await etcd.del({ key: b(`${PREFIX}pods/ns-${i % 17}/pod-${i}`) });
    else if (n % 2 === 0) await etcd.put(`${PREFIX}new/${n}`, `during-${n}`);
    else await etcd.put(`${PREFIX}pods/ns-${i % 17}/pod-${i}`, `changed-${n}`);
  }
  return n;
}

/** Runs `cli.ts migrate` as a subprocess (killed by PID after 120 s). */
async function migrate(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, "migrate", ...args],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
  const out = await child.output();
  clearTimeout(timer);
  const d = new TextDecoder();
  return { code: out.code, out: d.decode(out.stdout), err: d.decode(out.stderr) };
}

const hex = (u: Uint8Array) => Array.from(u, (x) => x.toString(16).padStart(2, "0")).join("");

/** Every key of a range as hex key → hex value and lease, at `revision` (0: current). */
async function snapshot(
  client: EtcdTestClient,
  revision = 0,
  prefix = "",
): Promise<Map<string, { value: string; lease: bigint }>> {
  const key = prefix ? b(prefix) : new Uint8Array([0]);
  const rangeEnd = prefix ? b(prefix.slice(0, -1) + "0") : new Uint8Array([0]); // "/" + 1 = "0"
  const res = await client.range({ key, rangeEnd, revision });
  return new Map(res.kvs.map((kv) => [hex(kv.key), { value: hex(kv.value), lease: kv.lease }]));
}

function revisionOf(out: string): number {
  const m = /at revision (\d+)/.exec(out);
  assert(m, `no snapshot revision in:\n${out}`);
  return Number(m[1]);
}

async function timeToLive(client: EtcdTestClient, id: bigint): Promise<pb.LeaseTimeToLiveResponse> {
  const req = pb.encodeLeaseTimeToLiveRequest({ ID: id, keys: true });
  return pb.decodeLeaseTimeToLiveResponse(
    await client.raw.unary("/etcdserverpb.Lease/LeaseTimeToLive", req),
  );
}

Deno.test("t4 migrate copies a live etcd 3.4 into T4 at one revision", async (t) => {
  await using etcdServer = await startEtcd();
  using etcd = new EtcdTestClient(etcdServer.endpoint);
  const leases = await load(etcd);
  const from = `http://${etcdServer.endpoint}`;

  await t.step("everything, with leases, while the source keeps changing", async () => {
    await using t4 = await startServer();
    using target = new EtcdTestClient(t4.endpoint);
    const stop = { done: false };
    const writer = keepWriting(etcd, stop);
    const run = await migrate(["--from", from, "--to", t4.endpoint, "--with-leases"]);
    stop.done = true;
    const writes = await writer;
    assertEquals(run.code, 0, `${run.out}\n${run.err}`);
    const revision = revisionOf(run.out);
    const want = await snapshot(etcd, revision);
    assert((await etcd.status()).header!.revision > revision, "no write landed after the snapshot");
    assertMatch(
      run.out,
      new RegExp(
        `count check: OK: source had ${want.size} keys at revision ${revision}, ` +
          `read ${want.size}, wrote ${want.size}`,
      ),
    );
    assertMatch(run.out, /verify: OK: .*0 missing, 0 different, 0 wrong lease, 0 extra/);
    assertMatch(run.out, new RegExp(`leases: ${LEASES} granted`));
    const got = await snapshot(target);
    assertEquals(got.size, want.size);
    for (const [key, kv] of want) assertEquals(got.get(key), kv, `key ${key}`);
    for (const id of leases) {
      const [src, dst] = [await timeToLive(etcd, id), await timeToLive(target, id)];
      assertEquals(dst.ID, id);
      assert(dst.TTL > 500 && dst.TTL <= 600, `TTL ${dst.TTL}`);
      const attachedAtR = [...want].filter(([, kv]) => kv.lease === id).map(([k]) => k).sort();
      assertEquals(dst.keys.map(hex).sort(), attachedAtR);
      assert(src.keys.length > 0);
    }
    const rate = /copied \d+ keys \([\d.]+ MiB\) in [\d.]+ s, (\d+) keys\/s/.exec(run.out)?.[1];
    console.log(`migrated ${want.size} keys at ${rate} keys/s with ${writes} concurrent writes`);

    // a second run into the same target is refused, and writes nothing
    const before = (await target.status()).header!.revision;
    const again = await migrate(["--from", from, "--to", t4.endpoint]);
    assertEquals(again.code, 1, again.err);
    assertMatch(again.err.trim(), /^t4 migrate: target .* already holds \d+ keys .*--force/);
    assertEquals(again.err.trim().split("\n").length, 1, again.err);
    assertEquals((await target.status()).header!.revision, before);
  });

  await t.step("one prefix, without leases; a changed target fails verification", async () => {
    await using t4 = await startServer();
    using target = new EtcdTestClient(t4.endpoint);
    const run = await migrate([
      "--from",
      from,
      "--to",
      t4.endpoint,
      "--prefix",
      PREFIX,
      "--batch",
      "77",
    ]);
    assertEquals(run.code, 0, `${run.out}\n${run.err}`);
    const want = await snapshot(etcd, revisionOf(run.out), PREFIX);
    assertMatch(run.out, new RegExp(`count check: OK: source had ${want.size} keys`));
    assertMatch(run.out, /leases: not migrated: keys were copied without leases \(\d+ of them/);
    const got = await snapshot(target);
    assertEquals(got.size, want.size);
    for (const [key, kv] of want) assertEquals(got.get(key), { value: kv.value, lease: 0n });

    // nothing on the source changes now, so --verify-only compares like for like
    await target.put(`${PREFIX}pods/ns-3/pod-3`, "tampered");
    const check = await migrate([
      "--from",
      from,
      "--to",
      t4.endpoint,
      "--prefix",
      PREFIX,
      "--verify-only",
    ]);
    assertEquals(check.code, 2, `${check.out}\n${check.err}`);
    assertMatch(check.out, /verify: FAILED: .*1 different/);
    assertMatch(check.out, /different value: "\/registry\/pods\/ns-3\/pod-3"/);
  });

  await t.step("a 3 s lease stays alive on the target through a slow copy", async () => {
    const grant = await etcd.raw.unary(
      "/etcdserverpb.Lease/LeaseGrant",
      pb.encodeLeaseGrantRequest({ TTL: 3 }),
    );
    const id = pb.decodeLeaseGrantResponse(grant).ID;
    const ops = Array.from(
      { length: 1500 },
      (_, i) => put(b(`/short/${i}`), b("x"), i % 2 ? id : 0n),
    );
    for (let i = 0; i < ops.length; i += 100) await etcd.txn({ success: ops.slice(i, i + 100) });
    // the owner keeps it alive on the source, as kube-apiserver does its master leases
    const owner = etcd.raw.stream("/etcdserverpb.Lease/LeaseKeepAlive");
    owner.onMessage(() => {});
    const renew = setInterval(() => owner.write(pb.encodeLeaseKeepAliveRequest({ ID: id })), 500);
    try {
      await using t4 = await startServer();
      const args = ["--prefix", "/short/", "--with-leases", "--batch", "4"];
      const run = await migrate(["--from", from, "--to", t4.endpoint, ...args]);
      assertEquals(run.code, 0, `${run.out}\n${run.err}`);
      assertMatch(run.out, /leases: 1 granted .* 750 keys attached/);
      assertMatch(run.out, /verify: OK: 1500 source keys, 1500 target keys; .* 0 wrong lease/);
    } finally {
      clearInterval(renew);
      owner.cancel();
      await owner.done;
    }
  });

  await t.step("a dry run writes nothing", async () => {
    await using t4 = await startServer();
    using target = new EtcdTestClient(t4.endpoint);
    const run = await migrate(["--from", from, "--to", t4.endpoint, "--dry-run", "--with-leases"]);
    assertEquals(run.code, 0, `${run.out}\n${run.err}`);
    assertMatch(run.out, /read \(dry run: nothing written\) \d+ keys/);
    assertEquals(
      (await target.range({
        key: new Uint8Array([0]),
        rangeEnd: new Uint8Array([0]),
        countOnly: true,
      })).count,
      0,
    );
  });

  await t.step("an unreachable source is one line with the gRPC code", async () => {
    await using t4 = await startServer();
    const run = await migrate(["--from", `127.0.0.1:${freePort()}`, "--to", t4.endpoint]);
    assertEquals(run.code, 1);
    const lines = run.err.trim().split("\n");
    assertEquals(lines.length, 1, run.err);
    assertMatch(
      lines[0]!,
      /^t4 migrate: source 127\.0\.0\.1:\d+: \S+ failed: rpc error: code = Unavailable desc = /,
    );
    assertEquals(run.out, "");
  });
});
