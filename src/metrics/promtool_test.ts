import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { Registry } from "prom-client";
import { createMetrics } from "./mod.ts";
import { promtool, stripAnnotations, touchEveryMetric } from "./_testing.ts";

const ALERTS = new URL("../../docs/prometheus-alerts.yml", import.meta.url);
const ALERT_TESTS = new URL("./testdata/alerts_test.yml", import.meta.url);

/**
 * promtool lint findings we accept, each for a reason:
 * etcd publishes these two gauges with a `_total` suffix, and etcd dashboards query them by
 * that name (`etcd_debugging_mvcc_keys_total`, `etcd_debugging_mvcc_watcher_total`).
 * Anything else promtool reports (a counter without `_total`, a bad unit, a missing HELP)
 * fails the test and must be fixed in the metric.
 */
const ACCEPTED_LINTS = new Set([
  'etcd_debugging_mvcc_keys_total non-counter metrics should not have "_total" suffix',
  'etcd_debugging_mvcc_watcher_total non-counter metrics should not have "_total" suffix',
]);

Deno.test("createMetrics() exposition passes `promtool check metrics`", async () => {
  const registry = new Registry();
  createMetrics(registry);
  touchEveryMetric(registry);
  const exposition = await registry.metrics();

  const families = [...exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)];
  ok(families.length >= 80, `only ${families.length} metric families`);
  for (const [, name] of families) {
    ok(
      new RegExp(`^${name}(_bucket|_sum|_count)?[{ ]`, "m").test(exposition),
      `${name} has no sample`,
    );
  }

  const { code, output } = await promtool(["check", "metrics"], { stdin: exposition });
  const problems = output.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  deepStrictEqual(problems.filter((p) => !ACCEPTED_LINTS.has(p)), [], output);
  // promtool exits 3 for lint findings only; 0 if there are none; anything else is a parse error.
  ok(code === 0 || (code === 3 && problems.length > 0), `promtool exited ${code}: ${output}`);
});

Deno.test("docs/prometheus-alerts.yml passes `promtool check rules`", async () => {
  const { code, output } = await promtool(["check", "rules", ALERTS.pathname]);
  strictEqual(code, 0, output);
  ok(/SUCCESS: \d+ rules found/.test(output), output);
});

Deno.test("docs/prometheus-alerts.yml fires as testdata/alerts_test.yml expects", async () => {
  const dir = await Deno.makeTempDir({ prefix: "t4-alerts-" });
  try {
    await Deno.writeTextFile(
      `${dir}/prometheus-alerts.yml`,
      stripAnnotations(await Deno.readTextFile(ALERTS)),
    );
    await Deno.copyFile(ALERT_TESTS, `${dir}/alerts_test.yml`);
    const { code, output } = await promtool(["test", "rules", "alerts_test.yml"], { cwd: dir });
    strictEqual(code, 0, output);
    ok(output.includes("SUCCESS"), output);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("stripAnnotations() removes only annotation blocks", () => {
  const yaml = [
    "      - alert: A",
    "        expr: up == 0",
    "        labels:",
    "          severity: warning",
    "        annotations:",
    "          summary: down",
    "          description: >-",
    "            long text",
    "      - alert: B",
    "        expr: up == 1",
  ].join("\n");
  strictEqual(
    stripAnnotations(yaml),
    [
      "      - alert: A",
      "        expr: up == 0",
      "        labels:",
      "          severity: warning",
      "      - alert: B",
      "        expr: up == 1",
    ].join("\n"),
  );
});
