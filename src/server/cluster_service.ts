/**
 * The etcd Cluster service (MemberList with this member and its client URL; membership changes
 * are not offered: T4 nodes join and leave through the shared bucket) and the standard gRPC
 * health service.
 *
 * @module
 */

import type { ServiceContext } from "./context.ts";
import type { Method } from "./grpc.ts";
import { decode } from "./decode.ts";
import {
  decodeHealthCheckRequest,
  encodeHealthCheckResponse,
  encodeMemberListResponse,
} from "./pb/mod.ts";
import { GrpcCode, GrpcError } from "./status.ts";

/** grpc.health.v1 serving states. */
const SERVING = 1;
const NOT_SERVING = 2;
const SERVICE_UNKNOWN = 3;
const KNOWN_SERVICES = new Set([
  "",
  "etcdserverpb.KV",
  "etcdserverpb.Watch",
  "etcdserverpb.Lease",
  "etcdserverpb.Cluster",
  "etcdserverpb.Maintenance",
  "etcdserverpb.Auth",
]);

/** The Cluster service's methods. */
export function clusterService(s: ServiceContext): Record<string, Method> {
  const refuse = (name: string): Method => ({
    kind: "unary",
    handler() {
      throw new GrpcError(
        GrpcCode.UNIMPLEMENTED,
        `${name} is not supported by T4: members join and leave through the shared object store`,
      );
    },
  });
  return {
    MemberList: {
      kind: "unary",
      handler() {
        return encodeMemberListResponse({
          header: s.header(0), // etcd's MemberList header carries no revision
          members: s.cluster
            ? s.cluster.members().map((m) => ({
              ID: m.memberId,
              name: m.nodeId,
              peerURLs: m.peerAddr ? [`http://${m.peerAddr}`] : [],
              clientURLs: m.clientUrl ? [m.clientUrl] : [],
              isLearner: false,
            }))
            : [{
              ID: s.node.memberId,
              name: s.node.config.nodeId,
              peerURLs: [],
              clientURLs: [s.clientUrl],
              isLearner: false,
            }],
        });
      },
    },
    MemberAdd: refuse("MemberAdd"),
    MemberRemove: refuse("MemberRemove"),
    MemberUpdate: refuse("MemberUpdate"),
    MemberPromote: refuse("MemberPromote"),
  };
}

/** The grpc.health.v1.Health service: SERVING while the node can serve. */
export function healthService(s: ServiceContext): Record<string, Method> {
  const status = (service: string) => {
    if (!KNOWN_SERVICES.has(service)) return SERVICE_UNKNOWN;
    return s.node.fenced || s.node.closed ? NOT_SERVING : SERVING;
  };
  return {
    Check: {
      kind: "unary",
      handler(bytes) {
        const req = decode(bytes, decodeHealthCheckRequest);
        const st = status(req.service);
        if (st === SERVICE_UNKNOWN) throw new GrpcError(GrpcCode.NOT_FOUND, "unknown service");
        return encodeHealthCheckResponse({ status: st });
      },
    },
    Watch: {
      kind: "serverStream",
      handler(bytes, call) {
        const req = decode(bytes, decodeHealthCheckRequest);
        let last = -1;
        const push = () => {
          const st = status(req.service);
          if (st !== last) {
            last = st;
            call.write(encodeHealthCheckResponse({ status: st }));
          }
        };
        push();
        const timer = setInterval(() => call.ended ? clearInterval(timer) : push(), 1000);
        call.ctx.signal.addEventListener("abort", () => clearInterval(timer));
      },
    },
  };
}
