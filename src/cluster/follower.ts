/**
 * {@linkcode followLeader}: a follower's side of the peer protocol, for one connection. It says
 * Hello with its last durable WAL entry, drops what the leader says diverges, appends streamed
 * records to its WAL with fsync and ACKs them, and applies records only once the leader reports
 * them committed, so a follower never shows an entry the cluster might lose.
 *
 * Messages are handled strictly in order (each fsync finishes before the next message), and a
 * break in the sequence ends the stream (`stream_gap`): reconnecting resumes from the WAL's end.
 *
 * @module
 */

import type { Logger } from "../log.ts";
import type { StoreRecord } from "../mvcc/mod.ts";
import type { T4Node } from "../node/mod.ts";
import type { GrpcClient } from "../server/grpc.ts";
import {
  decodeFollowResponse,
  encodeFollowRequest,
  type FollowResponse,
  type PeerMember,
} from "../server/pb/peer.ts";

/** Why a follow stream ended. */
export type FollowEnd =
  | { kind: "shutdown"; reason: string; successor: string }
  | { kind: "resync"; reason: string }
  | { kind: "disconnected"; reason: string }
  | { kind: "closed" };

/** What a follower tells the leader about itself. */
export interface FollowerIdentity {
  nodeId: string;
  memberId: bigint;
  peerAddr: string;
  clientUrl: string;
}

/** Callbacks while following. */
export interface FollowHooks {
  /** The leader accepted us (term, members). */
  started?(term: number, leaderId: string, members: PeerMember[]): void;
  members?(members: PeerMember[]): void;
  /** A stream message arrived (leader liveness). */
  heard?(): void;
}

/** The peer protocol version this build speaks. */
export const PEER_VERSION = 1;

/**
 * Follows the leader at `client` until the stream ends; resolves with why. `signal` aborts it
 * (the node is shutting down or taking over).
 */
export function followLeader(
  node: T4Node,
  client: GrpcClient,
  me: FollowerIdentity,
  logger: Logger,
  hooks: FollowHooks,
  signal: AbortSignal,
): Promise<FollowEnd> {
  return new Promise((resolve) => {
    const stream = client.stream("/t4.peer.Peer/Follow");
    let ended: FollowEnd | undefined;
    const end = (e: FollowEnd) => {
      if (ended) return;
      ended = e;
      stream.cancel();
      resolve(e);
    };
    const onAbort = () => end({ kind: "closed" });
    signal.addEventListener("abort", onAbort, { once: true });
    let staged: StoreRecord[] = [];
    let chain = Promise.resolve();
    const applyUpTo = (commitSeq: number) => {
      const ready = staged.filter((r) => r.seq <= commitSeq);
      if (ready.length === 0) return;
      staged = staged.filter((r) => r.seq > commitSeq);
      node.applyReplicated(ready);
    };
    const handle = async (msg: FollowResponse) => {
      hooks.heard?.();
      if (msg.start) {
        const s = msg.start;
        if (s.truncateAfter < node.walTail.seq) {
          logger.info("dropping WAL entries the leader does not have", {
            after: s.truncateAfter,
            had: node.walTail.seq,
          });
          await node.truncateWalAfter(s.truncateAfter);
        }
        staged = await node.readLocalWal(node.store.appliedSeq, Number.MAX_SAFE_INTEGER);
        if (s.term > node.store.term) node.store.term = s.term;
        hooks.started?.(s.term, s.leaderId, s.members);
        applyUpTo(s.commitSeq);
        ack();
      } else if (msg.entries) {
        const fresh = msg.entries.records.filter((r) => r.seq > node.walTail.seq);
        if (fresh.length > 0) {
          if (fresh[0]!.seq !== node.walTail.seq + 1) {
            return end({ kind: "disconnected", reason: "stream_gap" });
          }
          const records = fresh.map((r) => ({
            seq: r.seq,
            term: r.term,
            rev: r.rev,
            data: r.data.slice(),
          }));
          await node.appendReplicated(records);
          staged.push(...records);
          ack();
        }
        applyUpTo(msg.entries.commitSeq);
      } else if (msg.commit) {
        applyUpTo(msg.commit.commitSeq);
        hooks.members?.(msg.commit.members);
      } else if (msg.resync) {
        end({ kind: "resync", reason: msg.resync.reason });
      } else if (msg.shutdown) {
        end({ kind: "shutdown", reason: msg.shutdown.reason, successor: msg.shutdown.successor });
      }
    };
    const ack = () =>
      stream.write(encodeFollowRequest({
        ack: { durableSeq: node.walTail.seq, appliedSeq: node.store.appliedSeq },
      }));
    stream.onMessage((bytes) => {
      let msg: FollowResponse;
      try {
        msg = decodeFollowResponse(bytes);
      } catch (err: unknown) {
        return end({ kind: "disconnected", reason: `bad message: ${text(err)}` });
      }
      chain = chain.then(() => (ended ? undefined : handle(msg))).catch((err: unknown) => {
        logger.error("cannot apply what the leader sent", { error: text(err) });
        end({ kind: "resync", reason: `apply failed: ${text(err)}` });
      });
    });
    stream.done.then((status) => {
      signal.removeEventListener("abort", onAbort);
      void chain.then(() =>
        end({ kind: "disconnected", reason: status.details || `status ${status.code}` })
      );
    });
    stream.write(encodeFollowRequest({
      hello: {
        ...me,
        lastSeq: node.walTail.seq,
        lastTerm: node.walTail.term,
        appliedSeq: node.store.appliedSeq,
        version: PEER_VERSION,
      },
    }));
  });
}

function text(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
