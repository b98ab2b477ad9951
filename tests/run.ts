/**
 * The test runner behind `deno task test`: starts the shared real parts once per run (a Ceph RGW
 * S3 server on loopback), runs `deno test` with their addresses in the environment, and stops
 * them by PID afterwards, whatever happened.
 *
 * Environment it sets for the tests (see `tests/_s3.ts`):
 * - `T4_TEST_S3_ENDPOINT`, `T4_TEST_S3_ACCESS_KEY`, `T4_TEST_S3_SECRET_KEY`: the RGW server.
 *
 * Set `T4_TEST_SKIP_S3=1` to run without RGW (on a machine without the Ceph packages); tests that
 * need S3 are then reported as ignored, never as passed. CI never sets it.
 *
 * Usage: `deno run -A tests/run.ts [deno test args…]` (default: the whole suite, in parallel).
 *
 * @module
 */

import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const RGW_SCRIPT = `${ROOT}scripts/rgw.sh`;

interface Rgw {
  dir: string;
  endpoint: string;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

async function startRgw(): Promise<Rgw> {
  const dir = await Deno.makeTempDir({ prefix: "t4-rgw-" });
  const port = freePort();
  const monPort = freePort();
  const started = performance.now();
  const { code, stdout, stderr } = await new Deno.Command("bash", {
    args: [RGW_SCRIPT, "up", dir, String(port), String(monPort)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    const text = new TextDecoder().decode(stderr) + new TextDecoder().decode(stdout);
    await stopRgw({ dir, endpoint: "" });
    throw new Error(
      `Cannot start Ceph RGW for the S3 tests (scripts/rgw.sh exited ${code}):\n${text.trim()}\n` +
        `Install the packages (apt-get install ceph-mon ceph-osd radosgw) or set T4_TEST_SKIP_S3=1.`,
    );
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.error(`tests/run.ts: RGW up on http://127.0.0.1:${port} in ${seconds} s`);
  return { dir, endpoint: `http://127.0.0.1:${port}` };
}

async function stopRgw(rgw: Rgw): Promise<void> {
  await new Deno.Command("bash", { args: [RGW_SCRIPT, "down", rgw.dir] }).output().catch(() => {});
  await Deno.remove(rgw.dir, { recursive: true }).catch(() => {});
}

/** Source files (not tests) whose JSDoc holds a ```ts example. */
async function filesWithExamples(): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(`${ROOT}${dir}`)) {
      const path = dir ? `${dir}/${e.name}` : e.name;
      if (e.isDirectory && !["node_modules", "wasm", ".git", "dist", ".data"].includes(e.name)) {
        await walk(path);
      } else if (e.isFile && path.endsWith(".ts") && !path.endsWith("_test.ts")) {
        const text = await Deno.readTextFile(`${ROOT}${path}`);
        if (/^ \* ```ts\s*$/m.test(text)) out.push(path);
      }
    }
  };
  await walk("src");
  out.push("mod.ts", "docs/library.md");
  return out.sort();
}

async function main(): Promise<number> {
  const args = Deno.args.length > 0 ? Deno.args : ["--parallel"];
  const env: Record<string, string> = {};
  let rgw: Rgw | undefined;
  const skipS3 = Deno.env.get("T4_TEST_SKIP_S3") === "1";
  const haveScript = await Deno.stat(RGW_SCRIPT).then(() => true, () => false);
  if (!skipS3 && haveScript) {
    rgw = await startRgw();
    env.T4_TEST_S3_ENDPOINT = rgw.endpoint;
    env.T4_TEST_S3_ACCESS_KEY = "test";
    env.T4_TEST_S3_SECRET_KEY = "testsecret";
  }
  const stop = () => rgw && stopRgw(rgw);
  const onSignal = () => void stop()?.then(() => Deno.exit(130));
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["test", "-A", ...args],
      cwd: ROOT,
      env,
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    const status = await child.status;
    if (status.code !== 0 || Deno.args.length > 0) return status.code;
    // The library's documented examples (JSDoc @example blocks) run as tests too.
    const docs = await new Deno.Command(Deno.execPath(), {
      args: ["test", "-A", "--doc", ...await filesWithExamples()],
      cwd: ROOT,
      env,
      stdout: "inherit",
      stderr: "inherit",
    }).spawn().status;
    return docs.code;
  } finally {
    await stop();
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (err: unknown) {
    console.error(err instanceof Error ? err.message : String(err));
    Deno.exit(1);
  }
}
