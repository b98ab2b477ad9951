/**
 * Test helpers of this folder: touching every metric of a registry, reading a metric's shape,
 * running promtool, and pulling metric names out of PromQL and out of the alert rules file.
 *
 * @module
 */

import type { Registry } from "prom-client";

/** What a test needs to know about one registered metric. */
export interface MetricShape {
  name: string;
  type: string;
  labelNames: string[];
  /** Histogram upper bounds without `+Inf`; empty for other types. */
  buckets: number[];
}

/** The shape of every metric on `registry`, by name. */
export function metricShapes(registry: Registry): Map<string, MetricShape> {
  const shapes = new Map<string, MetricShape>();
  for (const metric of registry.getMetricsAsArray()) {
    const fields = metric as unknown as Record<string, unknown>;
    shapes.set(metric.name, {
      name: metric.name,
      type: String(metric.type),
      labelNames: Array.isArray(fields.labelNames) ? fields.labelNames.map(String) : [],
      buckets: Array.isArray(fields.upperBounds) ? fields.upperBounds.map(Number) : [],
    });
  }
  return shapes;
}

/**
 * Gives every metric of `registry` at least one sample: counters +1, histograms one
 * observation, labelled gauges 1, with every label set to `"x"`. Metrics that compute their
 * value at scrape time (`collect`) and unlabelled gauges (0 from the start) are left alone.
 */
export function touchEveryMetric(registry: Registry): void {
  for (const metric of registry.getMetricsAsArray()) {
    const m = metric as unknown as {
      labelNames?: string[];
      collect?: unknown;
      inc(labels: Record<string, string>, value: number): void;
      set(labels: Record<string, string>, value: number): void;
      observe(labels: Record<string, string>, value: number): void;
    };
    if (typeof m.collect === "function") continue;
    const labels = Object.fromEntries((m.labelNames ?? []).map((l) => [l, "x"]));
    const type = String(metric.type);
    if (type === "counter") m.inc(labels, 1);
    else if (type === "histogram") m.observe(labels, 0.01);
    else if (type === "gauge" && Object.keys(labels).length > 0) m.set(labels, 1);
  }
}

/** Runs `promtool` with `args`, `stdin` on its standard input; all output, one string. */
export async function promtool(
  args: string[],
  options: { stdin?: string; cwd?: string } = {},
): Promise<{ code: number; output: string }> {
  const command = new Deno.Command("promtool", {
    args,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  let child: Deno.ChildProcess;
  try {
    child = command.spawn();
  } catch (err: unknown) {
    throw new Error("Cannot run promtool: install it with `apt-get install prometheus`", {
      cause: err,
    });
  }
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output();
  const decoder = new TextDecoder();
  return { code, output: decoder.decode(stdout) + decoder.decode(stderr) };
}

/** One vector selector of a PromQL expression: the metric and the label names it matches on. */
export interface Selector {
  metric: string;
  labels: string[];
}

const IDENTIFIER = /(?<![\w.:$])[a-zA-Z_:][\w:]*/g;
const KEYWORDS = new Set([
  "and",
  "or",
  "unless",
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "bool",
  "offset",
  "inf",
  "nan",
]);

/** Every metric name `expr` reads: identifiers that are not functions, keywords or labels. */
export function metricNamesIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
    .replace(/\$\{[^}]*\}|\$\w+/g, " ");
  const names = new Set<string>();
  for (const match of bare.matchAll(IDENTIFIER)) {
    const after = bare.slice(match.index + match[0].length).trimStart();
    if (after.startsWith("(") || KEYWORDS.has(match[0].toLowerCase())) continue;
    names.add(match[0]);
  }
  return [...names];
}

/** Every `metric{…}` selector of `expr`, with the label names of its matchers. */
export function selectorsIn(expr: string): Selector[] {
  const selectors: Selector[] = [];
  for (const match of expr.matchAll(/(?<![\w:])([a-zA-Z_:][\w:]*)\s*\{([^}]*)\}/g)) {
    const matchers = (match[2] ?? "").replace(/"(?:[^"\\]|\\.)*"/g, '""');
    const labels = [...matchers.matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)].map((m) => m[1]!);
    selectors.push({ metric: match[1]!, labels });
  }
  return selectors;
}

/** The `expr` of every rule in a Prometheus rules file, with its `alert` (or `record`) name. */
export function ruleExpressions(yaml: string): { name: string; expr: string }[] {
  const lines = yaml.split("\n");
  const rules: { name: string; expr: string }[] = [];
  let name = "";
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const named = /^\s*-?\s*(?:alert|record):\s*(\S+)/.exec(line);
    if (named) name = named[1]!;
    const expr = /^(\s*)expr:\s*(.*)$/.exec(line);
    if (!expr) continue;
    const indent = expr[1]!.length;
    let value = expr[2]!.trim();
    if (/^[|>][-+]?$/.test(value)) {
      const body: string[] = [];
      while (i + 1 < lines.length && indentOf(lines[i + 1]!) > indent) {
        body.push(lines[++i]!.trim());
      }
      value = body.join(value.startsWith("|") ? "\n" : " ");
    }
    rules.push({ name, expr: value });
  }
  return rules;
}

/** `yaml` without its `annotations:` blocks (promtool's rule tests compare annotations too). */
export function stripAnnotations(yaml: string): string {
  const out: string[] = [];
  let skipDeeperThan = -1;
  for (const line of yaml.split("\n")) {
    if (skipDeeperThan >= 0 && (line.trim() === "" || indentOf(line) > skipDeeperThan)) continue;
    skipDeeperThan = -1;
    if (/^\s*annotations:\s*$/.test(line)) {
      skipDeeperThan = indentOf(line);
      continue;
    }
    out.push(line);
  }
  return out.join("\n");
}

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}
