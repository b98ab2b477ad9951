/**
 * The T4 processes of a chaos run: 1 or 3 `cli.ts run` children on 127.0.0.1 sharing one S3
 * bucket, each reaching S3 through its own {@linkcode FaultProxy} and (in cluster mode)
 * reached by its peers through another. Every child is registered in one process-wide set, so
 * whatever happens (an error, Ctrl-C) {@linkcode killAllNodesSync} can stop exactly the PIDs
 * this run started. Each node's stderr goes to `<out>/logs/<node>.log`, one section per start.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { EtcdTestClient } from "../../tests/_etcd_client.ts";
import { FaultProxy } from "./proxy.ts";
import type { ChaosS3 } from "./s3.ts";

const CLI = fileURLToPath(new URL("../../cli.ts", import.meta.url));
const READY_LINE = "serving etcd v3 API";
const START_TIMEOUT_MS = 60_000;

/** Every child process started by this module that has not exited yet. */
const LIVE = new Set<Deno.ChildProcess>();

/** SIGCONT + SIGKILL to every node process still running (safe in a signal handler). */
export function killAllNodesSync(): void {
  for (const child of LIVE) {
    for (const sig of ["SIGCONT", "SIGKILL"] as const) {
      try {
        child.kill(sig);
      } catch { /* gone */ }
    }
  }
}

/** A node process that ended without being told to, or badly when told to stop. */
export interface UnexpectedExit {
  node: string;
  /** `exited on its own` or `on SIGTERM`. */
  when: string;
  code: number;
  signal: string | null;
  /** ms since the cluster was created. */
  at: number;
  lastLines: string;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** One T4 node and its proxies. */
export class ChaosNode {
  readonly name: string;
  readonly clientPort = freePort();
  readonly peerPort = freePort();
  readonly s3Proxy: FaultProxy;
  readonly peerProxy: FaultProxy | undefined;
  paused = false;
  starts = 0;
  #dataDir: string;
  #child: Deno.ChildProcess | undefined;
  #exit: Promise<Deno.CommandStatus> | undefined;
  #expectExit = false;
  #tail = "";
  readonly #cluster: ChaosCluster;

  constructor(cluster: ChaosCluster, name: string, s3Endpoint: string, peered: boolean) {
    this.#cluster = cluster;
    this.name = name;
    this.s3Proxy = new FaultProxy(new URL(s3Endpoint).host);
    this.peerProxy = peered ? new FaultProxy(`127.0.0.1:${this.peerPort}`) : undefined;
    this.#dataDir = cluster.dataDirFor(name);
  }

  /** `127.0.0.1:<client port>`. */
  get endpoint(): string {
    return `127.0.0.1:${this.clientPort}`;
  }

  get dataDir(): string {
    return this.#dataDir;
  }

  /** The PID while the process runs. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  /** Recent stderr lines. */
  tail(lines = 20): string {
    return this.#tail.split("\n").slice(-lines - 1).join("\n");
  }

  /** Starts the process and waits until it serves clients (60 s at most). */
  async start(): Promise<void> {
    if (this.#child) return;
    this.starts++;
    const args = ["run", "-A", CLI, "run", ...this.#cluster.argsFor(this)];
    const child = new Deno.Command(Deno.execPath(), {
      args,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    LIVE.add(child);
    this.#child = child;
    this.#expectExit = false;
    this.paused = false;
    this.#tail = "";
    const log = await Deno.open(`${this.#cluster.logDir}/${this.name}.log`, {
      append: true,
      create: true,
    });
    const enc = new TextEncoder();
    const at = ((performance.now() - this.#cluster.startedAt) / 1000).toFixed(1);
    await log.write(enc.encode(`=== start #${this.starts} at +${at} s pid ${child.pid}\n`));
    let ready = false;
    const pump = (async () => {
      const dec = new TextDecoder();
      try {
        for await (const chunk of child.stderr) {
          await log.write(chunk);
          this.#tail = (this.#tail + dec.decode(chunk, { stream: true })).slice(-16_384);
          if (!ready && this.#tail.includes(READY_LINE)) ready = true;
        }
      } catch { /* the pipe closed */ }
      log.close();
    })();
    this.#exit = child.status.then(async (s) => {
      LIVE.delete(child);
      await pump;
      if (this.#child === child) this.#child = undefined;
      if (!this.#expectExit) this.#cluster.noteExit(this, "exited on its own", s);
      return s;
    });
    const deadline = performance.now() + START_TIMEOUT_MS;
    while (!ready) {
      if (this.#child !== child) {
        throw new Error(`Node ${this.name} exited during startup:\n${this.tail()}`);
      }
      if (performance.now() > deadline) {
        await this.kill();
        throw new Error(`Node ${this.name} did not serve within 60 s:\n${this.tail()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** `kill -9` (after SIGCONT, so a paused process dies too); waits for the exit. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#expectExit = true;
    for (const sig of ["SIGCONT", "SIGKILL"] as const) {
      try {
        child.kill(sig);
      } catch { /* gone */ }
    }
    await this.#exit;
    this.paused = false;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; waits for the exit. */
  async stop(graceMs = 5000): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#expectExit = true;
    try {
      child.kill("SIGCONT");
      child.kill("SIGTERM");
    } catch { /* gone */ }
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
    }, graceMs);
    const status = await this.#exit;
    clearTimeout(timer);
    this.paused = false;
    // a clean shutdown exits 0; anything else (a crash on SIGTERM) is worth reporting
    if (status && status.code !== 0) this.#cluster.noteExit(this, "on SIGTERM", status);
  }

  /** SIGSTOP. */
  pause(): void {
    if (!this.#child || this.paused) return;
    this.#child.kill("SIGSTOP");
    this.paused = true;
  }

  /** SIGCONT. */
  resume(): void {
    if (!this.#child || !this.paused) return;
    this.#child.kill("SIGCONT");
    this.paused = false;
  }

  /** Throws away the data directory (the node must be down): a fresh disk. */
  async wipe(): Promise<void> {
    if (this.#child) throw new Error(`Cannot wipe ${this.name}: it is running`);
    await Deno.remove(this.#dataDir, { recursive: true }).catch(() => {});
    this.#dataDir = this.#cluster.dataDirFor(this.name);
  }
}

/** Options of {@linkcode ChaosCluster.create}. */
export interface ChaosClusterOptions {
  nodes: number;
  s3: ChaosS3;
  /** Where data directories go. */
  root: string;
  /** Where node logs go. */
  logDir: string;
  logLevel: string;
  /** Extra `t4 run` flags for every node. */
  extraArgs?: string[];
}

/** The nodes of a run. */
export class ChaosCluster implements AsyncDisposable {
  readonly nodes: ChaosNode[] = [];
  readonly logDir: string;
  readonly startedAt = performance.now();
  readonly exits: UnexpectedExit[] = [];
  readonly #options: ChaosClusterOptions;
  #dirs = 0;

  private constructor(options: ChaosClusterOptions) {
    this.#options = options;
    this.logDir = options.logDir;
  }

  /** Creates the nodes and their proxies (nothing started). */
  static async create(options: ChaosClusterOptions): Promise<ChaosCluster> {
    await Deno.mkdir(options.logDir, { recursive: true });
    await Deno.mkdir(options.root, { recursive: true });
    const c = new ChaosCluster(options);
    for (let i = 1; i <= options.nodes; i++) {
      c.nodes.push(new ChaosNode(c, `n${i}`, options.s3.endpoint, options.nodes > 1));
    }
    const pids = () => c.nodes.flatMap((n) => (n.pid === undefined ? [] : [n.pid]));
    for (const n of c.nodes) if (n.peerProxy) n.peerProxy.candidates = pids;
    return c;
  }

  /** True with more than one node. */
  get clustered(): boolean {
    return this.nodes.length > 1;
  }

  /** A new, unused data directory for `name`. */
  dataDirFor(name: string): string {
    return `${this.#options.root}/${name}-${++this.#dirs}`;
  }

  /** The `t4 run` flags of `node`. */
  argsFor(node: ChaosNode): string[] {
    const s3 = this.#options.s3;
    const args = [
      "--data-dir",
      node.dataDir,
      "--listen",
      node.endpoint,
      "--metrics-addr",
      "",
      "--log-level",
      this.#options.logLevel,
      "--s3-bucket",
      s3.bucket,
      "--s3-prefix",
      "chaos/",
      "--s3-endpoint",
      `http://${node.s3Proxy.address}`,
      "--s3-access-key-id",
      s3.accessKeyId,
      "--s3-secret-access-key",
      s3.secretAccessKey,
      // small segments and frequent checkpoints, so restores and GC happen within a short run
      "--segment-max-age-sec",
      "2",
      "--checkpoint-entries",
      "400",
    ];
    if (node.peerProxy) {
      args.push(
        "--node-id",
        `chaos-${node.name}`,
        "--peer-listen",
        `127.0.0.1:${node.peerPort}`,
        "--advertise-peer",
        node.peerProxy.address,
        "--leader-watch-interval-sec",
        "1",
      );
    }
    return [...args, ...(this.#options.extraArgs ?? [])];
  }

  /** Records an exit nobody asked for. */
  noteExit(node: ChaosNode, when: string, status: Deno.CommandStatus): void {
    this.exits.push({
      node: node.name,
      when,
      code: status.code,
      signal: status.signal,
      at: performance.now() - this.startedAt,
      lastLines: node.tail(8),
    });
  }

  /** The node whose Status says it leads (the only node, with one), or undefined. */
  async leader(): Promise<ChaosNode | undefined> {
    const asks = this.nodes.filter((n) => n.running && !n.paused).map(async (n) => {
      using c = new EtcdTestClient(n.endpoint, { timeoutMs: 1000 });
      const st = await c.status();
      return st.leader !== 0n && st.leader === st.header?.memberId ? n : undefined;
    });
    const answers = await Promise.allSettled(asks);
    for (const a of answers) if (a.status === "fulfilled" && a.value) return a.value;
    return undefined;
  }

  /**
   * Waits until a leader exists and serves a linearizable read (of a key nobody writes, so
   * nothing enters the history). Returns the leader, or undefined after `ms`.
   */
  async waitReady(ms: number, signal?: AbortSignal): Promise<ChaosNode | undefined> {
    const deadline = performance.now() + ms;
    while (performance.now() < deadline && !signal?.aborted) {
      const l = await this.leader();
      if (l) {
        try {
          using c = new EtcdTestClient(l.endpoint, { timeoutMs: 2000 });
          await c.range({ key: new TextEncoder().encode("chaos-ready-probe") });
          return l;
        } catch { /* not yet */ }
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    return undefined;
  }

  /** Stops every node (SIGTERM, SIGKILL after 10 s) and closes the proxies. */
  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop(10_000).catch(() => {})));
    for (const n of this.nodes) {
      await n.s3Proxy.close();
      await n.peerProxy?.close();
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
