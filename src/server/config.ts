/**
 * {@linkcode ServerConfig}: everything `t4 run` configures, with T4's defaults. `cli.ts` fills
 * it from flags and `T4_*` variables; tests build it directly.
 *
 * @module
 */

import type { LogFormat, LogLevel } from "../log.ts";
import type { NodeConfig } from "../node/mod.ts";

/** S3 settings (`--s3-*`). */
export interface S3Config {
  bucket: string;
  prefix: string;
  endpoint?: string;
  region?: string;
  profile?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
}

/** How a follower waits for the leader's commit to be acknowledged (cluster mode). */
export type FollowerWaitMode = "none" | "quorum" | "all";

/** The server's configuration. */
export interface ServerConfig extends NodeConfig {
  /** Client gRPC address, `host:port`; default `0.0.0.0:3379`. */
  listen: string;
  /** The client URL members report (`--advertise-client`); default derived from `listen`. */
  advertiseClient?: string;
  /** Prometheus and health HTTP address; empty: off. Default `0.0.0.0:9090`. */
  metricsAddr: string;
  logLevel: LogLevel;
  logFormat: LogFormat;
  /** etcd's `--max-request-bytes`; default 1.5 MiB. */
  maxRequestBytes: number;
  /** Interval of progress notifications to watchers that asked for them; default 10 min. */
  watchProgressNotifyIntervalMs: number;
  /** `linearizable` (default) or `serializable`: the latter serves every read locally. */
  readConsistency: "linearizable" | "serializable";
  /** Reported by Maintenance.Status; must be ≥ 3.5.13 for kube-apiserver's progress requests. */
  etcdVersion: string;
  grpcKeepaliveMinTimeMs: number;
  grpcKeepaliveIntervalMs: number;
  grpcKeepaliveTimeoutMs: number;
  grpcKeepalivePermitWithoutStream: boolean;
  /**
   * The client gRPC transport (`--grpc-transport`): `h2`, our own HTTP/2 (cleartext only), or
   * `grpc-js`. Default `h2`; grpc-js is used whenever client TLS is configured.
   */
  transport?: "grpc-js" | "h2";
  /** Client TLS: certificate and key files; with a CA file, clients must present certificates. */
  clientTlsCert?: string;
  clientTlsKey?: string;
  clientTlsCa?: string;
  authEnabled: boolean;
  /** Seconds a simple token lives without use; default 300. */
  tokenTtlSec: number;
  /** S3 (`--s3-bucket` enables it). */
  s3?: S3Config;
  /** A local directory used as the object store instead of S3 (`--object-store-dir`). */
  objectStoreDir?: string;
  segmentMaxSizeMb: number;
  segmentMaxAgeSec: number;
  /** Upload each WAL segment before acknowledging (single node with S3); default true. */
  walSyncUpload: boolean;
  checkpointIntervalMin: number;
  checkpointEntries: number;
  /** Cluster mode: the peer address to listen on (setting it enables cluster mode). */
  peerListen?: string;
  advertisePeer?: string;
  leaderWatchIntervalSec: number;
  followerMaxRetries: number;
  followerWaitMode: FollowerWaitMode;
  peerTlsCa?: string;
  peerTlsCert?: string;
  peerTlsKey?: string;
  /** Branch node: the source store's prefix and the checkpoint to fork from. */
  branchPrefix?: string;
  branchCheckpoint?: string;
}

/** The defaults of every setting but `dataDir`. */
export const SERVER_DEFAULTS: Omit<ServerConfig, "dataDir"> = {
  listen: "0.0.0.0:3379",
  metricsAddr: "0.0.0.0:9090",
  logLevel: "info",
  logFormat: "text",
  maxRequestBytes: 1.5 * 1024 * 1024,
  watchProgressNotifyIntervalMs: 10 * 60 * 1000,
  readConsistency: "linearizable",
  etcdVersion: "3.5.17",
  grpcKeepaliveMinTimeMs: 5_000,
  grpcKeepaliveIntervalMs: 2 * 60 * 60 * 1000,
  grpcKeepaliveTimeoutMs: 20_000,
  grpcKeepalivePermitWithoutStream: true,
  authEnabled: false,
  tokenTtlSec: 300,
  segmentMaxSizeMb: 50,
  segmentMaxAgeSec: 10,
  walSyncUpload: true,
  checkpointIntervalMin: 15,
  checkpointEntries: 0,
  leaderWatchIntervalSec: 20,
  followerMaxRetries: 5,
  followerWaitMode: "quorum",
};

/** A parsed `host:port`. */
export interface HostPort {
  hostname: string;
  port: number;
}

/**
 * Parses `host:port`, `[v6]:port` or `:port` (all interfaces).
 *
 * @throws {TypeError} naming the flag and what is wrong.
 */
export function parseHostPort(value: string, what: string): HostPort {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) {
    throw new TypeError(`Invalid ${what} "${value}": expected host:port, e.g. 127.0.0.1:3379`);
  }
  return { hostname: m[1] ?? (m[2] || "0.0.0.0"), port };
}
