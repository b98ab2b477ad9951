/**
 * {@linkcode LeaderReplication}: the leader's side of the peer protocol. It keeps a ring of the
 * newest WAL records, answers each follower's Hello (where to start, what to drop), streams every
 * batch as it is appended (before the leader's own fsync, so the followers' fsyncs overlap it),
 * tells followers the commit sequence after each batch becomes visible, and collects ACKs so a
 * batch can wait for `none`, a `quorum` (⌊(n+1)/2⌋ of the n connected followers) or `all`.
 *
 * Catch-up: a follower whose position is in the ring or in the leader's local WAL files is
 * streamed from there; one further behind gets `Resync` (`behind_leader_start`,
 * `ring_buffer_miss`) and restores from the object store. A follower whose last entry has a
 * term the leader's log does not have at that seq gets `Start.truncate_after` at the last seq
 * the two logs surely share (never below what it applied), or `Resync(term_conflict)`.
 *
 * @module
 */

import type { Logger } from "../log.ts";
import type { StoreRecord } from "../mvcc/mod.ts";
import { replayRemoteWal } from "../checkpoint/mod.ts";
import type { T4Node } from "../node/mod.ts";
import type { StreamCall, StreamReceiver } from "../server/grpc.ts";
import {
  decodeFollowRequest,
  encodeFollowResponse,
  type FollowResponse,
  type PeerHello,
  type PeerMember,
} from "../server/pb/peer.ts";

/** The wait modes of `--follower-wait-mode`. */
export type WaitMode = "none" | "quorum" | "all";

/** Observations for metrics and logs. */
export interface ReplicationObserver {
  followerLag?(nodeId: string, lag: number | undefined): void;
  resync?(reason: string): void;
}

interface Session {
  hello: PeerHello;
  call: StreamCall;
  /** Highest seq durable on the follower. */
  durable: number;
  /** Records are streamed to it (after the handshake and catch-up). */
  live: boolean;
  /** Messages queued while catching up. */
  backlog: Uint8Array[];
}

interface Waiter {
  seq: number;
  need: Set<Session>;
  count: number;
  resolve: () => void;
}

const RING_RECORDS = 10_000;
/** A follower further behind than this resyncs from a checkpoint instead of the remote WAL. */
const MAX_REMOTE_CATCH_UP = 200_000;
const MAX_BACKLOG = 512;

/** The leader's replication state; see the module doc. */
export class LeaderReplication {
  readonly #node: T4Node;
  readonly #self: PeerMember;
  readonly #logger: Logger;
  readonly #observer: ReplicationObserver;
  readonly #sessions = new Set<Session>();
  readonly #ring: StoreRecord[] = [];
  /** First seq of this leader's term: entries before it came from earlier leaders. */
  readonly #termStart: number;
  #waiters: Waiter[] = [];
  #closed = false;

  /** Starts replicating from `node`, which has just become leader. */
  constructor(node: T4Node, self: PeerMember, logger: Logger, observer: ReplicationObserver = {}) {
    this.#node = node;
    this.#self = self;
    this.#logger = logger;
    this.#observer = observer;
    this.#termStart = node.walTail.seq + 1;
    node.pipeline.appendListeners.push((records) => this.#broadcast(records));
    node.pipeline.commitListeners.push((seq) => this.#commit(seq));
  }

  /** Followers connected right now. */
  get followers(): PeerHello[] {
    return [...this.#sessions].filter((s) => s.live).map((s) => s.hello);
  }

  /** The members this leader knows: itself and its connected followers. */
  members(): PeerMember[] {
    return [
      this.#self,
      ...this.followers.map((h) => ({
        nodeId: h.nodeId,
        memberId: h.memberId,
        peerAddr: h.peerAddr,
        clientUrl: h.clientUrl,
      })),
    ];
  }

  /** The smallest durable seq among connected followers (for WAL GC), or undefined. */
  minFollowerSeq(): number | undefined {
    let min: number | undefined;
    for (const s of this.#sessions) {
      if (s.live) {
        min = min === undefined ? s.durable : Math.min(min, s.durable);
      }
    }
    return min;
  }

  /** The `Follow` stream handler (a follower calls in). */
  follow(call: StreamCall): StreamReceiver {
    let session: Session | undefined;
    return {
      message: (bytes) => {
        const msg = decodeFollowRequest(bytes);
        if (msg.hello && !session) {
          const s = {
            hello: msg.hello,
            call,
            durable: 0,
            live: false,
            backlog: [] as Uint8Array[],
          };
          session = s;
          this.#admit(s).catch((err: unknown) => {
            this.#logger.warn("cannot admit follower", {
              follower: s.hello.nodeId,
              error: String(err),
            });
            this.#resync(s, "ring_buffer_miss");
          });
        } else if (msg.ack && session) {
          session.durable = Math.max(session.durable, msg.ack.durableSeq);
          this.#observer.followerLag?.(
            session.hello.nodeId,
            this.#node.walTail.seq - session.durable,
          );
          this.#settle();
        }
      },
      end: () => call.finish(),
      closed: () => {
        if (session) {
          this.#sessions.delete(session);
          this.#observer.followerLag?.(session.hello.nodeId, undefined);
          this.#logger.info("follower disconnected", { follower: session.hello.nodeId });
          this.#settle();
        }
      },
    };
  }

  async #admit(s: Session): Promise<void> {
    const node = this.#node;
    const h = s.hello;
    let start = h.lastSeq; // the last seq both logs share, as far as we can tell
    const own = h.lastSeq <= node.walTail.seq ? await this.#termOf(h.lastSeq) : undefined;
    if (h.lastSeq > node.walTail.seq || (own !== undefined && own !== h.lastTerm)) {
      // Its tail came from a leader whose last entries this log does not have: keep only what
      // is surely shared (entries before this term's start came to both from earlier leaders).
      start = Math.min(h.lastSeq, node.walTail.seq, this.#termStart - 1);
      if (start < h.appliedSeq) return this.#resync(s, "term_conflict");
    } else if (own === undefined && h.lastSeq > 0) {
      return this.#resync(s, "ring_buffer_miss");
    }
    const catchUp = start < node.walTail.seq ? await this.#entriesAfter(start) : [];
    if (catchUp === undefined) return this.#resync(s, "behind_leader_start");
    this.#sessions.add(s);
    s.durable = start;
    this.#send(s, {
      start: {
        term: node.store.term,
        truncateAfter: start,
        commitSeq: node.store.appliedSeq,
        leaderId: this.#self.nodeId,
        members: this.members(),
      },
    }, true);
    for (let i = 0; i < catchUp.length; i += 500) {
      this.#send(s, {
        entries: { records: catchUp.slice(i, i + 500), commitSeq: node.store.appliedSeq },
      }, true);
    }
    s.live = true;
    for (const m of s.backlog.splice(0)) s.call.write(m);
    this.#logger.info("follower connected", {
      follower: h.nodeId,
      from: start,
      catchUp: catchUp.length,
    });
  }

  #resync(s: Session, reason: string): void {
    this.#observer.resync?.(reason);
    this.#logger.info("follower must resync", { follower: s.hello.nodeId, reason });
    s.call.write(encodeFollowResponse({ resync: { reason } }));
    s.call.finish();
  }

  /** The term of the entry at `seq` in this leader's log, if it can find it. */
  async #termOf(seq: number): Promise<number | undefined> {
    if (seq === 0) return 0;
    const inRing = this.#ring.find((r) => r.seq === seq);
    if (inRing) return inRing.term;
    if (seq <= this.#node.store.appliedSeq && seq < (this.#ring[0]?.seq ?? Infinity)) {
      const local = await this.#node.readLocalWal(seq - 1, 1).catch(() => []);
      if (local[0]?.seq === seq) return local[0].term;
      const remote = await this.#remoteEntries(seq - 1, seq + 1);
      if (remote?.[0]?.seq === seq) return remote[0].term;
    }
    return undefined;
  }

  /**
   * Records after `seq` up to the WAL's end: from the ring, else the local WAL files, else the
   * object store's WAL (every acknowledged batch is there; a new leader's local WAL starts at
   * its term, so followers of the previous leader catch up from it instead of resyncing).
   */
  async #entriesAfter(seq: number): Promise<StoreRecord[] | undefined> {
    const first = this.#ring[0];
    if (first && first.seq <= seq + 1) return this.#ring.filter((r) => r.seq > seq);
    let older = await this.#node.readLocalWal(seq, Number.MAX_SAFE_INTEGER).catch(() => []);
    if (older[0]?.seq !== seq + 1) {
      older = await this.#remoteEntries(seq, first?.seq ?? Infinity) ?? [];
      if (older[0]?.seq !== seq + 1) return undefined;
    }
    const last = older.at(-1)!.seq;
    if (first && first.seq > last + 1) return undefined;
    return [...older, ...this.#ring.filter((r) => r.seq > last)];
  }

  /** Records with `afterSeq < seq < beforeSeq` from the object store's WAL, if it has them. */
  async #remoteEntries(afterSeq: number, beforeSeq: number): Promise<StoreRecord[] | undefined> {
    const objects = this.#node.config.objectStore;
    if (!objects) return undefined;
    const out: StoreRecord[] = [];
    try {
      await replayRemoteWal(objects, { afterSeq, beforeSeq }, (r) => {
        if (out.length >= MAX_REMOTE_CATCH_UP) throw new RangeError("too far behind");
        out.push({ seq: r.seq, term: r.term, rev: r.rev, data: r.data.slice() });
      });
    } catch {
      return undefined; // collected (a checkpoint covers it) or too far behind: resync
    }
    return out;
  }

  #send(s: Session, msg: FollowResponse, direct = false): void {
    const bytes = encodeFollowResponse(msg);
    if (!s.live && !direct) {
      if (s.backlog.length >= MAX_BACKLOG) s.call.finish();
      else s.backlog.push(bytes);
      return;
    }
    if (!s.call.write(bytes) && !direct) {
      // The follower does not keep up: drop it; it reconnects and catches up from the ring.
      if (s.backlog.length++ > MAX_BACKLOG) s.call.finish();
      else s.call.onDrain(() => (s.backlog.length = 0));
    }
  }

  #broadcast(records: readonly StoreRecord[]): void {
    for (const r of records) this.#ring.push(r);
    if (this.#ring.length > RING_RECORDS) this.#ring.splice(0, this.#ring.length - RING_RECORDS);
    const commitSeq = this.#node.store.appliedSeq;
    for (const s of this.#sessions) {
      this.#send(s, { entries: { records: [...records], commitSeq } });
    }
  }

  #commit(seq: number): void {
    for (const s of this.#sessions) {
      this.#send(s, { commit: { commitSeq: seq, members: this.members() } });
    }
  }

  /**
   * Resolves once enough followers hold everything up to `seq` for `mode`, or after
   * `timeoutMs` (a slow follower must not stall writes that are durable in the object store;
   * it catches up or is dropped).
   */
  waitFor(seq: number, mode: WaitMode, timeoutMs: number): Promise<boolean> {
    const live = [...this.#sessions].filter((s) => s.live);
    const need = mode === "none"
      ? 0
      : mode === "all"
      ? live.length
      : Math.floor((live.length + 1) / 2);
    if (need === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      const waiter: Waiter = {
        seq,
        need: new Set(live),
        count: need,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      this.#waiters.push(waiter);
      this.#settle();
    });
  }

  #settle(): void {
    this.#waiters = this.#waiters.filter((w) => {
      let acked = 0;
      for (const s of w.need) {
        if (!this.#sessions.has(s)) w.need.delete(s);
        else if (s.durable >= w.seq) acked++;
      }
      if (acked >= Math.min(w.count, w.need.size)) {
        w.resolve();
        return false;
      }
      return true;
    });
  }

  /** The connected follower with the most durable entries (the best successor), if any. */
  successor(): string | undefined {
    let top: Session | undefined;
    for (const s of this.#sessions) if (s.live && (!top || s.durable > top.durable)) top = s;
    return top?.hello.nodeId;
  }

  /**
   * Tells every follower the leader is leaving on purpose (naming `successor`, who takes over
   * at once), then ends their streams.
   */
  shutdown(reason: string, successor = ""): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of this.#sessions) {
      s.call.write(encodeFollowResponse({ shutdown: { reason, successor } }));
      s.call.finish();
    }
    this.#sessions.clear();
    for (const w of this.#waiters) w.resolve();
    this.#waiters = [];
  }
}
