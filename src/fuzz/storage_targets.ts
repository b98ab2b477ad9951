/**
 * Fuzz targets for what T4 reads back from storage it does not fully trust: checkpoint
 * manifests, `manifest/latest` and branch entries (JSON in the object store), the leader lock
 * record, auth rows of the meta keyspace, and the engine's log records and lease rows.
 *
 * @module
 */

import { deepStrictEqual, ok } from "node:assert/strict";
import {
  checkpointKey,
  type CheckpointManifest,
  decodeLatest,
  decodeManifest,
  encodeLatest,
  encodeManifest,
  parseCheckpointKey,
  parseWalObjectKey,
  readBranch,
  walObjectKey,
} from "../checkpoint/mod.ts";
import { encodeDocument } from "../checkpoint/layout.ts";
import { decodeLockRecord, encodeLockRecord, type LockRecord } from "../cluster/mod.ts";
import { MemoryObjectStore } from "../objstore/mod.ts";
import {
  type AuthRow,
  decodeRow,
  ENABLED_KEY,
  encodeJson,
  REVISION_KEY,
  roleKey,
  type RoleRecord,
  tokenKey,
  type TokenRecord,
  userKey,
  type UserRecord,
} from "../auth/records.ts";
import { bytesToKey, keyToBytes } from "../mvcc/mod.ts";
import { decodeRecord, encodeRecord, type LogRecord } from "../mvcc/revision.ts";
import { decodeLeaseMeta, encodeLeaseMeta, leaseMetaKey } from "../mvcc/lease.ts";
import { type FuzzTarget, settle, settleSync } from "./harness.ts";
import { concat, mutateJson } from "./mutate.ts";
import type { Rng } from "./rng.ts";

const te = new TextEncoder();
const td = new TextDecoder();

function sha256Hex(rng: Rng): string {
  let s = "";
  for (let i = 0; i < 8; i++) s += rng.u32().toString(16).padStart(8, "0");
  return s;
}

function randomDate(rng: Rng): string {
  return new Date(rng.int(4e12)).toISOString();
}

/** A manifest that satisfies every rule `decodeManifest` checks. */
function randomManifest(rng: Rng): CheckpointManifest {
  const term = rng.chance(0.2) ? rng.int(2 ** 40) : rng.int(10);
  const seq = rng.chance(0.2) ? rng.int(2 ** 50) : rng.int(10_000);
  const chunkBytes = rng.pick([1, 1024, 4 * 1024 * 1024, rng.range(1, 1 << 24)]);
  const count = rng.int(6);
  const fileBytes = count === 0 ? 0 : (count - 1) * chunkBytes + rng.range(1, chunkBytes);
  const hashes: string[] = [];
  for (let i = 0; i < count; i++) {
    hashes.push(hashes.length > 0 && rng.chance(0.2) ? rng.pick(hashes) : sha256Hex(rng));
  }
  const m: CheckpointManifest = {
    key: checkpointKey(term, seq),
    formatVersion: 1,
    term,
    seq,
    revision: rng.int(2 ** 40),
    compactRevision: rng.int(1000),
    fileBytes,
    chunkBytes,
    chunks: hashes,
    ancestorChunks: [...new Set(hashes.filter(() => rng.chance(0.3)))],
    createdAt: randomDate(rng),
  };
  if (rng.chance(0.3)) m.ancestorCheckpointKey = checkpointKey(rng.int(5), rng.int(100));
  return m;
}

/** The key a document's own term and seq name (so a mutated body is read past the key check). */
function keyOf(input: Uint8Array): string {
  try {
    const doc = JSON.parse(td.decode(input));
    const { term, seq } = doc ?? {};
    if (Number.isSafeInteger(term) && Number.isSafeInteger(seq) && term >= 0 && seq >= 0) {
      return checkpointKey(term, seq);
    }
  } catch { /* not JSON: any key will do */ }
  return checkpointKey(1, 1);
}

interface Documents {
  /** The input read as an object key, when it is one. */
  keys: { checkpoint?: { term: number; seq: number }; wal?: { term: number; firstSeq: number } };
  manifest: CheckpointManifest | undefined;
  latest: ReturnType<typeof decodeLatest> | undefined;
  branch: Awaited<ReturnType<typeof readBranch>> | undefined;
}

const branchStore = new MemoryObjectStore();

/** `decodeManifest`, `decodeLatest` and branch entries: the JSON documents of the store. */
export const checkpointDocumentsTarget: FuzzTarget<Documents> = {
  name: "checkpoint-documents",
  description: "checkpoint manifests, manifest/latest, branch entries (JSON) and object keys",
  maxInputBytes: 16 * 1024,
  mutators: { mutateJson },
  regressions: [
    // Values quoted whole in error messages before the fix (messages of 10 000+ characters).
    te.encode(`{"format_version":"${"x".repeat(10_000)}"}`),
    te.encode(`{"checkpoint_key":"${"c".repeat(10_000)}","term":1,"seq":1,"revision":1}`),
    te.encode(`{"ancestor_checkpoint_key":"${"a".repeat(10_000)}","created_at":"now"}`),
  ],
  corpus(rng) {
    const out: Uint8Array[] = [te.encode(checkpointKey(3, 42)), te.encode(walObjectKey(2, 7))];
    for (let i = 0; i < 30; i++) {
      const m = randomManifest(rng);
      out.push(encodeManifest(m));
      out.push(
        encodeLatest({
          formatVersion: 1,
          checkpointKey: m.key,
          term: m.term,
          seq: m.seq,
          revision: m.revision,
        }),
      );
      out.push(
        encodeDocument({
          format_version: 1,
          ancestor_checkpoint_key: m.key,
          created_at: m.createdAt,
        }),
      );
    }
    return out;
  },
  async decode(input) {
    await branchStore.put("branches/b", input);
    const text = td.decode(input);
    const keys: Documents["keys"] = {};
    const checkpoint = parseCheckpointKey(text);
    if (checkpoint) keys.checkpoint = checkpoint;
    const wal = parseWalObjectKey(text);
    if (wal) keys.wal = wal;
    return {
      keys,
      manifest: settleSync(() => decodeManifest(keyOf(input), input)),
      latest: settleSync(() => decodeLatest(input)),
      branch: await settle(() => readBranch(branchStore, "b")),
    };
  },
  check(input, d, valid) {
    const text = td.decode(input);
    if (d.keys.checkpoint) {
      ok(checkpointKey(d.keys.checkpoint.term, d.keys.checkpoint.seq) === text);
    }
    if (d.keys.wal) ok(walObjectKey(d.keys.wal.term, d.keys.wal.firstSeq) === text);
    if (d.manifest) {
      deepStrictEqual(decodeManifest(d.manifest.key, encodeManifest(d.manifest)), d.manifest);
      if (valid) deepStrictEqual(encodeManifest(d.manifest), input);
    }
    if (d.latest) deepStrictEqual(decodeLatest(encodeLatest(d.latest)), d.latest);
    if (valid) {
      const any = d.manifest || d.latest || d.branch || d.keys.checkpoint || d.keys.wal;
      ok(any, "a valid document is refused");
    }
  },
};

function randomLock(rng: Rng): LockRecord {
  const nominations = [];
  for (let n = rng.int(4); n > 0; n--) {
    nominations.push({
      nodeId: rng.text(1 + rng.int(8)),
      lastTerm: rng.int(100),
      lastSeq: rng.int(2 ** 40),
    });
  }
  return {
    nodeId: rng.text(1 + rng.int(10)),
    memberId: rng.u32().toString(16),
    term: rng.int(2 ** 40),
    leaderAddr: `127.0.0.1:${rng.int(65536)}`,
    clientUrl: `http://127.0.0.1:${rng.int(65536)}`,
    leaseMs: rng.int(60_000),
    renewals: rng.int(1e6),
    renewedAt: randomDate(rng),
    committedSeq: rng.int(2 ** 50),
    released: rng.chance(0.2),
    nominations,
  };
}

/** The `leader-lock` record every node reads and conditionally rewrites. */
export const lockRecordTarget: FuzzTarget<LockRecord> = {
  name: "lock-record",
  description: "the leader-lock record (JSON) with its nominations",
  maxInputBytes: 16 * 1024,
  mutators: { mutateJson },
  regressions: [
    // JSON that is not an object, and a null nomination: TypeErrors before the fix.
    te.encode("null"),
    te.encode('["node_id"]'),
    te.encode('{"node_id":"a","term":1,"nominations":[null]}'),
    te.encode('{"node_id":"a","term":1,"nominations":[7,"x"]}'),
  ],
  corpus(rng) {
    return Array.from({ length: 40 }, () => encodeLockRecord(randomLock(rng)));
  },
  decode: decodeLockRecord,
  check(input, r, valid) {
    // Compared as encoded bytes: JSON writes -0 as 0.
    const once = encodeLockRecord(r);
    deepStrictEqual(encodeLockRecord(decodeLockRecord(once)), once, "decode(encode(r)) differs");
    if (valid) deepStrictEqual(encodeLockRecord(r), input);
  },
};

function randomUser(rng: Rng): UserRecord {
  const user: UserRecord = { name: rng.text(1 + rng.int(8)), roles: [] };
  for (let n = rng.int(3); n > 0; n--) user.roles.push(rng.text(1 + rng.int(6)));
  user.roles.sort();
  if (rng.chance(0.5)) user.password = `scrypt$${rng.text(20)}`;
  else user.noPassword = true;
  return user;
}

function randomRole(rng: Rng): RoleRecord {
  const perms = [];
  for (let n = rng.int(4); n > 0; n--) {
    perms.push({
      type: rng.pick(["read", "write", "readwrite"] as const),
      key: bytesToKey(rng.bytes(rng.size(10))),
      rangeEnd: rng.pick(["", "\0", bytesToKey(rng.bytes(rng.size(10)))]),
    });
  }
  return { name: rng.text(1 + rng.int(8)), perms };
}

function randomToken(rng: Rng): TokenRecord {
  return { user: rng.text(1 + rng.int(8)), issuedAt: rng.int(4e12) };
}

const AUTH_KEYS = [
  userKey("u"),
  roleKey("r"),
  tokenKey("ab".repeat(32)),
  REVISION_KEY,
  ENABLED_KEY,
];

/** Auth rows of the meta keyspace (users, roles, tokens, the revision and enabled flag). */
export const authRowsTarget: FuzzTarget<AuthRow[]> = {
  name: "auth-rows",
  description: "auth rows of the meta keyspace: users, roles, tokens, revision, enabled",
  maxInputBytes: 16 * 1024,
  mutators: { mutateJson },
  regressions: [
    // A null permission (a TypeError before the fix) and an issuedAt JSON reads as Infinity.
    te.encode('{"name":"r","perms":[null]}'),
    te.encode('{"user":"u","issuedAt":1e999}'),
  ],
  corpus(rng) {
    const out: Uint8Array[] = [te.encode("1"), te.encode("42")];
    for (let i = 0; i < 20; i++) {
      out.push(
        encodeJson(randomUser(rng)),
        encodeJson(randomRole(rng)),
        encodeJson(randomToken(rng)),
      );
    }
    return out;
  },
  decode(input) {
    // Every kind of row, and a key made of the input's own bytes.
    const keys = [...AUTH_KEYS, "auth/user/" + bytesToKey(input.subarray(0, 16))];
    const rows: AuthRow[] = [];
    for (const key of keys) {
      const row = settleSync(() => decodeRow(key, input));
      if (row) rows.push(row);
    }
    return rows;
  },
  check(_input, rows) {
    for (const row of rows) {
      if ((row.kind === "user" || row.kind === "role" || row.kind === "token") && row.record) {
        const key = row.kind === "user"
          ? userKey(row.name)
          : row.kind === "role"
          ? roleKey(row.name)
          : tokenKey(row.hash);
        deepStrictEqual(decodeRow(key, encodeJson(row.record)), row, `${row.kind} row round trip`);
      }
    }
  },
};

function randomLogRecord(rng: Rng): Omit<LogRecord, "main" | "sub"> {
  const tombstone = rng.chance(0.2);
  return {
    key: bytesToKey(rng.bytes(rng.chance(0.1) ? rng.int(200) : rng.size(20))),
    tombstone,
    createRevision: tombstone ? 0 : rng.int(2 ** 40),
    prevMain: rng.int(2 ** 40),
    prevSub: rng.int(10),
    version: tombstone ? 0 : rng.int(1000),
    lease: rng.chance(0.5) ? 0n : BigInt.asIntN(64, (BigInt(rng.u32()) << 32n) | BigInt(rng.u32())),
    value: rng.bytes(rng.size(300)),
  };
}

interface EngineRows {
  record: LogRecord | undefined;
  lease: { id: bigint; ttl: number } | undefined;
}

/** Engine rows: `log` records (`mvcc/revision.ts`) and lease rows of the meta table. */
export const engineRecordsTarget: FuzzTarget<EngineRows> = {
  name: "engine-records",
  description: "engine log records and lease rows",
  regressions: [
    // Lease rows with a short key, a short value, a TTL of 2^64 - 1: RangeErrors or an inexact
    // TTL before the fix. (The input is the ID bytes of the key, then the value.)
    new Uint8Array(3),
    new Uint8Array(11),
    concat(new Uint8Array(8), new Uint8Array(8).fill(0xff)),
  ],
  corpus(rng) {
    const out: Uint8Array[] = [];
    for (let i = 0; i < 40; i++) out.push(encodeRecord(randomLogRecord(rng)));
    for (let i = 0; i < 10; i++) {
      const id = BigInt.asIntN(64, (BigInt(rng.u32()) << 32n) | BigInt(rng.u32()));
      // The input holds the ID bytes of the row's key, then the row's value.
      out.push(concat(keyToBytes(leaseMetaKey(id).slice(6)), encodeLeaseMeta(rng.int(9e9))));
    }
    return out;
  },
  decode(input) {
    return {
      record: settleSync(() => decodeRecord(7, 1, input)),
      lease: settleSync(() =>
        decodeLeaseMeta("lease/" + bytesToKey(input.subarray(0, 8)), input.subarray(8))
      ),
    };
  },
  check(input, rows, valid) {
    const exact = (r: LogRecord) =>
      [r.createRevision, r.prevMain, r.version].every((n) => Number.isSafeInteger(n));
    // Known and accepted: decodeRecord does not check that its numbers are below 2^53 (engine
    // rows come from our own SQLite file, and it is the read path of every Range); such a
    // record reads back inexact rather than failing, so the round trip is checked without them.
    if (rows.record && exact(rows.record)) {
      const { main: _m, sub: _s, ...r } = rows.record;
      const again = encodeRecord(r);
      deepStrictEqual(decodeRecord(7, 1, again), rows.record, "decode(encode(record)) differs");
      if (valid) deepStrictEqual(again, input, "a valid record does not encode back to its bytes");
    }
    if (rows.lease) {
      const key = leaseMetaKey(rows.lease.id);
      deepStrictEqual(decodeLeaseMeta(key, encodeLeaseMeta(rows.lease.ttl)), rows.lease);
    }
    if (valid) ok(rows.record || rows.lease, "a valid row is refused");
  },
};
