/**
 * Kubernetes-shaped traffic (reference/etcd-api.md §2.1) against a real server over real gRPC,
 * every answer checked against a model of etcd: create/update/delete txns, gets, paginated
 * lists at a fixed revision, a watch from list revision + 1 with prev_kv and progress notify,
 * and the compaction txn followed by Compact.
 */

import { assert, assertEquals } from "./_assert.ts";
import { b, EtcdTestClient, s } from "./_etcd_client.ts";
import { startServer } from "./_server.ts";
import * as pb from "../src/server/pb/mod.ts";

interface ModelKv {
  value: string;
  createRevision: number;
  modRevision: number;
  version: number;
}

interface Written {
  key: string;
  type: "put" | "delete";
  value: string;
  revision: number;
  prev: ModelKv | undefined;
}

/** etcd's semantics for one key space, enough for the traffic below. */
class Model {
  revision = 1;
  readonly kvs = new Map<string, ModelKv>();
  readonly history: Written[] = [];
  /** Snapshots by revision, for checking reads at old revisions. */
  readonly snapshots = new Map<number, Map<string, ModelKv>>();

  put(key: string, value: string): number {
    this.revision++;
    const prev = this.kvs.get(key);
    this.kvs.set(key, {
      value,
      createRevision: prev?.createRevision ?? this.revision,
      modRevision: this.revision,
      version: (prev?.version ?? 0) + 1,
    });
    this.history.push({ key, type: "put", value, revision: this.revision, prev });
    this.snapshots.set(this.revision, new Map(this.kvs));
    return this.revision;
  }

  delete(key: string): number {
    this.revision++;
    const prev = this.kvs.get(key);
    this.kvs.delete(key);
    this.history.push({ key, type: "delete", value: "", revision: this.revision, prev });
    this.snapshots.set(this.revision, new Map(this.kvs));
    return this.revision;
  }

  at(revision: number): Map<string, ModelKv> {
    for (let r = revision; r > 1; r--) {
      const snap = this.snapshots.get(r);
      if (snap) return snap;
    }
    return new Map();
  }
}

const PREFIX = "/registry/configmaps/default/";
const PREFIX_END = "/registry/configmaps/default0";
const COMPACT_KEY = "compact_rev_key";

function modCompare(key: string, rev: number): pb.PartialMessage<pb.Compare> {
  return {
    key: b(key),
    target: pb.CompareTarget.MOD,
    result: pb.CompareResult.EQUAL,
    targetUnion: { case: "modRevision", value: rev },
  };
}

function seeded(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

Deno.test("Kubernetes-shaped traffic matches a model of etcd", async () => {
  await using server = await startServer({ args: ["--watch-progress-notify-interval", "200ms"] });
  using c = new EtcdTestClient(server.endpoint);
  const model = new Model();
  const random = seeded(42);
  const names = Array.from({ length: 40 }, (_, i) => `${PREFIX}cm-${String(i).padStart(2, "0")}`);

  // The watch cache: list everything, then watch from the list revision + 1.
  const initial = await c.range({ key: b(PREFIX), rangeEnd: b(PREFIX_END) });
  assertEquals(initial.header!.revision, 1);
  const watch = c.watch({ hasleader: "true" });
  watch.create({
    key: b(PREFIX),
    rangeEnd: b(PREFIX_END),
    startRevision: initial.header!.revision + 1,
    prevKv: true,
    progressNotify: true,
  });

  let compactVersion = 0;
  for (let step = 0; step < 400; step++) {
    const key = names[Math.floor(random() * names.length)]!;
    const current = model.kvs.get(key);
    const roll = random();
    if (roll < 0.3) {
      // create
      const res = await c.txn({
        compare: [modCompare(key, 0)],
        success: [{
          request: { case: "requestPut", value: { key: b(key), value: b(`v${step}`) } },
        }],
      });
      assertEquals(res.succeeded, current === undefined, `create ${key}`);
      if (res.succeeded) assertEquals(res.header!.revision, model.put(key, `v${step}`));
      else assertEquals(res.header!.revision, model.revision);
    } else if (roll < 0.6) {
      // update with the mod revision we believe (sometimes stale on purpose)
      const rev = current && random() < 0.8 ? current.modRevision : 1;
      const res = await c.txn({
        compare: [modCompare(key, rev)],
        success: [{
          request: { case: "requestPut", value: { key: b(key), value: b(`u${step}`) } },
        }],
        failure: [{ request: { case: "requestRange", value: { key: b(key) } } }],
      });
      const ok = current !== undefined && current.modRevision === rev;
      assertEquals(res.succeeded, ok, `update ${key}`);
      if (ok) assertEquals(res.header!.revision, model.put(key, `u${step}`));
      else {
        const got = (res.responses[0]!.response as { value: pb.RangeResponse }).value.kvs;
        assertEquals(got.length, current ? 1 : 0);
        if (current) assertEquals(got[0]!.modRevision, current.modRevision);
      }
    } else if (roll < 0.75) {
      // delete
      const rev = current?.modRevision ?? 0;
      const res = await c.txn({
        compare: [modCompare(key, rev)],
        success: [{ request: { case: "requestDeleteRange", value: { key: b(key) } } }],
        failure: [{ request: { case: "requestRange", value: { key: b(key) } } }],
      });
      if (current) {
        assert(res.succeeded);
        assertEquals(res.header!.revision, model.delete(key));
      } else {
        // mod == 0 on a missing key succeeds, but the delete deletes nothing: no revision
        assert(res.succeeded);
        assertEquals(res.header!.revision, model.revision);
      }
    } else if (roll < 0.85) {
      // get
      const res = await c.range({ key: b(key), limit: 1 });
      assertEquals(res.kvs.length, current ? 1 : 0);
      if (current) {
        const kv = res.kvs[0]!;
        assertEquals(
          [s(kv.value), kv.createRevision, kv.modRevision, kv.version],
          [current.value, current.createRevision, current.modRevision, current.version],
        );
      }
    } else if (roll < 0.97) {
      // paginated list at one revision, pages of 7
      const first = await c.range({ key: b(PREFIX), rangeEnd: b(PREFIX_END), limit: 7 });
      const at = first.header!.revision;
      const expect = [...model.at(at).entries()].filter(([k]) => k.startsWith(PREFIX))
        .sort(([a], [z]) => (a < z ? -1 : 1));
      assertEquals(first.count, expect.length);
      const got = [...first.kvs];
      let more = first.more;
      while (more) {
        const last = s(got.at(-1)!.key);
        const page = await c.range({
          key: b(last + "\0"),
          rangeEnd: b(PREFIX_END),
          limit: 7,
          revision: at,
        });
        got.push(...page.kvs);
        more = page.more;
        // writes between pages must not leak into the listing
        if (random() < 0.5) {
          const k = names[Math.floor(random() * names.length)]!;
          const cur = model.kvs.get(k);
          await c.put(k, `mid${step}`);
          model.put(k, `mid${step}`);
          void cur;
        }
      }
      assertEquals(
        got.map((kv) => [s(kv.key), s(kv.value), kv.modRevision]),
        expect.map(([k, v]) => [k, v.value, v.modRevision]),
      );
    } else {
      // the apiserver's compaction bookkeeping, then Compact
      const res = await c.txn({
        compare: [{
          key: b(COMPACT_KEY),
          target: pb.CompareTarget.VERSION,
          result: pb.CompareResult.EQUAL,
          targetUnion: { case: "version", value: compactVersion },
        }],
        success: [{
          request: {
            case: "requestPut",
            value: { key: b(COMPACT_KEY), value: b(String(model.revision)) },
          },
        }],
        failure: [{ request: { case: "requestRange", value: { key: b(COMPACT_KEY) } } }],
      });
      assert(res.succeeded);
      const target = model.revision;
      model.put(COMPACT_KEY, String(target));
      compactVersion++;
      await c.compact(target);
    }
  }

  // The watch saw exactly the model's writes to the prefix, in order, with prev_kv.
  const expected = model.history.filter((w) => w.key.startsWith(PREFIX));
  await watch.until((r) => r.reduce((n, x) => n + x.events.length, 0) >= expected.length, 10_000);
  const events = watch.responses.flatMap((r) => r.events);
  assertEquals(events.length, expected.length);
  events.forEach((e, i) => {
    const w = expected[i]!;
    assertEquals(
      [s(e.kv!.key), e.type === pb.EventType.PUT ? "put" : "delete", e.kv!.modRevision],
      [w.key, w.type, w.revision],
    );
    if (w.type === "put") assertEquals(s(e.kv!.value), w.value);
    assertEquals(e.prevKv ? s(e.prevKv.value) : undefined, w.prev?.value);
  });
  // Progress notifications arrive when idle, at the current revision, never ahead of events.
  await watch.until(
    (r) =>
      r.some((x) => !x.created && x.events.length === 0 && x.header!.revision === model.revision),
    3000,
  );
  let lastEventRev = 0;
  for (const r of watch.responses) {
    if (r.events.length > 0) lastEventRev = r.events.at(-1)!.kv!.modRevision;
    else if (!r.created) assert(r.header!.revision >= lastEventRev, "progress behind events");
  }
  watch.close();
});
