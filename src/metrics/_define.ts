/**
 * Constructors that register a metric on one passed-in registry and nowhere else.
 *
 * prom-client registers every metric on its global registry unless `registers` says
 * otherwise; funnelling all of our metrics through these three functions is what keeps the
 * global registry empty (tests create a fresh registry each, and two nodes in one process do
 * not clash).
 *
 * @module
 */

import {
  Counter,
  type CounterConfiguration,
  Gauge,
  type GaugeConfiguration,
  Histogram,
  type HistogramConfiguration,
  type Registry,
} from "prom-client";

/** A metric's configuration without `registers`, which these constructors own. */
export type Definition<C> = Omit<C, "registers">;

/** Creates a counter registered on `registry` only. */
export function counter<L extends string = never>(
  registry: Registry,
  definition: Definition<CounterConfiguration<L>>,
): Counter<L> {
  return new Counter<L>({ ...definition, registers: [registry] });
}

/** Creates a gauge registered on `registry` only. */
export function gauge<L extends string = never>(
  registry: Registry,
  definition: Definition<GaugeConfiguration<L>>,
): Gauge<L> {
  return new Gauge<L>({ ...definition, registers: [registry] });
}

/** Creates a histogram registered on `registry` only; `buckets` are required, never defaulted. */
export function histogram<L extends string = never>(
  registry: Registry,
  definition: Definition<HistogramConfiguration<L>> & { buckets: number[] },
): Histogram<L> {
  return new Histogram<L>({ ...definition, registers: [registry] });
}

/**
 * Go's `prometheus.ExponentialBuckets(start, factor, count)`: `count` upper bounds, the first
 * `start`, each the previous times `factor`.
 */
export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  const buckets: number[] = [];
  for (let i = 0, bound = start; i < count; i++, bound *= factor) buckets.push(bound);
  return buckets;
}

/** Go's `prometheus.DefBuckets` (also prom-client's default), for histograms T4 left unset. */
export const DEFAULT_BUCKETS: readonly number[] = [
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
];

/** Makes every `labels` combination exist at 0, so `rate()` sees a series before the first event. */
export function initCounter<L extends string>(
  metric: Counter<L>,
  combinations: Iterable<Partial<Record<L, string>>>,
): void {
  for (const labels of combinations) metric.inc(labels, 0);
}

/** Every combination of one value per label, e.g. `{op} × {result}`. */
export function product<L extends string>(
  values: Record<L, readonly string[]>,
): Partial<Record<L, string>>[] {
  let rows: Partial<Record<L, string>>[] = [{}];
  for (const label of Object.keys(values) as L[]) {
    rows = rows.flatMap((row) => values[label].map((v) => ({ ...row, [label]: v })));
  }
  return rows;
}
