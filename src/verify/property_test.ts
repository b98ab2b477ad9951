// Property tests: histories from a simulated store (every operation takes effect at a random
// instant inside its interval) must all be accepted; the same histories with one read result
// changed must almost all be rejected.

import { assert } from "../../tests/_assert.ts";
import { prng } from "./_hash.ts";
import { type SimOptions, simulate } from "./_testing.ts";
import { checkHistory, type CheckHistoryOptions, type KvVerdict } from "./check.ts";
import type { History, Operation } from "./history.ts";
import { readRange } from "./model.ts";
import type { RangeResponse } from "./types.ts";
import { verifyHistory } from "./verify.ts";

// The simulator's time unit is arbitrary; unknown writes take effect up to 20 units late.
const OPTIONS: CheckHistoryOptions = { timeoutMs: 20_000, unknownEffectWindowMs: 25 };

function describe(v: KvVerdict): string {
  if (v.verdict === "violation") return `${v.blocked}: ${v.candidates.join(" | ")}`;
  return v.verdict === "unknown" ? `unknown: ${v.detail}` : "linearizable";
}

Deno.test("checkHistory() accepts random linearizable histories", async (t) => {
  const shapes: [string, SimOptions, number][] = [
    ["2 clients", { clients: 2, opsPerClient: 40 }, 60],
    ["8 clients", { clients: 8, opsPerClient: 40 }, 40],
    ["8 clients, many unknown outcomes", { clients: 8, opsPerClient: 40, unknownRate: 0.1 }, 40],
    ["16 clients, one key", { clients: 16, opsPerClient: 20, keys: 1 }, 30],
    ["8 clients, serializable reads", { clients: 8, opsPerClient: 40, serializableRate: 0.5 }, 30],
    ["8 clients, 625 ops each", { clients: 8, opsPerClient: 625 }, 1],
  ];
  for (const [name, shape, seeds] of shapes) {
    await t.step(name, () => {
      for (let seed = 1; seed <= seeds; seed++) {
        const v = checkHistory(simulate(seed, shape).history, OPTIONS);
        assert(v.verdict === "linearizable", `seed ${seed}: ${describe(v)}`);
      }
    });
  }
});

Deno.test("verifyHistory() accepts random runs with a watch on every key", () => {
  for (let seed = 1; seed <= 30; seed++) {
    const sim = simulate(seed, { clients: 8, opsPerClient: 40, unknownRate: 0.1, watch: true });
    const report = verifyHistory(sim.history, OPTIONS);
    assert(report.kv.verdict === "linearizable", `seed ${seed}: ${describe(report.kv)}`);
    assert(report.watch?.length === 0, `seed ${seed}: ${JSON.stringify(report.watch?.[0])}`);
  }
});

type Mutation = (
  op: Operation & { outcome: { kind: "ok"; output: RangeResponse } },
  rand: () => number,
) => boolean;

/** Ways to change one read result; each returns false when it does not apply. */
const MUTATIONS: Record<string, { mutate: Mutation; minRejected: number }> = {
  "a value": {
    minRejected: 1,
    mutate: (op, rand) => {
      const kvs = op.outcome.output.kvs;
      if (kvs.length === 0) return false;
      kvs[Math.floor(rand() * kvs.length)]!.value = "never written";
      return true;
    },
  },
  "a mod revision": {
    minRejected: 1,
    mutate: (op) => {
      const kv = op.outcome.output.kvs[0];
      if (!kv) return false;
      kv.modRevision -= 1;
      return true;
    },
  },
  "a dropped key": {
    minRejected: 1,
    mutate: (op) => {
      const out = op.outcome.output;
      if (out.kvs.length === 0) return false;
      out.kvs.pop();
      out.count -= 1;
      return true;
    },
  },
  // A read overlapping writes may legitimately have been a revision or two earlier or later.
  "the header revision, by 5": {
    minRejected: 0.8,
    mutate: (op, rand) => {
      op.outcome.output.revision += rand() < 0.5 ? -5 : 5;
      return op.outcome.output.revision > 0;
    },
  },
};

function mutateOne(h: History, seed: number, mutate: Mutation, stale: boolean): boolean {
  const rand = (() => {
    const g = prng(seed * 7919);
    return () => g() / 0x1_0000_0000;
  })();
  const reads = h.operations.filter((op): op is Parameters<Mutation>[0] =>
    op.outcome.kind === "ok" && op.outcome.output.type === "range" && op.input.type === "range" &&
    !op.input.serializable
  );
  for (let tries = 0; tries < 20 && reads.length > 0; tries++) {
    const op = reads[Math.floor(rand() * reads.length)]!;
    if (!stale) {
      if (mutate(op, rand)) return true;
      continue;
    }
    // A stale read: the same request answered from an older revision, header unchanged.
    const sim = simulate(seed, SHAPE);
    const rev = op.outcome.output.revision - 1 - Math.floor(rand() * 3);
    if (op.input.type !== "range" || rev < 1 || op.input.revision) continue;
    const old = readRange(
      sim.state.keys,
      { ...op.input, revision: rev },
      op.outcome.output.revision,
    );
    const same = JSON.stringify(old.kvs.map((kv) => [kv.key, kv.modRevision])) ===
      JSON.stringify(op.outcome.output.kvs.map((kv) => [kv.key, kv.modRevision]));
    if (same) continue;
    op.outcome.output = old;
    return true;
  }
  return false;
}

const SHAPE: SimOptions = { clients: 8, opsPerClient: 30, unknownRate: 0.05 };

Deno.test("checkHistory() rejects random histories with one read result changed", async (t) => {
  const kinds: [string, Mutation | undefined, number][] = [
    ...Object.entries(MUTATIONS).map((
      [k, m],
    ): [string, Mutation, number] => [k, m.mutate, m.minRejected]),
    ["a stale read", undefined, 0.95],
  ];
  for (const [name, mutate, minRejected] of kinds) {
    await t.step(name, () => {
      // Both ways: with the pre-check, and by the search alone.
      let tried = 0, rejected = 0, searched = 0;
      for (let seed = 1; seed <= 40; seed++) {
        const h = simulate(seed, SHAPE).history;
        if (!mutateOne(h, seed, mutate ?? (() => false), mutate === undefined)) continue;
        tried++;
        if (checkHistory(h, OPTIONS).verdict === "violation") rejected++;
        if (checkHistory(h, { ...OPTIONS, precheck: false }).verdict === "violation") searched++;
      }
      assert(tried >= 20, `only ${tried} histories could be mutated`);
      assert(rejected / tried >= minRejected, `${rejected}/${tried} rejected`);
      assert(searched / tried >= minRejected, `${searched}/${tried} rejected by the search`);
    });
  }
});
