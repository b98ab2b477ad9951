/**
 * Watches and leases: T4's `t4_watch_*` (`reference/t4.md` §6.3), plus the watch delivery and
 * lease metrics of this implementation.
 *
 * @module
 */

import type { Counter, Gauge, Histogram, Registry } from "prom-client";
import { counter, DEFAULT_BUCKETS, gauge, histogram, initCounter, product } from "./_define.ts";

/** `result` values of `t4_watch_scan_entries_total`. */
export const WATCH_SCAN_RESULTS = ["scanned", "matched"] as const;

/** Metrics of the watch hub and the lease keeper. */
export interface WatchMetrics {
  /** `t4_watch_active`: +1 when a watcher is created, −1 when it is cancelled or its stream ends. */
  watchActive: Gauge<never>;
  /** `t4_watch_active_prefixes`: set to the number of distinct keys/prefixes being watched. */
  watchActivePrefixes: Gauge<never>;
  /**
   * `t4_watch_scan_duration_seconds`: one observation per history scan (a watcher catching up
   * from `start_revision`, or after falling behind). Go's default buckets .005 … 10, as T4.
   */
  watchScanDuration: Histogram<never>;
  /**
   * `t4_watch_scan_revision_span`: one observation per history scan with the number of
   * revisions it covered. Buckets 1 10 100 1000 10000.
   */
  watchScanRevisionSpan: Histogram<never>;
  /**
   * `t4_watch_scan_entries_total{result}`: + the records a scan read (`scanned`) and the ones
   * that matched a watcher (`matched`).
   */
  watchScanEntries: Counter<"result">;
  /** `t4_watch_events_sent_total`: + the events in each WatchResponse written to a client. */
  watchEventsSent: Counter<never>;
  /**
   * `t4_watch_slow_cancels_total`: +1 when the server cancels a watcher because its client
   * did not read fast enough (send buffer full past the send timeout).
   */
  watchSlowCancels: Counter<never>;
  /** `t4_leases_active`: +1 on LeaseGrant, −1 on revoke or expiry (set after restore/replay). */
  leasesActive: Gauge<never>;
  /** `t4_lease_expired_total`: +1 per lease the leader revoked because its TTL ran out. */
  leaseExpired: Counter<never>;
}

/** Creates and registers {@linkcode WatchMetrics} on `registry`. */
export function createWatchMetrics(registry: Registry): WatchMetrics {
  const metrics: WatchMetrics = {
    watchActive: gauge(registry, {
      name: "t4_watch_active",
      help: "Currently active watch subscriptions.",
    }),
    watchActivePrefixes: gauge(registry, {
      name: "t4_watch_active_prefixes",
      help: "Distinct prefixes with active watch subscriptions.",
    }),
    watchScanDuration: histogram(registry, {
      name: "t4_watch_scan_duration_seconds",
      help: "Time spent scanning revision logs for watch delivery.",
      buckets: [...DEFAULT_BUCKETS],
    }),
    watchScanRevisionSpan: histogram(registry, {
      name: "t4_watch_scan_revision_span",
      help: "Revision span covered by each watch scan.",
      buckets: [1, 10, 100, 1000, 10000],
    }),
    watchScanEntries: counter(registry, {
      name: "t4_watch_scan_entries_total",
      help: "Watch scan entries by result (scanned/matched).",
      labelNames: ["result"],
    }),
    watchEventsSent: counter(registry, {
      name: "t4_watch_events_sent_total",
      help: "Total watch events sent to clients.",
    }),
    watchSlowCancels: counter(registry, {
      name: "t4_watch_slow_cancels_total",
      help: "Total watchers cancelled because their client could not keep up.",
    }),
    leasesActive: gauge(registry, {
      name: "t4_leases_active",
      help: "Leases currently granted and not expired.",
    }),
    leaseExpired: counter(registry, {
      name: "t4_lease_expired_total",
      help: "Total leases revoked because their TTL expired.",
    }),
  };
  initCounter(metrics.watchScanEntries, product({ result: WATCH_SCAN_RESULTS }));
  return metrics;
}
