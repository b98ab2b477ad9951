/**
 * The etcd Lease service. Grants and revokes are WAL entries that do not touch the store
 * revision (unless a revoke deletes keys); keepalives renew in memory only and answer an
 * unknown lease with TTL 0 rather than an error, as etcd does. With auth on, every call needs
 * an authenticated user (a keepalive stream is checked when it opens); LeaseRevoke needs WRITE
 * on every attached key, LeaseTimeToLive with `keys` READ on them.
 *
 * @module
 */

import { keyToBytes } from "../mvcc/mod.ts";
import type { ServiceContext } from "./context.ts";
import { decode } from "./decode.ts";
import type { CallContext, Method } from "./grpc.ts";
import {
  decodeLeaseGrantRequest,
  decodeLeaseKeepAliveRequest,
  decodeLeaseRevokeRequest,
  decodeLeaseTimeToLiveRequest,
  encodeLeaseGrantResponse,
  encodeLeaseKeepAliveResponse,
  encodeLeaseLeasesResponse,
  encodeLeaseRevokeResponse,
  encodeLeaseTimeToLiveResponse,
} from "./pb/mod.ts";

/** The Lease service's methods. */
export function leaseService(s: ServiceContext): Record<string, Method> {
  return {
    LeaseGrant: {
      kind: "unary",
      async handler(bytes, ctx) {
        s.checkLeader(ctx);
        const req = decode(bytes, decodeLeaseGrantRequest);
        s.authz.authenticated(ctx);
        const res = await s.node.leaseGrant(req.ID, req.TTL);
        return encodeLeaseGrantResponse({ header: s.currentHeader(), ID: res.id, TTL: res.ttl });
      },
    },
    LeaseRevoke: {
      kind: "unary",
      async handler(bytes, ctx) {
        s.checkLeader(ctx);
        const req = decode(bytes, decodeLeaseRevokeRequest);
        s.authz.keys(ctx, "write", s.leaseKeys(req.ID));
        const res = await s.node.leaseRevoke(req.ID);
        return encodeLeaseRevokeResponse({ header: s.header(res.revision) });
      },
    },
    LeaseKeepAlive: {
      kind: "bidi",
      handler(call) {
        s.checkLeader(call.ctx);
        s.authz.authenticated(call.ctx);
        return {
          message(bytes) {
            const req = decode(bytes, decodeLeaseKeepAliveRequest);
            const ttl = s.node.leaseKeepAlive(req.ID);
            call.write(encodeLeaseKeepAliveResponse({
              header: s.currentHeader(),
              ID: req.ID,
              TTL: ttl,
            }));
          },
          end() {
            call.finish();
          },
        };
      },
    },
    LeaseTimeToLive: {
      kind: "unary",
      handler(bytes, ctx) {
        s.checkLeader(ctx);
        const req = decode(bytes, decodeLeaseTimeToLiveRequest);
        if (req.keys) s.authz.keys(ctx, "read", s.leaseKeys(req.ID));
        else s.authz.authenticated(ctx);
        const info = s.node.leaseTimeToLive(req.ID, req.keys);
        return encodeLeaseTimeToLiveResponse({
          header: s.currentHeader(),
          ID: req.ID,
          TTL: info.ttl,
          grantedTTL: info.grantedTtl,
          keys: info.keys.map(keyToBytes),
        });
      },
    },
    LeaseLeases: {
      kind: "unary",
      handler(_bytes, ctx) {
        s.checkLeader(ctx);
        s.authz.authenticated(ctx);
        return encodeLeaseLeasesResponse({
          header: s.currentHeader(),
          leases: s.node.leases().map((ID) => ({ ID })),
        });
      },
    },
  };
}

/**
 * One keepalive as a unary call: how a leader answers a keepalive a follower forwarded (its
 * client's stream stays on the follower).
 */
export function keepAliveOnce(
  s: ServiceContext,
): (bytes: Uint8Array, ctx: CallContext) => Uint8Array {
  return (bytes, ctx) => {
    s.authz.authenticated(ctx);
    const req = decode(bytes, decodeLeaseKeepAliveRequest);
    const ttl = s.node.leaseKeepAlive(req.ID);
    return encodeLeaseKeepAliveResponse({ header: s.currentHeader(), ID: req.ID, TTL: ttl });
  };
}
