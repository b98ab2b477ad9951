/**
 * {@linkcode ClusterNode}: several nodes on one object store. It owns the node (reopening it
 * when it must become a follower again or resync from the store), the leader lock, the peer
 * gRPC server, and the role loop: follow the lock's leader, or take over when the lease has
 * expired (or the leader handed over), or stay leader by renewing.
 *
 * Durability in cluster mode: every batch is uploaded to the object store before it is
 * acknowledged (as for a single node), and additionally sent to followers, whose ACKs a batch
 * waits for according to `--follower-wait-mode`. So a new leader that replays the object
 * store's WAL has every acknowledged write, whoever it is; followers give read scale-out, fast
 * failover and a second disk.
 *
 * Safety without synchronized clocks: see `lock.ts` (the leader fences itself before any
 * follower's view of the lease expires). A leader also refuses linearizable reads once its
 * lease is doubtful, and a follower serves them only after the leader's read index.
 *
 * @module
 */

import { KvError } from "../errors.ts";
import { errorText, type Logger } from "../log.ts";
import { type NodeConfig, type NodeObserver, T4Node } from "../node/mod.ts";
import {
  GrpcClient,
  type GrpcClientOptions,
  GrpcServer,
  type Method,
  type TlsOptions,
} from "../server/grpc.ts";
import {
  decodeForwardRequest,
  decodeForwardResponse,
  decodeReadIndexResponse,
  encodeForwardRequest,
  encodeForwardResponse,
  encodePeerStatusResponse,
  encodeReadIndexResponse,
  type PeerMember,
} from "../server/pb/peer.ts";
import { GrpcCode, GrpcError } from "../server/status.ts";
import { H2GrpcServer } from "../server/h2/mod.ts";
import { RemoteWalGapError } from "../checkpoint/mod.ts";
import { followLeader } from "./follower.ts";
import { LeaderReplication, type ReplicationObserver, type WaitMode } from "./leader.ts";
import { best, LeaderLock, type LockRecord, type LockState } from "./lock.ts";

/** Settings of cluster mode. */
export interface ClusterConfig {
  nodeId: string;
  /** `host:port` the peer server listens on. */
  peerListen: string;
  /** `host:port` other nodes dial (default: `peerListen`). */
  advertisePeer: string;
  clientUrl: string;
  /** Lock renewal interval; the lease is three of these. */
  renewMs: number;
  waitMode: WaitMode;
  /** How long a batch waits for follower ACKs before going on without them. */
  ackTimeoutMs: number;
  /** Server-side peer TLS (mutual, TLS 1.3) and the client side for dialing peers. */
  serverTls?: TlsOptions;
  clientTls?: GrpcClientOptions["tls"];
  logger: Logger;
  observer?: ClusterObserver;
}

/** Observations for metrics. */
export interface ClusterObserver extends ReplicationObserver {
  role?(role: "leader" | "follower"): void;
  election?(outcome: "won" | "lost"): void;
  forwarded?(method: string, seconds: number): void;
}

/** Runs a client request on the leader (the server's handler table). */
export type LocalCall = (
  method: string,
  request: Uint8Array,
  metadata: Record<string, string>,
) => Promise<Uint8Array>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A node in cluster mode; see the module doc. */
export class ClusterNode {
  readonly #nodeConfig: NodeConfig;
  readonly #nodeObserver: NodeObserver;
  readonly #c: ClusterConfig;
  readonly #lock: LeaderLock;
  readonly #peer: GrpcServer | H2GrpcServer;
  #node: T4Node;
  #role: "leader" | "follower" = "follower";
  #leader: LeaderReplication | undefined;
  #leaderInfo: { nodeId: string; addr: string; term: number; memberId: string } | undefined;
  #members: PeerMember[] = [];
  #lockState: LockState | undefined;
  /** Monotonic time the follower last saw the lock change. */
  #lockSeenAt = 0;
  /** Monotonic time the leader's last successful renewal started. */
  #renewedAt = 0;
  /** Set when the leader must step down at its next renewal (a failed batch). */
  #mustStepDown: string | undefined;
  #clients = new Map<string, GrpcClient>();
  #abort = new AbortController();
  #loop: Promise<void> | undefined;
  #closing = false;
  #localCall: LocalCall | undefined;
  #nodeListeners: ((node: T4Node) => void)[] = [];
  #closingListeners: ((node: T4Node) => void)[] = [];
  #commitWaiters: { seq: number; resolve: () => void }[] = [];
  /** The leader named this node its successor on a graceful hand-over. */
  #successor = false;

  private constructor(
    nodeConfig: NodeConfig,
    c: ClusterConfig,
    node: T4Node,
    observer: NodeObserver,
  ) {
    this.#nodeConfig = nodeConfig;
    this.#nodeObserver = observer;
    this.#c = c;
    this.#lock = new LeaderLock(nodeConfig.objectStore!);
    this.#node = node;
    // Our own HTTP/2 server for cleartext peers; grpc-js when peer mTLS is configured.
    this.#peer = new (c.serverTls ? GrpcServer : H2GrpcServer)({
      maxReceiveBytes: 64 * 1024 * 1024,
      keepaliveTimeMs: 10_000,
      keepaliveTimeoutMs: 5_000,
      logger: c.logger,
    });
    this.#peer.addService("t4.peer.Peer", this.#peerMethods());
    this.#watchCommits(node);
  }

  /** Opens the node, starts the peer server and the role loop. */
  static async open(
    nodeConfig: NodeConfig,
    c: ClusterConfig,
    observer: NodeObserver = {},
  ): Promise<ClusterNode> {
    if (!nodeConfig.objectStore) throw new TypeError("cluster mode needs an object store");
    const node = await ClusterNode.#openNode(nodeConfig, observer);
    const cluster = new ClusterNode(nodeConfig, c, node, observer);
    const [host, port] = splitHostPort(c.peerListen);
    try {
      await cluster.#peer.listen(host, port, c.serverTls);
    } catch (err: unknown) {
      await node.close();
      throw new Error(`Cannot listen for peers on ${c.peerListen}: ${errorText(err)}`, {
        cause: err,
      });
    }
    cluster.#loop = cluster.#run();
    return cluster;
  }

  static async #openNode(config: NodeConfig, observer: NodeObserver): Promise<T4Node> {
    const node = await T4Node.open({ ...config, clustered: true }, observer);
    node.role = "follower";
    node.refuseWrites(new KvError("unavailable", "etcdserver: not leader"));
    return node;
  }

  /** The node serving right now (it changes when the node is reopened). */
  get node(): T4Node {
    return this.#node;
  }

  /** Called with the new node whenever it is replaced. */
  /**
   * Registers a listener called just before the node is closed to be replaced: streams served
   * from it (watches, keepalives) must end now, or they would go quiet on a closed node.
   */
  onNodeClosing(listener: (node: T4Node) => void): void {
    this.#closingListeners.push(listener);
  }

  onNodeChange(listener: (node: T4Node) => void): void {
    this.#nodeListeners.push(listener);
  }

  /** Installs how forwarded client requests are executed (the server's handlers). */
  setLocalCall(call: LocalCall): void {
    this.#localCall = call;
  }

  /** Whether this node is the leader with a lease it trusts. */
  get isLeader(): boolean {
    return this.#role === "leader" && this.#leaseValid();
  }

  /** The role. */
  get role(): "leader" | "follower" {
    return this.#role;
  }

  /** The current leader's member ID, if known. */
  get leaderMemberId(): bigint | undefined {
    const id = this.#leaderInfo?.memberId;
    return id ? BigInt(id) : undefined;
  }

  /** Members as the leader reports them. */
  members(): PeerMember[] {
    return this.#leader ? this.#leader.members() : this.#members;
  }

  #leaseValid(): boolean {
    const leaseMs = this.#c.renewMs * 3;
    return performance.now() < this.#renewedAt + leaseMs - this.#c.renewMs;
  }

  // ---------------------------------------------------------------- role loop

  async #run(): Promise<void> {
    while (!this.#closing) {
      try {
        const lock = await this.#lock.read();
        this.#observeLock(lock);
        if (!lock) {
          await this.#tryCreate();
        } else if (lock.record.nodeId === this.#c.nodeId && this.#role === "leader") {
          await sleep(this.#c.renewMs);
        } else if (lock.record.released || this.#expired()) {
          await this.#takeOver();
        } else {
          await this.#follow(lock.record);
        }
      } catch (err: unknown) {
        if (this.#closing) return;
        this.#c.logger.warn("cluster loop error; retrying", { error: errorText(err) });
        await sleep(this.#c.renewMs);
      }
    }
  }

  #observeLock(lock: LockState | undefined): void {
    const changed = lock?.etag !== this.#lockState?.etag;
    this.#lockState = lock;
    if (changed) this.#lockSeenAt = performance.now();
    if (lock) {
      const r = lock.record;
      this.#leaderInfo = {
        nodeId: r.nodeId,
        addr: r.leaderAddr,
        term: r.term,
        memberId: r.memberId,
      };
      // Followers learn the term from the lock too, not only from WAL traffic.
      if (r.term > this.#node.store.term && this.#role === "follower") {
        this.#node.store.term = r.term;
      }
    }
  }

  #expired(): boolean {
    const leaseMs = this.#lockState?.record.leaseMs || this.#c.renewMs * 3;
    return performance.now() > this.#lockSeenAt + leaseMs + this.#c.renewMs;
  }

  #record(term: number): LockRecord {
    return {
      nodeId: this.#c.nodeId,
      memberId: this.#node.memberId.toString(),
      term,
      leaderAddr: this.#c.advertisePeer,
      clientUrl: this.#c.clientUrl,
      leaseMs: this.#c.renewMs * 3,
      renewals: 0,
      renewedAt: new Date().toISOString(),
      committedSeq: this.#node.store.appliedSeq,
      released: false,
      nominations: [],
    };
  }

  async #tryCreate(): Promise<void> {
    await this.#catchUpFromStore();
    const started = performance.now();
    const won = await this.#lock.write(
      this.#record(Math.max(this.#node.store.term, 0) + 1),
      undefined,
    );
    if (won) await this.#becomeLeader(won, started);
    else this.#c.observer?.election?.("lost");
  }

  async #takeOver(): Promise<void> {
    await this.#catchUpFromStore();
    const me = {
      nodeId: this.#c.nodeId,
      lastTerm: this.#node.walTail.term,
      lastSeq: this.#node.store.appliedSeq,
    };
    if (this.#successor) {
      // A graceful hand-over named us: no nomination round.
      this.#successor = false;
      const lock = await this.#lock.read();
      if (lock && (lock.record.released || lock.etag === this.#lockState?.etag)) {
        const started = performance.now();
        const won = await this.#lock.write(this.#record(lock.record.term + 1), lock.etag);
        if (won) return await this.#becomeLeader(won, started);
      }
    }
    // Nominate: post how up to date we are, so the best reachable candidate goes first.
    let state = this.#lockState!;
    for (let i = 0; i < 10; i++) {
      const rec = {
        ...state.record,
        nominations: [...state.record.nominations.filter((n) => n.nodeId !== me.nodeId), me],
      };
      const written = await this.#lock.write(rec, state.etag);
      if (written) {
        state = written;
        break;
      }
      const again = await this.#lock.read();
      if (!again) return;
      this.#observeLock(again);
      if (again.record.term !== state.record.term) return; // someone won meanwhile
      state = again;
    }
    this.#lockSeenAt = performance.now(); // our own write is not a sign of life
    await sleep(Math.max(200, this.#c.renewMs / 2));
    const now = await this.#lock.read();
    if (!now) return;
    if (now.record.term !== state.record.term) return this.#observeLock(now);
    const top = best(now.record.nominations);
    if (top && top.nodeId !== me.nodeId) {
      // Give the better candidate its chance; take over later if it does not.
      await sleep(this.#c.renewMs * 2);
      const later = await this.#lock.read();
      if (later?.record.term === now.record.term) {
        const rest = later.record.nominations.filter((n) => n.nodeId !== top.nodeId);
        await this.#lock.write({ ...later.record, nominations: rest }, later.etag);
      }
      return;
    }
    if (now.record.committedSeq > me.lastSeq) {
      this.#c.logger.error(
        "refusing to take over: the lock says more is committed than this node has",
        {
          committed: now.record.committedSeq,
          have: me.lastSeq,
        },
      );
      await sleep(this.#c.renewMs);
      return;
    }
    const started = performance.now();
    const won = await this.#lock.write(this.#record(now.record.term + 1), now.etag);
    if (won) await this.#becomeLeader(won, started);
    else this.#c.observer?.election?.("lost");
  }

  /**
   * Replays the object store's WAL into the node (what every acknowledged write reached). When
   * the WAL it needs was collected because a newer checkpoint covers it, the node restores that
   * checkpoint (reopened from the object store) instead.
   */
  async #catchUpFromStore(): Promise<void> {
    try {
      await this.#node.catchUpFromObjectStore();
    } catch (err: unknown) {
      if (
        !(err instanceof RemoteWalGapError) || err.expectedSeq !== this.#node.store.appliedSeq + 1
      ) {
        throw err;
      }
      this.#c.logger.info(
        "the object store's WAL starts after this node; restoring its checkpoint",
      );
      await this.#replaceNode(true);
    }
  }

  async #becomeLeader(lock: LockState, started: number): Promise<void> {
    this.#renewedAt = started;
    this.#mustStepDown = undefined;
    this.#lockState = lock;
    this.#abort.abort();
    this.#abort = new AbortController();
    const node = this.#node;
    const term = lock.record.term;
    await node.becomeLeader(term);
    const leader = new LeaderReplication(node, this.#self(), this.#c.logger, this.#c.observer);
    this.#leader = leader;
    node.pipeline.hooks.push(async (records) => {
      const ok = await leader.waitFor(records.at(-1)!.seq, this.#c.waitMode, this.#c.ackTimeoutMs);
      if (!ok) {
        this.#c.logger.warn(
          "followers did not ACK in time; the batch is durable in the object store",
        );
      }
    });
    // Last: a batch is acknowledged only if the lease still held when it became durable, so
    // no other node can have taken over (and replayed the object store without it) meanwhile.
    node.pipeline.hooks.push(() => {
      if (this.#role === "leader" && this.#leaseValid()) return Promise.resolve();
      return Promise.reject(
        new KvError(
          "unavailable",
          "etcdserver: request timed out, possibly due to previous leader failure",
        ),
      );
    });
    // A rolled-back batch may still land in the object store later under this term: reusing
    // its sequence numbers in this term is unsafe, so leave the term behind.
    node.pipeline.onRolledBack = (err) => {
      node.refuseWrites(new KvError("unavailable", "etcdserver: no leader"));
      this.#mustStepDown ??= `a write batch failed: ${err.message}`; // the renew loop acts
    };
    this.#role = "leader";
    this.#leaderInfo = {
      nodeId: this.#c.nodeId,
      addr: this.#c.advertisePeer,
      term,
      memberId: node.memberId.toString(),
    };
    this.#c.observer?.role?.("leader");
    this.#c.observer?.election?.("won");
    this.#c.logger.info("became leader", {
      term,
      seq: node.store.appliedSeq,
      revision: node.store.revision,
    });
    // A first entry in the new term marks where older terms' WAL ends in the object store.
    await node.submit((s) =>
      s.putMeta([{
        key: "cluster/leader",
        value: new TextEncoder().encode(`${this.#c.nodeId}@${term}`),
      }])
    );
    await node.durability?.start();
    await this.#renewLoop();
  }

  async #renewLoop(): Promise<void> {
    while (this.#role === "leader" && !this.#closing) {
      await sleep(this.#c.renewMs);
      if (this.#role !== "leader" || this.#closing) return;
      if (this.#mustStepDown) return this.#stepDown(this.#mustStepDown);
      const state = this.#lockState!;
      const started = performance.now();
      try {
        const rec = {
          ...state.record,
          renewals: state.record.renewals + 1,
          renewedAt: new Date().toISOString(),
          committedSeq: this.#node.store.appliedSeq,
          nominations: [],
        };
        // The lease runs out on time even when the object store hangs: a renewal that has not
        // answered by then no longer counts (if it lands later, its etag check still fences it
        // off from a successor's lock).
        const left = this.#renewedAt + this.#c.renewMs * 2 - performance.now();
        const done = await withDeadline(this.#lock.write(rec, state.etag), Math.max(0, left));
        if (done === TIMED_OUT) {
          return this.#stepDown("lease expired (the object store did not answer in time)");
        }
        if (!done) {
          this.#c.logger.warn("lost the leader lock to another node");
          return this.#stepDown("lost the lock");
        }
        this.#lockState = done;
        this.#renewedAt = started;
      } catch (err: unknown) {
        this.#c.logger.warn("cannot renew the leader lock", { error: errorText(err) });
      }
      if (!this.#leaseValid()) {
        return this.#stepDown("lease expired (cannot reach the object store)");
      }
    }
  }

  async #stepDown(reason: string): Promise<void> {
    this.#mustStepDown = undefined;
    this.#c.logger.warn("stepping down", { reason });
    const old = this.#node;
    old.refuseWrites(new KvError("unavailable", "etcdserver: no leader"));
    // A batch in flight may still be acknowledged until the lease ends: name a successor (who
    // takes over at once) only when none is, or when the lease is over.
    const leaseLeft = this.#renewedAt + this.#c.renewMs * 2 - performance.now();
    if (leaseLeft > 0) await withDeadline(old.pipeline.close(), leaseLeft);
    this.#leader?.shutdown(reason, this.#leader.successor());
    this.#leader = undefined;
    this.#role = "follower";
    this.#c.observer?.role?.("follower");
    await this.#replaceNode(false);
  }

  /** Closes the node and opens it again (optionally from the object store alone). */
  async #replaceNode(wipe: boolean): Promise<void> {
    const old = this.#node;
    for (const l of this.#closingListeners) l(old);
    await old.close().catch((err: unknown) =>
      this.#c.logger.warn("close failed", { error: errorText(err) })
    );
    if (wipe) await wipeDataDir(old.layout.engineFile, old.layout.walDir);
    this.#node = await ClusterNode.#openNode(this.#nodeConfig, this.#nodeObserver);
    this.#watchCommits(this.#node);
    for (const l of this.#nodeListeners) l(this.#node);
  }

  #watchCommits(node: T4Node): void {
    node.pipeline.commitListeners.push((seq) => {
      this.#commitWaiters = this.#commitWaiters.filter((
        w,
      ) => (w.seq <= seq ? (w.resolve(), false) : true));
    });
  }

  async #follow(lock: LockRecord): Promise<void> {
    if (lock.leaderAddr === this.#c.advertisePeer) {
      await sleep(this.#c.renewMs); // our own stale lock: wait for it to expire
      return;
    }
    this.#role = "follower";
    this.#c.observer?.role?.("follower");
    const client = this.#client(lock.leaderAddr);
    const abort = this.#abort;
    const poll = setInterval(async () => {
      try {
        const l = await this.#lock.read();
        this.#observeLock(l);
        if (!l || l.record.term !== lock.term || l.record.released || this.#expired()) {
          abort.abort();
        }
      } catch { /* the object store is away: keep following */ }
    }, this.#c.renewMs);
    try {
      const end = await followLeader(this.#node, client, this.#self(), this.#c.logger, {
        started: (_term, _leader, members) => (this.#members = members),
        members: (members) => (this.#members = members),
      }, abort.signal);
      if (abort.signal.aborted) this.#abort = new AbortController();
      if (end.kind === "resync") {
        this.#c.logger.warn("resyncing from the object store", { reason: end.reason });
        this.#c.observer?.resync?.(end.reason);
        await this.#replaceNode(true);
      } else if (end.kind === "shutdown") {
        this.#c.logger.info("leader handed over", { reason: end.reason, successor: end.successor });
        if (end.successor === this.#c.nodeId) this.#successor = true;
        else await sleep(this.#c.renewMs); // let the successor take over first
        // The others wait: a released lock is taken at once, an unreleased one only after its
        // lease (forgetting when we saw it would let us take over a healthy successor).
      } else if (end.kind === "disconnected") {
        await sleep(Math.min(1000, this.#c.renewMs));
      }
    } finally {
      clearInterval(poll);
    }
  }

  #self(): PeerMember & { peerAddr: string } {
    return {
      nodeId: this.#c.nodeId,
      memberId: this.#node.memberId,
      peerAddr: this.#c.advertisePeer,
      clientUrl: this.#c.clientUrl,
    };
  }

  #client(addr: string): GrpcClient {
    let c = this.#clients.get(addr);
    if (!c) {
      c = new GrpcClient(addr, this.#c.clientTls ? { tls: this.#c.clientTls } : {});
      this.#clients.set(addr, c);
    }
    return c;
  }

  // ---------------------------------------------------------------- serving clients

  /** Waits until this node has applied everything the leader had committed (a linearizable read). */
  async readBarrier(): Promise<void> {
    if (this.#role === "leader") {
      if (!this.#leaseValid()) throw new KvError("unavailable", "etcdserver: no leader");
      return;
    }
    const addr = this.#leaderInfo?.addr;
    if (!addr) throw new KvError("unavailable", "etcdserver: no leader");
    let res;
    try {
      res = decodeReadIndexResponse(
        await this.#client(addr).unary("/t4.peer.Peer/ReadIndex", new Uint8Array(), {
          timeoutMs: 5000,
        }),
      );
    } catch (err: unknown) {
      throw new KvError("unavailable", "etcdserver: no leader", { cause: err });
    }
    await this.waitApplied(res.commitSeq, 5000);
  }

  /** Resolves once the node has applied `seq` (rejects with Unavailable after `timeoutMs`). */
  waitApplied(seq: number, timeoutMs: number): Promise<void> {
    if (this.#node.store.appliedSeq >= seq) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#commitWaiters = this.#commitWaiters.filter((w) => w !== waiter);
        reject(new KvError("unavailable", "etcdserver: request timed out"));
      }, timeoutMs);
      const waiter = { seq, resolve: () => (clearTimeout(timer), resolve()) };
      this.#commitWaiters.push(waiter);
    });
  }

  /** Sends a client request to the leader and waits until this node has applied its effect. */
  async forward(
    method: string,
    request: Uint8Array,
    metadata: Record<string, string>,
  ): Promise<Uint8Array> {
    const addr = this.#leaderInfo?.addr;
    if (!addr || this.#role === "leader") throw new KvError("unavailable", "etcdserver: no leader");
    const started = performance.now();
    const req = encodeForwardRequest({
      method,
      request,
      metadata: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    });
    let bytes: Uint8Array;
    try {
      bytes = await this.#client(addr).unary("/t4.peer.Peer/Forward", req, { timeoutMs: 30_000 });
    } catch (err: unknown) {
      throw new KvError("unavailable", "etcdserver: leader changed", { cause: err });
    }
    const res = decodeForwardResponse(bytes);
    this.#c.observer?.forwarded?.(method, (performance.now() - started) / 1000);
    if (res.code !== 0) throw new GrpcError(res.code as GrpcCode, res.details);
    await this.waitApplied(res.commitSeq, 5000).catch(() => {});
    return res.response;
  }

  #peerMethods(): Record<string, Method> {
    return {
      Follow: {
        kind: "bidi",
        handler: (call) => {
          if (!this.#leader || !this.#leaseValid()) {
            call.finish(new GrpcError(GrpcCode.UNAVAILABLE, "not the leader"));
            return { message() {} };
          }
          return this.#leader.follow(call);
        },
      },
      ReadIndex: {
        kind: "unary",
        handler: () => {
          if (this.#role !== "leader" || !this.#leaseValid()) {
            throw new GrpcError(GrpcCode.UNAVAILABLE, "etcdserver: no leader");
          }
          return encodeReadIndexResponse({
            commitSeq: this.#node.store.appliedSeq,
            term: this.#node.store.term,
          });
        },
      },
      Forward: {
        kind: "unary",
        handler: async (bytes) => {
          const req = decodeForwardRequest(bytes);
          if (this.#role !== "leader" || !this.#localCall) {
            throw new GrpcError(GrpcCode.UNAVAILABLE, "etcdserver: not leader");
          }
          const md: Record<string, string> = {};
          for (const m of req.metadata) md[m.key] = m.value;
          try {
            const response = await this.#localCall(req.method, req.request, md);
            return encodeForwardResponse({ response, commitSeq: this.#node.store.appliedSeq });
          } catch (err: unknown) {
            const s = err instanceof GrpcError
              ? { code: err.code, details: err.details }
              : (await import("../server/status.ts")).toStatus(err);
            return encodeForwardResponse({
              code: s.code,
              details: s.details,
              commitSeq: this.#node.store.appliedSeq,
            });
          }
        },
      },
      Status: {
        kind: "unary",
        handler: () =>
          encodePeerStatusResponse({
            nodeId: this.#c.nodeId,
            lastSeq: this.#node.walTail.seq,
            lastTerm: this.#node.walTail.term,
            appliedSeq: this.#node.store.appliedSeq,
            role: this.#role,
            term: this.#node.store.term,
          }),
      },
    };
  }

  /**
   * Shuts down: a leader refuses new writes, hands over (tells followers, releases the lock),
   * then everything closes.
   */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.#abort.abort();
    const node = this.#node;
    if (this.#role === "leader") {
      node.refuseWrites(new KvError("unavailable", "etcdserver: leader changed"));
      await node.pipeline.close();
      // Release the lock first, so the named successor finds it free when it hears of it.
      const state = this.#lockState;
      if (state) {
        await this.#lock.write({
          ...state.record,
          released: true,
          renewals: state.record.renewals + 1,
        }, state.etag)
          .catch(() => {});
      }
      this.#leader?.shutdown("graceful shutdown", this.#leader.successor());
    }
    await this.#peer.shutdown(1000);
    for (const c of this.#clients.values()) c.close();
    await node.close();
    await this.#loop?.catch(() => {});
  }
}

async function wipeDataDir(engineFile: string, walDir: string): Promise<void> {
  for (const f of [engineFile, `${engineFile}-wal`, `${engineFile}-shm`]) {
    await Deno.remove(f).catch(() => {});
  }
  await Deno.remove(walDir, { recursive: true }).catch(() => {});
}

function splitHostPort(addr: string): [string, number] {
  const i = addr.lastIndexOf(":");
  const host = addr.slice(0, i).replace(/^\[|\]$/g, "") || "0.0.0.0";
  return [host, Number(addr.slice(i + 1))];
}

const TIMED_OUT: unique symbol = Symbol("timed out");

/** `promise`, or {@linkcode TIMED_OUT} after `ms` (the promise goes on; its outcome is dropped). */
function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  promise.catch(() => {}); // a late failure is not an unhandled rejection
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
