/**
 * The `t4` command line as a user runs it: help, flags and their `T4_*` variables, clear errors,
 * `inspect` on a stopped node's directory, and the exit code when the server cannot start.
 */

import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { open } from "../mod.ts";
import { startServer } from "./_server.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;

async function t4(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
}

Deno.test("t4 --help and t4 run --help list commands and every flag with its variable", async () => {
  const top = await t4(["--help"]);
  assertEquals(top.code, 0);
  assertMatch(top.stdout, /run\b/);
  assertMatch(top.stdout, /inspect\b/);
  const run = await t4(["run", "--help"]);
  assertEquals(run.code, 0);
  for (const flag of ["--data-dir", "--listen", "--s3-bucket", "--peer-listen", "--metrics-addr"]) {
    assert(run.stdout.includes(flag), `missing ${flag}`);
  }
  assert(run.stdout.includes("T4_DATA_DIR"), "variables are documented");
});

Deno.test("t4 run: bad values and pending features give one clear line, no stack trace", async (t) => {
  await t.step("a bad listen address", async () => {
    const r = await t4(["run", "--data-dir", "/tmp/never", "--listen", "nope"]);
    assertEquals(r.code, 1);
    assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
    assertMatch(r.stderr, /Invalid --listen "nope"/);
  });
  await t.step("a bad choice from the environment", async () => {
    const r = await t4(["run", "--data-dir", "/tmp/never"], { T4_LOG_LEVEL: "loud" });
    assertEquals(r.code, 1);
    assertMatch(r.stderr, /--log-level "loud"/);
  });
  await t.step("an unknown flag", async () => {
    const r = await t4(["run", "--no-such-flag"]);
    assertEquals(r.code, 128);
  });
});

Deno.test("t4 run reads T4_* variables, and a flag wins over its variable", async () => {
  const dir = await Deno.makeTempDir({ prefix: "t4-cli-" });
  try {
    await using server = await startServer({ dataDir: dir, env: { T4_NODE_ID: "from-env" } });
    const res = await fetch(`http://127.0.0.1:${server.metricsPort}/healthz`);
    assertEquals(res.status, 200);
    await res.body?.cancel();
    assert(server.log().includes("serving etcd v3 API"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("t4 run refuses a data directory another server holds", async () => {
  await using first = await startServer();
  const r = await t4([
    "run",
    "--data-dir",
    first.dataDir,
    "--listen",
    "127.0.0.1:0",
    "--metrics-addr",
    "",
  ]);
  assertEquals(r.code, 1);
  assertMatch(r.stderr, /another process holds its lock/);
});

Deno.test("t4 inspect shows a stopped node's directory", async () => {
  const dir = await Deno.makeTempDir({ prefix: "t4-inspect-" });
  try {
    {
      await using db = await open({ dataDir: dir });
      await db.put("a", "1");
      await db.put("a", "2");
      await db.put("b/x", "3");
      await db.delete("b/x");
    }
    const meta = await t4(["inspect", "meta", "--data-dir", dir, "--json"]);
    assertEquals(meta.code, 0, meta.stderr);
    const m = JSON.parse(meta.stdout);
    assertEquals([m.revision, m.keys], [5, 1]);
    const hist = await t4(["inspect", "history", "a", "--data-dir", dir]);
    assertEquals(hist.stdout.trim().split("\n"), ["rev 3 PUT v2 2", "rev 2 PUT v1 1"]);
    const get = await t4(["inspect", "get", "a", "--rev", "2", "--data-dir", dir]);
    assertEquals(get.stdout.trim(), "a\n1");
    const diff = await t4(["inspect", "diff", "--from-rev", "3", "--data-dir", dir]);
    assertEquals(diff.stdout.trim(), "");
    const diff2 = await t4(["inspect", "diff", "--from-rev", "4", "--data-dir", dir]);
    assertEquals(diff2.stdout.trim(), "deleted  b/x");
    const missing = await t4(["inspect", "get", "zzz", "--data-dir", dir]);
    assertEquals(missing.code, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
