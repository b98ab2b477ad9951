/**
 * {@linkcode startServer}: opens the node, registers the etcd services on the gRPC transport,
 * serves metrics and health over HTTP, and reports when the node fences itself so `t4 run` can
 * exit non-zero. {@linkcode runServer} is `t4 run`: start, wait for SIGTERM/SIGINT or a fence,
 * shut down gracefully.
 *
 * @module
 */

import { AuthStore } from "../auth/mod.ts";
import { errorText, Logger } from "../log.ts";
import {
  createMetrics,
  type Metrics,
  type MetricsServer,
  NodeHealth,
  parseListenAddress,
  Registry,
  startMetricsServer,
} from "../metrics/mod.ts";
import { grpcCodeName, grpcMethodLabels, type ResyncReason } from "../metrics/mod.ts";
import { T4Node } from "../node/mod.ts";
import { parseHostPort, type ServerConfig } from "./config.ts";
import { ServiceContext, type ServiceObserver } from "./context.ts";
import type { WatchHubObserver } from "../mvcc/mod.ts";
import { clusterService, healthService } from "./cluster_service.ts";
import { authService } from "./auth_service.ts";
import { GrpcServer, type TlsOptions } from "./grpc.ts";
import { H2GrpcServer } from "./h2/mod.ts";
import { type ObjectStores, openObjectStores } from "./objects.ts";
import { type ClusterConfig, ClusterNode } from "../cluster/mod.ts";
import { clusterTables, KEEPALIVE_ONCE } from "./cluster_routing.ts";
import { Routes, type ServiceTables } from "./routes.ts";
import { keepAliveOnce, leaseService } from "./lease_service.ts";
import type { NodeObserver } from "../node/mod.ts";
import type { CheckpointWriteResult, GcResult } from "../checkpoint/mod.ts";
import { kvService } from "./kv_service.ts";
import { Alarms, maintenanceService } from "./maintenance_service.ts";
import { watchService } from "./watch_service.ts";

/** Options of {@linkcode startServer} beyond the configuration. */
export interface StartOptions {
  logger?: Logger;
  registry?: Registry;
}

/** Why a server stopped serving on its own. */
export interface StopReason {
  reason: string;
  exitCode: number;
}

/** A running server. */
export interface T4Server extends AsyncDisposable {
  readonly node: T4Node;
  /** The bound client port (useful with `listen` port 0). */
  readonly port: number;
  /** The bound metrics port, if metrics are on. */
  readonly metricsPort: number | undefined;
  /** The client URL this member reports. */
  readonly clientUrl: string;
  readonly metrics: Metrics;
  /** Resolves when the node fences itself (a WAL or engine failure). */
  readonly stopped: Promise<StopReason>;
  /** Stops accepting calls, lets calls in flight finish (up to `graceMs`), closes the node. */
  close(graceMs?: number): Promise<void>;
}

async function readTls(config: ServerConfig): Promise<TlsOptions | undefined> {
  if (!config.clientTlsCert || !config.clientTlsKey) return undefined;
  const read = async (path: string, what: string) => {
    try {
      return await Deno.readFile(path);
    } catch (err: unknown) {
      throw new Error(`Cannot read ${what} "${path}": ${errorText(err)}`, { cause: err });
    }
  };
  const tls: TlsOptions = {
    cert: await read(config.clientTlsCert, "--client-tls-cert"),
    key: await read(config.clientTlsKey, "--client-tls-key"),
  };
  if (config.clientTlsCa) tls.ca = await read(config.clientTlsCa, "--client-tls-ca");
  return tls;
}

function clientUrlOf(config: ServerConfig, port: number, tls: boolean): string {
  if (config.advertiseClient) return config.advertiseClient;
  let { hostname } = parseHostPort(config.listen, "--listen");
  if (hostname === "0.0.0.0" || hostname === "::" || hostname === "") {
    try {
      hostname = Deno.hostname();
    } catch {
      hostname = "127.0.0.1";
    }
  }
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  return `${tls ? "https" : "http"}://${host}:${port}`;
}

function observeMetrics(metrics: Metrics, node: () => T4Node | undefined) {
  return {
    committed(entries: number, _jobs: number, syncMs: number, applyMs: number) {
      metrics.walFsyncBatchSize.observe(entries);
      metrics.etcdWalFsyncDuration.observe(syncMs / 1000);
      metrics.etcdBackendCommitDuration.observe(applyMs / 1000);
      metrics.etcdProposalsCommitted.inc(entries);
      const n = node();
      if (n) metrics.appliedSequence.set(n.store.appliedSeq);
    },
    fenced() {
      metrics.fenced.set(1);
      metrics.etcdProposalsFailed.inc();
    },
    leaseExpired() {
      metrics.leaseExpired.inc();
    },
    walUploaded(seconds: number, ok: boolean) {
      if (ok) {
        metrics.walUploads.inc();
        metrics.walUploadDuration.observe(seconds);
      } else metrics.walUploadErrors.inc();
    },
    checkpointed(result: CheckpointWriteResult) {
      metrics.checkpoints.inc();
      metrics.checkpointDuration.observe(result.seconds);
      metrics.checkpointUploadedBytes.inc(result.uploadedBytes);
      metrics.checkpointChunks.inc({ result: "uploaded" }, result.uploadedChunks);
      metrics.checkpointChunks.inc({ result: "reused" }, result.reusedChunks);
    },
    collected(result: GcResult) {
      metrics.walGcSegments.inc(result.walObjectsDeleted);
    },
  };
}

async function readPeerTls(config: ServerConfig) {
  if (!config.peerTlsCert || !config.peerTlsKey || !config.peerTlsCa) {
    if (config.peerTlsCert || config.peerTlsKey || config.peerTlsCa) {
      throw new TypeError(
        "peer TLS needs all of --peer-tls-ca, --peer-tls-cert and --peer-tls-key",
      );
    }
    return undefined;
  }
  const read = async (path: string, what: string) => {
    try {
      return await Deno.readFile(path);
    } catch (err: unknown) {
      throw new Error(`Cannot read ${what} "${path}": ${errorText(err)}`, { cause: err });
    }
  };
  const ca = await read(config.peerTlsCa, "--peer-tls-ca");
  const cert = await read(config.peerTlsCert, "--peer-tls-cert");
  const key = await read(config.peerTlsKey, "--peer-tls-key");
  return { server: { ca, cert, key }, client: { ca, cert, key } };
}

/** Cluster settings from the flags, with metrics and readiness wired to role changes. */
async function clusterConfigOf(
  config: ServerConfig,
  clientUrl: string,
  logger: Logger,
  metrics: Metrics,
  health: NodeHealth,
): Promise<ClusterConfig> {
  const tls = await readPeerTls(config);
  return {
    nodeId: config.nodeId || Deno.hostname(),
    peerListen: config.peerListen!,
    advertisePeer: config.advertisePeer || config.peerListen!,
    clientUrl,
    renewMs: config.leaderWatchIntervalSec * 1000,
    waitMode: config.followerWaitMode,
    ackTimeoutMs: 2000,
    ...(tls ? { serverTls: tls.server, clientTls: tls.client } : {}),
    logger,
    observer: {
      role(role) {
        health.setRole(role);
        metrics.etcdLeaderChanges.inc();
      },
      election(outcome) {
        metrics.elections.inc({ outcome });
      },
      resync(reason) {
        metrics.followerResyncs.inc({ reason: reason as ResyncReason });
      },
      followerLag(id, lag) {
        if (lag === undefined) metrics.followerLag.remove({ follower_id: id });
        else metrics.followerLag.set({ follower_id: id }, lag);
      },
      forwarded(method, seconds) {
        const op = method.split("/").at(-1)!.toLowerCase();
        metrics.forwardedWrites.inc({ op });
        metrics.forwardDuration.observe({ op }, seconds);
      },
    },
  };
}

/**
 * Opens the auth store of `node`; `--auth-enabled` enables auth now if the stored users allow
 * it (root with role root) and refuses to start otherwise. AuthEnable (by flag or RPC) is
 * stored, so auth stays on across restarts until AuthDisable.
 */
async function openAuth(
  node: T4Node,
  config: ServerConfig,
  logger: Logger,
  metrics: Metrics,
): Promise<AuthStore> {
  const auth = AuthStore.open(node, {
    tokenTtlSec: config.tokenTtlSec,
    logger,
    onAttempt: (result) => metrics.authAttempts.inc({ result }),
  });
  try {
    if (config.authEnabled) await auth.enableAtStartup();
  } catch (err: unknown) {
    auth.close();
    throw err;
  }
  return auth;
}

/** Starts a server for `config`; see the module doc. */
export async function startServer(
  config: ServerConfig,
  options: StartOptions = {},
): Promise<T4Server> {
  const logger = options.logger ?? new Logger({ level: config.logLevel, format: config.logFormat });
  const registry = options.registry ?? new Registry();
  const metrics = createMetrics(registry);
  const health = new NodeHealth({ metrics });
  health.markStarted();
  const listen = parseHostPort(config.listen, "--listen");
  const metricsAddr = config.metricsAddr ? parseListenAddress(config.metricsAddr) : undefined;
  const tls = await readTls(config);

  const ref: { node?: T4Node; cluster?: ClusterNode } = {};
  let metricsServer: MetricsServer | undefined;
  if (metricsAddr) {
    metricsServer = await startMetricsServer({
      hostname: metricsAddr.hostname,
      port: metricsAddr.port,
      registry,
      health,
      beforeScrape: () => {
        if (!ref.node) return;
        const st = ref.node.status();
        metrics.currentRevision.set(st.revision);
        metrics.compactRevision.set(st.compactRevision);
        metrics.etcdDbTotalSize.set(st.dbSize);
        metrics.etcdDbTotalSizeInUse.set(st.dbSizeInUse);
        metrics.etcdKeys.set(st.keys);
        metrics.leasesActive.set(st.leases);
        metrics.watchActive.set(st.watchers);
        metrics.watchActivePrefixes.set(ref.node.hub.watchedRanges);
        metrics.etcdWatchers.set(st.watchers);
        const c = ref.cluster;
        const leaderKnown = !c || c.isLeader ||
          (c.role === "follower" && c.leaderMemberId !== undefined);
        metrics.etcdHasLeader.set(!st.fenced && leaderKnown ? 1 : 0);
      },
      onError: (err) => logger.warn("metrics request failed", { error: errorText(err) }),
    });
  }

  let fencedResolve: (r: StopReason) => void = () => {};
  const stopped = new Promise<StopReason>((resolve) => (fencedResolve = resolve));
  const observer = observeMetrics(metrics, () => ref.node);
  logger.info("opening data directory", { dataDir: config.dataDir });
  let node: T4Node;
  let cluster: ClusterNode | undefined;
  let stores: ObjectStores | undefined;
  try {
    stores = await openObjectStores(config, metrics);
    if (stores.objectStore) {
      logger.info("object store", {
        store: stores.objectStore.describe(),
        sync: config.walSyncUpload,
      });
    }
    const nodeConfig = {
      ...config,
      ...(stores.objectStore ? { objectStore: stores.objectStore } : {}),
      ...(stores.branch ? { branch: stores.branch } : {}),
      checkpointIntervalMs: config.checkpointIntervalMin * 60_000,
      checkpointEntries: config.checkpointEntries,
      segmentMaxAgeMs: config.segmentMaxAgeSec * 1000,
      logger,
    };
    const nodeObserver: NodeObserver = {
      ...observer,
      restoreProgress(done, total) {
        health.setRestoreProgress(done, total);
      },
      fenced(err) {
        observer.fenced();
        health.setFencedReason(err.message);
        health.setFenced(true);
        logger.error("node fenced: no more writes", { reason: err.message });
        fencedResolve({ reason: err.message, exitCode: 1 });
      },
    };
    if (config.peerListen) {
      if (!stores.objectStore) {
        throw new TypeError(
          "--peer-listen needs an object store: --s3-bucket or --object-store-dir",
        );
      }
      if (!config.walSyncUpload) {
        // A new leader recovers from the object store: every acknowledged batch must be there.
        throw new TypeError(
          "--peer-listen needs --wal-sync-upload (cluster mode uploads every batch)",
        );
      }
      cluster = await ClusterNode.open(
        nodeConfig,
        await clusterConfigOf(
          config,
          clientUrlOf(config, listen.port, tls !== undefined),
          logger,
          metrics,
          health,
        ),
        nodeObserver,
      );
      node = cluster.node;
      ref.cluster = cluster;
    } else {
      node = await T4Node.open(nodeConfig, nodeObserver);
    }
  } catch (err: unknown) {
    stores?.close();
    await metricsServer?.close();
    throw err;
  }
  ref.node = node;
  const r = node.recovery;
  if (r.restoredCheckpoint) metrics.restoreDuration.observe(r.durationMs / 1000);
  logger.info("recovered", {
    revision: r.revision,
    appliedSeq: r.appliedSeq,
    replayed: r.replayedEntries,
    ms: Math.round(r.durationMs),
    tornTail: r.tornTail ? `${r.tornTail.segment}@${r.tornTail.offset}` : undefined,
  });
  if (r.truncated) {
    logger.warn("WAL was cut at damage (--wal-truncate-corrupt)", {
      segment: r.truncated.segment,
      offset: r.truncated.offset,
      reason: r.truncated.reason,
    });
  }
  let auth: AuthStore;
  try {
    auth = await openAuth(node, config, logger, metrics);
  } catch (err: unknown) {
    await node.close().catch(() => {});
    await metricsServer?.close();
    throw err;
  }
  health.markRecovered();
  health.setRole(cluster ? cluster.role : "single");

  // Our own HTTP/2 serves cleartext listeners; TLS stays on grpc-js.
  const transport = tls === undefined && (config.transport ?? "h2") === "h2" ? "h2" : "grpc-js";
  const grpc = new (transport === "h2" ? H2GrpcServer : GrpcServer)({
    maxReceiveBytes: config.maxRequestBytes + 512 * 1024,
    keepaliveTimeMs: config.grpcKeepaliveIntervalMs,
    keepaliveTimeoutMs: config.grpcKeepaliveTimeoutMs,
    logger,
    observer(method, kind, code, seconds, received, sent) {
      const type = kind === "unary" ? "unary" : kind === "bidi" ? "bidi_stream" : "server_stream";
      const labels = grpcMethodLabels(method, type);
      metrics.grpcStarted.inc(labels);
      metrics.grpcHandled.inc({ ...labels, grpc_code: grpcCodeName(code) });
      metrics.grpcHandlingSeconds.observe(labels, seconds);
      metrics.grpcMsgReceived.inc(labels, received);
      metrics.grpcMsgSent.inc(labels, sent);
    },
  });
  let port: number;
  let clientUrl: string;
  try {
    port = await grpc.listen(listen.hostname, listen.port, tls);
    clientUrl = clientUrlOf(config, port, tls !== undefined);
    const alarms = new Alarms();
    const serviceObserver: ServiceObserver = {
      write(op, seconds, ok) {
        if (ok) {
          metrics.writes.inc({ op });
          metrics.writeDuration.observe({ op }, seconds);
        } else metrics.writeErrors.inc({ op });
      },
      mvcc(puts, deletes, ranges, txns) {
        if (puts) metrics.etcdMvccPut.inc(puts);
        if (deletes) metrics.etcdMvccDelete.inc(deletes);
        if (ranges) metrics.etcdMvccRange.inc(ranges);
        if (txns) metrics.etcdMvccTxn.inc(txns);
      },
      watchEvents: (n) => metrics.watchEventsSent.inc(n),
    };
    const hubObserver: WatchHubObserver = {
      scanned(seconds, span, records, matched) {
        metrics.watchScanDuration.observe(seconds);
        metrics.watchScanRevisionSpan.observe(span);
        metrics.watchScanEntries.inc({ result: "scanned" }, records);
        metrics.watchScanEntries.inc({ result: "matched" }, matched);
      },
      slowCancel: () => metrics.watchSlowCancels.inc(),
    };
    const build = (n: T4Node, a: AuthStore) => {
      const ctx = new ServiceContext(n, config, {
        logger,
        clientUrl,
        auth: a,
        observer: serviceObserver,
        ...(cluster ? { cluster } : {}),
      });
      n.hub.observer = hubObserver;
      const tables: ServiceTables = {
        "etcdserverpb.KV": kvService(ctx),
        "etcdserverpb.Watch": watchService(ctx),
        "etcdserverpb.Lease": leaseService(ctx),
        "etcdserverpb.Maintenance": maintenanceService(ctx, alarms),
        "etcdserverpb.Cluster": clusterService(ctx),
        "etcdserverpb.Auth": authService(ctx),
        "grpc.health.v1.Health": healthService(ctx),
      };
      return {
        tables: cluster ? clusterTables(tables, cluster, ctx.serializableOnly) : tables,
        internal: { [KEEPALIVE_ONCE]: keepAliveOnce(ctx) },
      };
    };
    const first = build(node, auth);
    const routes = new Routes(first.tables, first.internal, {
      received: (n) => metrics.etcdGrpcReceivedBytes.inc(n),
      sent: (n) => metrics.etcdGrpcSentBytes.inc(n),
    });
    routes.register(grpc);
    if (cluster) {
      const c = cluster;
      c.setLocalCall((method, request, metadata) => routes.call(method, request, metadata));
      c.onNodeClosing(() => routes.endStreams());
      c.onNodeChange((fresh) => {
        ref.node = fresh;
        node = fresh;
        const oldAuth = auth;
        void openAuth(fresh, config, logger, metrics).then((a) => {
          oldAuth.close();
          auth = a;
          const next = build(fresh, a);
          routes.set(next.tables, next.internal);
        }, (err: unknown) => logger.error("cannot reopen auth state", { error: errorText(err) }));
      });
    }
  } catch (err: unknown) {
    grpc.forceShutdown();
    auth.close();
    await node.close().catch(() => {});
    await metricsServer?.close();
    throw new Error(`Cannot serve gRPC on ${config.listen}: ${errorText(err)}`, { cause: err });
  }
  logger.info("serving etcd v3 API", {
    listen: `${listen.hostname}:${port}`,
    tls: tls ? (tls.ca ? "mtls" : "tls") : "off",
    transport,
    auth: auth.enabled ? "on" : "off",
    metrics: metricsServer ? `${metricsServer.addr.hostname}:${metricsServer.addr.port}` : "off",
  });

  let closing: Promise<void> | undefined;
  const close = (graceMs = 5000) => {
    closing ??= (async () => {
      if (cluster) await cluster.close(); // a leader hands over before clients are cut off
      await grpc.shutdown(graceMs);
      auth.close();
      if (!cluster) await node.close();
      stores?.close();
      await metricsServer?.close();
      logger.info("stopped");
    })();
    return closing;
  };
  return {
    node,
    port,
    metricsPort: metricsServer?.addr.port,
    clientUrl,
    metrics,
    stopped,
    close,
    [Symbol.asyncDispose]: () => close(),
  };
}

/**
 * Whether `T4_EXIT_ON_STDIN_CLOSE=1`: a supervisor (or a test) that holds our stdin open wants
 * us to shut down gracefully when it goes away, even when it died without signalling us.
 */
function exitOnStdinClose(): boolean {
  try {
    return Deno.env.get("T4_EXIT_ON_STDIN_CLOSE") === "1";
  } catch {
    return false;
  }
}

async function watchStdin(closed: () => void): Promise<void> {
  const buf = new Uint8Array(1024);
  try {
    while ((await Deno.stdin.read(buf)) !== null) { /* ignore input */ }
  } catch { /* closed badly: the same */ }
  closed();
}

/**
 * `t4 run`: starts the server and serves until SIGTERM or SIGINT (graceful shutdown, exit 0)
 * or until the node fences itself (exit 1). Returns the exit code.
 */
export async function runServer(config: ServerConfig): Promise<number> {
  const logger = new Logger({ level: config.logLevel, format: config.logFormat });
  const server = await startServer(config, { logger });
  let signal: (name: string) => void = () => {};
  const signaled = new Promise<string>((resolve) => (signal = resolve));
  const onTerm = () => signal("SIGTERM");
  const onInt = () => signal("SIGINT");
  Deno.addSignalListener("SIGTERM", onTerm);
  Deno.addSignalListener("SIGINT", onInt);
  const lifeline = exitOnStdinClose();
  if (lifeline) void watchStdin(() => signal("stdin closed"));
  try {
    const outcome = await Promise.race([
      signaled.then((name) => ({ name })),
      server.stopped.then((stop) => ({ stop })),
    ]);
    if ("name" in outcome) {
      logger.info("shutting down", { signal: outcome.name });
      await server.close();
      return 0;
    }
    logger.error("exiting: the node is fenced", { reason: outcome.stop.reason });
    await server.close(1000).catch(() => {});
    return outcome.stop.exitCode;
  } finally {
    Deno.removeSignalListener("SIGTERM", onTerm);
    Deno.removeSignalListener("SIGINT", onInt);
    if (lifeline) {
      try {
        Deno.stdin.close(); // ends the pending read, which would keep the process alive
      } catch { /* already closed */ }
    }
  }
}
