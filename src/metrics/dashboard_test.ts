import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { Registry } from "prom-client";
import { createMetrics } from "./mod.ts";
import {
  metricNamesIn,
  type MetricShape,
  metricShapes,
  ruleExpressions,
  selectorsIn,
} from "./_testing.ts";

const DOCS = new URL("../../docs/", import.meta.url);
const SECTIONS = [
  "Cluster health",
  "Write performance",
  "Replication",
  "WAL and checkpoints",
  "Object store",
];
/** Alerts the work item asks for, by the name the rules file gives them. */
const REQUIRED_ALERTS = [
  "T4NoLeader",
  "T4MultipleLeaders",
  "T4WriteErrorRateHigh",
  "T4WriteLatencyP99High",
  "T4WalUploadErrors",
  "T4ObjectStoreErrorRateHigh",
  "T4ObjectStoreLatencyHigh",
  "T4FollowerLagHigh",
  "T4FollowerResyncs",
  "T4NodeFenced",
  "T4WalFsyncSlow",
];
/** Labels Prometheus adds to every scraped series. */
const TARGET_LABELS = ["job", "instance"];

interface Panel {
  type: string;
  title: string;
  id: number;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: { expr: string; datasource?: { uid: string } }[];
}

interface Dashboard {
  schemaVersion: number;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: unknown }[] };
}

const dashboard = JSON.parse(
  await Deno.readTextFile(new URL("grafana-dashboard.json", DOCS)),
) as Dashboard;
const alerts = ruleExpressions(await Deno.readTextFile(new URL("prometheus-alerts.yml", DOCS)));
const registry = new Registry();
createMetrics(registry);
const shapes = metricShapes(registry);

Deno.test("grafana-dashboard.json is a Grafana dashboard with the five sections", () => {
  ok(dashboard.schemaVersion >= 36, `schemaVersion ${dashboard.schemaVersion}`);
  const datasource = dashboard.templating.list.find((v) => v.name === "datasource");
  deepStrictEqual(
    datasource && { type: datasource.type, query: datasource.query },
    { type: "datasource", query: "prometheus" },
  );
  const rows = dashboard.panels.filter((p) => p.type === "row").map((p) => p.title);
  deepStrictEqual(rows, SECTIONS);

  const ids = dashboard.panels.map((p) => p.id);
  strictEqual(new Set(ids).size, ids.length, "panel ids are unique");
  for (const panel of dashboard.panels.filter((p) => p.type !== "row")) {
    strictEqual(panel.datasource?.uid, "${datasource}", panel.title);
    ok((panel.targets ?? []).length > 0, `${panel.title} has no query`);
    for (const target of panel.targets ?? []) {
      strictEqual(target.datasource?.uid, "${datasource}", panel.title);
    }
    const { x, w } = panel.gridPos;
    ok(x >= 0 && w > 0 && x + w <= 24, `${panel.title} fits the 24-column grid`);
  }
});

Deno.test("prometheus-alerts.yml has every alert of the work item", () => {
  const names = alerts.map((a) => a.name);
  deepStrictEqual(REQUIRED_ALERTS.filter((a) => !names.includes(a)), []);
});

Deno.test("every metric and label the dashboard and alerts query exists", async (t) => {
  const queries: { where: string; expr: string }[] = [];
  for (const panel of dashboard.panels) {
    for (const target of panel.targets ?? []) {
      queries.push({ where: panel.title, expr: target.expr });
    }
  }
  for (const variable of dashboard.templating.list) {
    const query = variable.query as { query?: string } | string;
    const text = typeof query === "string" ? query : query.query ?? "";
    const labelValues = /^label_values\((.*),\s*(\w+)\)$/.exec(text);
    if (labelValues) queries.push({ where: `$${variable.name}`, expr: labelValues[1]! });
  }
  for (const alert of alerts) queries.push({ where: alert.name, expr: alert.expr });
  ok(queries.length > 60, `only ${queries.length} queries found`);

  for (const { where, expr } of queries) {
    await t.step(`${where}: ${expr.slice(0, 60)}`, () => {
      const names = metricNamesIn(expr);
      ok(names.length > 0, "no metric found in the query");
      for (const name of names) ok(resolve(name), `unknown metric ${name}`);
      for (const { metric, labels } of selectorsIn(expr)) {
        const shape = resolve(metric);
        ok(shape, `unknown metric ${metric}`);
        const known = [...shape.labelNames, ...TARGET_LABELS, ...(shape.bucket ? ["le"] : [])];
        deepStrictEqual(labels.filter((l) => !known.includes(l)), [], `labels of ${metric}`);
      }
    });
  }
});

Deno.test("docs/metrics.md describes every registered metric", async () => {
  const doc = await Deno.readTextFile(new URL("metrics.md", DOCS));
  const missing = [...shapes.keys()].filter((name) => !doc.includes(`\`${name}`));
  deepStrictEqual(missing, []);
});

Deno.test("metricNamesIn() finds metric names, not functions, labels or durations", () => {
  deepStrictEqual(
    metricNamesIn(
      'histogram_quantile(0.99, sum by (le, op) (rate(t4_write_duration_seconds_bucket{job=~"$job", op!="txn"}[$__rate_interval]))) > 1e-3 and on (job) t4_role offset 5m',
    ),
    ["t4_write_duration_seconds_bucket", "t4_role"],
  );
  deepStrictEqual(selectorsIn('sum(t4_role{role=~"a|b", job="x"}) / t4_fenced'), [
    { metric: "t4_role", labels: ["role", "job"] },
  ]);
});

/** The metric `name` refers to, accepting a histogram's `_bucket`, `_sum` and `_count` series. */
function resolve(name: string): (MetricShape & { bucket: boolean }) | undefined {
  const direct = shapes.get(name);
  if (direct) return { ...direct, bucket: false };
  const suffix = /_(bucket|sum|count)$/.exec(name);
  const base = suffix && shapes.get(name.slice(0, suffix.index));
  if (!base || base.type !== "histogram") return undefined;
  return { ...base, bucket: suffix[1] === "bucket" };
}
