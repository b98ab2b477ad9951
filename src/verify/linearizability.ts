/**
 * A linearizability checker in the style of Porcupine (Wing & Gong's search with Lowe's
 * cache), generic over a deterministic model.
 *
 * The history becomes a doubly linked list of call and return events in time order (a call
 * and a return at the same instant count as overlapping). The search repeatedly takes a call
 * that comes before every pending return (a *minimal* call), steps the model with it and, if
 * the model accepts the recorded output, removes the call and its return from the list and
 * goes on. When it reaches a return whose call it could not place, it backtracks. A cache of
 * (set of linearized entries, model state) pairs, both as 64-bit hashes, prunes every
 * configuration already explored, which keeps the search polynomial on histories with modest
 * concurrency.
 *
 * Two more prunings. An entry the model accepts without changing the state (a read) is placed
 * at once and never reconsidered on backtracking: any linearization that places it later can
 * move it up. And a model may give each entry a *horizon* on a monotone progress measure
 * (etcd: the revision its response names); a path that moves past a pending entry's horizon
 * is abandoned at once instead of when that entry's return is reached.
 *
 * Entries with an unknown outcome (`output` undefined) return at +infinity: they may be placed
 * anywhere after their call, or never. The search tries them only after every known-outcome
 * candidate at the same point failed, and stops as soon as every known-outcome entry is placed,
 * leaving the rest unplaced ("never happened" and "happened last" are indistinguishable).
 *
 * @module
 */

import { prng } from "./_hash.ts";

/** What the search knows at the point where it tries an entry. */
export interface StepContext {
  /**
   * The earliest return time among the entries not yet linearized: anything invoked after it
   * cannot be placed here (a model with effects of its own may use this).
   */
  readonly frontier: number;
  /**
   * The lowest `observes` value among the entries not yet linearized: no pending entry looks
   * at anything older, so a model may forget differences there.
   */
  readonly floor: number;
  /** The latest call time among the entries already linearized (-∞ at the start). */
  readonly latestCall: number;
  /** When the search's time budget ends (`performance.now()` clock); long steps check it. */
  readonly deadline: number;
}

/** A deterministic model: a start state and a transition that checks outputs. */
export interface Model<S, I, O> {
  readonly init: S;
  /**
   * The state after `input` produced `output`, or `undefined` when that output is impossible
   * in `state`. `output` undefined means unknown: apply the input, accept anything.
   */
  step(state: S, input: I, output: O | undefined, ctx: StepContext): S | undefined;
  /** A canonical key: equal keys must mean equal states. */
  key(state: S): string;
  /** Why `step` rejects `output` in `state` (used only for reports). */
  explain(state: S, input: I, output: O | undefined, ctx: StepContext): string;
  /**
   * Optional pruning: an entry with `horizon(input, output) = h` can never be placed in a
   * state with `progress(state) > h`, nor in any later one (progress never decreases). The
   * search abandons a path as soon as a pending entry is past its horizon.
   */
  horizon?(input: I, output: O | undefined): number;
  /** The monotone measure `horizon` refers to (etcd: the revision). */
  progress?(state: S): number;
  /** The oldest `progress` value the entry may look at (a read of an old revision); +∞ if none. */
  observes?(input: I, output: O | undefined): number;
}

/** A model gives up on a step it cannot evaluate within its limits or the time budget. */
export class SearchLimitError extends Error {
  /** Creates the error; `reason` says which limit was hit. */
  constructor(message: string, readonly reason: "timeout" | "limit" = "limit") {
    super(message);
    this.name = "SearchLimitError";
  }
}

/** One entry of the history to check. */
export interface CheckEntry<I, O> {
  input: I;
  /** `undefined`: the outcome is unknown. */
  output: O | undefined;
  call: number;
  /** Ignored (+infinity) when the outcome is unknown. */
  return: number;
}

/** A candidate the search could not place at the deepest point, and why. */
export interface Rejection {
  entry: number;
  reason: string;
  /** A pending entry that placing `entry` here would leave past its horizon. */
  strands?: number;
}

/** The checker's verdict; entry numbers index the checked entries. */
export type LinearizabilityResult<S = unknown> =
  | { verdict: "linearizable"; order: number[]; state: S; explored: number }
  | {
    verdict: "violation";
    /** The longest linearizable prefix found, in linearization order. */
    prefix: number[];
    /** The entry whose return was reached before it could be placed after `prefix`. */
    blocked: number;
    /** Every minimal call after `prefix` and why the model refused it there. */
    candidates: Rejection[];
    explored: number;
  }
  | {
    verdict: "unknown";
    reason: "timeout" | "limit";
    detail: string;
    prefix: number[];
    explored: number;
  };

/** Options of {@linkcode checkLinearizable}. */
export interface LinearizabilityOptions {
  /** Give up with `unknown` after this long; 10 s by default. */
  timeoutMs?: number;
  /** How many rejected candidates a violation lists; 16 by default. */
  maxCandidates?: number;
}

function eventOrder<I, O>(entries: CheckEntry<I, O>[]): Int32Array {
  const time = (ev: number): number => {
    const e = entries[ev >> 1]!;
    if ((ev & 1) === 0) return e.call;
    return e.output === undefined ? Infinity : Math.max(e.call, e.return);
  };
  const events = Array.from({ length: entries.length * 2 }, (_, i) => i);
  events.sort((x, y) => time(x) - time(y) || (x & 1) - (y & 1) || x - y);
  return Int32Array.from(events);
}

/** A min segment tree over one number per entry (+∞ once the entry is linearized). */
class MinTree {
  #size: number;
  #tree: Float64Array;

  constructor(values: number[]) {
    let size = 1;
    while (size < values.length) size *= 2;
    this.#size = size;
    this.#tree = new Float64Array(2 * size).fill(Infinity);
    values.forEach((v, i) => this.#tree[size + i] = v);
    for (let i = size - 1; i >= 1; i--) {
      this.#tree[i] = Math.min(this.#tree[2 * i]!, this.#tree[2 * i + 1]!);
    }
  }

  set(i: number, v: number): void {
    let j = this.#size + i;
    this.#tree[j] = v;
    for (j >>= 1; j >= 1; j >>= 1) {
      this.#tree[j] = Math.min(this.#tree[2 * j]!, this.#tree[2 * j + 1]!);
    }
  }

  get min(): number {
    return this.#tree[1]!;
  }
}

/**
 * Searches for a linearization of `entries` that `model` accepts.
 * @returns `linearizable` with one valid order and the final state, `violation` with the
 * deepest dead end, or `unknown` when the time budget (or the model's own limit) ran out.
 */
export function checkLinearizable<S, I, O>(
  model: Model<S, I, O>,
  entries: CheckEntry<I, O>[],
  options: LinearizabilityOptions = {},
): LinearizabilityResult<S> {
  const n = entries.length;
  const deadline = performance.now() + (options.timeoutMs ?? 10_000);
  const head = 2 * n;
  const next = new Int32Array(2 * n + 1).fill(-1);
  const prev = new Int32Array(2 * n + 1).fill(-1);
  let last = head;
  for (const ev of eventOrder(entries)) {
    next[last] = ev;
    prev[ev] = last;
    last = ev;
  }
  const unknown = entries.map((e) => e.output === undefined);
  let remaining = unknown.filter((u) => !u).length;
  const horizonOf = entries.map((e) => model.horizon?.(e.input, e.output) ?? Infinity);
  const horizons = new MinTree(horizonOf);
  const observesOf = entries.map((e) => model.observes?.(e.input, e.output) ?? Infinity);
  const floors = new MinTree(observesOf);
  const progress = model.progress ?? (() => -Infinity);

  // Zobrist hashing of the linearized set: 64 bits plus the set's size. Like the model's state
  // hashes, a collision (about 2^-64 per pair of configurations) could prune a path wrongly;
  // comparing sets exactly would cost a copy of the set per step, O(n²) over a history.
  const rand = prng(0x5eed);
  const zobA = Uint32Array.from(entries, () => rand());
  const zobB = Uint32Array.from(entries, () => rand());
  const bits = new Uint32Array((n + 31) >>> 5);
  let za = 0, zb = 0, size = 0;
  const cache = new Set<string>();
  const remember = (stateKey: string): boolean => {
    const k = `${size}:${za}:${zb}:${stateKey}`;
    if (cache.has(k)) return false;
    cache.add(k);
    return true;
  };
  const linearized = (op: number): boolean => (bits[op >>> 5]! & (1 << (op & 31))) !== 0;
  const flip = (op: number): void => {
    bits[op >>> 5]! ^= 1 << (op & 31);
    size += linearized(op) ? 1 : -1;
    za ^= zobA[op]!;
    zb ^= zobB[op]!;
  };
  const unlink = (ev: number): void => {
    next[prev[ev]!] = next[ev]!;
    if (next[ev]! !== -1) prev[next[ev]!] = prev[ev]!;
  };
  const relink = (ev: number): void => {
    next[prev[ev]!] = ev;
    if (next[ev]! !== -1) prev[next[ev]!] = ev;
  };
  let ctx: StepContext | undefined;
  const context = (): StepContext => {
    if (ctx) return ctx;
    let ev = next[head]!;
    while (ev !== -1 && (ev & 1) === 0) ev = next[ev]!;
    const e = entries[ev >> 1];
    ctx = {
      frontier: ev === -1 || !e ? Infinity : Math.max(e.call, e.return),
      floor: floors.min,
      latestCall: stackCall[stackCall.length - 1] ?? -Infinity,
      deadline,
    };
    return ctx;
  };

  /** Why `op` cannot be placed next (for reports only). */
  const reject = (op: number): Rejection => {
    const e = entries[op]!;
    const after = model.step(state, e.input, e.output, context());
    if (after === undefined) {
      return { entry: op, reason: model.explain(state, e.input, e.output, context()) };
    }
    const p = progress(after);
    const strands = horizonOf.findIndex((h, i) => h < p && i !== op && !linearized(i));
    if (strands === -1) {
      return {
        entry: op,
        reason: "accepted here, but no linearization continues from the state it leads to",
      };
    }
    return {
      entry: op,
      reason: `accepted here, but it takes the state to ${p}, beyond ${horizonOf[strands]}`,
      strands,
    };
  };

  const stackOp: number[] = [];
  const stackPhase: number[] = [];
  const stackState: S[] = [];
  const stackCall: number[] = [];
  // A frame whose entry left the state as it was (a read) needs no alternatives: any
  // linearization that places that entry later can move it up to here (it was a candidate,
  // so nothing pending returned before it was invoked, and it changes nothing). Backtracking
  // skips straight past such frames.
  const stackForced: boolean[] = [];
  const stackKey: string[] = [];
  let state = model.init;
  let stateKey = model.key(state);
  let best: { prefix: number[]; blocked: number; candidates: Rejection[] } | undefined;
  let entry = next[head]!;
  let phase = 0; // 0: known-outcome candidates, 1: unknown-outcome candidates
  let explored = 0;

  try {
    while (remaining > 0) {
      if ((++explored & 255) === 0 && performance.now() > deadline) {
        const detail = `no verdict after ${options.timeoutMs ?? 10_000} ms`;
        return {
          verdict: "unknown",
          reason: "timeout",
          detail,
          prefix: best?.prefix ?? [],
          explored,
        };
      }
      if ((entry & 1) === 0) {
        const op = entry >> 1;
        if (unknown[op] === (phase === 0)) {
          entry = next[entry]!;
          continue;
        }
        const e = entries[op]!;
        const after = model.step(state, e.input, e.output, context());
        if (after !== undefined) {
          horizons.set(op, Infinity);
          flip(op);
          const afterKey = model.key(after);
          if (progress(after) <= horizons.min && remember(afterKey)) {
            stackForced.push(afterKey === stateKey);
            stackKey.push(stateKey);
            stateKey = afterKey;
            stackOp.push(op);
            stackPhase.push(phase);
            stackState.push(state);
            stackCall.push(Math.max(e.call, stackCall[stackCall.length - 1] ?? -Infinity));
            state = after;
            floors.set(op, Infinity);
            unlink(entry);
            unlink(entry + 1);
            ctx = undefined;
            if (!unknown[op]) remaining--;
            entry = next[head]!;
            phase = 0;
            continue;
          }
          flip(op);
          horizons.set(op, horizonOf[op]!);
        }
        entry = next[entry]!;
        continue;
      }
      if (phase === 0) {
        phase = 1;
        entry = next[head]!;
        continue;
      }
      if (!best || stackOp.length > best.prefix.length) {
        best = { prefix: stackOp.slice(), blocked: entry >> 1, candidates: [] };
        for (let ev = next[head]!; ev !== -1 && (ev & 1) === 0; ev = next[ev]!) {
          if (best.candidates.length >= (options.maxCandidates ?? 16)) break;
          best.candidates.push(reject(ev >> 1));
        }
      }
      for (;;) {
        const op = stackOp.pop();
        if (op === undefined) return { verdict: "violation", ...best, explored };
        state = stackState.pop()!;
        stateKey = stackKey.pop()!;
        stackCall.pop();
        phase = stackPhase.pop()!;
        flip(op);
        horizons.set(op, horizonOf[op]!);
        floors.set(op, observesOf[op]!);
        relink(2 * op + 1);
        relink(2 * op);
        ctx = undefined;
        if (!unknown[op]) remaining++;
        entry = next[2 * op]!;
        if (!stackForced.pop()) break;
      }
    }
  } catch (err: unknown) {
    if (!(err instanceof SearchLimitError)) throw err;
    return {
      verdict: "unknown",
      reason: err.reason,
      detail: err.message,
      prefix: best?.prefix ?? [],
      explored,
    };
  }
  return { verdict: "linearizable", order: stackOp, state, explored };
}
