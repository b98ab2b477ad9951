/**
 * Helpers for the checkpoint tests: temporary directories, real engine files with deterministic
 * rows, WAL records and objects.
 *
 * @module
 */

import { deepStrictEqual } from "node:assert/strict";
import { Engine, TABLE_LOG, WriteBatch } from "../engine/mod.ts";
import type { ObjectStore } from "../objstore/mod.ts";
import type { WalRecord } from "../wal/mod.ts";
import { encodeWalObject, walObjectKey } from "./wal_objects.ts";

/** A temporary directory under /work when it exists (a real disk), removed on dispose. */
export async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const base = await Deno.stat("/work").then(() => "/work", () => undefined);
  const path = await Deno.makeTempDir(base ? { dir: base, prefix: "ckpt-test-" } : {});
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

/** A 12-byte big-endian revision key, as the engine's log table uses. */
export function revKey(main: number): Uint8Array {
  const key = new Uint8Array(12);
  const view = new DataView(key.buffer);
  view.setUint32(0, Math.floor(main / 2 ** 32));
  view.setUint32(4, main >>> 0);
  return key;
}

/** `length` bytes that depend on `seed` (and `version`, to change a row). */
export function rowValue(seed: number, length: number, version = 0): Uint8Array {
  const value = new Uint8Array(length);
  let x = ((seed + 1) * 2654435761 + version * 40503) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    value[i] = x & 0xff;
  }
  return value;
}

/** Writes rows `from..from+count-1` (value `rowValue(i, bytes, version)`) in batches of 1000. */
export function putRows(
  engine: Engine,
  from: number,
  count: number,
  options: { bytes?: number; version?: number } = {},
): void {
  const batch = new WriteBatch();
  for (let i = from; i < from + count; i++) {
    batch.put(TABLE_LOG, revKey(i), rowValue(i, options.bytes ?? 200, options.version));
    if (batch.size >= 1000) {
      engine.write(batch);
      batch.clear();
    }
  }
  engine.write(batch);
}

/** Every row of the log table, as hex key → value bytes. */
export function readRows(engine: Engine): Map<string, Uint8Array> {
  const rows = new Map<string, Uint8Array>();
  engine.scan(TABLE_LOG, new Uint8Array(), undefined, {}, (k, v) => {
    rows.set([...k].map((b) => b.toString(16).padStart(2, "0")).join(""), v.slice());
  });
  return rows;
}

/** Opens a restored file and checks it holds `expected` rows and passes `check()`. */
export async function assertEngineFile(
  path: string,
  expected: Map<string, Uint8Array>,
): Promise<void> {
  const engine = await Engine.open(path);
  try {
    deepStrictEqual(engine.check(), []);
    const rows = readRows(engine);
    deepStrictEqual(rows.size, expected.size);
    deepStrictEqual(rows, expected);
  } finally {
    engine.close();
  }
}

/** Opens an engine the way the node does before a checkpoint: automatic checkpoints off. */
export function openEngine(path: string): Promise<Engine> {
  return Engine.open(path, { autoCheckpointPages: 0, cacheKiB: 8192 });
}

/** The data of record `seq`: its bytes depend only on seq (and `variant`). */
export function dataFor(seq: number, variant = 0): Uint8Array {
  const n = 10 + (seq * 37) % 90;
  const data = new Uint8Array(n);
  for (let i = 0; i < n; i++) data[i] = (seq * 131 + i * 7 + variant) & 0xff;
  return data;
}

/** Records `from..to` (inclusive) with `term` and rev = seq + 100. */
export function records(from: number, to: number, term: number, variant = 0): WalRecord[] {
  const out: WalRecord[] = [];
  for (let seq = from; seq <= to; seq++) {
    out.push({ seq, term, rev: seq + 100, data: dataFor(seq, variant) });
  }
  return out;
}

/** Uploads records `from..to` as one object of `term`; returns its key. */
export async function putWal(
  store: ObjectStore,
  term: number,
  from: number,
  to: number,
  variant = 0,
): Promise<string> {
  const key = walObjectKey(term, from);
  await store.put(key, encodeWalObject(records(from, to, term, variant), term));
  return key;
}

/** Returns what `fn` rejects with; fails if it resolves. */
export async function rejects(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (err: unknown) {
    return err;
  }
  throw new Error("expected a rejection");
}
