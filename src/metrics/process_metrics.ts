/**
 * Process metrics that are right under Deno, whatever permissions the server runs with.
 *
 * prom-client's `collectDefaultMetrics()` was written for Node. Under Deno 2 (checked on
 * 2.9.6, Linux), with the server's narrow permissions:
 *
 * - works, kept: `nodejs_eventloop_lag_*` (perf_hooks' event loop delay monitor),
 *   `nodejs_heap_size_total_bytes`, `nodejs_heap_size_used_bytes`,
 *   `nodejs_external_memory_bytes`, `nodejs_heap_space_size_{total,used,available}_bytes`.
 * - wrong, replaced by ours: `process_resident_memory_bytes`, `process_virtual_memory_bytes`
 *   and `process_open_fds` read `/proc` and report 0 when `--allow-read` does not cover it,
 *   and `process_max_fds` disappears; the `process_cpu_*_seconds_total` counters work but
 *   count from registration rather than process start; `process_start_time_seconds` is
 *   rounded to the second.
 * - dropped: `process_heap_bytes` (VmData, Linux-only, 0 without `/proc`),
 *   `nodejs_active_handles*` and `nodejs_active_requests*` (always 0: Deno has no libuv
 *   handles), `nodejs_active_resources*` (sees timers only; its `_total` gauge also fails
 *   promtool's lint), `nodejs_gc_duration_seconds` (Deno emits no `gc` performance entries,
 *   so it never has a sample), `nodejs_version_info` (reports Deno's Node-compat version).
 *
 * Ours: `process_resident_memory_bytes` (`Deno.memoryUsage().rss`, no permission),
 * `process_cpu_{user,system}_seconds_total` and `process_cpu_seconds_total` (since process
 * start: `/proc/self/stat` when readable, else `process.cpuUsage()`),
 * `process_start_time_seconds` (`performance.timeOrigin`), `deno_version_info`, and only when
 * `/proc` is readable: `process_virtual_memory_bytes`, `process_open_fds`, `process_max_fds`.
 * A metric without a trustworthy source is left out rather than reported as 0.
 *
 * @module
 */

import process from "node:process";
import { collectDefaultMetrics, Registry } from "prom-client";
import { counter, gauge } from "./_define.ts";

/** The prom-client default metrics that are correct under Deno, re-registered as they are. */
export const PROM_CLIENT_PROCESS_METRICS: readonly string[] = [
  "nodejs_eventloop_lag_seconds",
  "nodejs_eventloop_lag_min_seconds",
  "nodejs_eventloop_lag_max_seconds",
  "nodejs_eventloop_lag_mean_seconds",
  "nodejs_eventloop_lag_stddev_seconds",
  "nodejs_eventloop_lag_p50_seconds",
  "nodejs_eventloop_lag_p90_seconds",
  "nodejs_eventloop_lag_p99_seconds",
  "nodejs_heap_size_total_bytes",
  "nodejs_heap_size_used_bytes",
  "nodejs_external_memory_bytes",
  "nodejs_heap_space_size_total_bytes",
  "nodejs_heap_space_size_used_bytes",
  "nodejs_heap_space_size_available_bytes",
];

/** Which process metrics {@linkcode registerProcessMetrics} registered, by origin. */
export interface ProcessMetricsReport {
  /** Computed here from Deno APIs and `/proc`. */
  own: string[];
  /** Kept from prom-client's `collectDefaultMetrics()`. */
  promClient: string[];
}

/** Linux reports `/proc/<pid>/stat` times in clock ticks of 1/100 s (`USER_HZ`). */
const USER_HZ = 100;
/** Indexes into {@linkcode procStat}'s fields: `proc(5)` fields 14 (utime), 15 (stime), 23 (vsize). */
const UTIME = 11;
const STIME = 12;
const VSIZE = 20;

/** Registers the process metrics described in this module's doc on `registry`. */
export function registerProcessMetrics(registry: Registry): ProcessMetricsReport {
  const promClient = keepPromClientDefaults(registry);
  const before = new Set(registry.getMetricsAsArray().map((m) => m.name));
  registerOwnMetrics(registry);
  const own = registry.getMetricsAsArray().map((m) => m.name).filter((n) => !before.has(n));
  return { own, promClient };
}

/** Our replacements for prom-client's `process_*` metrics; see the module doc. */
function registerOwnMetrics(registry: Registry): void {
  const cpu = cpuReader(canRead("/proc/self/stat"));
  counter(registry, {
    name: "process_cpu_user_seconds_total",
    help: "Total user CPU time spent in seconds.",
    collect() {
      this.reset();
      this.inc(cpu().user);
    },
  });
  counter(registry, {
    name: "process_cpu_system_seconds_total",
    help: "Total system CPU time spent in seconds.",
    collect() {
      this.reset();
      this.inc(cpu().system);
    },
  });
  counter(registry, {
    name: "process_cpu_seconds_total",
    help: "Total user and system CPU time spent in seconds.",
    collect() {
      this.reset();
      this.inc(cpu().total);
    },
  });
  gauge(registry, {
    name: "process_start_time_seconds",
    help: "Start time of the process since unix epoch in seconds.",
  }).set(performance.timeOrigin / 1000);
  gauge(registry, {
    name: "process_resident_memory_bytes",
    help: "Resident memory size in bytes.",
    collect() {
      this.set(Deno.memoryUsage().rss);
    },
  });
  gauge(registry, {
    name: "deno_version_info",
    help: "Deno, V8 and TypeScript versions of the runtime; the value is always 1.",
    labelNames: ["version", "v8", "typescript"],
  }).set(
    { version: Deno.version.deno, v8: Deno.version.v8, typescript: Deno.version.typescript },
    1,
  );

  if (canRead("/proc/self/stat")) {
    gauge(registry, {
      name: "process_virtual_memory_bytes",
      help: "Virtual memory size in bytes.",
      collect() {
        this.set(Number(procStat()[VSIZE]));
      },
    });
  }
  if (canRead("/proc/self/fd")) {
    gauge(registry, {
      name: "process_open_fds",
      help: "Number of open file descriptors.",
      collect() {
        let n = 0;
        for (const _ of Deno.readDirSync("/proc/self/fd")) n++;
        this.set(n);
      },
    });
  }
  const maxFds = canRead("/proc/self/limits") ? readMaxFds() : undefined;
  if (maxFds !== undefined) {
    gauge(registry, { name: "process_max_fds", help: "Maximum number of open file descriptors." })
      .set(maxFds);
  }
}

/**
 * Runs `collectDefaultMetrics()` on a scratch registry and moves the metrics that are right
 * under Deno to `registry` (the others stay on the scratch registry, which nobody scrapes).
 */
function keepPromClientDefaults(registry: Registry): string[] {
  const scratch = new Registry();
  collectDefaultMetrics({ register: scratch });
  const kept: string[] = [];
  for (const name of PROM_CLIENT_PROCESS_METRICS) {
    const metric = scratch.getSingleMetric(name);
    if (metric === undefined) continue;
    registry.registerMetric(metric);
    kept.push(name);
  }
  return kept;
}

/** Whether `path` exists and this process may read it, asking no permission prompt. */
function canRead(path: string): boolean {
  if (Deno.build.os !== "linux") return false;
  if (Deno.permissions.querySync({ name: "read", path }).state !== "granted") return false;
  try {
    Deno.statSync(path);
    return true;
  } catch (_err: unknown) {
    return false;
  }
}

/** Fields of `/proc/self/stat` after the `(comm)` field: index 0 is field 3 (`state`). */
function procStat(): string[] {
  const text = Deno.readTextFileSync("/proc/self/stat");
  return text.slice(text.lastIndexOf(")") + 2).split(" ");
}

/**
 * A reader of the whole process's CPU time since it started, in seconds: `/proc/self/stat`
 * when readable (what Go's client reports), else `process.cpuUsage()`.
 */
function cpuReader(procStatReadable: boolean): () => CpuSeconds {
  return () => {
    if (procStatReadable) {
      try {
        const fields = procStat();
        return cpuSeconds(Number(fields[UTIME]), Number(fields[STIME]), USER_HZ);
      } catch (_err: unknown) {
        // A revoked permission: fall through to Node's API.
      }
    }
    const usage = process.cpuUsage();
    return cpuSeconds(usage.user, usage.system, 1e6);
  };
}

/** CPU time in seconds; `total` is summed in whole units, so 0.12 + 0.05 reads 0.17. */
interface CpuSeconds {
  user: number;
  system: number;
  total: number;
}

function cpuSeconds(user: number, system: number, perSecond: number): CpuSeconds {
  return { user: user / perSecond, system: system / perSecond, total: (user + system) / perSecond };
}

/** The soft limit on open files from `/proc/self/limits`, or undefined if unlimited/unknown. */
function readMaxFds(): number | undefined {
  try {
    const line = Deno.readTextFileSync("/proc/self/limits").split("\n")
      .find((l) => l.startsWith("Max open files"));
    const soft = Number(line?.slice("Max open files".length).trim().split(/\s+/)[0]);
    return Number.isFinite(soft) ? soft : undefined;
  } catch (_err: unknown) {
    return undefined;
  }
}
