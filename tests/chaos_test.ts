/**
 * Bounded chaos runs through the real CLI (`src/chaos/main.ts`, see `docs/chaos.md`): one node
 * and three nodes on the test run's RGW, random Kubernetes- and etcd-shaped traffic, a seeded
 * fault schedule, and the linearizability and watch checks of `src/verify` at the end. Each
 * run's output directory (history, node logs, timeline) is kept when it fails.
 *
 * `T4_CHAOS_SEED` overrides the fixed seeds (same fault plan, not the same history: timing
 * differs), `T4_CHAOS_SECONDS` the traffic time.
 */

import { assert } from "./_assert.ts";
import { s3Skipped } from "./_s3.ts";

const MAIN = new URL("../src/chaos/main.ts", import.meta.url).pathname;
const SECONDS = Deno.env.get("T4_CHAOS_SECONDS");
const SEED = Deno.env.get("T4_CHAOS_SEED");
/** The whole run (startup, traffic, recovery, check) must end within this. */
const RUN_LIMIT_MS = 300_000;

async function chaos(nodes: 1 | 3, seconds: number, seed: number): Promise<void> {
  const out = await Deno.makeTempDir({ prefix: `t4-chaos-test-${nodes}-` });
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN,
      "--seconds",
      SECONDS ?? String(seconds),
      "--nodes",
      String(nodes),
      "--seed",
      SEED ?? String(seed),
      "--out",
      out,
      "--check-timeout-s",
      "60",
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // SIGTERM lets the runner stop its nodes by PID before it exits
  const timer = setTimeout(() => child.kill("SIGTERM"), RUN_LIMIT_MS);
  const { code, stdout, stderr } = await child.output();
  clearTimeout(timer);
  const d = new TextDecoder();
  const verdict = d.decode(stdout).trim().split("\n").at(-1) ?? "";
  const log = d.decode(stderr);
  console.log(log.split("\n").filter((l) => !l.startsWith("  ")).slice(-12).join("\n"));
  console.log(verdict);
  assert(
    code === 0 && verdict.startsWith("verdict: linearizable ("),
    `chaos run exited ${code}: ${verdict}\n${log}\n(output kept in ${out})`,
  );
  await Deno.remove(out, { recursive: true });
}

Deno.test({
  name: "chaos: one node on S3 under kill -9, disk loss, S3 faults and pauses stays linearizable",
  ignore: s3Skipped,
  fn: () => chaos(1, 45, 105),
});

Deno.test({
  name:
    "chaos: three nodes under leader/follower kill -9, disk loss, partitions, S3 faults and pauses stay linearizable",
  ignore: s3Skipped,
  fn: () => chaos(3, 60, 206),
});
