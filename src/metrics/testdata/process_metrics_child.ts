// Prints the process metrics registered under this process's permissions, one sample per line.
// Run by process_metrics_test.ts with no --allow-read, as a narrowly permitted server would be.
import { Registry } from "prom-client";
import { registerProcessMetrics } from "../process_metrics.ts";

const registry = new Registry();
const report = registerProcessMetrics(registry);
const text = await registry.metrics();
console.log(JSON.stringify({
  own: report.own,
  samples: text.split("\n").filter((line) => line !== "" && !line.startsWith("#")),
}));
