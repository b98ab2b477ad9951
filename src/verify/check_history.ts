/**
 * Checks a saved history offline and prints one line:
 * `verdict: linearizable (N ops, W watch events)`, `verdict: VIOLATION …` or
 * `verdict: UNKNOWN …`. Exit status 0, 1 and 2 respectively (2 also for bad usage).
 *
 * ```sh
 * deno run --allow-read src/verify/check_history.ts history.json
 * deno run --allow-read src/verify/check_history.ts --timeout-ms 60000 history.json
 * ```
 *
 * Flags: `--timeout-ms N` (default 10000), `--unknown-window-ms N` (default 60000; how long
 * after its client gave up an unknown-outcome write may still take effect),
 * `--ignore-read-header-revision`,
 * `--exclude-serializable`, `--no-session-guarantees` (see `CheckHistoryOptions`).
 *
 * @module
 */

import { loadHistory } from "./history_json.ts";
import { summarize, verifyHistory, type VerifyOptions } from "./verify.ts";

const USAGE = "usage: check_history.ts [--timeout-ms N] [--unknown-window-ms N] " +
  "[--ignore-read-header-revision] " +
  "[--exclude-serializable] [--no-session-guarantees] history.json";

/** Parses the command line; returns the file and options, or a usage error message. */
export function parseArgs(args: string[]): { path: string; options: VerifyOptions } | string {
  const options: VerifyOptions = {};
  let path: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--timeout-ms") {
      const ms = Number(args[++i]);
      if (!Number.isFinite(ms) || ms <= 0) return `--timeout-ms needs a positive number\n${USAGE}`;
      options.timeoutMs = ms;
    } else if (a === "--unknown-window-ms") {
      const ms = Number(args[++i]);
      if (!(ms >= 0)) return `--unknown-window-ms needs a number ≥ 0 (or Infinity)\n${USAGE}`;
      options.unknownEffectWindowMs = ms;
    } else if (a === "--ignore-read-header-revision") options.ignoreReadHeaderRevision = true;
    else if (a === "--exclude-serializable") options.serializable = "exclude";
    else if (a === "--no-session-guarantees") options.sessionGuarantees = false;
    else if (a.startsWith("-") || path !== undefined) return USAGE;
    else path = a;
  }
  return path === undefined ? USAGE : { path, options };
}

/** Runs the check for `args`; returns the exit status. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseArgs(args);
  if (typeof parsed === "string") {
    console.error(parsed);
    return 2;
  }
  const history = await loadHistory(parsed.path);
  const report = verifyHistory(history, parsed.options);
  console.log(summarize(history, report));
  if (report.kv.verdict === "unknown") return 2;
  return report.kv.verdict === "violation" || (report.watch?.length ?? 0) > 0 ? 1 : 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (err: unknown) {
    console.error(err instanceof Error ? err.message : String(err));
    Deno.exit(2);
  }
}
