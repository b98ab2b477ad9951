/**
 * {@linkcode LeaderLock}: the `leader-lock` object in the shared object store, changed only by
 * conditional PUTs (`If-None-Match: *` to create, `If-Match` with the unquoted ETag to renew or
 * take over), so two writers can never both believe they succeeded.
 *
 * Leases without synchronized clocks: the leader renews every `renewMs` and counts its lease
 * from the *start* of its last successful renewal on its own monotonic clock; it must stop
 * serving `leaseMs - safetyMs` after that. A follower counts from the moment *it saw* the lock
 * change on its own monotonic clock, and may take over only `leaseMs + skewMs` after that. The
 * follower's moment is after the renewal started, so the leader is always fenced first.
 *
 * Takeover ranking: candidates post a nomination `{node_id, last_term, last_seq}` into the lock
 * (conditional PUT), wait a window, and only the best one — highest (last_term, last_seq), then
 * lowest node id — takes over, so the most up-to-date reachable node wins.
 *
 * @module
 */

import { KvError } from "../errors.ts";
import { ObjectNotFoundError, type ObjectStore, PreconditionFailedError } from "../objstore/mod.ts";

/** The lock object's key. */
export const LOCK_KEY = "leader-lock";
const FORMAT_VERSION = 1;

/** A candidate's claim of how up to date it is. */
export interface Nomination {
  nodeId: string;
  lastTerm: number;
  lastSeq: number;
}

/** The lock record. */
export interface LockRecord {
  nodeId: string;
  memberId: string;
  term: number;
  /** The leader's peer address (`host:port`). */
  leaderAddr: string;
  clientUrl: string;
  /** The lease length in ms the leader works with. */
  leaseMs: number;
  /** Bumped by every renewal so every renewal changes the ETag. */
  renewals: number;
  /** Wall-clock time of the renewal (for humans; nobody compares clocks). */
  renewedAt: string;
  /** The leader's commit sequence at the renewal: a takeover needs at least this. */
  committedSeq: number;
  /** Set by a leader stepping down on purpose: take over at once. */
  released: boolean;
  nominations: Nomination[];
}

/** A lock record with the ETag it was read with. */
export interface LockState {
  record: LockRecord;
  etag: string;
}

/** The JSON of a lock record (snake_case, as stored). */
export function encodeLockRecord(r: LockRecord): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({
    format_version: FORMAT_VERSION,
    node_id: r.nodeId,
    member_id: r.memberId,
    term: r.term,
    leader_addr: r.leaderAddr,
    client_url: r.clientUrl,
    lease_ms: r.leaseMs,
    renewals: r.renewals,
    renewed_at: r.renewedAt,
    committed_seq: r.committedSeq,
    released: r.released,
    nominations: r.nominations.map((n) => ({
      node_id: n.nodeId,
      last_term: n.lastTerm,
      last_seq: n.lastSeq,
    })),
  }));
}

/**
 * Decodes a lock record; missing optional fields read as empty.
 *
 * @throws {KvError} `checkpoint-corrupt` for bytes that are not a JSON object of the lock's
 *   shape, `format-unsupported` for a newer format.
 */
export function decodeLockRecord(data: Uint8Array): LockRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(data));
  } catch (err: unknown) {
    throw new KvError("checkpoint-corrupt", `Cannot read "${LOCK_KEY}": not JSON`, { cause: err });
  }
  // JSON.parse also returns null, arrays and plain values; reading fields of null would throw a
  // TypeError that says nothing about the lock.
  if (!isObject(parsed)) {
    throw new KvError("checkpoint-corrupt", `Cannot read "${LOCK_KEY}": not a JSON object`);
  }
  const doc = parsed;
  const version = typeof doc.format_version === "number" ? doc.format_version : 1;
  if (version > FORMAT_VERSION) {
    throw new KvError(
      "format-unsupported",
      `Cannot read "${LOCK_KEY}": format_version ${version} is newer than this build (${FORMAT_VERSION})`,
    );
  }
  const num = (v: unknown) => (typeof v === "number" && Number.isSafeInteger(v) ? v : 0);
  const str = (v: unknown) => (typeof v === "string" ? v : "");
  if (typeof doc.node_id !== "string" || typeof doc.term !== "number") {
    throw new KvError("checkpoint-corrupt", `Cannot read "${LOCK_KEY}": node_id or term missing`);
  }
  const noms = Array.isArray(doc.nominations) ? doc.nominations as unknown[] : [];
  if (!noms.every(isObject)) {
    throw new KvError(
      "checkpoint-corrupt",
      `Cannot read "${LOCK_KEY}": a nomination is not an object`,
    );
  }
  return {
    nodeId: doc.node_id,
    memberId: str(doc.member_id),
    term: num(doc.term),
    leaderAddr: str(doc.leader_addr),
    clientUrl: str(doc.client_url),
    leaseMs: num(doc.lease_ms),
    renewals: num(doc.renewals),
    renewedAt: str(doc.renewed_at),
    committedSeq: num(doc.committed_seq),
    released: doc.released === true,
    nominations: noms.map((n) => ({
      nodeId: str(n.node_id),
      lastTerm: num(n.last_term),
      lastSeq: num(n.last_seq),
    })),
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Whether nomination `a` ranks before `b`. */
export function ranksBefore(a: Nomination, b: Nomination): boolean {
  if (a.lastTerm !== b.lastTerm) return a.lastTerm > b.lastTerm;
  if (a.lastSeq !== b.lastSeq) return a.lastSeq > b.lastSeq;
  return a.nodeId < b.nodeId;
}

/** The best nomination, if any. */
export function best(noms: readonly Nomination[]): Nomination | undefined {
  let top: Nomination | undefined;
  for (const n of noms) if (!top || ranksBefore(n, top)) top = n;
  return top;
}

/** Reads and writes the lock; every write is conditional. */
export class LeaderLock {
  readonly #store: ObjectStore;

  /** Works on `store` (the cluster's shared store). */
  constructor(store: ObjectStore) {
    this.#store = store;
  }

  /** The lock, or undefined when no one has ever held it. */
  async read(): Promise<LockState | undefined> {
    try {
      const { data, etag } = await this.#store.get(LOCK_KEY);
      return { record: decodeLockRecord(data), etag };
    } catch (err: unknown) {
      if (err instanceof ObjectNotFoundError) return undefined;
      throw err;
    }
  }

  /**
   * Writes `record` if the lock is still at `etag` (absent when undefined). Returns the new
   * state, or undefined when someone else wrote first.
   */
  async write(record: LockRecord, etag: string | undefined): Promise<LockState | undefined> {
    const data = encodeLockRecord(record);
    try {
      const r = etag === undefined
        ? await this.#store.putIfAbsent(LOCK_KEY, data)
        : await this.#store.putIfMatch(LOCK_KEY, data, etag);
      return { record, etag: r.etag };
    } catch (err: unknown) {
      if (err instanceof PreconditionFailedError) return undefined;
      throw err;
    }
  }
}
