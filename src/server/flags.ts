/**
 * The flags of `t4 run`, each with its `T4_*` environment variable, as one table that the CLI
 * registers and `docs/` describes. A flag given on the command line wins; otherwise a non-empty
 * environment variable; otherwise the default.
 *
 * @module
 */

import type { LogFormat, LogLevel } from "../log.ts";
import { type FollowerWaitMode, SERVER_DEFAULTS, type ServerConfig } from "./config.ts";

/** How a flag's text becomes a value. */
type Kind = "string" | "int" | "bool" | "duration";

/** One flag of `t4 run`. */
export interface FlagSpec {
  /** The long flag name without dashes, e.g. `data-dir`. */
  name: string;
  kind: Kind;
  /** The default as shown in `--help`. */
  default?: string;
  help: string;
  /** Allowed values, when the flag is an enumeration. */
  choices?: readonly string[];
  /** Set when the flag belongs to a feature this build does not have yet. */
  pending?: string;
}

/** The environment variable of a flag: `data-dir` → `T4_DATA_DIR`. */
export function envName(flag: string): string {
  return `T4_${flag.toUpperCase().replaceAll("-", "_")}`;
}

/** Every flag of `t4 run`, in `--help` order. */
export const RUN_FLAGS: readonly FlagSpec[] = [
  { name: "data-dir", kind: "string", default: "/var/lib/t4", help: "data directory" },
  { name: "listen", kind: "string", default: "0.0.0.0:3379", help: "client gRPC address" },
  {
    name: "advertise-client",
    kind: "string",
    help: "client URL this member reports (default: from --listen)",
  },
  {
    name: "metrics-addr",
    kind: "string",
    default: "0.0.0.0:9090",
    help: "HTTP address for /metrics, /healthz, /readyz (empty: off)",
  },
  {
    name: "log-level",
    kind: "string",
    default: "info",
    choices: ["trace", "debug", "info", "warn", "error"],
    help: "log level",
  },
  {
    name: "log-format",
    kind: "string",
    default: "text",
    choices: ["text", "json"],
    help: "log format",
  },
  { name: "node-id", kind: "string", help: "this node's name (default: the host name)" },
  {
    name: "read-consistency",
    kind: "string",
    default: "linearizable",
    choices: ["linearizable", "serializable"],
    help: "serializable serves every read locally",
  },
  { name: "max-request-bytes", kind: "int", default: "1572864", help: "largest request accepted" },
  { name: "max-txn-ops", kind: "int", default: "128", help: "most operations in one txn" },
  {
    name: "watch-progress-notify-interval",
    kind: "duration",
    default: "10m",
    help: "interval of progress notifications to watchers that ask for them",
  },
  { name: "cache-size-mb", kind: "int", default: "64", help: "engine page cache" },
  {
    name: "wal-truncate-corrupt",
    kind: "bool",
    default: "false",
    help: "recovery: cut a WAL damaged in the middle at the damage (loses later entries)",
  },
  { name: "client-tls-cert", kind: "string", help: "client TLS certificate file" },
  { name: "client-tls-key", kind: "string", help: "client TLS key file" },
  { name: "client-tls-ca", kind: "string", help: "CA file; clients must present certificates" },
  {
    name: "auth-enabled",
    kind: "bool",
    default: "false",
    help: "enable etcd authentication (needs user root with role root; stays on until " +
      "AuthDisable)",
  },
  {
    name: "token-ttl",
    kind: "int",
    default: "300",
    help: "auth token idle lifetime, seconds",
  },
  {
    name: "s3-bucket",
    kind: "string",
    help: "S3 bucket (enables S3 durability)",
  },
  {
    name: "s3-prefix",
    kind: "string",
    default: "",
    help: "key prefix in the bucket",
  },
  {
    name: "s3-endpoint",
    kind: "string",
    help: "S3 endpoint URL (path-style)",
  },
  { name: "s3-region", kind: "string", help: "S3 region (default us-east-1)" },
  { name: "s3-profile", kind: "string", help: "AWS shared-config profile" },
  { name: "s3-access-key-id", kind: "string", help: "static S3 access key" },
  {
    name: "s3-secret-access-key",
    kind: "string",
    help: "static S3 secret key",
  },
  {
    name: "object-store-dir",
    kind: "string",
    help: "a local directory used as the object store instead of S3",
  },
  { name: "segment-max-size-mb", kind: "int", default: "50", help: "WAL segment size" },
  {
    name: "segment-max-age-sec",
    kind: "int",
    default: "10",
    help: "seal and upload a WAL segment after this many seconds",
  },
  {
    name: "wal-sync-upload",
    kind: "bool",
    default: "true",
    help: "upload the WAL before acknowledging (single node with S3)",
  },
  {
    name: "checkpoint-interval-min",
    kind: "int",
    default: "15",
    help: "minutes between checkpoints",
  },
  { name: "checkpoint-entries", kind: "int", default: "0", help: "checkpoint after N entries too" },
  {
    name: "peer-listen",
    kind: "string",
    help: "peer address (enables cluster mode)",
  },
  {
    name: "advertise-peer",
    kind: "string",
    help: "peer address others dial",
  },
  {
    name: "leader-watch-interval-sec",
    kind: "int",
    default: "20",
    help: "leader lease renewal interval",
  },
  {
    name: "follower-max-retries",
    kind: "int",
    default: "5",
    help: "accepted for T4 compatibility; unused (takeover follows the leader's lease)",
  },
  {
    name: "follower-wait-mode",
    kind: "string",
    default: "quorum",
    choices: ["none", "quorum", "all"],
    help: "follower ACKs a commit waits for",
  },
  { name: "peer-tls-ca", kind: "string", help: "peer mTLS CA file" },
  {
    name: "peer-tls-cert",
    kind: "string",
    help: "peer mTLS certificate",
  },
  { name: "peer-tls-key", kind: "string", help: "peer mTLS key" },
  {
    name: "branch-prefix",
    kind: "string",
    help: "source prefix of a branch node",
  },
  {
    name: "branch-checkpoint",
    kind: "string",
    help: "checkpoint a branch node forks from",
  },
  {
    name: "grpc-keepalive-min-time",
    kind: "duration",
    default: "5s",
    help: "accepted for etcd compatibility; not enforced (client pings are always answered)",
  },
  {
    name: "grpc-keepalive-interval",
    kind: "duration",
    default: "2h",
    help: "server ping interval",
  },
  { name: "grpc-keepalive-timeout", kind: "duration", default: "20s", help: "server ping timeout" },
  {
    name: "grpc-transport",
    kind: "string",
    default: "h2",
    choices: ["h2", "grpc-js"],
    help: "client gRPC transport: h2 (built-in HTTP/2, cleartext) or grpc-js (always with TLS)",
  },
  {
    name: "grpc-keepalive-permit-without-stream",
    kind: "bool",
    default: "true",
    help: "accepted for etcd compatibility; not enforced (pings without streams are allowed)",
  },
];

/** Parses `1h30m`, `5s`, `250ms` or a bare number of seconds into milliseconds. */
export function parseDuration(value: string, what: string): number {
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let rest = text;
  const part = /^(\d+(?:\.\d+)?)(ms|s|m|h)/;
  while (rest.length > 0) {
    const m = part.exec(rest);
    if (!m) throw new TypeError(`Invalid ${what} "${value}": expected a duration like 5s or 2h`);
    total += Number(m[1]) * units[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  if (text.length === 0) throw new TypeError(`Invalid ${what}: empty duration`);
  return total;
}

function parseBool(value: string, what: string): boolean {
  const v = value.trim().toLowerCase();
  if (["true", "1", "yes", "on"].includes(v)) return true;
  if (["false", "0", "no", "off"].includes(v)) return false;
  throw new TypeError(`Invalid ${what} "${value}": expected true or false`);
}

function parseInt10(value: string, what: string): number {
  if (!/^-?\d+$/.test(value.trim())) {
    throw new TypeError(`Invalid ${what} "${value}": expected an integer`);
  }
  return Number(value);
}

/**
 * Builds a {@linkcode ServerConfig} from flag values (`name` → text; absent flags omitted).
 *
 * @throws {TypeError} for a value that does not parse or is not allowed, naming the flag.
 */
export function configFromFlags(values: ReadonlyMap<string, string>): ServerConfig {
  const str = (name: string): string | undefined => values.get(name);
  const flag = (name: string) => RUN_FLAGS.find((f) => f.name === name)!;
  const get = (name: string): string => {
    const v = str(name) ?? flag(name).default;
    if (v === undefined) throw new Error(`flag --${name} has no default`);
    const choices = flag(name).choices;
    if (choices && !choices.includes(v)) {
      throw new TypeError(`Invalid --${name} "${v}": expected one of ${choices.join(", ")}`);
    }
    return v;
  };
  const int = (name: string) => parseInt10(get(name), `--${name}`);
  const bool = (name: string) => parseBool(get(name), `--${name}`);
  const dur = (name: string) => parseDuration(get(name), `--${name}`);
  for (const f of RUN_FLAGS) {
    if (f.pending && values.has(f.name)) {
      throw new TypeError(
        `--${f.name} belongs to ${f.pending}, which this build does not have yet`,
      );
    }
  }
  const config: ServerConfig = {
    ...SERVER_DEFAULTS,
    dataDir: get("data-dir"),
    listen: get("listen"),
    metricsAddr: get("metrics-addr"),
    logLevel: get("log-level") as LogLevel,
    logFormat: get("log-format") as LogFormat,
    readConsistency: get("read-consistency") as ServerConfig["readConsistency"],
    maxRequestBytes: int("max-request-bytes"),
    maxTxnOps: int("max-txn-ops"),
    watchProgressNotifyIntervalMs: dur("watch-progress-notify-interval"),
    cacheKiB: int("cache-size-mb") * 1024,
    truncateCorruptWal: bool("wal-truncate-corrupt"),
    authEnabled: bool("auth-enabled"),
    tokenTtlSec: int("token-ttl"),
    segmentMaxSizeMb: int("segment-max-size-mb"),
    segmentMaxAgeSec: int("segment-max-age-sec"),
    walSyncUpload: bool("wal-sync-upload"),
    checkpointIntervalMin: int("checkpoint-interval-min"),
    checkpointEntries: int("checkpoint-entries"),
    leaderWatchIntervalSec: int("leader-watch-interval-sec"),
    followerMaxRetries: int("follower-max-retries"),
    followerWaitMode: get("follower-wait-mode") as FollowerWaitMode,
    grpcKeepaliveMinTimeMs: dur("grpc-keepalive-min-time"),
    grpcKeepaliveIntervalMs: dur("grpc-keepalive-interval"),
    grpcKeepaliveTimeoutMs: dur("grpc-keepalive-timeout"),
    grpcKeepalivePermitWithoutStream: bool("grpc-keepalive-permit-without-stream"),
    transport: get("grpc-transport") as NonNullable<ServerConfig["transport"]>,
  };
  config.segmentBytes = config.segmentMaxSizeMb * 1024 * 1024;
  const optional = [
    ["node-id", "nodeId"],
    ["advertise-client", "advertiseClient"],
    ["client-tls-cert", "clientTlsCert"],
    ["client-tls-key", "clientTlsKey"],
    ["client-tls-ca", "clientTlsCa"],
    ["object-store-dir", "objectStoreDir"],
    ["peer-listen", "peerListen"],
    ["advertise-peer", "advertisePeer"],
    ["peer-tls-ca", "peerTlsCa"],
    ["peer-tls-cert", "peerTlsCert"],
    ["peer-tls-key", "peerTlsKey"],
    ["branch-prefix", "branchPrefix"],
    ["branch-checkpoint", "branchCheckpoint"],
  ] as const;
  for (const [name, field] of optional) {
    const v = str(name);
    if (v !== undefined && v !== "") (config as unknown as Record<string, string>)[field] = v;
  }
  const bucket = str("s3-bucket");
  if (bucket) {
    const s3: NonNullable<ServerConfig["s3"]> = { bucket, prefix: get("s3-prefix") };
    for (
      const [name, field] of [
        ["s3-endpoint", "endpoint"],
        ["s3-region", "region"],
        ["s3-profile", "profile"],
        ["s3-access-key-id", "accessKeyId"],
        ["s3-secret-access-key", "secretAccessKey"],
      ] as const
    ) {
      const v = str(name);
      if (v) s3[field] = v;
    }
    config.s3 = s3;
  }
  if (config.maxRequestBytes < 1024) {
    throw new TypeError(`Invalid --max-request-bytes ${config.maxRequestBytes}: at least 1024`);
  }
  if ((config.clientTlsCert === undefined) !== (config.clientTlsKey === undefined)) {
    throw new TypeError("--client-tls-cert and --client-tls-key must be given together");
  }
  if (config.clientTlsCa !== undefined && config.clientTlsCert === undefined) {
    throw new TypeError("--client-tls-ca needs --client-tls-cert and --client-tls-key");
  }
  return config;
}
