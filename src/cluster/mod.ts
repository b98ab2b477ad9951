/**
 * Cluster mode: several nodes on one object store elect a leader with conditional PUTs on the
 * `leader-lock` object (`lock.ts`), the leader streams its WAL to followers over the peer gRPC
 * protocol (`proto/peer.proto`; `leader.ts`, `follower.ts`), followers forward writes and ask
 * for the read index, and `cluster.ts` runs the roles.
 *
 * Invariants: every acknowledged write is in the object store's WAL (sync upload) before the
 * client hears back, so any new leader that replays it has it; a follower applies only what the
 * leader committed; a leader stops writing and serving linearizable reads before any follower's
 * view of its lease expires; terms strictly increase, and a new term starts with an entry that
 * marks where older terms end in the object store.
 *
 * @module
 */

export {
  type ClusterConfig,
  ClusterNode,
  type ClusterObserver,
  type LocalCall,
} from "./cluster.ts";
export { type FollowEnd, PEER_VERSION } from "./follower.ts";
export { type ReplicationObserver, type WaitMode } from "./leader.ts";
export {
  best,
  decodeLockRecord,
  encodeLockRecord,
  LeaderLock,
  LOCK_KEY,
  type LockRecord,
  type LockState,
  type Nomination,
  ranksBefore,
} from "./lock.ts";
