import assert from "node:assert/strict";
import { EngineError } from "../errors.ts";
import { Engine, TABLE_LOG, WriteBatch } from "./mod.ts";
import { makeTempDir, revisionKey, thrownBy, valueFor } from "./_testing.ts";

const EMPTY = new Uint8Array(0);
const PAGE = 8192;
const SQLITE_CORRUPT = 11;
const SQLITE_NOTADB = 26;

/** Creates a closed database of `rows` log rows and returns its page count. */
async function createDatabase(path: string, rows: number): Promise<number> {
  using engine = await Engine.open(path);
  const batch = new WriteBatch();
  for (let main = 0; main < rows; main++) {
    batch.put(TABLE_LOG, revisionKey(main), valueFor(main, 200));
  }
  engine.write(batch);
  return engine.stats().pageCount;
}

/** Overwrites `length` bytes at `offset` with a byte pattern no page header accepts. */
async function damage(path: string, offset: number, length: number): Promise<void> {
  using file = await Deno.open(path, { write: true });
  await file.seek(offset, Deno.SeekMode.Start);
  await file.write(new Uint8Array(length).fill(0xee));
}

/** Opens the file and reads it all; returns what failed first. */
async function openAndScan(path: string): Promise<unknown> {
  let engine: Engine;
  try {
    engine = await Engine.open(path);
  } catch (err: unknown) {
    return err;
  }
  using opened = engine;
  return thrownBy(() => opened.scan(TABLE_LOG, EMPTY, undefined, {}, () => {}));
}

Deno.test("Engine.open() rejects a file that is not a database", async () => {
  await using dir = await makeTempDir();
  const path = `${dir.path}/garbage.db`;
  await Deno.writeFile(path, valueFor(1, 3 * PAGE));
  const err = await Engine.open(path).then(() => undefined, (err: unknown) => err);
  assert.ok(err instanceof EngineError);
  assert.equal(
    err.message,
    `Cannot open engine file "${path}": file is not a database (SQLITE_NOTADB)`,
  );
  assert.equal(err.sqliteCode, SQLITE_NOTADB);
  assert.deepEqual(await Deno.readFile(path), valueFor(1, 3 * PAGE), "the file is left alone");
  // The failed open released the path: a later open of a good file there works.
  await Deno.remove(path);
  using engine = await Engine.open(path);
  assert.deepEqual(engine.check(), []);
});

Deno.test("Engine.open() rejects a damaged first page", async (t) => {
  await using dir = await makeTempDir();
  await t.step("file header", async () => {
    const path = `${dir.path}/header.db`;
    await createDatabase(path, 100);
    await damage(path, 0, 16);
    const err = await Engine.open(path).then(() => undefined, (err: unknown) => err);
    assert.ok(err instanceof EngineError);
    assert.equal(
      err.message,
      `Cannot open engine file "${path}": file is not a database (SQLITE_NOTADB)`,
    );
  });
  await t.step("schema table", async () => {
    const path = `${dir.path}/schema.db`;
    await createDatabase(path, 100);
    await damage(path, 100, PAGE - 100);
    const err = await Engine.open(path).then(() => undefined, (err: unknown) => err);
    assert.ok(err instanceof EngineError);
    assert.ok(err.message.startsWith(`Cannot open engine file "${path}": `), err.message);
    assert.match(err.message, /malformed/);
    assert.equal(err.sqliteCode & 0xff, SQLITE_CORRUPT);
  });
});

Deno.test("Engine reports a damaged middle page at open or at the first scan", async () => {
  await using dir = await makeTempDir();
  const path = `${dir.path}/engine.db`;
  const pages = await createDatabase(path, 5000);
  await damage(path, Math.floor(pages / 2) * PAGE, PAGE);
  const err = await openAndScan(path);
  assert.ok(err instanceof EngineError, `got ${err}`);
  assert.match(
    err.message,
    new RegExp(`^(Cannot open engine file|Engine scan failed on) "${path}": .*\\(SQLITE_CORRUPT`),
  );
  assert.equal(err.sqliteCode & 0xff, SQLITE_CORRUPT);
});

Deno.test("Engine.get() reports a damaged leaf naming the operation and the file", async () => {
  await using dir = await makeTempDir();
  const path = `${dir.path}/engine.db`;
  const pages = await createDatabase(path, 5000);
  await damage(path, (pages - 3) * PAGE, PAGE);
  let engine: Engine;
  try {
    engine = await Engine.open(path);
  } catch (err: unknown) {
    // The damaged page lies on the right edge that open reads: that is a fine outcome too.
    assert.ok(err instanceof EngineError && err.message.includes(`"${path}"`));
    return;
  }
  using opened = engine;
  let failure: unknown;
  for (let main = 0; main < 5000 && failure === undefined; main += 3) {
    try {
      opened.get(TABLE_LOG, revisionKey(main));
    } catch (err: unknown) {
      failure = err;
    }
  }
  assert.ok(failure instanceof EngineError, "some get reads the damaged page");
  assert.match(failure.message, new RegExp(`^Engine get failed on "${path}": .*\\(SQLITE_CORRUPT`));
  assert.ok(opened.check().length > 0, "check() reports the damage");
});

Deno.test("Engine reports a truncated file at open or at the first scan", async () => {
  await using dir = await makeTempDir();
  const path = `${dir.path}/engine.db`;
  const pages = await createDatabase(path, 5000);
  await Deno.truncate(path, Math.floor(pages / 2) * PAGE);
  const err = await openAndScan(path);
  assert.ok(err instanceof EngineError, `got ${err}`);
  assert.ok(err.message.includes(`"${path}"`), err.message);
});
