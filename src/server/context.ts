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

  /** Creates the context. */
  constructor(
    node: T4Node,
    config: ServerConfig,
    options: { logger: Logger; clientUrl: string; auth: AuthStore },
  ) {
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
    if (this.node.fenced) throw new KvError("unavailable", "etcdserver: no leader");
  }
}
