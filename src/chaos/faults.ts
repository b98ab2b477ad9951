/**
 * Faults and their schedule. A run draws its plan from its seed: after a short warm-up, one
 * fault at a time, each held for a random while, healed, then given time to recover (every
 * node up, a leader answering) before a random gap and the next one. The target ("the
 * leader", "a follower") is resolved when the fault starts.
 *
 * | fault | what happens | nodes |
 * |---|---|---|
 * | `kill` | `kill -9` the node (leader or follower), restart it on the same disk | 1, 3 |
 * | `wipe` | `kill -9`, delete its data directory, restart: it recovers from S3 and peers | 1, 3 |
 * | `pause` | SIGSTOP, then SIGCONT (a leader paused past its lease must step down) | 1, 3 |
 * | `s3-cut` | S3 connections reset, new ones refused (one node's or every node's) | 1, 3 |
 * | `s3-blackhole` | S3 connections hang silently | 1, 3 |
 * | `s3-slow` | every S3 packet delayed 100–600 ms | 1, 3 |
 * | `s3-503` | S3 answers `503 SlowDown` | 1, 3 |
 * | `peer-cut` | a node cut off from its peers (leader: followers cannot reach it) | 3 |
 * | `isolate-leader` | the leader loses its peers and S3: a follower must take over | 3 |
 *
 * @module
 */

import type { ChaosCluster, ChaosNode } from "./nodes.ts";
import type { Rng } from "./random.ts";

/** Every fault kind. */
export const FAULT_KINDS = [
  "kill",
  "wipe",
  "pause",
  "s3-cut",
  "s3-blackhole",
  "s3-slow",
  "s3-503",
  "peer-cut",
  "isolate-leader",
] as const;

/** One kind of fault. */
export type FaultKind = typeof FAULT_KINDS[number];

const CLUSTER_ONLY: ReadonlySet<FaultKind> = new Set(["peer-cut", "isolate-leader"]);

/** How often each fault is drawn. */
const WEIGHTS: Record<FaultKind, number> = {
  "kill": 4,
  "wipe": 2,
  "pause": 3,
  "s3-cut": 2,
  "s3-blackhole": 1,
  "s3-slow": 2,
  "s3-503": 1,
  "peer-cut": 3,
  "isolate-leader": 2,
};

/** Which node a fault hits. */
export type FaultTarget = "leader" | "follower" | "all";

/** One planned fault. */
export interface PlannedFault {
  kind: FaultKind;
  target: FaultTarget;
  /** How long the fault lasts (down time for kill/wipe). */
  holdMs: number;
  /** Quiet time before it. */
  gapMs: number;
  /** Packet delay of `s3-slow`. */
  delayMs: number;
}

/** What happened when a planned fault was injected. */
export interface InjectedFault extends PlannedFault {
  /** ms since the run started. */
  at: number;
  /** The node(s) it hit. */
  nodes: string[];
  /** ms from healing until a leader answered again; undefined: not within the bound. */
  recoveredMs: number | undefined;
}

/** The kinds that make sense for a cluster of `nodes`. */
export function faultsFor(nodes: number, only?: readonly FaultKind[]): FaultKind[] {
  const all = FAULT_KINDS.filter((k) => nodes > 1 || !CLUSTER_ONLY.has(k));
  return only ? all.filter((k) => only.includes(k)) : all;
}

/** Draws faults until `durationMs` is filled (the first after `warmupMs`). */
export function planFaults(
  rng: Rng,
  kinds: readonly FaultKind[],
  nodes: number,
  durationMs: number,
  warmupMs = 3000,
): PlannedFault[] {
  const plan: PlannedFault[] = [];
  if (kinds.length === 0) return plan;
  const weights = Object.fromEntries(kinds.map((k) => [k, WEIGHTS[k]])) as Record<
    FaultKind,
    number
  >;
  let t = warmupMs;
  for (;;) {
    const kind = rng.weighted(weights);
    const target: FaultTarget = nodes === 1 || kind === "isolate-leader"
      ? "leader"
      : kind.startsWith("s3-")
      ? rng.pick(["leader", "follower", "all"] as const)
      : rng.pick(["leader", "follower"] as const);
    const holdMs = kind === "pause" ? rng.int(1000, 6000) : rng.int(1000, 5000);
    const gapMs = plan.length === 0 ? warmupMs : rng.int(2000, 6000);
    if (plan.length > 0) t += gapMs;
    // a fault, then healing and a few seconds to recover, must fit before the end
    if (t + holdMs + 4000 > durationMs) break;
    plan.push({ kind, target, holdMs, gapMs, delayMs: rng.int(100, 600) });
    t += holdMs + 4000;
  }
  return plan;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

async function pickTarget(
  cluster: ChaosCluster,
  rng: Rng,
  target: FaultTarget,
): Promise<ChaosNode[]> {
  if (target === "all") return cluster.nodes;
  const leader = await cluster.leader();
  if (target === "leader") return [leader ?? rng.pick(cluster.nodes)];
  const followers = cluster.nodes.filter((n) => n !== leader && n.running);
  return [followers.length > 0 ? rng.pick(followers) : rng.pick(cluster.nodes)];
}

/** Injects `fault`, holds it, heals it. */
async function inject(
  cluster: ChaosCluster,
  fault: PlannedFault,
  nodes: ChaosNode[],
  signal: AbortSignal,
): Promise<void> {
  const [node] = nodes as [ChaosNode];
  const others = cluster.nodes.filter((n) => !nodes.includes(n));
  const pids = (ns: ChaosNode[]) => ns.flatMap((n) => (n.pid === undefined ? [] : [n.pid]));
  switch (fault.kind) {
    case "kill":
    case "wipe":
      await node.kill();
      if (fault.kind === "wipe") await node.wipe();
      await sleep(fault.holdMs, signal);
      await node.start();
      return;
    case "pause":
      node.pause();
      await sleep(fault.holdMs, signal);
      node.resume();
      return;
    case "s3-cut":
    case "s3-blackhole":
    case "s3-503":
    case "s3-slow": {
      const mode = fault.kind === "s3-cut"
        ? "cut"
        : fault.kind === "s3-blackhole"
        ? "blackhole"
        : fault.kind === "s3-503"
        ? "http-503"
        : "forward";
      for (const n of nodes) n.s3Proxy.set(mode, fault.delayMs);
      await sleep(fault.holdMs, signal);
      for (const n of nodes) n.s3Proxy.heal();
      return;
    }
    case "peer-cut":
    case "isolate-leader":
      // Nobody reaches the node's peer port, and the node reaches nobody else's.
      node.peerProxy?.set("cut");
      for (const o of others) await o.peerProxy?.blockFrom(pids([node]));
      if (fault.kind === "isolate-leader") node.s3Proxy.set("cut");
      await sleep(fault.holdMs, signal);
      node.peerProxy?.heal();
      for (const o of others) o.peerProxy?.heal();
      node.s3Proxy.heal();
      return;
  }
}

/** Brings every node back: heals every proxy, resumes paused nodes, restarts dead ones. */
export async function healAll(cluster: ChaosCluster): Promise<void> {
  for (const n of cluster.nodes) {
    n.s3Proxy.heal();
    n.peerProxy?.heal();
    n.resume();
  }
  for (const n of cluster.nodes) {
    if (!n.running) await n.start();
  }
}

/** Runs `plan` against `cluster`; returns what was injected. Stops early on `signal`. */
export async function runFaults(
  cluster: ChaosCluster,
  plan: readonly PlannedFault[],
  rng: Rng,
  options: { signal: AbortSignal; startedAt: number; log: (line: string) => void },
): Promise<InjectedFault[]> {
  const done: InjectedFault[] = [];
  const { signal, log } = options;
  for (const fault of plan) {
    await sleep(fault.gapMs, signal);
    if (signal.aborted) break;
    const nodes = await pickTarget(cluster, rng, fault.target);
    const at = performance.now() - options.startedAt;
    const names = nodes.map((n) => n.name);
    log(
      `+${(at / 1000).toFixed(1)} s fault ${fault.kind} on ${names.join(",")} ` +
        `(${fault.target}) for ${fault.holdMs} ms` +
        (fault.kind === "s3-slow" ? ` (${fault.delayMs} ms/packet)` : ""),
    );
    const entry: InjectedFault = { ...fault, at, nodes: names, recoveredMs: undefined };
    done.push(entry);
    try {
      await inject(cluster, fault, nodes, signal);
      await healAll(cluster);
    } catch (err: unknown) {
      log(`  fault ${fault.kind}: ${err instanceof Error ? err.message : String(err)}`);
      await healAll(cluster).catch(() => {});
    }
    const healed = performance.now();
    const leader = await cluster.waitReady(30_000, signal);
    if (leader) entry.recoveredMs = performance.now() - healed;
    if (signal.aborted) break;
    log(
      leader
        ? `  recovered in ${
          ((performance.now() - healed) / 1000).toFixed(1)
        } s (leader ${leader.name})`
        : `  NOT recovered within 30 s`,
    );
  }
  return done;
}
