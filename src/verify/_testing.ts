/**
 * Test helpers: terse builders for hand-written histories, and a simulated store that produces
 * random linearizable histories (each operation takes effect at a random instant inside its
 * interval, so the truth is known).
 *
 * @module
 */

import { prng } from "./_hash.ts";
import type { History, Operation, Outcome, WatchRecording } from "./history.ts";
import { applyRequest, type EtcdState, INITIAL_STATE, readRange } from "./model.ts";
import { revisionLogFromState } from "./revision_log.ts";
import type {
  KeyValue,
  KvRequest,
  KvResponse,
  RangeResponse,
  TxnRequest,
  WatchRequest,
  WatchResponse,
} from "./types.ts";

/** A key-value literal. */
export function kv(
  key: string,
  value: string,
  createRevision: number,
  modRevision: number,
  version: number,
  lease = 0n,
): KeyValue {
  return { key, value, createRevision, modRevision, version, lease };
}

/** A range response literal (count = kvs.length unless given). */
export function rangeOf(revision: number, kvs: KeyValue[], count = kvs.length): RangeResponse {
  return { type: "range", revision, kvs, count, more: count > kvs.length };
}

/** Kubernetes' optimistic update: put if the key's mod revision is still `mod`, else get. */
export function casUpdate(key: string, mod: number, value: string): TxnRequest {
  return {
    type: "txn",
    compare: [{ key, target: "mod", result: "equal", operand: mod }],
    success: [{ type: "put", key, value }],
    failure: [{ type: "range", key }],
  };
}

/** Builds a {@linkcode History} by hand; times are whatever the test says. */
export class Script {
  #ops: Operation[] = [];
  #watches: WatchRecording[] = [];

  #add(client: number, call: number, ret: number, input: KvRequest, outcome: Outcome): number {
    const id = this.#ops.length;
    this.#ops.push({ id, client, input, invokeTime: call, returnTime: ret, outcome });
    return id;
  }

  /** An operation answered with `output`. */
  ok(client: number, call: number, ret: number, input: KvRequest, output: KvResponse): number {
    return this.#add(client, call, ret, input, { kind: "ok", output });
  }

  /** An operation rejected with `code`. */
  fail(client: number, call: number, ret: number, input: KvRequest, code: string): number {
    return this.#add(client, call, ret, input, { kind: "fail", error: { code, message: code } });
  }

  /** An operation whose outcome the client never learnt. */
  unknown(client: number, call: number, input: KvRequest): number {
    return this.#add(client, call, call + 1, input, {
      kind: "unknown",
      error: { code: "unavailable", message: "timeout" },
    });
  }

  /** A watch with its responses, each `[time, response]`. */
  watch(
    request: WatchRequest,
    start: number,
    responses: [number, WatchResponse][],
    resumes?: number,
  ): number {
    const id = this.#watches.length;
    const rec: WatchRecording = {
      id,
      client: 100 + id,
      request,
      startTime: start,
      responses: responses.map(([time, r]) => ({ ...r, time })),
    };
    if (resumes !== undefined) rec.resumes = resumes;
    this.#watches.push(rec);
    return id;
  }

  /** The history built so far. */
  history(): History {
    return structuredClone({ operations: this.#ops, watches: this.#watches });
  }
}

/** Shape of a simulated run. */
export interface SimOptions {
  clients?: number;
  opsPerClient?: number;
  keys?: number;
  /** Share of writes whose outcome is unknown (half of them never take effect). */
  unknownRate?: number;
  serializableRate?: number;
  /** Record one watch of every key from revision 1 that sees each revision soon after it. */
  watch?: boolean;
}

/** A simulated run: the history and the operations in the order they took effect. */
export interface Simulation {
  history: History;
  truth: number[];
  state: EtcdState;
}

type Rand = () => number;

function pick<T>(rand: Rand, xs: readonly T[]): T {
  return xs[Math.floor(rand() * xs.length)]!;
}

function request(rand: Rand, keys: string[], seen: Map<string, number>, rev: number): KvRequest {
  const key = pick(rand, keys);
  const p = rand();
  if (p < 0.28) return { type: "put", key, value: `v${Math.floor(rand() * 1e6)}` };
  if (p < 0.5) return { type: "range", key };
  if (p < 0.56) return { type: "range", key: "k", rangeEnd: "l", limit: rand() < 0.5 ? 2 : 0 };
  if (p < 0.63) return { type: "delete", key, prevKv: rand() < 0.5 };
  if (p < 0.8) return casUpdate(key, seen.get(key) ?? 0, `c${Math.floor(rand() * 1e6)}`);
  if (p < 0.85) return { type: "range", key, revision: Math.max(1, rev - Math.floor(rand() * 5)) };
  if (p < 0.87) return { type: "compact", revision: Math.max(1, rev - 10) };
  if (p < 0.9) return { type: "lease-grant", id: BigInt(1 + Math.floor(rand() * 3)), ttl: 60 };
  if (p < 0.92) return { type: "lease-revoke", id: BigInt(1 + Math.floor(rand() * 3)) };
  if (p < 0.95) {
    return { type: "put", key, value: "leased", lease: BigInt(1 + Math.floor(rand() * 3)) };
  }
  return { type: "delete", key: "k", rangeEnd: "l" };
}

function watchEverything(state: EtcdState, at: Map<number, number>, next: Rand): WatchRecording {
  const log = revisionLogFromState(state);
  const responses: WatchRecording["responses"] = [{
    revision: 1,
    events: [],
    created: true,
    time: 0,
  }];
  let t = 0;
  for (const [revision, events] of log.events) {
    t = Math.max(t, (at.get(revision) ?? t) + next() * 3);
    responses.push({ revision, events, time: t });
  }
  return {
    id: 0,
    client: 99,
    request: { key: "\0", rangeEnd: "\0", startRevision: 1, prevKv: true },
    startTime: 0,
    responses,
  };
}

/**
 * Simulates `clients` sequential clients against one store. Each operation gets an interval
 * and takes effect at a uniformly random instant inside it (unknown outcomes: later, or never).
 */
export function simulate(seed: number, options: SimOptions = {}): Simulation {
  const gen = prng(seed);
  const next: Rand = () => gen() / 0x1_0000_0000;
  const clients = options.clients ?? 8, per = options.opsPerClient ?? 50;
  const keys = Array.from({ length: options.keys ?? 4 }, (_, i) => `k${i}`);
  interface Slot {
    client: number;
    call: number;
    ret: number;
    at: number;
    unknown: boolean;
    effect: boolean;
  }
  const slots: Slot[] = [];
  for (let c = 0; c < clients; c++) {
    let t = next() * 5;
    for (let i = 0; i < per; i++) {
      const call = t, ret = t + 0.1 + next() * 6;
      const unknown = next() < (options.unknownRate ?? 0.05);
      const effect = !unknown || next() < 0.5;
      const at = unknown && next() < 0.5 ? ret + next() * 20 : call + next() * (ret - call);
      slots.push({ client: c, call, ret, at, unknown, effect });
      t = ret + next() * 2;
    }
  }
  const order = slots.map((_, i) => i).sort((a, b) => slots[a]!.at - slots[b]!.at);
  const ops: Operation[] = slots.map((s, id) => ({
    id,
    client: s.client,
    input: { type: "range", key: "" },
    invokeTime: s.call,
    returnTime: s.ret,
    outcome: { kind: "unknown", error: { code: "unavailable", message: "timeout" } },
  }));
  const seen = new Map<number, Map<string, number>>();
  const floor = new Map<number, number>();
  let state = INITIAL_STATE;
  const truth: number[] = [];
  const commitTimes = new Map<number, number>();
  for (const id of order) {
    const s = slots[id]!, op = ops[id]!;
    const mine = seen.get(s.client) ?? new Map<string, number>();
    seen.set(s.client, mine);
    op.input = request(next, keys, mine, state.revision);
    if (
      !s.unknown && op.input.type === "range" && !op.input.revision && !op.input.rangeEnd &&
      next() < (options.serializableRate ?? 0.1)
    ) {
      op.input.serializable = true;
      const lo = floor.get(s.client) ?? 1;
      const h = lo + Math.floor(next() * (state.revision - lo + 1));
      op.outcome = { kind: "ok", output: readRange(state.keys, { ...op.input, revision: h }, h) };
      floor.set(s.client, h);
      continue;
    }
    if (s.unknown && op.input.type === "range") {
      op.input = { type: "put", key: op.input.key, value: "u" };
    }
    if (s.unknown && !s.effect) continue;
    const r = applyRequest(state, op.input);
    if (r.state.revision > state.revision) commitTimes.set(r.state.revision, s.at);
    state = r.state;
    truth.push(id);
    if (s.unknown) continue;
    op.outcome = r.ok
      ? { kind: "ok", output: r.response }
      : { kind: "fail", error: { code: r.error, message: r.error } };
    if (r.ok) {
      floor.set(s.client, Math.max(floor.get(s.client) ?? 0, r.response.revision));
      const res = r.response.type === "txn" ? r.response.responses : [r.response];
      for (const x of res) {
        if (x.type === "range") { for (const k of x.kvs) mine.set(k.key, k.modRevision); }
      }
    }
  }
  const watches = options.watch ? [watchEverything(state, commitTimes, next)] : [];
  return { history: { operations: ops, watches }, truth, state };
}
