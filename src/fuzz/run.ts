/**
 * `deno task fuzz`: runs the fuzz targets for longer than CI does.
 *
 * ```sh
 * deno task fuzz --seconds 60                      # every target for 60 s, a time-derived seed
 * deno task fuzz --seconds 600 --target wal-segment
 * deno task fuzz --target hpack --seed 1234 --inputs 5001   # replays a reported input exactly
 * deno task fuzz --list
 * ```
 *
 * Prints one line per target and every failure with what it takes to reproduce it; exits 1
 * when any target failed.
 *
 * @module
 */

import { describeFailure, fromHex, type FuzzReport } from "./harness.ts";
import { FuzzRunner } from "./runner.ts";
import { TARGETS } from "./targets.ts";

/** Parsed command line of `deno task fuzz`. */
export interface FuzzArgs {
  seconds: number;
  targets: string[];
  seed: number;
  inputs?: number;
  /** One input to run (hex), as a failure report prints it. */
  input?: Uint8Array;
  slowMs: number;
  list: boolean;
}

const USAGE = "usage: deno task fuzz [--seconds N] [--target NAME]... [--seed S] " +
  "[--inputs N] [--input HEX] [--slow-ms MS] [--list]";

/** Parses `args`; throws with the usage line on a bad flag. */
export function parseFuzzArgs(args: readonly string[]): FuzzArgs {
  const out: FuzzArgs = {
    seconds: 10,
    targets: [],
    seed: (Date.now() ^ (performance.now() * 1000)) >>> 0,
    slowMs: 1000,
    list: false,
  };
  const number = (flag: string, v: string | undefined) => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < 0) {
      throw new Error(`${flag} needs a number\n${USAGE}`);
    }
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i]!.split("=", 2) as [string, string | undefined];
    const value = () => inline ?? args[++i];
    switch (flag) {
      case "--seconds":
        out.seconds = number(flag, value());
        break;
      case "--target":
        out.targets.push(...(value() ?? "").split(",").filter((s) => s !== ""));
        break;
      case "--seed":
        out.seed = number(flag, value()) >>> 0;
        break;
      case "--inputs":
        out.inputs = Math.floor(number(flag, value()));
        break;
      case "--input": {
        const hex = value() ?? "";
        if (!/^([0-9a-f]{2})*$/i.test(hex)) throw new Error(`--input needs hex bytes\n${USAGE}`);
        out.input = fromHex(hex);
        break;
      }
      case "--slow-ms":
        out.slowMs = number(flag, value());
        break;
      case "--list":
        out.list = true;
        break;
      case "--help":
      case "-h":
        throw new Error(USAGE);
      default:
        throw new Error(`unknown flag ${flag}\n${USAGE}`);
    }
  }
  const names = new Set(TARGETS.map((t) => t.name));
  for (const t of out.targets) {
    if (!names.has(t)) throw new Error(`no fuzz target named "${t}"; --list shows them`);
  }
  return out;
}

/** One line about a report. */
export function summarize(r: FuzzReport): string {
  const verdict = r.failures.length === 0 ? "ok" : `${r.failures.length} FAILED`;
  return `${r.target.padEnd(21)} ${String(r.inputs).padStart(8)} inputs ` +
    `(${r.accepted} accepted, ${r.refused} refused) in ${(r.ms / 1000).toFixed(1)} s, ` +
    `slowest ${r.slowestMs.toFixed(1)} ms, most allocated ${
      (r.maxAllocBytes / 2 ** 20).toFixed(1)
    } MiB: ` +
    verdict;
}

async function main(args: readonly string[]): Promise<number> {
  const a = parseFuzzArgs(args);
  if (a.list) {
    for (const t of TARGETS) console.log(`${t.name.padEnd(21)} ${t.description}`);
    return 0;
  }
  const names = a.targets.length > 0 ? a.targets : TARGETS.map((t) => t.name);
  console.log(
    `fuzzing ${names.length} targets, seed ${a.seed}, ${a.inputs ?? `${a.seconds} s`} each`,
  );
  let failed = 0;
  using runner = new FuzzRunner();
  for (const name of names) {
    const r = await runner.run(name, {
      seed: a.seed,
      seconds: a.seconds,
      slowMs: a.slowMs,
      ...(a.inputs === undefined ? {} : { inputs: a.inputs }),
      ...(a.input === undefined ? {} : { only: a.input }),
    });
    console.log(summarize(r));
    for (const f of r.failures) console.log(describeFailure(f));
    failed += r.failures.length;
  }
  return failed === 0 ? 0 : 1;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (err: unknown) {
    console.error(err instanceof Error ? err.message : String(err));
    Deno.exit(2);
  }
}
