/**
 * Client histories: what each client asked, when, and what came back, plus every watch stream.
 *
 * A chaos runner wraps each request in {@linkcode HistoryRecorder.invoke} and settles the
 * handle with exactly one of `ok`, `fail` or `unknown`:
 * - `ok`: the server answered; the response is checked field by field.
 * - `fail`: a definite failure, the server rejected the request before executing it
 *   (InvalidArgument, "compacted", "future revision", "lease not found"…). The request had no
 *   effect. Codes the model predicts are checked; the others are left out of the check.
 * - `unknown`: timeout, Unavailable, a lost connection. A write may or may not have happened;
 *   for the checker it may take effect at any time after its invoke, or never.
 *
 * Times are monotonic milliseconds from one clock for every client (`performance.now()`).
 *
 * @module
 */

import type { KvRequest, KvResponse, WatchRequest, WatchResponse } from "./types.ts";

/** Why a request failed, normalised to a code the model understands where possible. */
export interface Failure {
  /** `"compacted"`, `"future-revision"`, `"lease-not-found"`, `"lease-exists"`, or another. */
  code: string;
  message: string;
}

/** How an operation ended. */
export type Outcome =
  | { kind: "ok"; output: KvResponse }
  | { kind: "fail"; error: Failure }
  | { kind: "unknown"; error: Failure };

/** One request of one client. */
export interface Operation {
  /** Position in {@linkcode History.operations}. */
  id: number;
  client: number;
  input: KvRequest;
  invokeTime: number;
  /** When the client stopped waiting; the checker treats an unknown outcome's as +infinity. */
  returnTime: number;
  outcome: Outcome;
}

/** One received watch response and when it arrived. */
export interface ReceivedWatchResponse extends WatchResponse {
  time: number;
}

/** One watch: its create request, then every response in arrival order. */
export interface WatchRecording {
  /** Position in {@linkcode History.watches}. */
  id: number;
  client: number;
  request: WatchRequest;
  startTime: number;
  /** The watch this one restarted after a disconnect (Resumable is checked against it). */
  resumes?: number;
  responses: ReceivedWatchResponse[];
}

/** A whole recorded run. */
export interface History {
  operations: Operation[];
  watches: WatchRecording[];
}

/** An operation in flight, returned by {@linkcode HistoryRecorder.invoke}. */
export interface OperationHandle {
  readonly id: number;
}

/** A watch being recorded, returned by {@linkcode HistoryRecorder.startWatch}. */
export interface WatchHandle {
  readonly id: number;
}

/** Options of {@linkcode HistoryRecorder}. */
export interface RecorderOptions {
  /** The monotonic clock in ms; `performance.now` by default. */
  clock?: () => number;
}

const KNOWN_MESSAGES: [RegExp, string][] = [
  [/required revision has been compacted/, "compacted"],
  [/required revision is a future revision/, "future-revision"],
  [/requested lease not found/, "lease-not-found"],
  [/lease already exists/, "lease-exists"],
];

/**
 * Turns a thrown value into a {@linkcode Failure}: a T4 `KvError`'s `code` when it has a string
 * one, else a code recognised from etcd's error text, else `"error"`.
 */
export function describeError(err: unknown): Failure {
  const message = err instanceof Error ? err.message : String(err);
  const code = typeof err === "object" && err !== null && "code" in err ? err.code : undefined;
  if (typeof code === "string" && code !== "") return { code, message };
  for (const [re, known] of KNOWN_MESSAGES) if (re.test(message)) return { code: known, message };
  return { code: "error", message };
}

/** Records a history; one per run, shared by every client. */
export class HistoryRecorder {
  #clock: () => number;
  #operations: Operation[] = [];
  #pending = new Map<number, Operation>();
  #watches: WatchRecording[] = [];

  /** Creates an empty recorder. */
  constructor(options: RecorderOptions = {}) {
    this.#clock = options.clock ?? (() => performance.now());
  }

  /** Records that `client` sent `input` now. */
  invoke(client: number, input: KvRequest): OperationHandle {
    const id = this.#operations.length;
    const t = this.#clock();
    const op: Operation = {
      id,
      client,
      input,
      invokeTime: t,
      returnTime: t,
      outcome: { kind: "unknown", error: { code: "pending", message: "no answer recorded" } },
    };
    this.#operations.push(op);
    this.#pending.set(id, op);
    return { id };
  }

  /** The server answered `output`. */
  ok(handle: OperationHandle, output: KvResponse): void {
    this.#settle(handle, { kind: "ok", output });
  }

  /** The server rejected the request before executing it. */
  fail(handle: OperationHandle, err: unknown): void {
    this.#settle(handle, { kind: "fail", error: describeError(err) });
  }

  /** The client gave up without knowing whether the request took effect. */
  unknown(handle: OperationHandle, err: unknown): void {
    this.#settle(handle, { kind: "unknown", error: describeError(err) });
  }

  #settle(handle: OperationHandle, outcome: Outcome): void {
    const op = this.#pending.get(handle.id);
    if (!op) throw new Error(`Cannot settle operation ${handle.id}: it is not in flight`);
    this.#pending.delete(handle.id);
    op.returnTime = this.#clock();
    op.outcome = outcome;
  }

  /** Records that `client` opened a watch; `resumes` names the watch it restarts. */
  startWatch(
    client: number,
    request: WatchRequest,
    options: { resumes?: WatchHandle } = {},
  ): WatchHandle {
    const id = this.#watches.length;
    const rec: WatchRecording = { id, client, request, startTime: this.#clock(), responses: [] };
    if (options.resumes) rec.resumes = options.resumes.id;
    this.#watches.push(rec);
    return { id };
  }

  /** Records a response received on a watch, stamped with the current time. */
  received(handle: WatchHandle, response: WatchResponse): void {
    const rec = this.#watches[handle.id];
    if (!rec) throw new Error(`Cannot record a response for watch ${handle.id}: unknown watch`);
    rec.responses.push({ ...response, time: this.#clock() });
  }

  /** Operations still in flight. */
  get pending(): number {
    return this.#pending.size;
  }

  /**
   * A copy of the history so far. Operations still in flight appear with an unknown outcome
   * (the run ended before they did).
   */
  history(): History {
    return structuredClone({ operations: this.#operations, watches: this.#watches });
  }
}
