import assert from "node:assert/strict";
import { EngineError } from "../errors.ts";
import { Engine, type Table, TABLE_LOG, TABLE_META, WriteBatch } from "./mod.ts";
import { makeTempDir, revisionKey, revisionMain, thrownBy, utf8, valueFor } from "./_testing.ts";

const EMPTY = new Uint8Array(0);

/** Scans and returns [key, value] copies. */
function collect(
  engine: Engine,
  table: Table,
  start: Uint8Array,
  end: Uint8Array | undefined,
  options: { limit?: number; startExclusive?: boolean; reverse?: boolean } = {},
): [Uint8Array, Uint8Array][] {
  const rows: [Uint8Array, Uint8Array][] = [];
  engine.scan(table, start, end, options, (key, value) => {
    rows.push([key.slice(), value.slice()]);
  });
  return rows;
}

function mains(rows: [Uint8Array, Uint8Array][]): number[] {
  return rows.map(([key]) => revisionMain(key));
}

/** Writes revisions `from` ..< `to` to the log table, value = valueFor(main, valueBytes). */
function putRevisions(engine: Engine, from: number, to: number, valueBytes = 100): void {
  const batch = new WriteBatch();
  for (let main = from; main < to; main++) {
    batch.put(TABLE_LOG, revisionKey(main), valueFor(main, valueBytes));
  }
  engine.write(batch);
}

Deno.test("Engine.open() creates an empty, healthy database", async () => {
  await using dir = await makeTempDir();
  using engine = await Engine.open(`${dir.path}/engine.db`);
  assert.equal(engine.path, `${dir.path}/engine.db`);
  assert.equal(engine.count(TABLE_LOG, EMPTY, undefined), 0);
  assert.equal(engine.count(TABLE_META, EMPTY, undefined), 0);
  assert.deepEqual(collect(engine, TABLE_LOG, EMPTY, undefined), []);
  assert.deepEqual(collect(engine, TABLE_LOG, EMPTY, undefined, { reverse: true }), []);
  assert.equal(engine.get(TABLE_LOG, revisionKey(1)), undefined);
  assert.deepEqual(engine.check(), []);
  const stats = engine.stats();
  assert.equal(stats.pageSize, 8192);
  assert.equal(stats.freelistCount, 0);
  assert.ok(stats.memoryBytes > 0);
});

Deno.test("Engine.get() returns an owned copy of the value, or undefined", async () => {
  await using dir = await makeTempDir();
  using engine = await Engine.open(`${dir.path}/engine.db`);
  const batch = new WriteBatch();
  batch.put(TABLE_META, utf8("a"), utf8("first"));
  batch.put(TABLE_META, utf8("b"), EMPTY);
  batch.put(TABLE_LOG, utf8("a"), utf8("log a"));
  engine.write(batch);

  const a = engine.get(TABLE_META, utf8("a"));
  assert.deepEqual(a, utf8("first"));
  assert.deepEqual(engine.get(TABLE_META, utf8("b")), EMPTY);
  assert.equal(engine.get(TABLE_META, utf8("c")), undefined);
  assert.equal(engine.get(TABLE_META, EMPTY), undefined);
  assert.deepEqual(engine.get(TABLE_LOG, utf8("a")), utf8("log a"), "tables are separate");

  // Later calls must not change a returned value.
  batch.clear();
  batch.put(TABLE_META, utf8("a"), utf8("second"));
  engine.write(batch);
  for (let i = 0; i < 1000; i++) engine.get(TABLE_META, utf8("a"));
  assert.deepEqual(a, utf8("first"));
  assert.deepEqual(engine.get(TABLE_META, utf8("a")), utf8("second"));
});

Deno.test("Engine.write() replaces values of any size in place", async () => {
  await using dir = await makeTempDir();
  using engine = await Engine.open(`${dir.path}/engine.db`);
  putRevisions(engine, 0, 500, 50);
  const batch = new WriteBatch();
  for (const size of [50, 10, 3000, 0, 200_000, 7]) {
    batch.clear();
    for (let main = 0; main < 500; main += 7) {
      batch.put(TABLE_LOG, revisionKey(main), valueFor(main + size, size));
    }
    engine.write(batch);
    for (let main = 0; main < 500; main += 7) {
      assert.deepEqual(engine.get(TABLE_LOG, revisionKey(main)), valueFor(main + size, size));
    }
  }
  assert.equal(engine.count(TABLE_LOG, EMPTY, undefined), 500);
  assert.deepEqual(engine.check(), []);
});

Deno.test("Engine.write() deletes keys and ranges", async () => {
  await using dir = await makeTempDir();
  using engine = await Engine.open(`${dir.path}/engine.db`);
  putRevisions(engine, 1, 101);
  const batch = new WriteBatch();
  batch.delete(TABLE_LOG, revisionKey(5));
  batch.delete(TABLE_LOG, revisionKey(1000)); // absent: nothing happens
  batch.deleteRange(TABLE_LOG, revisionKey(10), revisionKey(20));
  batch.deleteRange(TABLE_LOG, revisionKey(90), revisionKey(1000));
  batch.deleteRange(TABLE_LOG, revisionKey(50), revisionKey(50)); // empty range
  batch.deleteRange(TABLE_LOG, revisionKey(60), revisionKey(55)); // inverted range
  engine.write(batch);
  const expected = [];
  for (let main = 1; main <= 100; main++) {
    if (main !== 5 && (main < 10 || main >= 20) && main < 90) expected.push(main);
  }
  assert.deepEqual(mains(collect(engine, TABLE_LOG, EMPTY, undefined)), expected);
  assert.equal(engine.get(TABLE_LOG, revisionKey(5)), undefined);

  batch.clear();
  batch.deleteRange(TABLE_LOG, EMPTY, revisionKey(Number.MAX_SAFE_INTEGER));
  engine.write(batch);
  assert.equal(engine.count(TABLE_LOG, EMPTY, undefined), 0);
  assert.deepEqual(engine.check(), []);
});

Deno.test("Engine.scan() visits [start, end) in order", async (t) => {
  await using dir = await makeTempDir();
  using engine = await Engine.open(`${dir.path}/engine.db`);
  putRevisions(engine, 10, 30); // 10 ..= 29
  const k = revisionKey;
  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
  const cases: {
    name: string;
    start: Uint8Array;
    end?: Uint8Array;
    options?: { limit?: number; startExclusive?: boolean; reverse?: boolean };
    expected: number[];
  }[] = [
    { name: "whole table", start: EMPTY, expected: range(10, 30) },
    { name: "from a key", start: k(15), expected: range(15, 30) },
    { name: "from between keys", start: k(15, 1), expected: range(16, 30) },
    { name: "bounded", start: k(12), end: k(17), expected: range(12, 17) },
    { name: "end is exclusive", start: k(12), end: k(13), expected: [12] },
    { name: "empty range", start: k(12), end: k(12), expected: [] },
    { name: "inverted range", start: k(20), end: k(12), expected: [] },
    { name: "past the last key", start: k(30), expected: [] },
    { name: "before the first key", start: EMPTY, end: k(5), expected: [] },
    { name: "limit", start: k(12), options: { limit: 3 }, expected: [12, 13, 14] },
    { name: "limit 0 visits nothing", start: k(25), options: { limit: 0 }, expected: [] },
    { name: "a huge limit", start: k(25), options: { limit: 2 ** 40 }, expected: range(25, 30) },
    {
      name: "startExclusive",
      start: k(12),
      end: k(15),
      options: { startExclusive: true },
      expected: [13, 14],
    },
    {
      name: "startExclusive on a missing key",
      start: k(12, 5),
      options: { startExclusive: true, limit: 2 },
      expected: [13, 14],
    },
    {
      name: "reverse",
      start: EMPTY,
      options: { reverse: true },
      expected: range(10, 30).reverse(),
    },
    {
      name: "reverse bounded",
      start: k(12),
      end: k(17),
      options: { reverse: true },
      expected: [16, 15, 14, 13, 12],
    },
    {
      name: "reverse from between keys",
      start: k(12, 1),
      end: k(16, 1),
      options: { reverse: true },
      expected: [16, 15, 14, 13],
    },
    {
      name: "reverse with limit",
      start: EMPTY,
      end: k(20),
      options: { reverse: true, limit: 2 },
      expected: [19, 18],
    },
    {
      name: "reverse startExclusive",
      start: k(12),
      end: k(15),
      options: { reverse: true, startExclusive: true },
      expected: [14, 13],
    },
    {
      name: "reverse below the first key",
      start: EMPTY,
      end: k(10),
      options: { reverse: true },
      expected: [],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const rows = collect(engine, TABLE_LOG, c.start, c.end, c.options);
      assert.deepEqual(mains(rows), c.expected);
      for (const [key, value] of rows) assert.deepEqual(value, valueFor(revisionMain(key), 100));
      assert.equal(
        engine.scan(TABLE_LOG, c.start, c.end, c.options ?? {}, () => {}),
        c.expected.length,
      );
    });
  }
  await t.step("visit returning false stops the scan", () => {
    const seen: number[] = [];
    const visited = engine.scan(TABLE_LOG, EMPTY, undefined, {}, (key) => {
      seen.push(revisionMain(key));
      return seen.length < 4;
    });
    assert.equal(visited, 4);
    assert.deepEqual(seen, [10, 11, 12, 13]);
    assert.deepEqual(engine.get(TABLE_LOG, k(10)), valueFor(10, 100), "engine usable after");
  });
  await t.step("a throwing visitor ends the scan", () => {
    assert.throws(
      () =>
        engine.scan(TABLE_LOG, EMPTY, undefined, {}, () => {
          throw new Error("boom");
        }),
      /boom/,
    );
    assert.equal(engine.count(TABLE_LOG, EMPTY, undefined), 20);
  });
});

Deno.test("Engine.scan() returns many rows across many blocks", async () => {
  await using dir = await makeTempDir();
  using engine = await Engine.open(`${dir.path}/engine.db`);
  const rows = 3000;
  const size = (main: number) => (main % 17) * 97 + (main % 5 === 0 ? 5000 : 0);
  const batch = new WriteBatch();
  for (let main = 0; main < rows; main++) {
    batch.put(TABLE_LOG, revisionKey(main), valueFor(main, size(main)));
  }
  engine.write(batch);
  for (const reverse of [false, true]) {
    let expected = reverse ? rows - 1 : 0;
    const visited = engine.scan(TABLE_LOG, EMPTY, undefined, { reverse }, (key, value) => {
      assert.equal(revisionMain(key), expected);
      assert.deepEqual(value, valueFor(expected, size(expected)));
      expected += reverse ? -1 : 1;
    });
    assert.equal(visited, rows);
  }
  // A row bigger than the whole output buffer: the buffer grows and the scan goes on.
  batch.clear();
  batch.put(TABLE_LOG, revisionKey(rows), valueFor(rows, 2 * 1024 * 1024));
  batch.put(TABLE_LOG, revisionKey(rows + 1), valueFor(rows + 1, 10));
  engine.write(batch);
  const tail = collect(engine, TABLE_LOG, revisionKey(rows - 1), undefined);
  assert.deepEqual(mains(tail), [rows - 1, rows, rows + 1]);
  assert.deepEqual(tail[1]?.[1], valueFor(rows, 2 * 1024 * 1024));
  assert.deepEqual(engine.check(), []);
});

Deno.test("Engine.get() and write() handle 2 MiB values and large keys", async () => {
  await using dir = await makeTempDir();
  using engine = await Engine.open(`${dir.path}/engine.db`);
  const big = valueFor(7, 2 * 1024 * 1024);
  const bigKey = valueFor(8, 3000); // spills to overflow pages together with its value
  const batch = new WriteBatch();
  batch.put(TABLE_META, utf8("big"), big);
  batch.put(TABLE_META, bigKey, utf8("value of a big key"));
  batch.put(TABLE_META, utf8("zz"), utf8("after"));
  engine.write(batch);
  assert.deepEqual(engine.get(TABLE_META, utf8("big")), big);
  assert.deepEqual(engine.get(TABLE_META, bigKey), utf8("value of a big key"));
  const keys = collect(engine, TABLE_META, EMPTY, undefined).map(([key]) => key);
  assert.deepEqual(keys, [bigKey, utf8("big"), utf8("zz")].sort(compareBytes));
  // deleteRange compares against a key that lives on overflow pages.
  batch.clear();
  batch.deleteRange(TABLE_META, EMPTY, utf8("c"));
  engine.write(batch);
  assert.deepEqual(collect(engine, TABLE_META, EMPTY, undefined).map(([key]) => key), [utf8("zz")]);
  assert.deepEqual(engine.check(), []);
});

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return a.length - b.length;
}

Deno.test("Engine.count() counts the rows in [start, end)", async () => {
  await using dir = await makeTempDir();
  using engine = await Engine.open(`${dir.path}/engine.db`);
  putRevisions(engine, 0, 1000);
  assert.equal(engine.count(TABLE_LOG, EMPTY, undefined), 1000);
  assert.equal(engine.count(TABLE_LOG, revisionKey(100), undefined), 900);
  assert.equal(engine.count(TABLE_LOG, revisionKey(100), revisionKey(250)), 150);
  assert.equal(engine.count(TABLE_LOG, revisionKey(250), revisionKey(100)), 0);
  assert.equal(engine.count(TABLE_META, EMPTY, undefined), 0);
});

Deno.test("Engine.write() applies nothing when an op fails midway", async () => {
  await using dir = await makeTempDir();
  using engine = await Engine.open(`${dir.path}/engine.db`);
  putRevisions(engine, 0, 10);
  const batch = new WriteBatch();
  batch.put(TABLE_LOG, revisionKey(100), utf8("new"));
  batch.delete(TABLE_LOG, revisionKey(3));
  batch.deleteRange(TABLE_LOG, revisionKey(5), revisionKey(8));
  batch.put(TABLE_META, utf8("applied"), utf8("1"));
  batch.put(7 as Table, utf8("bad"), utf8("table")); // fails inside the transaction
  batch.put(TABLE_LOG, revisionKey(101), utf8("never reached"));
  const err = thrownBy(() => engine.write(batch));
  assert.ok(err instanceof EngineError);
  assert.match(
    err.message,
    /^Engine write failed on ".*engine\.db": unknown table \(SQLITE_MISUSE\)$/,
  );
  assert.equal(err.sqliteCode, 21);
  assert.equal(err.code, "engine");

  assert.deepEqual(mains(collect(engine, TABLE_LOG, EMPTY, undefined)), [
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
  ]);
  assert.equal(engine.get(TABLE_META, utf8("applied")), undefined);
  // The engine goes on working.
  putRevisions(engine, 10, 12);
  assert.equal(engine.count(TABLE_LOG, EMPTY, undefined), 12);
  assert.deepEqual(engine.check(), []);
});

Deno.test("WriteBatch can be cleared and reused", async () => {
  await using dir = await makeTempDir();
  using engine = await Engine.open(`${dir.path}/engine.db`);
  const batch = new WriteBatch();
  assert.equal(batch.size, 0);
  assert.equal(batch.byteLength, 0);
  engine.write(batch); // an empty batch is a no-op
  for (let round = 0; round < 5; round++) {
    batch.clear();
    for (let i = 0; i < 100; i++) {
      batch.put(TABLE_LOG, revisionKey(round * 100 + i), valueFor(round * 100 + i, 300));
    }
    assert.equal(batch.size, 100);
    assert.equal(batch.byteLength, 100 * (10 + 12 + 300));
    engine.write(batch);
  }
  batch.clear();
  batch.put(TABLE_META, utf8("k"), valueFor(1, 20 * 1024 * 1024)); // grows past the keep limit
  engine.write(batch);
  batch.clear();
  assert.equal(batch.byteLength, 0);
  batch.delete(TABLE_META, utf8("k"));
  engine.write(batch);
  assert.equal(engine.count(TABLE_LOG, EMPTY, undefined), 500);
  assert.equal(engine.get(TABLE_META, utf8("k")), undefined);
});

Deno.test("Engine keeps its data across close and reopen", async () => {
  await using dir = await makeTempDir();
  const path = `${dir.path}/engine.db`;
  {
    using engine = await Engine.open(path, { cacheKiB: 1024, autoCheckpointPages: 16 });
    putRevisions(engine, 0, 2000, 300);
    const batch = new WriteBatch();
    batch.put(TABLE_META, utf8("rev"), utf8("1999"));
    engine.write(batch);
    assert.ok(engine.stats().walBytes > 0);
  }
  await assert.rejects(Deno.stat(`${path}-wal`), Deno.errors.NotFound, "close removes the WAL");
  using engine = await Engine.open(path);
  assert.equal(engine.count(TABLE_LOG, EMPTY, undefined), 2000);
  assert.deepEqual(engine.get(TABLE_LOG, revisionKey(1234)), valueFor(1234, 300));
  assert.deepEqual(engine.get(TABLE_META, utf8("rev")), utf8("1999"));
  assert.deepEqual(engine.check(), []);
});

Deno.test("Engine.close() is idempotent and later calls throw", async () => {
  await using dir = await makeTempDir();
  const engine = await Engine.open(`${dir.path}/engine.db`);
  engine.close();
  engine.close();
  assert.throws(() => engine.get(TABLE_META, utf8("a")), /the engine is closed/);
  assert.throws(() => engine.write(new WriteBatch()), EngineError);
  assert.throws(() => engine.scan(TABLE_LOG, EMPTY, undefined, {}, () => {}), EngineError);
  assert.throws(() => engine.checkpoint(), EngineError);
  // The file can be opened again by a new engine.
  using again = await Engine.open(`${dir.path}/engine.db`);
  assert.deepEqual(again.check(), []);
});

Deno.test("Engine.open() refuses a file that is already open in this process", async () => {
  await using dir = await makeTempDir();
  using engine = await Engine.open(`${dir.path}/engine.db`);
  await assert.rejects(
    Engine.open(`${dir.path}/./engine.db`),
    (err: unknown) =>
      err instanceof EngineError && /already open in this process/.test(err.message),
  );
  assert.deepEqual(engine.check(), []);
});

Deno.test("Engine.open() validates its options", async () => {
  await using dir = await makeTempDir();
  await assert.rejects(Engine.open(`${dir.path}/a.db`, { cacheKiB: 0 }), RangeError);
  await assert.rejects(Engine.open(`${dir.path}/a.db`, { autoCheckpointPages: -1 }), RangeError);
  await assert.rejects(Engine.open(`${dir.path}/a.db`, { cacheKiB: 1.5 }), RangeError);
});

Deno.test("Engine.scan() visitor cannot call the engine", async () => {
  await using dir = await makeTempDir();
  using engine = await Engine.open(`${dir.path}/engine.db`);
  putRevisions(engine, 0, 3);
  assert.throws(
    () =>
      engine.scan(TABLE_LOG, EMPTY, undefined, {}, (key) => {
        engine.get(TABLE_LOG, key);
      }),
    /called from inside a scan visitor/,
  );
  assert.equal(engine.count(TABLE_LOG, EMPTY, undefined), 3);
});

Deno.test("Engine.checkpoint() moves the WAL into the main file", async () => {
  await using dir = await makeTempDir();
  using engine = await Engine.open(`${dir.path}/engine.db`, { autoCheckpointPages: 0 });
  putRevisions(engine, 0, 3000, 300);
  const before = engine.stats();
  assert.ok(before.walBytes > 1_000_000, `WAL holds the writes (${before.walBytes} bytes)`);
  engine.checkpoint();
  engine.checkpoint(true);
  const after = engine.stats();
  assert.equal(after.walBytes, 0);
  assert.equal(after.fileBytes, after.pageCount * after.pageSize);
  assert.ok(after.fileBytes > 900_000);
  engine.setAutoCheckpoint(8);
  putRevisions(engine, 3000, 4000, 300);
  assert.ok(engine.stats().walBytes < 1_000_000, "automatic checkpoints run again");
  assert.deepEqual(engine.check(), []);
});

Deno.test("Engine.check() stays clean under a random mixed workload", async () => {
  await using dir = await makeTempDir();
  using engine = await Engine.open(`${dir.path}/engine.db`, {
    cacheKiB: 512,
    autoCheckpointPages: 64,
  });
  const model = new Map<number, number>(); // main -> value seed
  let seed = 1;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const batch = new WriteBatch();
  for (let round = 0; round < 60; round++) {
    batch.clear();
    for (let op = 0; op < 150; op++) {
      const main = random(5000);
      const choice = random(10);
      if (choice < 7) {
        const valueSeed = random(1 << 20);
        batch.put(TABLE_LOG, revisionKey(main), valueFor(valueSeed, 20 + (valueSeed % 1500)));
        model.set(main, valueSeed);
      } else if (choice < 9) {
        batch.delete(TABLE_LOG, revisionKey(main));
        model.delete(main);
      } else {
        const end = main + random(40);
        batch.deleteRange(TABLE_LOG, revisionKey(main), revisionKey(end));
        for (let m = main; m < end; m++) model.delete(m);
      }
    }
    engine.write(batch);
  }
  const expected = [...model.keys()].sort((a, b) => a - b);
  const rows = collect(engine, TABLE_LOG, EMPTY, undefined);
  assert.deepEqual(mains(rows), expected);
  for (const [key, value] of rows) {
    const valueSeed = model.get(revisionMain(key))!;
    assert.deepEqual(value, valueFor(valueSeed, 20 + (valueSeed % 1500)));
  }
  assert.deepEqual(engine.check(), []);
});
