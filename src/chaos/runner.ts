/**
 * One chaos run from start to verdict: S3, nodes, watchers, clients and faults for the given
 * time, then every fault healed and every node back, a final read, the watchers caught up,
 * everything stopped, the history saved and checked (`src/verify/mod.ts` says what the verdict
 * proves). Everything this starts is stopped by its PID before {@linkcode runChaos} returns or
 * throws.
 *
 * @module
 */

import { HistoryRecorder, saveHistory, verifyHistory, type VerifyReport } from "../verify/mod.ts";
import {
  type FaultKind,
  faultsFor,
  healAll,
  type InjectedFault,
  planFaults,
  runFaults,
} from "./faults.ts";
import { ChaosCluster } from "./nodes.ts";
import { Rng } from "./random.ts";
import { openChaosS3 } from "./s3.ts";
import { describeRun } from "./report.ts";
import { finalRead, newStats, runClient, type TrafficContext } from "./traffic.ts";
import { ChaosWatcher } from "./watchers.ts";

/** Options of {@linkcode runChaos}. */
export interface ChaosOptions {
  /** Seconds of traffic under faults. */
  seconds: number;
  /** 1 (single node on S3) or 3 (a cluster on one bucket). */
  nodes: 1 | 3;
  /** The seed of the fault plan and the traffic mix. */
  seed: number;
  /** Where the history, the summary and the node logs go. */
  outDir: string;
  /** KV clients (default: 4 with one node, 6 with three). */
  clients?: number;
  /** Watchers (default: 2 with one node, 3 with three). */
  watchers?: number;
  /** Only these faults (default: every fault that makes sense for the node count). */
  faults?: readonly FaultKind[];
  /** Per-request client timeout in ms (default 3,000). */
  requestTimeoutMs?: number;
  /** Limit of the linearizability search in ms (default 120,000). */
  checkTimeoutMs?: number;
  /** Node log level (default `info`). */
  logLevel?: string;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
  /** Aborting stops traffic and faults early; the run still cleans up and checks. */
  signal?: AbortSignal;
}

/** The outcome of a run. */
export interface ChaosResult {
  verdict: "linearizable" | "violation" | "unknown";
  /** The last line: `verdict: …`. */
  line: string;
  /** Everything printed as the summary (ending with `line`). */
  summary: string;
  historyPath: string;
  ops: number;
  faults: InjectedFault[];
  watchEvents: number;
  report: VerifyReport;
}

const TRAFFIC_PER_CLIENT = 200_000;

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Runs chaos against T4 and checks what the clients saw. */
export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const log = options.log ?? ((line: string) => console.error(line));
  const signal = options.signal ?? new AbortController().signal;
  const rng = new Rng(options.seed);
  const out = options.outDir;
  await Deno.mkdir(out, { recursive: true });
  const runStarted = performance.now();
  log(`chaos: ${options.nodes} node(s), ${options.seconds} s, seed ${options.seed}, out ${out}`);

  await using s3 = await openChaosS3(`${out}/rgw`, `s${options.seed}`);
  log(`chaos: S3 ${s3.endpoint} bucket ${s3.bucket}${s3.ownServer ? " (RGW started)" : ""}`);
  await using cluster = await ChaosCluster.create({
    nodes: options.nodes,
    s3,
    root: `${out}/data`,
    logDir: `${out}/logs`,
    logLevel: options.logLevel ?? "info",
  });
  for (const n of cluster.nodes) await n.start();
  const first = await cluster.waitReady(60_000, signal);
  if (signal.aborted) throw new Error("Interrupted before the traffic started");
  if (!first) {
    throw new Error(`No leader within 60 s:\n${cluster.nodes.map((n) => n.tail()).join("\n")}`);
  }
  log(`chaos: nodes up in ${seconds(performance.now() - runStarted)}, leader ${first.name}`);

  const rec = new HistoryRecorder();
  let clientIds = 0;
  const endpoints = () => cluster.nodes.map((n) => n.endpoint);
  const nextClientId = () => ++clientIds;
  let highest = 0;
  const committed = () => highest;
  const observe = (rev: number) => void (highest = Math.max(highest, rev));
  const notes: string[] = [];
  const note = (line: string) => void notes.push(line);
  // who leads, polled once a second (watchers resume there)
  let leaderEndpoint: string | undefined = first.endpoint;
  let polling = true;
  const poller = (async () => {
    while (polling) {
      leaderEndpoint = (await cluster.leader().catch(() => undefined))?.endpoint;
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  const watchers = Array.from(
    { length: options.watchers ?? (options.nodes === 1 ? 2 : 3) },
    (_, i) =>
      new ChaosWatcher(
        {
          rec,
          endpoints,
          nextClientId,
          committed,
          note,
          leader: () => leaderEndpoint,
        },
        rng.fork(),
        {
          prevKv: i % 2 === 0,
        },
      ),
  );
  const watching = watchers.map((w) => w.run());

  const startedAt = performance.now();
  const durationMs = options.seconds * 1000;
  const ctx: TrafficContext = {
    rec,
    endpoints,
    nextClientId,
    requestTimeoutMs: options.requestTimeoutMs ?? 3000,
    deadline: startedAt + durationMs,
    maxRequests: TRAFFIC_PER_CLIENT,
    signal,
    observe,
    note,
  };
  const stats = newStats();
  const clients = options.clients ?? (options.nodes === 1 ? 4 : 6);
  const traffic = Array.from(
    { length: clients },
    (_, i) => runClient(ctx, rng.fork(), { profile: i % 2 === 0 ? "kubernetes" : "etcd", stats }),
  );
  const faultRng = rng.fork();
  const plan = planFaults(
    faultRng,
    faultsFor(options.nodes, options.faults),
    options.nodes,
    durationMs,
  );
  let faults: InjectedFault[] = [];
  let finalRevision: number | undefined;
  try {
    const faultLog = (line: string) => {
      log(line);
      note(`${(performance.now() / 1000).toFixed(3)} ${line.trim()}`);
    };
    faults = await runFaults(cluster, plan, faultRng, { signal, startedAt, log: faultLog });
    await Promise.all(traffic);
    log(`chaos: traffic done after ${seconds(performance.now() - startedAt)}; healing`);
    await healAll(cluster).catch((err: unknown) => log(`chaos: healing failed: ${String(err)}`));
    const leader = await cluster.waitReady(30_000);
    if (leader) finalRevision = await finalRead(ctx, leader.endpoint);
    if (finalRevision !== undefined) {
      const caught = await Promise.all(watchers.map((w) => w.catchUp(finalRevision!, 20_000)));
      const lagging = caught.filter((ok) => !ok).length;
      if (lagging > 0) log(`chaos: ${lagging} watcher(s) did not reach revision ${finalRevision}`);
    } else {
      log("chaos: no final read (no leader answered)");
    }
  } finally {
    for (const w of watchers) w.stop();
    polling = false;
    await Promise.allSettled([...traffic, ...watching, poller]);
  }
  await cluster.close();
  await s3.close();

  const names = new Map(cluster.nodes.map((n) => [n.endpoint, n.name]));
  const timeline = notes.map((l) => l.replace(/127\.0\.0\.1:\d+$/, (e) => names.get(e) ?? e));
  await Deno.writeTextFile(`${out}/timeline.log`, timeline.join("\n") + "\n");
  const history = rec.history();
  const historyPath = `${out}/history.json`;
  await saveHistory(historyPath, history);
  const checkStarted = performance.now();
  const report = verifyHistory(history, { timeoutMs: options.checkTimeoutMs ?? 120_000 });
  const checkMs = performance.now() - checkStarted;

  const { lines, verdict, line } = describeRun({
    options,
    history,
    report,
    stats,
    watchers,
    faults,
    exits: cluster.exits,
    finalRevision,
    checkMs,
    runMs: performance.now() - runStarted,
    historyPath,
    out,
  });
  const summary = lines.join("\n");
  if (verdict === "linearizable") {
    // the data directories only matter for investigating a failure
    await Deno.remove(`${out}/data`, { recursive: true }).catch(() => {});
    await Deno.remove(`${out}/rgw`, { recursive: true }).catch(() => {});
  }
  await Deno.writeTextFile(`${out}/summary.txt`, summary + "\n");
  return {
    verdict,
    line,
    summary,
    historyPath,
    ops: history.operations.length,
    faults,
    watchEvents: report.watchEvents,
    report,
  };
}
