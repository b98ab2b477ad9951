/**
 * Test helpers for cluster mode: N real `cli.ts run` processes on one object store (a local
 * directory, or the test run's RGW), each behind TCP proxies for its peer port and its S3
 * endpoint so a test can partition it, and small probes (who leads, write until accepted).
 *
 * @module
 */

import { EtcdTestClient } from "./_etcd_client.ts";
import { startProxy, type TcpProxy } from "./_proxy.ts";
import { freePort, startServer, type TestServer } from "./_server.ts";

/** One cluster member. */
export interface Member {
  id: string;
  /** Peer port the node listens on. */
  peerPort: number;
  /** The proxy others dial to reach this node's peer port (block it to partition the node). */
  peerProxy: TcpProxy;
  /** The proxy this node reaches S3 through (RGW clusters only). */
  s3Proxy: TcpProxy | undefined;
  dataDir: string;
  clientPort: number;
  server: TestServer | undefined;
}

/** How the members reach their object store. */
export type StoreSpec =
  | { kind: "dir"; dir: string }
  | { kind: "s3"; endpoint: string; bucket: string; prefix: string };

/** A cluster under test. */
export class TestCluster implements AsyncDisposable {
  readonly members: Member[] = [];
  readonly #store: StoreSpec;
  readonly #root: string;
  readonly #extra: string[];

  private constructor(store: StoreSpec, root: string, extra: string[]) {
    this.#store = store;
    this.#root = root;
    this.#extra = extra;
  }

  /** Creates `n` members (not started). */
  static async create(
    n: number,
    store: StoreSpec | undefined,
    extra: string[] = [],
  ): Promise<TestCluster> {
    const root = await Deno.makeTempDir({ prefix: "t4-cluster-" });
    const spec = store ?? { kind: "dir", dir: `${root}/objects` };
    const c = new TestCluster(spec, root, extra);
    for (let i = 1; i <= n; i++) c.add(`n${i}`);
    return c;
  }

  /** Adds a member (not started). */
  add(id: string): Member {
    const peerPort = freePort();
    const m: Member = {
      id,
      peerPort,
      peerProxy: startProxy(`127.0.0.1:${peerPort}`),
      s3Proxy: this.#store.kind === "s3"
        ? startProxy(new URL(this.#store.endpoint).host)
        : undefined,
      dataDir: `${this.#root}/${id}-${crypto.randomUUID().slice(0, 8)}`,
      clientPort: freePort(),
      server: undefined,
    };
    this.members.push(m);
    return m;
  }

  #args(m: Member): string[] {
    const store = this.#store.kind === "dir" ? ["--object-store-dir", this.#store.dir] : [
      "--s3-bucket",
      this.#store.bucket,
      "--s3-prefix",
      this.#store.prefix,
      "--s3-endpoint",
      `http://${m.s3Proxy!.address}`,
      "--s3-access-key-id",
      "test",
      "--s3-secret-access-key",
      "testsecret",
    ];
    return [
      "--node-id",
      m.id,
      "--peer-listen",
      `127.0.0.1:${m.peerPort}`,
      "--advertise-peer",
      m.peerProxy.address,
      "--leader-watch-interval-sec",
      "1",
      ...store,
      ...this.#extra,
    ];
  }

  /** Starts a member's process (again, after a stop or kill). */
  async start(m: Member): Promise<TestServer> {
    m.server = await startServer({
      dataDir: m.dataDir,
      keepData: true,
      args: this.#args(m),
      port: m.clientPort,
    });
    return m.server;
  }

  /** Starts every member. */
  async startAll(): Promise<void> {
    for (const m of this.members) await this.start(m);
  }

  /** The members running now. */
  get live(): Member[] {
    return this.members.filter((m) => m.server !== undefined);
  }

  /** The member whose Status says it leads, or undefined. */
  async leader(): Promise<Member | undefined> {
    for (const m of this.live) {
      try {
        using c = new EtcdTestClient(m.server!.endpoint, { timeoutMs: 1000 });
        const st = await c.status();
        if (st.leader !== 0n && st.leader === st.header!.memberId) return m;
      } catch { /* not answering */ }
    }
    return undefined;
  }

  /** Waits for a leader, up to `ms`. */
  async waitLeader(ms = 20_000, not?: Member): Promise<Member> {
    const deadline = Date.now() + ms;
    for (;;) {
      const l = await this.leader();
      if (l && l !== not) return l;
      if (Date.now() > deadline) throw new Error(`no leader within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** SIGKILLs a member. */
  async kill(m: Member): Promise<void> {
    await m.server?.kill();
    m.server = undefined;
  }

  /** SIGTERMs a member and waits for it to exit. */
  async stop(m: Member): Promise<void> {
    await m.server?.stop();
    m.server = undefined;
  }

  /** Deletes a (stopped) member's data directory: a fresh disk. */
  async wipe(m: Member): Promise<void> {
    await Deno.remove(m.dataDir, { recursive: true }).catch(() => {});
    m.dataDir = `${this.#root}/${m.id}-${crypto.randomUUID().slice(0, 8)}`;
  }

  /** The recent non-debug log lines of every member (for failure messages). */
  logs(lines = 25): string {
    return this.members.map((m) =>
      `--- ${m.id} ${m.server ? "(running)" : "(down)"}\n` +
      (m.server?.log() ?? "").split("\n").filter((l) => !l.includes(" DEBUG ")).slice(-lines).join(
        "\n",
      )
    ).join("\n");
  }

  /** Runs `fn`; on failure, the error carries every member's recent log. */
  async explain<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err: unknown) {
      const msg = err instanceof Error ? err.message : String(err);
      throw new Error(`${msg}\n${this.logs()}`, { cause: err });
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    for (const m of this.members) {
      await m.server?.stop().catch(() => {});
      await m.peerProxy.close();
      await m.s3Proxy?.close();
    }
    await Deno.remove(this.#root, { recursive: true }).catch(() => {});
  }
}

/** Tries a put on `endpoints` until one accepts it; returns the ms it took. */
export async function putUntilAccepted(
  endpoints: string[],
  key: string,
  value: string,
  ms: number,
): Promise<number> {
  const started = performance.now();
  for (;;) {
    for (const e of endpoints) {
      try {
        using c = new EtcdTestClient(e, { timeoutMs: 1000 });
        await c.put(key, value);
        return performance.now() - started;
      } catch { /* not yet */ }
    }
    if (performance.now() - started > ms) throw new Error(`no write accepted within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
