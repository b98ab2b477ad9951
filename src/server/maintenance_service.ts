/**
 * The etcd Maintenance service: Status (the real leader, an etcd-like version so
 * kube-apiserver enables progress requests, sizes and indexes), Alarm (kept in memory), Hash and
 * HashKV (computed from the data), Defragment (an engine checkpoint); Snapshot, MoveLeader and
 * Downgrade are not offered. With auth on, everything but Status needs the root role, refused
 * as etcd refuses it there (`Unknown` "auth: permission denied").
 *
 * @module
 */

import { crc32c } from "../wal/mod.ts";
import { keyToBytes } from "../mvcc/mod.ts";
import type { ServiceContext } from "./context.ts";
import { decode } from "./decode.ts";
import type { Method } from "./grpc.ts";
import {
  AlarmAction,
  type AlarmMember,
  AlarmType,
  decodeAlarmRequest,
  decodeHashKVRequest,
  encodeAlarmResponse,
  encodeDefragmentResponse,
  encodeHashKVResponse,
  encodeHashResponse,
  encodeStatusResponse,
} from "./pb/mod.ts";
import { GrpcCode, GrpcError } from "./status.ts";

/** The alarms a member holds (etcd keeps them in its backend; T4 in memory). */
export class Alarms {
  readonly #list: AlarmMember[] = [];

  /** Every active alarm. */
  list(): AlarmMember[] {
    return [...this.#list];
  }

  /** Activates `alarm` for `memberID`; returns it. */
  activate(memberID: bigint, alarm: number): AlarmMember[] {
    if (!this.#list.some((a) => a.memberID === memberID && a.alarm === alarm)) {
      this.#list.push({ memberID, alarm });
    }
    return [{ memberID, alarm }];
  }

  /** Deactivates `alarm` for `memberID`; returns what was removed. */
  deactivate(memberID: bigint, alarm: number): AlarmMember[] {
    const i = this.#list.findIndex((a) => a.memberID === memberID && a.alarm === alarm);
    if (i < 0) return [];
    return this.#list.splice(i, 1);
  }

  /** Whether the NOSPACE alarm is active (writes are then refused, as in etcd). */
  get noSpace(): boolean {
    return this.#list.some((a) => a.alarm === AlarmType.NOSPACE);
  }
}

/**
 * etcd's HashKV: a CRC over every revision a client can still read up to `revision` (each key's
 * history after the compact revision, plus its state at the compact revision). It does not
 * depend on how far physical compaction has gone, so members with the same history agree.
 */
export function hashKv(s: ServiceContext, revision: number): number {
  const store = s.node.store;
  const compact = store.compactRevision;
  const parts: Uint8Array[] = [];
  const num = (n: number) => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, n);
    return b;
  };
  store.index.forEach((ki) => {
    let main = ki.modMain;
    let sub = ki.modSub;
    const chain: Uint8Array[] = [];
    for (;;) {
      const rec = store.readRecord(main, sub);
      if (!rec) break;
      if (rec.main <= revision) {
        chain.push(num(rec.main), num(rec.sub), rec.tombstone ? new Uint8Array(1) : rec.value);
        if (rec.main <= compact) break;
      }
      if (rec.prevMain === 0) break;
      main = rec.prevMain;
      sub = rec.prevSub;
    }
    if (chain.length > 0) parts.push(keyToBytes(ki.key), ...chain.reverse());
  });
  let hash = crc32c(new Uint8Array(0));
  for (const p of parts) hash = crc32c(p, hash);
  return hash >>> 0;
}

/** The Maintenance service's methods. */
export function maintenanceService(s: ServiceContext, alarms: Alarms): Record<string, Method> {
  const unimplemented = (name: string): Method => ({
    kind: "unary",
    handler() {
      throw new GrpcError(GrpcCode.UNIMPLEMENTED, `${name} is not supported by T4`);
    },
  });
  return {
    Status: {
      kind: "unary",
      handler() {
        const st = s.node.status();
        const errors = st.fenced ? [st.fenced] : [];
        return encodeStatusResponse({
          header: s.header(st.revision),
          version: s.config.etcdVersion,
          dbSize: st.dbSize,
          leader: s.leaderId(),
          raftIndex: st.appliedSeq,
          raftTerm: st.term,
          raftAppliedIndex: st.appliedSeq,
          errors,
          dbSizeInUse: st.dbSizeInUse,
          isLearner: false,
        });
      },
    },
    Alarm: {
      kind: "unary",
      handler(bytes, ctx) {
        s.authz.maintenance(ctx);
        const req = decode(bytes, decodeAlarmRequest);
        let list: AlarmMember[];
        if (req.action === AlarmAction.GET) list = alarms.list();
        else if (req.action === AlarmAction.ACTIVATE) {
          list = alarms.activate(req.memberID, req.alarm);
        } else list = alarms.deactivate(req.memberID, req.alarm);
        return encodeAlarmResponse({ header: s.currentHeader(), alarms: list });
      },
    },
    Defragment: {
      kind: "unary",
      handler(_bytes, ctx) {
        s.authz.maintenance(ctx);
        return encodeDefragmentResponse({ header: s.currentHeader() });
      },
    },
    Hash: {
      kind: "unary",
      handler(_bytes, ctx) {
        s.authz.maintenance(ctx);
        const rev = s.node.store.revision;
        return encodeHashResponse({ header: s.header(rev), hash: hashKv(s, rev) });
      },
    },
    HashKV: {
      kind: "unary",
      handler(bytes, ctx) {
        s.authz.maintenance(ctx);
        const req = decode(bytes, decodeHashKVRequest);
        const store = s.node.store;
        const current = store.revision;
        const rev = req.revision > 0 ? req.revision : current;
        if (rev > current) {
          throw new GrpcError(
            GrpcCode.OUT_OF_RANGE,
            "etcdserver: mvcc: required revision is a future revision",
          );
        }
        if (rev < store.compactRevision) {
          throw new GrpcError(
            GrpcCode.OUT_OF_RANGE,
            "etcdserver: mvcc: required revision has been compacted",
          );
        }
        return encodeHashKVResponse({
          header: s.header(current),
          hash: hashKv(s, rev),
          compactRevision: store.compactRevision || -1, // etcd: -1 when never compacted
          hashRevision: rev,
        });
      },
    },
    Snapshot: {
      kind: "serverStream",
      handler(_bytes, call) {
        s.authz.maintenance(call.ctx);
        call.finish(
          new GrpcError(
            GrpcCode.UNIMPLEMENTED,
            "Snapshot is not supported by T4: its engine is not bbolt; use checkpoints (t4 restore)",
          ),
        );
      },
    },
    MoveLeader: unimplemented("MoveLeader"),
    Downgrade: unimplemented("Downgrade"),
  };
}
