/**
 * The conformance suite every `ObjectStore` implementation must pass, as `t.step`s:
 * `memory_test.ts`, `local_dir_test.ts` and `s3_test.ts` (against a real Ceph RGW) each run it.
 *
 * @module
 */

import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { InvalidObjectKeyError, ObjectNotFoundError, PreconditionFailedError } from "./errors.ts";
import { compareKeys } from "./keys.ts";
import type { ObjectStore } from "./object_store.ts";

/** What the suite runs against: stores that share one backing (bucket, directory, map). */
export interface ConformanceTarget {
  /** Opens a store on the shared backing with `prefix` (as given: the suite tests normalization). */
  open(prefix: string): ObjectStore | Promise<ObjectStore>;
  /** Keys for the pagination and `deleteMany` step (default 2,500: three DeleteObjects chunks). */
  manyKeys?: number;
  /** Rounds of each race (default 30). */
  raceRounds?: number;
  /** Racers per round (default 8). */
  racers?: number;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Keys that are awkward for URLs, XML, file names or sorting; all valid. */
export const ODD_KEYS: readonly string[] = [
  "space key",
  "plus+sign",
  "percent%20sign",
  "percent%",
  "encoded%2Fslash",
  "query?x=1&y=2#frag",
  `quotes'"`,
  "angle<b>",
  "tilde~star*",
  "back\\slash",
  "colon:semi;comma,",
  ".hidden",
  "..dots",
  "-dash",
  "café",
  "日本語/ключ",
  "\uFF01fullwidth",
  "😀emoji",
];

async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>) {
  const results: R[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function randomBytes(n: number): Uint8Array {
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
  for (let b = 0; b < 256 && b < n; b++) bytes[b] = b; // every byte value, at the start
  return bytes;
}

function assertEtag(etag: string, what: string): void {
  ok(etag.length > 0, `${what}: empty ETag`);
  ok(!etag.includes('"'), `${what}: ETag ${etag} is quoted`);
}

/** Registers the conformance steps on `t`, run against `target`. */
export async function testObjectStoreConformance(
  t: Deno.TestContext,
  target: ConformanceTarget,
): Promise<void> {
  const manyKeys = target.manyKeys ?? 2500;
  const rounds = target.raceRounds ?? 30;
  const racers = target.racers ?? 8;

  // Each step works under its own prefix and closes its stores.
  const step = (name: string, prefix: string, fn: (store: ObjectStore) => Promise<void>) =>
    t.step(name, async () => {
      const store = await target.open(prefix);
      try {
        await fn(store);
      } finally {
        await store.close();
      }
    });

  await step(
    "get() of a missing key throws ObjectNotFoundError; head() is undefined",
    "miss",
    async (s) => {
      await rejects(s.get("nothing/here"), ObjectNotFoundError);
      strictEqual(await s.head("nothing/here"), undefined);
    },
  );

  await step(
    "put() then get() and head() return the bytes and one unquoted ETag",
    "basic",
    async (s) => {
      const { etag } = await s.put("a/b/c", enc.encode("hello"));
      assertEtag(etag, "put");
      const got = await s.get("a/b/c");
      strictEqual(dec.decode(got.data), "hello");
      strictEqual(got.etag, etag);
      deepStrictEqual(await s.head("a/b/c"), { etag, size: 5 });
      const empty = await s.put("empty", new Uint8Array());
      assertEtag(empty.etag, "empty put");
      strictEqual((await s.get("empty")).data.length, 0);
      deepStrictEqual(await s.head("empty"), { etag: empty.etag, size: 0 });
    },
  );

  await step("put() overwrites, and the ETag follows the content", "overwrite", async (s) => {
    const first = await s.put("k", enc.encode("one"));
    const second = await s.put("k", enc.encode("two"));
    ok(first.etag !== second.etag, "the ETag did not change");
    strictEqual(dec.decode((await s.get("k")).data), "two");
    strictEqual((await s.head("k"))?.etag, second.etag);
  });

  await step("delete() removes an object; an absent key is not an error", "delete", async (s) => {
    await s.put("d/x", enc.encode("x"));
    await s.delete("d/x");
    await rejects(s.get("d/x"), ObjectNotFoundError);
    await s.delete("d/x");
    await s.delete("never/was");
    deepStrictEqual(await s.list(""), []);
  });

  await step("list() returns keys under a prefix, in order, with sizes", "list", async (s) => {
    const keys = ["l/x1", "l/x2/y", "l/x10", "l/y", "l2/q", "m/z"];
    await Promise.all(keys.map((key) => s.put(key, enc.encode(key))));
    const listed = async (prefix: string, startAfter?: string) =>
      (await s.list(prefix, startAfter === undefined ? {} : { startAfter })).map((o) => o.key);
    deepStrictEqual(await s.list("l/"), [
      { key: "l/x1", size: 4 },
      { key: "l/x10", size: 5 },
      { key: "l/x2/y", size: 6 },
      { key: "l/y", size: 3 },
    ]);
    deepStrictEqual(await listed("l"), ["l/x1", "l/x10", "l/x2/y", "l/y", "l2/q"]);
    deepStrictEqual(await listed("l/x1"), ["l/x1", "l/x10"]);
    deepStrictEqual(await listed("l/x2/"), ["l/x2/y"]);
    deepStrictEqual(await listed(""), [...keys].sort(compareKeys));
    deepStrictEqual(await listed("nothing/"), []);
    deepStrictEqual(await listed("l/", "l/x10"), ["l/x2/y", "l/y"]);
    deepStrictEqual(await listed("l/", "a"), ["l/x1", "l/x10", "l/x2/y", "l/y"]);
    deepStrictEqual(await listed("l/", "z"), []);
  });

  await step(
    `list() paginates over ${manyKeys} keys; deleteMany() removes them`,
    "many",
    async (s) => {
      const keys = Array.from({ length: manyKeys }, (_, i) => `k/${String(i).padStart(6, "0")}`);
      await mapLimited(keys, 16, (key) => s.put(key, enc.encode(key.slice(-3))));
      const listed = await s.list("k/");
      deepStrictEqual(listed.map((o) => o.key), keys);
      ok(listed.every((o) => o.size === 3), "wrong sizes");
      const middle = Math.floor(manyKeys / 2);
      const after = await s.list("k/", { startAfter: keys[middle]! });
      deepStrictEqual(after.map((o) => o.key), keys.slice(middle + 1));
      await s.deleteMany([...keys, "k/absent-1", "k/absent-2"]);
      deepStrictEqual(await s.list("k/"), []);
      await s.deleteMany([]);
    },
  );

  await step("keys with odd bytes round-trip and list in code point order", "odd", async (s) => {
    const keys = ODD_KEYS.map((k) => `o/${k}`);
    await Promise.all(keys.map((key) => s.put(key, enc.encode(key))));
    for (const key of keys) strictEqual(dec.decode((await s.get(key)).data), key, key);
    deepStrictEqual((await s.list("o/")).map((o) => o.key), [...keys].sort(compareKeys));
    const order = (await s.list("o/")).map((o) => o.key);
    ok(order.indexOf("o/\uFF01fullwidth") < order.indexOf("o/😀emoji"), "not code point order");
    deepStrictEqual((await s.list("o/日本語/")).map((o) => o.key), ["o/日本語/ключ"]);
  });

  await step("invalid keys are rejected before any I/O", "invalid", async (s) => {
    const bad = ["", "/a", "a/", "a//b", ".", "..", "a/./b", "a/../b", "../x", "a\0b", "\uD800"];
    for (const key of bad) {
      const name = JSON.stringify(key);
      await rejects(s.get(key), InvalidObjectKeyError, `get ${name}`);
      await rejects(s.head(key), InvalidObjectKeyError, `head ${name}`);
      await rejects(s.put(key, enc.encode("x")), InvalidObjectKeyError, `put ${name}`);
      await rejects(s.putIfAbsent(key, enc.encode("x")), InvalidObjectKeyError, `create ${name}`);
      await rejects(s.putIfMatch(key, enc.encode("x"), "e"), InvalidObjectKeyError, `cas ${name}`);
      await rejects(s.delete(key), InvalidObjectKeyError, `delete ${name}`);
      await rejects(s.deleteMany(["ok", key]), InvalidObjectKeyError, `deleteMany ${name}`);
    }
    for (const prefix of ["/a", "a//", "../", "a\0"]) {
      await rejects(s.list(prefix), InvalidObjectKeyError, `list ${JSON.stringify(prefix)}`);
    }
    deepStrictEqual(await s.list(""), []);
  });

  await step(
    "putIfAbsent() creates once, then throws PreconditionFailedError",
    "absent",
    async (s) => {
      const { etag } = await s.putIfAbsent("lock", enc.encode("first"));
      assertEtag(etag, "putIfAbsent");
      await rejects(s.putIfAbsent("lock", enc.encode("second")), PreconditionFailedError);
      strictEqual(dec.decode((await s.get("lock")).data), "first");
    },
  );

  await step(
    `putIfAbsent() race: one winner of ${racers}, ${rounds} rounds`,
    "race-absent",
    async (s) => {
      for (let round = 0; round < rounds; round++) {
        const key = `r/${round}`;
        const outcomes = await Promise.allSettled(
          Array.from({ length: racers }, (_, i) => s.putIfAbsent(key, enc.encode(`racer ${i}`))),
        );
        const winners = outcomes.flatMap((o, i) => o.status === "fulfilled" ? [i] : []);
        strictEqual(winners.length, 1, `round ${round}: winners ${winners}`);
        for (const o of outcomes) {
          if (o.status === "rejected") ok(o.reason instanceof PreconditionFailedError, o.reason);
        }
        strictEqual(dec.decode((await s.get(key)).data), `racer ${winners[0]}`);
      }
    },
  );

  await step("putIfMatch() replaces only the object with that ETag", "match", async (s) => {
    const v1 = await s.put("lock", enc.encode("v1"));
    const v2 = await s.putIfMatch("lock", enc.encode("v2"), v1.etag);
    assertEtag(v2.etag, "putIfMatch");
    strictEqual((await s.head("lock"))?.etag, v2.etag);
    await rejects(s.putIfMatch("lock", enc.encode("stale"), v1.etag), PreconditionFailedError);
    await rejects(s.putIfMatch("lock", enc.encode("wrong"), "0123abcd"), PreconditionFailedError);
    await rejects(s.putIfMatch("missing", enc.encode("x"), v2.etag), PreconditionFailedError);
    await rejects(s.get("missing"), ObjectNotFoundError);
    strictEqual(dec.decode((await s.get("lock")).data), "v2");
    const v3 = await s.putIfMatch("lock", enc.encode("v3"), `"${v2.etag}"`); // quotes are stripped
    strictEqual((await s.get("lock")).etag, v3.etag);
  });

  await step(
    `putIfMatch() race: one winner of ${racers}, ${rounds} rounds`,
    "race-match",
    async (s) => {
      for (let round = 0; round < rounds; round++) {
        const key = `r/${round}`;
        const { etag } = await s.put(key, enc.encode("initial"));
        const outcomes = await Promise.allSettled(
          Array.from(
            { length: racers },
            (_, i) => s.putIfMatch(key, enc.encode(`racer ${i}`), etag),
          ),
        );
        const winners = outcomes.flatMap((o, i) => o.status === "fulfilled" ? [i] : []);
        strictEqual(winners.length, 1, `round ${round}: winners ${winners}`);
        for (const o of outcomes) {
          if (o.status === "rejected") ok(o.reason instanceof PreconditionFailedError, o.reason);
        }
        strictEqual(dec.decode((await s.get(key)).data), `racer ${winners[0]}`);
      }
    },
  );

  await step(`putIfMatch() loses no update: ${racers} workers increment`, "counter", async (s) => {
    await s.put("n", enc.encode("0"));
    let wins = 0;
    const worker = async () => {
      for (let attempt = 0; attempt < rounds; attempt++) {
        const current = await s.get("n");
        const next = enc.encode(String(Number(dec.decode(current.data)) + 1));
        try {
          await s.putIfMatch("n", next, current.etag);
          wins++;
        } catch (err: unknown) {
          if (!(err instanceof PreconditionFailedError)) throw err;
        }
      }
    };
    await Promise.all(Array.from({ length: racers }, worker));
    ok(wins > 0, "no increment succeeded");
    strictEqual(dec.decode((await s.get("n")).data), String(wins), "an update was lost");
  });

  await step(
    `prefixes "px/", "px", "/px//" name the same keys, stored without "//"`,
    "",
    async (raw) => {
      const stores = await Promise.all(["px/", "px", "/px//", "//px"].map((p) => target.open(p)));
      try {
        await stores[0]!.put("a/b", enc.encode("shared"));
        for (const store of stores) {
          strictEqual(dec.decode((await store.get("a/b")).data), "shared", store.describe());
          deepStrictEqual((await store.list("")).map((o) => o.key), ["a/b"], store.describe());
        }
        const nested = await target.open("/px/sub/");
        await nested.put("c", enc.encode("nested"));
        await nested.close();
        deepStrictEqual((await raw.list("px/")).map((o) => o.key), ["px/a/b", "px/sub/c"]);
        const everything = (await raw.list("")).map((o) => o.key);
        ok(everything.every((key) => !key.includes("//") && !key.startsWith("/")), "a // key");
      } finally {
        await Promise.all(stores.map((store) => store.close()));
      }
    },
  );

  await step("a 5 MiB binary object round-trips byte for byte", "big", async (s) => {
    const data = randomBytes(5 * 1024 * 1024 + 17);
    const { etag } = await s.put("blob", data);
    const got = await s.get("blob");
    strictEqual(got.etag, etag);
    ok(got.data.length === data.length && got.data.every((b, i) => b === data[i]), "bytes differ");
    deepStrictEqual(await s.head("blob"), { etag, size: data.length });
  });
}
