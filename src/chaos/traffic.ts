/**
 * The clients of a chaos run. Each client sends one request at a time over its own
 * connection, recorded in the run's {@linkcode HistoryRecorder} under one client id per
 * connection: after an outcome it cannot know, it drops the connection and carries on under a
 * new id on a randomly chosen node, as a real client would reconnect.
 *
 * Two traffic shapes on a small key space, so writers collide:
 * - Kubernetes (`reference/etcd-api.md` §2.1): create = txn `mod == 0` → put, update and
 *   delete = txn `mod == <last seen>` → put/delete else get, gets, paginated lists of a
 *   prefix at the first page's revision, counts.
 * - etcd: put, get (some serializable), delete (some with prev_kv), compare-and-set on the
 *   value, a two-key txn, prefix ranges with a limit.
 *
 * Every put value is unique (`<client>.<n>`), which lets the checker tell writes apart.
 * How an error is recorded: a status that says the server refused the request before doing
 * anything (InvalidArgument, OutOfRange, NotFound, FailedPrecondition, …) or a connection
 * that was never made is `fail`; anything else (DeadlineExceeded, Unavailable, a cut stream,
 * Unknown) is `unknown`, because the write may have happened.
 *
 * @module
 */

import { EtcdTestClient } from "../../tests/_etcd_client.ts";
import type {
  HistoryRecorder,
  KvRequest,
  KvResponse,
  RangeRequest,
  TxnRequest,
} from "../verify/mod.ts";
import {
  bytesOf,
  deleteResponseOf,
  putResponseOf,
  rangeRequestOf,
  rangeResponseOf,
  txnRequestOf,
  txnResponseOf,
} from "./convert.ts";
import type { Rng } from "./random.ts";

/** gRPC codes that mean "rejected before executing" (no effect). */
const DEFINITE_CODES = new Set([3, 5, 6, 7, 9, 11, 12, 16]);
const UNAVAILABLE = 14;

/** The Kubernetes key space: two resources in two namespaces. */
export const K8S_PREFIXES = ["/registry/pods/default/", "/registry/configmaps/kube-system/"];
const K8S_NAMES = 4;
/** The etcd-style key space. */
const ETCD_KEYS = 6;

/** How an error counts in the history. */
export type ErrorKind = "fail" | "unknown";

/** Classifies a client error (see the module doc). */
export function classifyError(err: unknown): ErrorKind {
  if (typeof err !== "object" || err === null || !("code" in err)) return "unknown";
  const code = err.code;
  if (typeof code !== "number") return "unknown";
  if (DEFINITE_CODES.has(code)) return "fail";
  const details = "details" in err ? String(err.details) : "";
  // grpc-js fails a call this way only when no connection was ever made: nothing was sent.
  if (code === UNAVAILABLE && /^No connection established/.test(details)) return "fail";
  return "unknown";
}

/** What the clients share. */
export interface TrafficContext {
  rec: HistoryRecorder;
  /** Client endpoints to choose from. */
  endpoints: () => string[];
  /** A fresh client id (unique across KV clients and watchers). */
  nextClientId: () => number;
  requestTimeoutMs: number;
  /** Stop sending when this `performance.now()` passes. */
  deadline: number;
  /** Upper bound on requests per client. */
  maxRequests: number;
  signal: AbortSignal;
  /** Called with the header revision of every answer. */
  observe: (revision: number) => void;
  /** Notes which client id went where (kept beside the history). */
  note: (line: string) => void;
}

/** Counts per outcome, for the summary. */
export interface TrafficStats {
  ok: number;
  fail: number;
  unknown: number;
  /** Error codes seen (`<grpc code> <details>` shortened) and how often. */
  errors: Map<string, number>;
}

/** Fresh, empty stats. */
export function newStats(): TrafficStats {
  return { ok: 0, fail: 0, unknown: 0, errors: new Map() };
}

function errorLabel(err: unknown): string {
  const code = typeof err === "object" && err !== null && "code" in err ? String(err.code) : "?";
  const msg = err instanceof Error ? err.message : String(err);
  return `${code} ${msg.replace(/\d+(\.\d+)?/g, "N").slice(0, 80)}`;
}

/** Sends `req` as its wire message and converts the answer back. */
export async function execute(c: EtcdTestClient, req: KvRequest): Promise<KvResponse> {
  switch (req.type) {
    case "range":
      return rangeResponseOf(await c.range(rangeRequestOf(req)));
    case "put":
      return putResponseOf(
        await c.put("", "", {
          key: bytesOf(req.key),
          value: bytesOf(req.value),
          prevKv: req.prevKv ?? false,
        }),
        req.prevKv === true,
      );
    case "delete":
      return deleteResponseOf(
        await c.del({
          key: bytesOf(req.key),
          rangeEnd: bytesOf(req.rangeEnd ?? ""),
          prevKv: req.prevKv ?? false,
        }),
        req.prevKv === true,
      );
    case "txn":
      return txnResponseOf(req, await c.txn(txnRequestOf(req)));
    default:
      throw new Error(`Cannot send a ${req.type} request in chaos traffic`);
  }
}

interface Known {
  mod: number;
  value: string;
}

/** One client's view: the last mod revision and value it saw per key. */
class ClientState {
  readonly known = new Map<string, Known>();
  /** A paginated list in progress: the next page's request. */
  nextPage: RangeRequest | undefined;

  learn(req: KvRequest, res: KvResponse): void {
    if (res.type === "range") this.#learnRange(req, res);
    if (res.type === "put" && req.type === "put") {
      this.known.set(req.key, { mod: res.revision, value: req.value });
    }
    if (res.type === "delete" && req.type === "delete" && !req.rangeEnd) {
      this.known.set(req.key, { mod: 0, value: "" });
    }
    if (res.type === "txn" && req.type === "txn") {
      const ops = res.succeeded ? req.success : req.failure;
      ops.forEach((op, i) => {
        const r = res.responses[i];
        if (!r) return;
        if (op.type === "put") this.known.set(op.key, { mod: res.revision, value: op.value });
        else if (op.type === "delete" && !op.rangeEnd) {
          this.known.set(op.key, { mod: 0, value: "" });
        } else if (op.type === "range" && r.type === "range") this.#learnRange(op, r);
      });
    }
  }

  #learnRange(req: KvRequest, res: Extract<KvResponse, { type: "range" }>): void {
    for (const kv of res.kvs) this.known.set(kv.key, { mod: kv.modRevision, value: kv.value });
    if (req.type === "range" && !req.rangeEnd && res.kvs.length === 0 && !req.revision) {
      this.known.set(req.key, { mod: 0, value: "" });
    }
  }
}

function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

function k8sRequest(rng: Rng, st: ClientState, value: () => string): RangeRequest | TxnRequest {
  if (st.nextPage) {
    const page = st.nextPage;
    st.nextPage = undefined;
    return page;
  }
  const prefix = rng.pick(K8S_PREFIXES);
  const key = `${prefix}obj-${rng.int(0, K8S_NAMES - 1)}`;
  const mod = st.known.get(key)?.mod ?? 0;
  const get: RangeRequest = { type: "range", key };
  switch (rng.weighted({ create: 2, update: 5, delete: 1, get: 2, list: 2, count: 1 })) {
    case "create":
      return {
        type: "txn",
        compare: [{ key, target: "mod", result: "equal", operand: 0 }],
        success: [{ type: "put", key, value: value() }],
        failure: rng.chance(0.5) ? [get] : [],
      };
    case "update":
      return {
        type: "txn",
        compare: [{ key, target: "mod", result: "equal", operand: mod }],
        success: [{ type: "put", key, value: value() }],
        failure: [get],
      };
    case "delete":
      return {
        type: "txn",
        compare: [{ key, target: "mod", result: "equal", operand: mod }],
        success: [{ type: "delete", key, prevKv: rng.chance(0.5) }],
        failure: [get],
      };
    case "get":
      return get;
    case "list":
      return { type: "range", key: prefix, rangeEnd: prefixEnd(prefix), limit: rng.int(1, 3) };
    case "count":
      return { type: "range", key: prefix, rangeEnd: prefixEnd(prefix), countOnly: true };
  }
}

function etcdRequest(rng: Rng, st: ClientState, value: () => string): KvRequest {
  const key = `key-${rng.int(0, ETCD_KEYS - 1)}`;
  const other = `key-${rng.int(0, ETCD_KEYS - 1)}`;
  switch (rng.weighted({ put: 4, get: 3, delete: 1, cas: 3, multi: 1, range: 2 })) {
    case "put":
      return { type: "put", key, value: value(), prevKv: rng.chance(0.3) };
    case "get":
      return { type: "range", key, serializable: rng.chance(0.3) };
    case "delete":
      return { type: "delete", key, prevKv: rng.chance(0.5) };
    case "cas": {
      const seen = st.known.get(key);
      const compare: TxnRequest["compare"] = seen && seen.mod > 0
        ? [{ key, target: "value", result: "equal", operand: seen.value }]
        : [{ key, target: "version", result: "equal", operand: 0 }];
      return {
        type: "txn",
        compare,
        success: [{ type: "put", key, value: value() }],
        failure: [{ type: "range", key }],
      };
    }
    case "multi":
      if (other === key) return { type: "put", key, value: value() };
      return {
        type: "txn",
        compare: [{ key, target: "version", result: "greater", operand: 0 }],
        success: [{ type: "put", key: other, value: value() }, { type: "delete", key }],
        failure: [{ type: "put", key, value: value() }, { type: "range", key: other }],
      };
    case "range":
      return {
        type: "range",
        key: "key-",
        rangeEnd: "key.",
        limit: rng.int(0, 4),
        keysOnly: rng.chance(0.2),
      };
  }
}

/** After a list page with more keys, the next page at the same revision. */
function continuation(req: KvRequest, res: KvResponse): RangeRequest | undefined {
  if (req.type !== "range" || res.type !== "range" || !res.more || !req.rangeEnd) return;
  const last = res.kvs.at(-1);
  if (!last || req.countOnly) return;
  return { ...req, key: last.key + "\0", revision: req.revision ?? res.revision };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Runs one client until the deadline: Kubernetes-shaped traffic when `profile` is
 * `"kubernetes"`, etcd-shaped otherwise.
 */
export async function runClient(
  ctx: TrafficContext,
  rng: Rng,
  options: { profile: "kubernetes" | "etcd"; stats: TrafficStats },
): Promise<void> {
  const { rec, stats } = { rec: ctx.rec, stats: options.stats };
  let id = 0;
  let client: EtcdTestClient | undefined;
  const connect = () => {
    client?.close();
    id = ctx.nextClientId();
    const endpoint = rng.pick(ctx.endpoints());
    ctx.note(`${(performance.now() / 1000).toFixed(3)} kv client ${id} -> ${endpoint}`);
    return new EtcdTestClient(endpoint, { timeoutMs: ctx.requestTimeoutMs });
  };
  client = connect();
  let st = new ClientState();
  let n = 0;
  let failures = 0; // in a row: back off like a real client, up to 2 s
  const value = () => `c${id}.${n}`;
  try {
    for (; n < ctx.maxRequests; n++) {
      if (performance.now() > ctx.deadline || ctx.signal.aborted) break;
      const req = options.profile === "kubernetes"
        ? k8sRequest(rng, st, value)
        : etcdRequest(rng, st, value);
      const h = rec.invoke(id, req);
      try {
        const res = await execute(client, req);
        rec.ok(h, res);
        ctx.observe(res.revision);
        stats.ok++;
        st.learn(req, res);
        st.nextPage = continuation(req, res);
        failures = 0;
        await sleep(rng.int(0, 10));
        continue;
      } catch (err: unknown) {
        const kind = classifyError(err);
        rec[kind](h, err);
        stats[kind]++;
        const label = errorLabel(err);
        stats.errors.set(label, (stats.errors.get(label) ?? 0) + 1);
        if (kind === "fail" && !/^14 /.test(label)) {
          await sleep(rng.int(0, 10));
          continue;
        }
      }
      // An unknown outcome or no connection: reconnect under a new id, maybe elsewhere.
      client.close();
      st = new ClientState();
      failures++;
      const backoff = Math.min(2000, 50 * 2 ** failures);
      await sleep(rng.int(backoff / 2, backoff));
      client = connect();
    }
  } finally {
    client.close();
  }
}

/** A linearizable read of the whole key space, recorded; returns its revision (or undefined). */
export async function finalRead(
  ctx: TrafficContext,
  endpoint: string,
): Promise<number | undefined> {
  const req: RangeRequest = { type: "range", key: "\0", rangeEnd: "\0" };
  const id = ctx.nextClientId();
  using c = new EtcdTestClient(endpoint, { timeoutMs: ctx.requestTimeoutMs });
  const h = ctx.rec.invoke(id, req);
  try {
    const res = await execute(c, req);
    ctx.rec.ok(h, res);
    return res.revision;
  } catch (err: unknown) {
    ctx.rec[classifyError(err)](h, err);
    return undefined;
  }
}
