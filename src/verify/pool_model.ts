/**
 * The etcd model for histories with unknown-outcome writes, in the spirit of etcd's
 * robustness suite's non-deterministic model.
 *
 * Placing each unknown-outcome write as a search entry makes the search branch on *which*
 * pending write took a revision, and a wrong guess often shows only many operations later,
 * after every interleaving in between has been tried. Instead, unknown-outcome writes form a
 * *pool* and the state is a set of possible worlds (members), each a model state plus the pool
 * writes it used. A pool write is applied only when a known response proves that revisions are
 * missing: before an entry whose response says revision R, each member fills its gap up to R
 * (or R - 1 for a write) with pool writes, each adding exactly one revision, never at a
 * revision an acknowledged write claims. Members that disagree with a response drop out; the
 * step fails when none is left. A write never needed to explain a response is taken not to
 * have happened, or to have happened after everything observed: no observation tells apart.
 *
 * A pool write is available from its invoke until `deadline` (its return plus the effect
 * window): it cannot be placed after an entry invoked later than that. Writes with the same
 * effect are interchangeable; a member uses the one that expires first (which leaves it the
 * most choice later). Members that no pending entry can tell apart (same state from the oldest
 * revision a pending entry reads, same unexpired writes used) are merged.
 *
 * Pool requests that add no revision (a lease grant, a compaction, a revoke of a lease with no
 * keys) are tried one at a time right before an entry that no member accepts otherwise, even
 * past their deadline: nothing tells such a change made then from one made unseen earlier.
 *
 * @module
 */

import { type Hash2, HASH_SEED, mixNumber } from "./_hash.ts";
import { type Model, SearchLimitError, type StepContext } from "./linearizability.ts";
import { applyRequest, type EtcdState, INITIAL_STATE, snapshotKey, stateKey } from "./model.ts";
import {
  type EtcdModelOptions,
  judgeStep,
  type ModelInput,
  type ModelOutput,
} from "./model_step.ts";
import { classify, gaps, leaseOrHistory, oldestRead } from "./pool_rules.ts";
import type { KvRequest } from "./types.ts";

/** A write whose outcome is unknown: it may take effect between `call` and `deadline`. */
export interface PoolWrite {
  request: KvRequest;
  call: number;
  deadline: number;
}

/** A pool write a member used, and how many entries had been linearized before it. */
export interface Applied {
  readonly pool: number;
  readonly depth: number;
  readonly prev: Applied | undefined;
}

/** One possible world: a state and the pool writes that went into it. */
export interface Member {
  readonly state: EtcdState;
  readonly used: ReadonlySet<number>;
  /** An order-independent hash of `used`. */
  readonly usedHash: Hash2;
  readonly applied: Applied | undefined;
  readonly key: string;
}

/** The set of possible worlds after `depth` linearized entries. */
export interface PoolState {
  readonly members: Member[];
  readonly depth: number;
}

/** Options of {@linkcode poolModel}. */
export interface PoolModelOptions extends EtcdModelOptions {
  /** Revisions answered to acknowledged writes: no pool write may take them. */
  claimed?: ReadonlySet<number>;
  /** Model steps one search step may spend on filling revisions; 200,000 by default. */
  fillBudget?: number;
  /** Possible worlds kept at once before giving up; 5,000 by default. */
  maxMembers?: number;
  /**
   * The lowest start revision of any watch: worlds that differ at or after it are never
   * merged, so the watch checks can tell them apart. +∞ (no watches) by default.
   */
  watchFloor?: number;
}

/** The etcd model over possible worlds, and how to list the pool writes a world used. */
export interface PoolModel extends Model<PoolState, ModelInput, ModelOutput> {
  /** The pool writes `m` used (indices into the pool), oldest first, with their depths. */
  applied(m: Member): { pool: number; depth: number }[];
}

function useHash(u: number): Hash2 {
  return mixNumber(HASH_SEED, u);
}

function member(
  state: EtcdState,
  used: ReadonlySet<number>,
  usedHash: Hash2,
  applied: Applied | undefined,
): Member {
  return { state, used, usedHash, applied, key: `${stateKey(state)}#${usedHash.a}.${usedHash.b}` };
}

/** The etcd model over sets of possible worlds, for a history whose unknown writes are `pool`. */
export function poolModel(pool: PoolWrite[], options: PoolModelOptions = {}): PoolModel {
  const classes = classify(pool);
  const claimed = options.claimed ?? new Set<number>();
  const budget = options.fillBudget ?? 200_000;
  let memo: { frontier: number; latest: number; ids: number[][] } | undefined;
  /** Per class, its writes that may be placed now (invoked, unexpired), in EDF order. */
  const available = (frontier: number, latest: number): number[][] => {
    if (memo?.frontier === frontier && memo.latest === latest) return memo.ids;
    const ok = (u: number) => pool[u]!.call <= frontier && pool[u]!.deadline >= latest;
    const ids = classes.map((c) => c.filter(ok)).filter((c) => c.length > 0);
    memo = { frontier, latest, ids };
    return ids;
  };
  /** One write per class that `m` may use now. */
  const choices = (m: Member, avail: number[][]): number[] =>
    avail.flatMap((c) => {
      const u = c.find((x) => !m.used.has(x));
      return u === undefined ? [] : [u];
    });
  // Only writes that add no revision stay usable past their deadline (see `sideEffects`), so
  // only they must stay in `used` once expired; dropping the rest keeps the sets small and lets
  // worlds that differ only in expired choices share a key.
  const sticky = pool.map((w) =>
    w.request.type.startsWith("lease-") || w.request.type === "compact"
  );
  const apply = (m: Member, u: number, depth: number, latest: number): Member | undefined => {
    const r = applyRequest(m.state, pool[u]!.request);
    if (!r.ok) return undefined;
    const used = new Set<number>([u]);
    let usedHash = useHash(u);
    for (const x of m.used) {
      if (!sticky[x] && pool[x]!.deadline < latest) continue;
      used.add(x);
      const h = useHash(x);
      usedHash = { a: usedHash.a ^ h.a, b: usedHash.b ^ h.b };
    }
    return member(r.state, used, usedHash, { pool: u, depth, prev: m.applied });
  };

  const grants = pool.flatMap((w, u) => w.request.type === "lease-grant" ? [u] : []);
  /**
   * `m` after pool write `u`, or after an unknown-outcome grant of the lease `u` needs and
   * then `u` (a put under a lease granted by a request that timed out).
   */
  function withLease(m: Member, u: number, ctx: StepContext & { depth: number }): Member[] {
    const direct = apply(m, u, ctx.depth, ctx.latestCall);
    if (direct) return [direct];
    const req = pool[u]!.request;
    const ops = req.type === "txn" ? [...req.success, ...req.failure] : [req];
    const ids = new Set(ops.flatMap((op) => op.type === "put" && op.lease ? [op.lease] : []));
    if (req.type === "lease-revoke") ids.add(req.id);
    return grants.flatMap((g) => {
      const grant = pool[g]!.request;
      if (grant.type !== "lease-grant" || !ids.has(grant.id) || m.used.has(g)) return [];
      if (pool[g]!.call > ctx.frontier) return [];
      const granted = apply(m, g, ctx.depth, ctx.latestCall);
      const after = granted && apply(granted, u, ctx.depth, ctx.latestCall);
      return after ? [after] : [];
    });
  }

  function fill(
    m: Member,
    gap: number,
    avail: number[][],
    ctx: StepContext & { depth: number },
    spent: { n: number },
  ): Member[] {
    if (gap === 0) return [m];
    const next = m.state.revision + 1;
    if (claimed.has(next)) return [];
    const out: Member[] = [];
    for (const u of choices(m, avail)) {
      if ((++spent.n & 1023) === 0 && performance.now() > ctx.deadline) {
        throw new SearchLimitError("no verdict within the time budget", "timeout");
      }
      if (spent.n > budget) {
        throw new SearchLimitError(
          `too many ways to fill revision ${next} with unknown-outcome writes`,
        );
      }
      for (const after of withLease(m, u, ctx)) {
        if (after.state.revision === next) out.push(...fill(after, gap - 1, avail, ctx, spent));
      }
    }
    return out;
  }

  const sideEffectWrites = pool.flatMap((_, u) => sticky[u] ? [u] : []);
  /**
   * `m` after one lease or compaction request that adds no revision but changes something.
   * It is tried only where an entry needs it, perhaps after its deadline: it could as well
   * have happened earlier, unseen.
   */
  function sideEffects(m: Member, ctx: StepContext & { depth: number }): Member[] {
    return sideEffectWrites.flatMap((u) => {
      if (m.used.has(u) || pool[u]!.call > ctx.frontier) return [];
      const after = apply(m, u, ctx.depth, ctx.latestCall);
      return after && after.state.revision === m.state.revision && after.state !== m.state
        ? [after]
        : [];
    });
  }

  /** Keeps one member of each group that no pending entry can tell apart. */
  function merge(members: Member[], ctx: StepContext): Member[] {
    if (members.length < 2) return members;
    const from = Math.min(ctx.floor, options.watchFloor ?? Infinity);
    const kept = new Map<string, Member>();
    for (const m of members) {
      let { a, b } = m.usedHash;
      for (const u of m.used) {
        if (sticky[u] || pool[u]!.deadline >= ctx.latestCall) continue;
        const h = useHash(u); // expired: no longer matters
        a ^= h.a;
        b ^= h.b;
      }
      // From the first revision on, "the same state" is the same history: the chain hash.
      const k = `${from <= 1 ? stateKey(m.state) : snapshotKey(m.state, from)}#${a}.${b}`;
      if (!kept.has(k)) kept.set(k, m);
    }
    return [...kept.values()];
  }

  function step(
    s: PoolState,
    input: ModelInput,
    out: ModelOutput | undefined,
    ctx: StepContext,
    extra: boolean,
  ): Member[] {
    const avail = available(ctx.frontier, ctx.latestCall);
    const at = { ...ctx, depth: s.depth };
    const spent = { n: 0 };
    const result = new Map<string, Member>();
    for (const [i, m0] of s.members.entries()) {
      if ((i & 63) === 63 && performance.now() > ctx.deadline) {
        throw new SearchLimitError("no verdict within the time budget", "timeout");
      }
      for (const start of extra ? sideEffects(m0, at) : [m0]) {
        for (const gap of gaps(start.state, input, out, options)) {
          for (const m of fill(start, gap, avail, at, spent)) {
            const after = judgeStep(m.state, input, out, options);
            if (typeof after === "string") continue;
            const next = after === m.state ? m : member(after, m.used, m.usedHash, m.applied);
            result.set(next.key, next);
          }
        }
      }
    }
    const merged = merge([...result.values()], ctx);
    if (merged.length > (options.maxMembers ?? 5_000)) {
      throw new SearchLimitError(
        `${merged.length} possible worlds: too many unknown-outcome writes could explain revision ${
          merged[0]!.state.revision
        }`,
      );
    }
    return merged;
  }

  return {
    init: { members: [member(INITIAL_STATE, new Set(), { a: 0, b: 0 }, undefined)], depth: 0 },
    step(s, input, out, ctx) {
      let members = step(s, input, out, ctx, false);
      if (
        members.length === 0 && sideEffectWrites.length > 0 &&
        leaseOrHistory(s.members[0]!.state, input, out)
      ) {
        members = step(s, input, out, ctx, true);
      }
      return members.length === 0 ? undefined : { members, depth: s.depth + 1 };
    },
    key: (s) => s.members.map((m) => m.key).sort().join("|"),
    explain(s, input, out) {
      const r = judgeStep(s.members[0]!.state, input, out, options);
      const why = typeof r === "string"
        ? r
        : "no unknown-outcome write fills the missing revisions";
      const others = s.members.length - 1;
      return others > 0 ? `${why} (and in ${others} other possible states)` : why;
    },
    horizon(input, out) {
      if (input.kind === "evidence" || out?.kind !== "ok") return Infinity;
      if (input.serializableFloor !== undefined) return Infinity;
      if (out.response.type === "range" && options.ignoreReadHeaderRevision) return Infinity;
      return out.response.revision;
    },
    progress: (s) => s.members.reduce((min, m) => Math.min(min, m.state.revision), Infinity),
    observes(input, out) {
      if (input.kind === "evidence") return input.event.kv.modRevision;
      if (out?.kind !== "ok") return Infinity;
      const req = input.request;
      if (input.serializableFloor !== undefined && req.type === "range") {
        return req.revision || out.response.revision;
      }
      return oldestRead(req);
    },
    applied(m) {
      const out: { pool: number; depth: number }[] = [];
      for (let a = m.applied; a; a = a.prev) out.push({ pool: a.pool, depth: a.depth });
      return out.reverse();
    },
  };
}
