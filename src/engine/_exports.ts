// deno-lint-ignore-file camelcase -- the export names are the C functions' names
/**
 * The typed exports of `wasm/build/engine.wasm`. Must match `wasm/exports.txt` (the export list
 * the linker receives) and the definitions in `wasm/engine.c`, which documents each function.
 *
 * Every `kv_*` function returns a number `n`: `n >= 0` is a length, row count or "done" (0);
 * {@linkcode KV_NOT_FOUND} and {@linkcode KV_OUT_TOO_SMALL} are expected outcomes; `n <=
 * KV_ERROR` is a failure whose SQLite result code is `KV_ERROR - n`.
 *
 * @module
 */

/** `kv_get`: the key does not exist. */
export const KV_NOT_FOUND = -1;
/** The `out` buffer cannot hold the result; `kv_need()` says how many bytes it needs. */
export const KV_OUT_TOO_SMALL = -2;
/** Results at or below this value are failures: the SQLite result code is `KV_ERROR - n`. */
export const KV_ERROR = -1000;

/** `kv_write` batch ops (the first byte of each op). */
export const OP_PUT = 1;
/** Deletes one key. */
export const OP_DELETE = 2;
/** Deletes `[start, end)`; the op's key is `start`, its value `end`. */
export const OP_DELETE_RANGE = 3;
/** Bytes before an op's key: `[u8 op][u8 table][u32 klen][u32 vlen]`. */
export const OP_HEADER_BYTES = 10;

/** `kv_scan` flags. */
export const SCAN_REVERSE = 1;
/** Leaves out a row whose key equals `start`. */
export const SCAN_START_EXCLUSIVE = 2;
/** The end key follows the start key in `in`. */
export const SCAN_HAS_END = 4;
/** Bytes before each scanned row's key in `out`: `[u32 klen][u32 vlen]`. */
export const ROW_HEADER_BYTES = 8;

/** The names `wasm/exports.txt` lists, in its order. */
export const EXPORT_NAMES = [
  "kv_in",
  "kv_out",
  "kv_need",
  "kv_errmsg",
  "kv_open",
  "kv_close",
  "kv_get",
  "kv_write",
  "kv_scan",
  "kv_scan_next",
  "kv_scan_end",
  "kv_count",
  "kv_checkpoint",
  "kv_set_auto_checkpoint",
  "kv_check",
  "kv_stats",
] as const;

/** The module's exports; pointers are returned as signed i32 (apply `>>> 0`). */
export interface EngineExports {
  readonly memory: WebAssembly.Memory;
  _initialize(): void;
  kv_in(capacity: number): number;
  kv_out(capacity: number): number;
  kv_need(): number;
  kv_errmsg(): number;
  kv_open(pathLength: number, cacheKiB: number, autoCheckpointPages: number): number;
  kv_close(): number;
  kv_get(table: number, keyLength: number): number;
  kv_write(count: number, byteLength: number): number;
  kv_scan(
    table: number,
    flags: number,
    startLength: number,
    endLength: number,
    limit: number,
  ): number;
  kv_scan_next(): number;
  kv_scan_end(): void;
  kv_count(table: number, startLength: number, endLength: number, hasEnd: number): number;
  kv_checkpoint(truncate: number): number;
  kv_set_auto_checkpoint(pages: number): number;
  kv_check(): number;
  kv_stats(): number;
}

/** Returns the instance's exports typed, after checking that each one is there. */
export function bindExports(instance: WebAssembly.Instance): EngineExports {
  const exports = instance.exports;
  if (!(exports.memory instanceof WebAssembly.Memory)) {
    throw new TypeError("The engine module does not export its memory");
  }
  for (const name of ["_initialize", ...EXPORT_NAMES]) {
    if (typeof exports[name] !== "function") {
      throw new TypeError(`The engine module does not export "${name}"`);
    }
  }
  return exports as unknown as EngineExports;
}
