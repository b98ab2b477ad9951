import { deepStrictEqual, ok } from "node:assert/strict";
import { Registry } from "prom-client";
import { PROM_CLIENT_PROCESS_METRICS, registerProcessMetrics } from "./mod.ts";

/** Sample values of unlabelled metrics in `text`, by name. */
function samples(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const [, name, value] of text.matchAll(/^([a-z_]+) (\S+)$/gm)) {
    values.set(name!, Number(value));
  }
  return values;
}

Deno.test("registerProcessMetrics() reports our own and prom-client's metrics", () => {
  const registry = new Registry();
  const report = registerProcessMetrics(registry);
  deepStrictEqual(report.promClient, [...PROM_CLIENT_PROCESS_METRICS]);
  for (
    const name of [
      "process_cpu_user_seconds_total",
      "process_cpu_system_seconds_total",
      "process_cpu_seconds_total",
      "process_start_time_seconds",
      "process_resident_memory_bytes",
      "deno_version_info",
    ]
  ) ok(report.own.includes(name), name);

  const names = registry.getMetricsAsArray().map((m) => m.name);
  for (
    const dropped of [
      "process_heap_bytes",
      "nodejs_gc_duration_seconds",
      "nodejs_active_handles_total",
      "nodejs_active_resources_total",
      "nodejs_version_info",
    ]
  ) ok(!names.includes(dropped), dropped);
});

Deno.test("registerProcessMetrics() values are plausible", async () => {
  const registry = new Registry();
  const report = registerProcessMetrics(registry);
  const burnUntil = performance.now() + 50;
  while (performance.now() < burnUntil) Math.sqrt(Math.random());
  const values = samples(await registry.metrics());

  const rss = values.get("process_resident_memory_bytes") ?? 0;
  ok(rss > 10 * 1024 * 1024, `rss ${rss}`);
  // Since process start, not since registration: the runtime's startup alone costs CPU.
  const cpu = values.get("process_cpu_seconds_total") ?? 0;
  ok(cpu > 0.01, `cpu ${cpu}`);
  const sum = (values.get("process_cpu_user_seconds_total") ?? 0) +
    (values.get("process_cpu_system_seconds_total") ?? 0);
  ok(Math.abs(sum - cpu) < 0.02, `user + system ${sum} vs total ${cpu}`);
  const start = values.get("process_start_time_seconds") ?? 0;
  const uptime = Date.now() / 1000 - start;
  ok(uptime > 0 && uptime < 600, `started ${uptime} s ago`);
  if (report.own.includes("process_open_fds")) {
    ok((values.get("process_open_fds") ?? 0) >= 3, "stdin, stdout and stderr at least");
    ok((values.get("process_max_fds") ?? 0) >= (values.get("process_open_fds") ?? 0));
  }
});

Deno.test("registerProcessMetrics() without --allow-read reports no zeros from /proc", async () => {
  const child = new URL("./testdata/process_metrics_child.ts", import.meta.url);
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", child.pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  ok(code === 0, decoder.decode(stderr));
  const { own, samples } = JSON.parse(decoder.decode(stdout)) as {
    own: string[];
    samples: string[];
  };
  for (const name of ["process_open_fds", "process_max_fds", "process_virtual_memory_bytes"]) {
    ok(!own.includes(name), `${name} registered without a readable /proc`);
  }
  const rss = samples.find((line) => line.startsWith("process_resident_memory_bytes "));
  ok(rss && Number(rss.split(" ")[1]) > 0, `rss: ${rss}`);
  const cpu = samples.find((line) => line.startsWith("process_cpu_seconds_total "));
  ok(cpu && Number(cpu.split(" ")[1]) > 0, `cpu: ${cpu}`);
});
