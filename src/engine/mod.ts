/**
 * The storage engine: the only code that knows WebAssembly exists.
 *
 * An {@linkcode Engine} is one SQLite database file (compiled to wasm from `wasm/engine.c`,
 * which adds a file layer on host functions and a KV layer) with two tables of blob keys and
 * blob values: {@linkcode TABLE_LOG}, keyed by revision, and {@linkcode TABLE_META}. Every get,
 * write batch, count and block of scanned rows is one call into wasm.
 *
 * Invariants:
 * - One `Engine` per file per process (enforced); the node holds an OS lock on the data
 *   directory against other processes, because the engine's own SQLite locks are no-ops.
 * - A {@linkcode WriteBatch} is applied in one transaction: all of it or nothing.
 * - Durability is checkpoint-style (SQLite WAL mode, `synchronous=NORMAL`): a committed write
 *   survives a process crash; after a power loss the file is consistent at some earlier commit,
 *   so T4's own WAL, not the engine, is the source of truth. `checkpoint(true)` makes the main
 *   file hold everything committed, fsynced.
 * - Values returned by `get` are owned copies; rows passed to a `scan` visitor are views valid
 *   only during that call.
 *
 * @example Put, get and scan
 * ```ts
 * import { Engine, TABLE_META, WriteBatch } from "./mod.ts";
 *
 * const dir = await Deno.makeTempDir();
 * const engine = await Engine.open(`${dir}/engine.db`);
 * const key = new TextEncoder().encode("term");
 * const batch = new WriteBatch();
 * batch.put(TABLE_META, key, new Uint8Array([7]));
 * engine.write(batch);
 * console.log(engine.get(TABLE_META, key)); // Uint8Array(1) [ 7 ]
 * engine.scan(TABLE_META, new Uint8Array(), undefined, {}, (k, v) => {
 *   console.log(new TextDecoder().decode(k), v[0]); // term 7
 * });
 * engine.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */

export { Engine, type EngineOptions, type EngineStats, type ScanOptions } from "./engine.ts";
export { type Table, TABLE_LOG, TABLE_META } from "./table.ts";
export { WriteBatch } from "./write_batch.ts";
