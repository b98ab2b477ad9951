/**
 * `deno task chaos --seconds N [--nodes 1|3] [--seed S] [--out DIR]`: a chaos run against T4
 * on loopback (see `docs/chaos.md`). Prints progress and a summary to stderr and the verdict
 * line last to stdout.
 *
 * Exit codes: 0 linearizable; 1 violation (of KV linearizability or a watch guarantee);
 * 2 bad usage; 3 the checker could not decide (`verdict: UNKNOWN`); 4 the run itself failed;
 * 130 interrupted.
 *
 * @module
 */

import { FAULT_KINDS, type FaultKind } from "./faults.ts";
import { killAllNodesSync } from "./nodes.ts";
import { type ChaosOptions, runChaos } from "./runner.ts";
import { stopRgwSync } from "./s3.ts";

const USAGE = `usage: deno task chaos --seconds N [--nodes 1|3] [--seed S] [--out DIR]
  [--clients N] [--watchers N] [--faults kill,wipe,...] [--request-timeout-ms N]
  [--check-timeout-s N] [--log-level info|debug]
faults: ${FAULT_KINDS.join(", ")}`;

class UsageError extends Error {}

function parseArgs(args: string[]): Omit<ChaosOptions, "outDir"> & { outDir?: string } {
  const values = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "-h" || a === "--help") throw new UsageError("");
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new UsageError(`unexpected argument "${a}"`);
    const value = m[2] ?? args[++i];
    if (value === undefined) throw new UsageError(`--${m[1]} needs a value`);
    values.set(m[1]!, value);
  }
  const num = (name: string, fallback?: number): number | undefined => {
    const v = values.get(name);
    values.delete(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) {
      throw new UsageError(`--${name} must be a number, got "${v}"`);
    }
    return n;
  };
  const secondsArg = num("seconds");
  if (secondsArg === undefined || secondsArg <= 0) throw new UsageError("--seconds is required");
  const nodes = num("nodes", 1);
  if (nodes !== 1 && nodes !== 3) throw new UsageError("--nodes must be 1 or 3");
  const opts: Omit<ChaosOptions, "outDir"> & { outDir?: string } = {
    seconds: secondsArg,
    nodes,
    seed: num("seed") ?? Math.floor(Math.random() * 2 ** 31),
  };
  const clients = num("clients");
  if (clients !== undefined) opts.clients = clients;
  const watchers = num("watchers");
  if (watchers !== undefined) opts.watchers = watchers;
  const requestTimeout = num("request-timeout-ms");
  if (requestTimeout !== undefined) opts.requestTimeoutMs = requestTimeout;
  const checkTimeout = num("check-timeout-s");
  if (checkTimeout !== undefined) opts.checkTimeoutMs = checkTimeout * 1000;
  const out = values.get("out");
  values.delete("out");
  if (out !== undefined) opts.outDir = out;
  const level = values.get("log-level");
  values.delete("log-level");
  if (level !== undefined) opts.logLevel = level;
  const faults = values.get("faults");
  values.delete("faults");
  if (faults !== undefined) {
    const list = faults.split(",").filter((f) => f !== "");
    for (const f of list) {
      if (!(FAULT_KINDS as readonly string[]).includes(f)) {
        throw new UsageError(`unknown fault "${f}"`);
      }
    }
    opts.faults = list as FaultKind[];
  }
  const left = [...values.keys()];
  if (left.length > 0) throw new UsageError(`unknown option --${left[0]}`);
  return opts;
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs(Deno.args);
  } catch (err: unknown) {
    if (!(err instanceof UsageError)) throw err;
    if (err.message) console.error(`chaos: ${err.message}`);
    console.error(USAGE);
    return 2;
  }
  const outDir = parsed.outDir ?? await Deno.makeTempDir({ prefix: "t4-chaos-" });
  const abort = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts === 1) {
      console.error("chaos: interrupted; stopping every process, then checking what was recorded");
      abort.abort();
      return;
    }
    // a second Ctrl-C: stop everything now
    killAllNodesSync();
    stopRgwSync(`${outDir}/rgw`);
    Deno.exit(130);
  };
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  try {
    const result = await runChaos({ ...parsed, outDir, signal: abort.signal });
    console.error(result.summary.split("\n").slice(0, -1).join("\n"));
    console.log(result.line);
    if (interrupts > 0) return 130;
    return result.verdict === "linearizable" ? 0 : result.verdict === "unknown" ? 3 : 1;
  } catch (err: unknown) {
    if (interrupts > 0) {
      console.error("chaos: interrupted; everything stopped");
      return 130;
    }
    console.error(`chaos: the run failed: ${err instanceof Error ? err.stack : String(err)}`);
    return 4;
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
    killAllNodesSync(); // normally a no-op: the runner stopped its nodes
  }
}

if (import.meta.main) Deno.exit(await main());
