/**
 * {@linkcode ServiceContext}: what every service handler shares: the node, the configuration,
 * the auth store and its permission checks, response headers, the request-size limit and the
 * `hasleader` rule.
 *
 * @module
 */

import { Authorizer, type AuthStore, type LeaseKeys } from "../auth/mod.ts";
import { InvalidRequestError, KvError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { T4Node } from "../node/mod.ts";
import type { CallContext } from "./grpc.ts";
import type { ServerConfig } from "./config.ts";
import type * as pb from "./pb/mod.ts";

/** What the services need to know about the cluster (absent for a single node). */
export interface ClusterView {
  readonly role: "leader" | "follower";
  /** Leader with a lease it trusts. */
  readonly isLeader: boolean;
  readonly leaderMemberId: bigint | undefined;
  members(): { nodeId: string; memberId: bigint; peerAddr: string; clientUrl: string }[];
}

/** A local KV write, as `t4_writes_total` labels it. */
export type WriteKind = "create" | "update" | "delete" | "compact" | "txn";

/** What the services report for metrics; every method optional. */
export interface ServiceObserver {
  /** A KV write ran on this node (not forwarded): its kind, duration and outcome. */
  write?(kind: WriteKind, seconds: number, ok: boolean): void;
  /** MVCC operations served, inside Txns too: puts, deletes, ranges and txns. */
  mvcc?(puts: number, deletes: number, ranges: number, txns: number): void;
  /** Watch events sent to a client. */
  watchEvents?(n: number): void;
}

/** Shared state of the services of one server. */
export class ServiceContext {
  readonly node: T4Node;
  readonly config: ServerConfig;
  readonly logger: Logger;
  /** The client URL this member reports. */
  readonly clientUrl: string;
  /** Users, roles, tokens. */
  readonly auth: AuthStore;
  /** Who may do what; every service asks it before touching the node. */
  readonly authz: Authorizer;
  /** The keys attached to a lease, for permission checks. */
  readonly leaseKeys: LeaseKeys;
  /** Cluster mode, when on. */
  readonly cluster: ClusterView | undefined;
  /** Metrics hooks. */
  readonly observer: ServiceObserver;

  /** Creates the context. */
  constructor(
    node: T4Node,
    config: ServerConfig,
    options: {
      logger: Logger;
      clientUrl: string;
      auth: AuthStore;
      cluster?: ClusterView;
      observer?: ServiceObserver;
    },
  ) {
    this.cluster = options.cluster;
    this.observer = options.observer ?? {};
    this.node = node;
    this.config = config;
    this.logger = options.logger;
    this.clientUrl = options.clientUrl;
    this.auth = options.auth;
    this.authz = new Authorizer(options.auth.state, {
      trustCommonName: config.clientTlsCa !== undefined,
    });
    this.leaseKeys = (lease) => node.store.lessor.get(lease)?.keys ?? [];
  }

  /** A response header at `revision` (etcd fills cluster, member and term in every header). */
  header(revision: number): pb.ResponseHeader {
    return {
      clusterId: this.node.clusterId,
      memberId: this.node.memberId,
      revision,
      raftTerm: this.node.store.term,
    };
  }

  /** A response header at the current revision. */
  currentHeader(): pb.ResponseHeader {
    return this.header(this.node.store.revision);
  }

  /** Whether reads must be served locally whatever the request asks (`--read-consistency`). */
  get serializableOnly(): boolean {
    return this.config.readConsistency === "serializable";
  }

  /**
   * etcd's `--max-request-bytes` for writes: a larger request fails with InvalidArgument
   * "etcdserver: request is too large".
   */
  checkWriteSize(request: Uint8Array): void {
    if (request.length > this.config.maxRequestBytes) {
      throw new InvalidRequestError("request-too-large", "request is too large");
    }
  }

  /**
   * clientv3 sends metadata `hasleader: true` (WithRequireLeader); etcd then refuses with
   * Unavailable "etcdserver: no leader" while the member has no leader.
   */
  checkLeader(ctx: CallContext): void {
    if (ctx.metadata("hasleader") !== "true") return;
    if (!this.hasLeader()) throw new KvError("unavailable", "etcdserver: no leader");
  }

  /** Whether this member knows a leader it can work with. */
  hasLeader(): boolean {
    if (this.node.fenced) return false;
    const c = this.cluster;
    if (!c) return true;
    return c.role === "leader" ? c.isLeader : c.leaderMemberId !== undefined;
  }

  /** The leader's member ID as Status reports it (0 when there is none). */
  leaderId(): bigint {
    if (!this.hasLeader()) return 0n;
    return this.cluster ? (this.cluster.leaderMemberId ?? 0n) : this.node.memberId;
  }
}
