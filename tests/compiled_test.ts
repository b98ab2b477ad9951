/**
 * The compiled binary: builds `dist/t4` once (`deno task compile`, when it is missing or older
 * than the sources; bounded at 5 minutes), then runs `dist/t4 --help`, `dist/t4 run --help` and a
 * real server (`dist/t4 run` on 127.0.0.1, stopped by PID) driven by etcdctl: put, get, watch and
 * leases. That the server works from inside the binary shows the engine found its wasm in the
 * binary's embedded files.
 *
 * The same etcdctl session also runs against `deno run` with exactly the permission flags the
 * compile task bakes in, so a permission the binary lacks shows up even where the binary cannot
 * be built: `deno compile` downloads its base runtime (denort) on first use, and a machine that
 * cannot reach the download gets this test reported as ignored (with the reason), never passed.
 * `DENORT_BIN=/path/to/denort` builds offline.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { etcdctl, freePort } from "./_server.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BINARY = `${ROOT}dist/t4`;
const COMPILE_TIMEOUT_MS = 300_000;

/** The `deno compile` command of the `compile` task, and the permission flags in it. */
async function compileTask(): Promise<{ task: string; permissions: string[] }> {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  const task: string = config.tasks.compile;
  return { task, permissions: task.split(/\s+/).filter((f) => f.startsWith("--allow-")) };
}

/** The newest modification time of the files the binary is built from. */
async function newestSource(): Promise<number> {
  let newest = 0;
  const visit = async (path: string) => {
    const info = await Deno.stat(path);
    if (info.isDirectory) {
      for await (const entry of Deno.readDir(path)) {
        if (entry.isDirectory || entry.name.endsWith(".ts")) await visit(`${path}/${entry.name}`);
      }
    } else newest = Math.max(newest, info.mtime?.getTime() ?? 0);
  };
  for (const path of ["cli.ts", "mod.ts", "deno.json", "deno.lock", "src", "wasm/engine.c"]) {
    await visit(`${ROOT}${path}`);
  }
  return newest;
}

/** Builds `dist/t4` if needed; the reason when it cannot be built on this machine. */
async function ensureBinary(): Promise<string | undefined> {
  const built = await Deno.stat(BINARY).then((s) => s.mtime?.getTime() ?? 0, () => 0);
  if (built > 0 && built >= await newestSource()) return undefined;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "compile"],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), COMPILE_TIMEOUT_MS);
  const out = await child.output();
  clearTimeout(timer);
  if (out.success) return undefined;
  const text = new TextDecoder().decode(out.stderr);
  if (/Setting up base binary/.test(text)) {
    for await (const e of Deno.readDir(`${ROOT}dist`)) {
      if (e.name.startsWith("t4.tmp-")) await Deno.remove(`${ROOT}dist/${e.name}`);
    }
    const why = text.split("\n").find((l) => /error sending request|Could not find/.test(l));
    const cause = why?.trim().replace(/^\d+: /, "") ?? "no cause";
    return `deno compile cannot get its base runtime (denort) here: ${cause}`;
  }
  throw new Error(`deno task compile failed (exit ${out.code}):\n${text}`);
}

/** Starts a T4 server from `command` and waits for it; stops it by PID on dispose. */
async function startT4(command: string, args: string[]) {
  const dataDir = await Deno.makeTempDir({ prefix: "t4-compiled-" });
  const port = freePort();
  const child = new Deno.Command(command, {
    args: [
      ...args,
      "run",
      "--data-dir",
      dataDir,
      "--listen",
      `127.0.0.1:${port}`,
      "--metrics-addr",
      "",
    ],
    cwd: dataDir, // nothing may depend on the project directory
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
  const stop = async () => {
    if (!exited) child.kill("SIGTERM");
    const timer = setTimeout(() => !exited && child.kill("SIGKILL"), 10_000);
    const { code } = await status;
    clearTimeout(timer);
    await pump;
    await Deno.remove(dataDir, { recursive: true });
    return code;
  };
  for (const deadline = Date.now() + 30_000; !log.includes("serving etcd v3 API");) {
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(`${command} run did not start:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { endpoint: `127.0.0.1:${port}`, pid: child.pid, log: () => log, stop };
}

/** put/get, a watch that sees a put, and a lease's life, all through etcdctl. */
async function driveWithEtcdctl(endpoint: string): Promise<void> {
  assertEquals(await etcdctl(endpoint, ["put", "greeting", "hello"]), { code: 0, out: "OK\n" });
  assertEquals(await etcdctl(endpoint, ["get", "greeting"]), { code: 0, out: "greeting\nhello\n" });

  const watch = new Deno.Command("etcdctl", {
    args: [`--endpoints=${endpoint}`, "watch", "watched"],
    env: { ETCDCTL_API: "3" },
    stdout: "piped",
    stderr: "null",
  }).spawn();
  let seen = "";
  const reader = (async () => {
    const d = new TextDecoder();
    for await (const chunk of watch.stdout) {
      seen += d.decode(chunk, { stream: true });
      if (seen.includes("PUT\nwatched\nnow\n")) break;
    }
  })();
  for (let i = 0; i < 50 && !seen.includes("PUT\nwatched\nnow\n"); i++) {
    await etcdctl(endpoint, ["put", "watched", "now"]);
    await Promise.race([reader, new Promise((r) => setTimeout(r, 200))]);
  }
  watch.kill("SIGTERM");
  await watch.status;
  await reader.catch(() => {});
  assertMatch(seen, /PUT\nwatched\nnow\n/);

  const grant = await etcdctl(endpoint, ["lease", "grant", "60"]);
  const id = /lease ([0-9a-f]+) granted with TTL\(60s\)/.exec(grant.out)?.[1];
  assert(id, grant.out);
  assertEquals((await etcdctl(endpoint, ["put", "leased", "v", `--lease=${id}`])).code, 0);
  const ttl = await etcdctl(endpoint, ["lease", "timetolive", id, "--keys"]);
  assertMatch(
    ttl.out,
    new RegExp(
      `lease ${id} granted with TTL\\(60s\\), remaining\\(\\d+s\\), attached keys\\(\\[leased\\]\\)`,
    ),
  );
  assertEquals((await etcdctl(endpoint, ["lease", "revoke", id])).code, 0);
  assertEquals(await etcdctl(endpoint, ["get", "leased"]), { code: 0, out: "" });
}

const { permissions } = await compileTask();
const notBuilt = await ensureBinary();
if (notBuilt) console.warn(`compiled_test.ts: dist/t4 tests ignored: ${notBuilt}`);

Deno.test("t4 run serves etcdctl with only the permissions the compile task bakes in", async () => {
  assert(permissions.includes("--allow-sys=hostname"), permissions.join(" "));
  const t4 = await startT4(Deno.execPath(), ["run", ...permissions, `${ROOT}cli.ts`]);
  try {
    await driveWithEtcdctl(t4.endpoint);
  } finally {
    assertEquals(await t4.stop(), 0, t4.log());
  }
  assert(!/missing permission|NotCapable/.test(t4.log()), t4.log());
});

Deno.test({
  name: "dist/t4 lists its commands and serves etcdctl with the engine inside",
  ignore: notBuilt !== undefined,
  async fn() {
    const help = await new Deno.Command(BINARY, { args: ["--help"], stdout: "piped" }).output();
    assertEquals(help.code, 0);
    const text = new TextDecoder().decode(help.stdout);
    for (const cmd of ["run", "migrate"]) assertMatch(text, new RegExp(`^  ${cmd}\\b`, "m"));
    const runHelp = await new Deno.Command(BINARY, { args: ["run", "--help"], stdout: "piped" })
      .output();
    assertEquals(runHelp.code, 0);
    assertMatch(new TextDecoder().decode(runHelp.stdout), /--data-dir/);

    const t4 = await startT4(BINARY, []);
    try {
      await driveWithEtcdctl(t4.endpoint);
    } finally {
      assertEquals(await t4.stop(), 0, t4.log());
    }
  },
});
