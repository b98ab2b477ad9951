/**
 * Cluster mode at the edge: which client RPCs a follower forwards to the leader, and the read
 * index before a linearizable read. Wraps the service tables; the services themselves do not
 * know whether they run on a leader or a follower.
 *
 * - Writes (KV Put/DeleteRange/Txn/Compact, leases, every Auth call, Alarm) are forwarded with
 *   the caller's token; the follower answers once it has applied the write, so a client that
 *   reads from the same follower next sees it.
 * - A linearizable Range asks the leader for its read index first (a leader checks its own
 *   lease); serializable ranges and watches are served locally.
 * - LeaseKeepAlive streams stay on the follower; each keepalive goes to the leader, which owns
 *   lease deadlines.
 *
 * @module
 */

import type { ClusterNode } from "../cluster/mod.ts";
import { KvError } from "../errors.ts";
import type { CallContext, Method } from "./grpc.ts";
import { decodeRangeRequest } from "./pb/mod.ts";
import type { ServiceTables } from "./routes.ts";

const FORWARDED: Record<string, readonly string[]> = {
  "etcdserverpb.KV": ["Put", "DeleteRange", "Txn", "Compact"],
  "etcdserverpb.Lease": ["LeaseGrant", "LeaseRevoke", "LeaseTimeToLive", "LeaseLeases"],
  "etcdserverpb.Maintenance": ["Alarm"],
};

/** The path a follower forwards one keepalive to (an internal unary method of the leader). */
export const KEEPALIVE_ONCE = "/etcdserverpb.Lease/LeaseKeepAlive";

function metadataOf(ctx: CallContext): Record<string, string> {
  const md: Record<string, string> = {};
  const token = ctx.metadata("token");
  if (token !== undefined) md.token = token;
  return md;
}

/** Wraps `tables` for cluster mode (see the module doc). */
export function clusterTables(
  tables: ServiceTables,
  cluster: ClusterNode,
  serializableOnly: boolean,
): ServiceTables {
  const out: ServiceTables = {};
  for (const [service, methods] of Object.entries(tables)) {
    const wrapped: Record<string, Method> = { ...methods };
    const forwarded = service === "etcdserverpb.Auth"
      ? Object.keys(methods)
      : FORWARDED[service] ?? [];
    for (const name of forwarded) {
      const m = methods[name];
      if (m?.kind !== "unary") continue;
      const path = `/${service}/${name}`;
      wrapped[name] = {
        kind: "unary",
        handler: (bytes, ctx) => {
          if (cluster.role !== "leader") return cluster.forward(path, bytes, metadataOf(ctx));
          // A leader whose lease is doubtful may already have a successor.
          if (!cluster.isLeader) throw new KvError("unavailable", "etcdserver: no leader");
          return m.handler(bytes, ctx);
        },
      };
    }
    if (service === "etcdserverpb.KV" && methods.Range?.kind === "unary") {
      const range = methods.Range;
      wrapped.Range = {
        kind: "unary",
        handler: async (bytes, ctx) => {
          if (!serializableOnly && !decodeRangeRequest(bytes).serializable) {
            await cluster.readBarrier();
          }
          return range.handler(bytes, ctx);
        },
      };
    }
    if (service === "etcdserverpb.Lease" && methods.LeaseKeepAlive?.kind === "bidi") {
      const local = methods.LeaseKeepAlive;
      wrapped.LeaseKeepAlive = {
        kind: "bidi",
        handler: (call) => {
          if (cluster.role === "leader") return local.handler(call);
          let chain = Promise.resolve();
          return {
            message(bytes) {
              chain = chain.then(async () => {
                try {
                  call.write(await cluster.forward(KEEPALIVE_ONCE, bytes, metadataOf(call.ctx)));
                } catch (err: unknown) {
                  call.finish(err);
                }
              });
            },
            end() {
              void chain.then(() => call.finish());
            },
          };
        },
      };
    }
    out[service] = wrapped;
  }
  return out;
}
