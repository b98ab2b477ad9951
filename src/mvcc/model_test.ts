/**
 * MVCC against a small reference model of etcd semantics, with thousands of random operations:
 * puts, range deletes, nested txns, leases, compactions, historical reads with every Range
 * option, batches that abort, reopening from the backend and replaying the WAL records.
 *
 * The model keeps a full snapshot of the keyspace per revision and implements each rule the
 * plainest way. It shares only request validation (`checkTxn`, tested on its own in
 * `txn_test.ts`) with the store.
 */
import { assertEquals } from "../../tests/_assert.ts";
import { KvError } from "../errors.ts";
import { MemoryBackend } from "./backend.ts";
import { MvccStore, type StoreRecord } from "./store.ts";
import { checkTxn } from "./txn.ts";
import type {
  Compare,
  CompareResult,
  CompareTarget,
  Kv,
  RangeRequest,
  RangeResponse,
  RequestOp,
  ResponseOp,
  SortOrder,
  SortTarget,
  TxnRequest,
  TxnResponse,
} from "./types.ts";

interface MKv {
  value: string;
  create: number;
  mod: number;
  version: number;
  lease: bigint;
}

type Snapshot = Map<string, MKv>;

class ModelError extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

function inRange(key: string, k: string, end: string | undefined): boolean {
  if (!end) return k === key;
  if (end === "\0") return k >= key;
  return k >= key && k < end;
}

function toKv(key: string, m: MKv): Kv {
  return {
    key,
    value: new TextEncoder().encode(m.value),
    createRevision: m.create,
    modRevision: m.mod,
    version: m.version,
    lease: m.lease,
  };
}

function bytesCmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** etcd semantics, written plainly. */
class Model {
  snaps: Snapshot[] = [new Map(), new Map()]; // index = revision; revision 1 is the empty store
  compactRev = 0;
  leases = new Map<bigint, number>();

  get rev(): number {
    return this.snaps.length - 1;
  }

  at(rev: number): Snapshot {
    return this.snaps[rev]!;
  }

  range(r: RangeRequest, cur: Snapshot, curRev: number): RangeResponse {
    let rev = r.revision ?? 0;
    if (rev > curRev) throw new ModelError("future-revision");
    if (rev <= 0) rev = curRev;
    if (rev < this.compactRev) throw new ModelError("compacted");
    const snap = rev === curRev ? cur : this.at(rev);
    const keys = [...snap.keys()].filter((k) => inRange(r.key, k, r.rangeEnd)).sort(bytesCmp);
    const count = keys.length;
    if (r.countOnly) return { revision: curRev, kvs: [], more: false, count };
    const filtering = (r.sortOrder ?? "none") !== "none" || !!r.minModRevision ||
      !!r.maxModRevision ||
      !!r.minCreateRevision || !!r.maxCreateRevision;
    let taken = keys;
    if (!filtering && (r.limit ?? 0) > 0) taken = keys.slice(0, r.limit! + 1);
    let kvs = taken.map((k) => toKv(k, snap.get(k)!));
    kvs = kvs.filter((kv) =>
      !(r.maxModRevision && kv.modRevision > r.maxModRevision) &&
      !(r.minModRevision && kv.modRevision < r.minModRevision) &&
      !(r.maxCreateRevision && kv.createRevision > r.maxCreateRevision) &&
      !(r.minCreateRevision && kv.createRevision < r.minCreateRevision)
    );
    const target = r.sortTarget ?? "key";
    let order = r.sortOrder ?? "none";
    if (target !== "key" && order === "none") order = "ascend";
    const field = (kv: Kv): number | string =>
      target === "key"
        ? kv.key
        : target === "version"
        ? kv.version
        : target === "create"
        ? kv.createRevision
        : target === "mod"
        ? kv.modRevision
        : new TextDecoder().decode(kv.value);
    if (order !== "none") {
      // stable sort on an ascending-by-key input; ties keep key order in both directions
      kvs = kvs.map((kv, i) => ({ kv, i })).sort((a, b) => {
        const fa = field(a.kv);
        const fb = field(b.kv);
        const c = fa < fb ? -1 : fa > fb ? 1 : 0;
        return (order === "descend" ? -c : c) || a.i - b.i;
      }).map((x) => x.kv);
      if (order === "descend" && target === "key") kvs = kvs.slice(); // already reversed above
    }
    let more = false;
    if ((r.limit ?? 0) > 0 && kvs.length > r.limit!) {
      kvs = kvs.slice(0, r.limit!);
      more = true;
    }
    if (r.keysOnly) kvs = kvs.map((kv) => ({ ...kv, value: new Uint8Array(0) }));
    return { revision: curRev, kvs, more, count };
  }

  compare(c: Compare, snap: Snapshot): boolean {
    const keys = [...snap.keys()].filter((k) => inRange(c.key, k, c.rangeEnd));
    const one = (m: MKv | undefined): boolean => {
      let res: number;
      if (c.target === "value") {
        res = bytesCmp(m?.value ?? "", typeof c.operand === "string" ? c.operand : "");
      } else if (c.target === "lease") {
        const a = m?.lease ?? 0n;
        const b = typeof c.operand === "bigint" ? c.operand : 0n;
        res = a < b ? -1 : a > b ? 1 : 0;
      } else {
        const a = !m
          ? 0
          : c.target === "version"
          ? m.version
          : c.target === "create"
          ? m.create
          : m.mod;
        const b = typeof c.operand === "number" ? c.operand : 0;
        res = a < b ? -1 : a > b ? 1 : 0;
      }
      return c.result === "equal"
        ? res === 0
        : c.result === "not-equal"
        ? res !== 0
        : c.result === "greater"
        ? res > 0
        : res < 0;
    };
    if (keys.length === 0) return c.target === "value" ? false : one(undefined);
    return keys.every((k) => one(snap.get(k)));
  }

  /** Applies a txn; returns the response or throws ModelError. */
  txn(t: TxnRequest): TxnResponse {
    try {
      checkTxn(t);
    } catch (err: unknown) {
      throw new ModelError((err as KvError).code);
    }
    const base = this.at(this.rev);
    const rev = this.rev + 1;
    // compares of the whole chosen tree against the state before the txn
    const path: boolean[] = [];
    const walk = (x: TxnRequest) => {
      const ok = x.compare.every((c) => this.compare(c, base));
      path.push(ok);
      for (const op of ok ? x.success : x.failure) if (op.txn) walk(op.txn);
    };
    walk(t);
    const checkPath = (x: TxnRequest, p: boolean[]) => {
      const ok = p.shift()!;
      for (const op of ok ? x.success : x.failure) {
        if (op.txn) checkPath(op.txn, p);
        if (op.put) {
          const p2 = op.put;
          if ((p2.ignoreValue || p2.ignoreLease) && !base.has(p2.key)) {
            throw new ModelError("key-not-found");
          }
          if (!p2.ignoreLease && (p2.lease ?? 0n) !== 0n && !this.leases.has(p2.lease!)) {
            throw new ModelError("lease-not-found");
          }
        }
        if (op.range) {
          const rr = op.range.revision ?? 0;
          if (rr > this.rev) throw new ModelError("future-revision");
          if (rr > 0 && rr < this.compactRev) throw new ModelError("compacted");
        }
      }
    };
    checkPath(t, path.slice());
    const work: Snapshot = new Map(base);
    let changed = false;
    const curRev = () => (changed ? rev : this.rev);
    const run = (x: TxnRequest): TxnResponse => {
      const ok = path.shift()!;
      const responses: ResponseOp[] = [];
      for (const op of ok ? x.success : x.failure) {
        if (op.range) responses.push({ range: this.range(op.range, work, curRev()) });
        else if (op.put) {
          const p = op.put;
          const prev = work.get(p.key);
          const value = p.ignoreValue ? prev?.value ?? "" : new TextDecoder().decode(p.value);
          const lease = p.ignoreLease ? prev?.lease ?? 0n : p.lease ?? 0n;
          work.set(p.key, {
            value,
            lease,
            mod: rev,
            create: prev ? prev.create : rev,
            version: prev ? prev.version + 1 : 1,
          });
          changed = true;
          const out: ResponseOp = { put: { revision: rev } };
          if (p.prevKv && prev) out.put!.prevKv = toKv(p.key, prev);
          responses.push(out);
        } else if (op.deleteRange) {
          const d = op.deleteRange;
          const keys = [...work.keys()].filter((k) => inRange(d.key, k, d.rangeEnd)).sort(bytesCmp);
          const prevKvs = keys.map((k) => toKv(k, work.get(k)!));
          for (const k of keys) work.delete(k);
          if (keys.length) changed = true;
          const out: ResponseOp = { deleteRange: { revision: curRev(), deleted: keys.length } };
          if (d.prevKv) out.deleteRange!.prevKvs = prevKvs;
          responses.push(out);
        } else {
          const inner = run(op.txn!);
          inner.revision = curRev();
          responses.push({ txn: inner });
        }
      }
      return { revision: 0, succeeded: ok, responses };
    };
    const resp = run(t);
    if (changed) this.snaps.push(work);
    resp.revision = this.rev;
    return resp;
  }
}

/** A seeded PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = ["a", "a/1", "a/2", "b", "b/x", "c", "c\x00", "d\xff", "e"];
const te = new TextEncoder();

function gen(seed: number) {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const int = (n: number) => Math.floor(r() * n);
  const key = () => pick(KEYS);
  const rangeEnd = (): string | undefined => {
    const x = r();
    if (x < 0.5) return undefined;
    if (x < 0.6) return "\0";
    return pick([...KEYS, "b0", "z"]);
  };
  return { r, pick, int, key, rangeEnd };
}

type Gen = ReturnType<typeof gen>;

function randomRange(g: Gen, rev: number): RangeRequest {
  const req: RangeRequest = { key: g.key() };
  const end = g.rangeEnd();
  if (end !== undefined) req.rangeEnd = end;
  if (g.r() < 0.4) req.revision = g.int(rev + 2);
  if (g.r() < 0.3) req.limit = g.int(4);
  if (g.r() < 0.2) req.sortOrder = g.pick<SortOrder>(["none", "ascend", "descend"]);
  if (g.r() < 0.2) {
    req.sortTarget = g.pick<SortTarget>(["key", "version", "create", "mod", "value"]);
  }
  if (g.r() < 0.1) req.keysOnly = true;
  if (g.r() < 0.1) req.countOnly = true;
  if (g.r() < 0.1) req.minModRevision = g.int(rev + 1);
  if (g.r() < 0.1) req.maxCreateRevision = g.int(rev + 1);
  return req;
}

function randomCompare(g: Gen, rev: number): Compare {
  const target = g.pick<CompareTarget>(["version", "create", "mod", "value", "lease"]);
  const c: Compare = {
    key: g.key(),
    target,
    result: g.pick<CompareResult>(["equal", "greater", "less", "not-equal"]),
  };
  if (g.r() < 0.15) c.rangeEnd = g.pick(["b", "\0", "z"]);
  if (target === "value") c.operand = g.pick(["", "v0", "v1", "v5"]);
  else if (target === "lease") c.operand = g.pick([0n, 7n]);
  else c.operand = g.int(rev + 1);
  return c;
}

function randomOps(g: Gen, rev: number, depth: number): RequestOp[] {
  const ops: RequestOp[] = [];
  const n = g.int(4);
  for (let i = 0; i < n; i++) {
    const x = g.r();
    if (x < 0.4) {
      ops.push({ put: { key: g.key(), value: te.encode(`v${g.int(6)}`), prevKv: g.r() < 0.3 } });
    } else if (x < 0.6) {
      const d: RequestOp = { deleteRange: { key: g.key(), prevKv: g.r() < 0.3 } };
      const end = g.rangeEnd();
      if (end !== undefined) d.deleteRange!.rangeEnd = end;
      ops.push(d);
    } else if (x < 0.85 || depth > 1) {
      const rr = randomRange(g, rev);
      delete rr.revision;
      ops.push({ range: rr });
    } else ops.push({ txn: randomTxn(g, rev, depth + 1) });
  }
  return ops;
}

function randomTxn(g: Gen, rev: number, depth = 0): TxnRequest {
  const compare: Compare[] = [];
  for (let i = g.int(3); i > 0; i--) compare.push(randomCompare(g, rev));
  return { compare, success: randomOps(g, rev, depth), failure: randomOps(g, rev, depth) };
}

function outcome<T>(fn: () => T): T | { error: string } {
  try {
    return fn();
  } catch (err: unknown) {
    if (err instanceof KvError || err instanceof ModelError) return { error: err.code };
    throw err;
  }
}

async function runModel(seed: number, steps: number): Promise<void> {
  const g = gen(seed);
  const backend = new MemoryBackend();
  let store = MvccStore.open(backend, { cacheBytes: g.r() < 0.5 ? 0 : 1 << 20 });
  const model = new Model();
  const records: StoreRecord[] = [];
  const where = (i: number, what: string) => `seed ${seed} step ${i}: ${what}`;

  for (let i = 0; i < steps; i++) {
    const x = g.r();
    if (x < 0.08) {
      // a batch of several writes, sometimes aborted; reads in the middle see the old state
      const abort = g.r() < 0.3;
      const before = model.snaps.length;
      const leasesBefore = new Map(model.leases);
      const probe = randomRange(g, model.rev);
      const expectProbe = outcome(() => model.range(probe, model.at(model.rev), model.rev));
      store.beginBatch();
      for (let j = g.int(5); j >= 0; j--) {
        const t = randomTxn(g, model.rev);
        assertEquals(
          outcome(() => store.txn(t)),
          outcome(() => model.txn(t)),
          where(i, "batched txn"),
        );
      }
      assertEquals(outcome(() => store.range(probe)), expectProbe, where(i, "read during batch"));
      if (abort) {
        store.abortBatch();
        model.snaps.length = before;
        model.leases = leasesBefore;
      } else {
        records.push(...store.batchRecords());
        store.commitBatch();
      }
      continue;
    }
    store.beginBatch();
    let label = "";
    if (x < 0.35) {
      label = "put";
      const req = { key: g.key(), value: te.encode(`v${g.int(6)}`), prevKv: g.r() < 0.3 } as const;
      const lease = g.r() < 0.15 ? g.pick([7n, 8n]) : 0n;
      const ignore = g.r() < 0.1;
      const full = {
        ...req,
        lease,
        ...(ignore ? { ignoreValue: true, value: new Uint8Array(0) } : {}),
      };
      const op: RequestOp = { put: full };
      const got = outcome(() => {
        const r = store.put(full);
        return { revision: r.revision, ...(r.prevKv ? { prevKv: r.prevKv } : {}) };
      });
      const want = outcome(() => {
        const t = model.txn({ compare: [], success: [op], failure: [] });
        return t.responses[0]!.put!;
      });
      assertEquals(got, want, where(i, label));
    } else if (x < 0.45) {
      label = "delete";
      const d: RequestOp = { deleteRange: { key: g.key(), prevKv: g.r() < 0.3 } };
      const end = g.rangeEnd();
      if (end !== undefined) d.deleteRange!.rangeEnd = end;
      const got = outcome(() => store.deleteRange(d.deleteRange!));
      const want = outcome(() =>
        model.txn({ compare: [], success: [d], failure: [] }).responses[0]!.deleteRange!
      );
      assertEquals(got, want, where(i, label));
    } else if (x < 0.7) {
      label = "txn";
      const t = randomTxn(g, model.rev);
      assertEquals(outcome(() => store.txn(t)), outcome(() => model.txn(t)), where(i, label));
    } else if (x < 0.75) {
      label = "compact";
      const rev = g.int(model.rev + 2);
      const got = outcome(() => store.compact(rev).revision);
      let want: number | { error: string };
      if (rev <= model.compactRev) want = { error: "compacted" };
      else if (rev > model.rev) want = { error: "future-revision" };
      else {
        model.compactRev = rev;
        want = model.rev;
      }
      assertEquals(got, want, where(i, label));
    } else if (x < 0.8) {
      label = "lease";
      const id = g.pick([7n, 8n]);
      if (g.r() < 0.5) {
        const got = outcome(() => store.grantLease(id, 30).id);
        const want = model.leases.has(id)
          ? { error: "lease-exists" }
          : (model.leases.set(id, 30), id);
        assertEquals(got, want, where(i, "grant"));
      } else {
        const got = outcome(() => store.revokeLease(id).revision);
        let want: number | { error: string };
        if (!model.leases.has(id)) want = { error: "lease-not-found" };
        else {
          model.leases.delete(id);
          const cur = model.at(model.rev);
          const doomed = [...cur.entries()].filter(([, m]) => m.lease === id);
          if (doomed.length) {
            const next = new Map(cur);
            for (const [k] of doomed) next.delete(k);
            model.snaps.push(next);
          }
          want = model.rev;
        }
        assertEquals(got, want, where(i, "revoke"));
      }
    } else {
      label = "range";
      const req = randomRange(g, model.rev);
      store.commitBatch();
      assertEquals(
        outcome(() => store.range(req)),
        outcome(() => model.range(req, model.at(model.rev), model.rev)),
        where(i, `range ${JSON.stringify(req, (_, v) => (typeof v === "bigint" ? `${v}n` : v))}`),
      );
      continue;
    }
    records.push(...store.batchRecords());
    store.commitBatch();
    if (g.r() < 0.1) { while (!store.compactStep(1 + g.int(5))) { /* step */ } }
    if (g.r() < 0.03) {
      while (!store.compactStep()) { /* finish before reopening, or not */ }
      store = MvccStore.open(backend);
    }
    if (i % 50 === 0) await Promise.resolve();
  }

  // every readable revision, on the live store and on one rebuilt purely from the records
  const replayed = MvccStore.open(new MemoryBackend());
  for (const rec of records) replayed.replay(rec);
  replayed.finishReplay();
  assertEquals(replayed.revision, model.rev, `seed ${seed}: replayed revision`);
  const all: RangeRequest = { key: "\0", rangeEnd: "\0" };
  for (let rev = Math.max(1, model.compactRev); rev <= model.rev; rev++) {
    const want = model.range({ ...all, revision: rev }, model.at(model.rev), model.rev);
    assertEquals(store.range({ ...all, revision: rev }), want, `seed ${seed}: full read at ${rev}`);
    assertEquals(
      replayed.range({ ...all, revision: rev }),
      want,
      `seed ${seed}: replayed read at ${rev}`,
    );
  }
}

Deno.test("MvccStore matches the reference model over random operations", async (t) => {
  const base = Number(Deno.env.get("T4_MODEL_SEED") ?? 1);
  const seeds = Number(Deno.env.get("T4_MODEL_SEEDS") ?? 12);
  for (let s = base; s < base + seeds; s++) {
    await t.step(`seed ${s}`, () => runModel(s, 600));
  }
});
