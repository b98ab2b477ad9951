/**
 * {@linkcode Engine}: one SQLite database file behind one wasm instance, driven through the
 * exports of `wasm/engine.c` with one call per get, write batch, count or scan block.
 *
 * @module
 */

import { resolve } from "node:path";
import { EngineError } from "../errors.ts";
import {
  bindExports,
  type EngineExports,
  KV_ERROR,
  KV_NOT_FOUND,
  KV_OUT_TOO_SMALL,
  ROW_HEADER_BYTES,
  SCAN_HAS_END,
  SCAN_REVERSE,
  SCAN_START_EXCLUSIVE,
} from "./_exports.ts";
import { EngineHost } from "./_host.ts";
import { EngineMemory } from "./_memory.ts";
import { resultCodeName } from "./_result_codes.ts";
import type { Table } from "./table.ts";
import { WriteBatch } from "./write_batch.ts";

/** Options for {@linkcode Engine.open}. */
export interface EngineOptions {
  /** SQLite page cache in KiB. Default 65536 (64 MiB). */
  cacheKiB?: number;
  /**
   * Engine-WAL pages (8 KiB each) after which a commit runs a PASSIVE checkpoint. Default 2048;
   * 0: never automatically (call {@linkcode Engine.checkpoint}).
   */
  autoCheckpointPages?: number;
}

/** Options for {@linkcode Engine.scan}. */
export interface ScanOptions {
  /** The most rows to visit (0: none); absent: no limit. */
  limit?: number;
  /** Leave out a row whose key equals `start` (for paging forward). */
  startExclusive?: boolean;
  /** Visit rows in descending key order, within the same bounds. */
  reverse?: boolean;
}

/** What {@linkcode Engine.stats} reports. */
export interface EngineStats {
  /** Bytes per database page (8192). */
  pageSize: number;
  /** Pages in the database, including free ones. */
  pageCount: number;
  /** Free pages, reused by later writes. */
  freelistCount: number;
  /** Size of the main file. */
  fileBytes: number;
  /** Size of the engine's WAL file (`<path>-wal`). */
  walBytes: number;
  /** Size of the instance's wasm memory (page cache plus buffers; it never shrinks). */
  memoryBytes: number;
}

const DEFAULT_CACHE_KIB = 65536;
const DEFAULT_AUTO_CHECKPOINT_PAGES = 2048;
const MAX_INT = 0x7fffffff;
const STAT_COUNT = 5;
const SQLITE_MISUSE = 21;

const WASM_URL = new URL("../../wasm/build/engine.wasm", import.meta.url);

/** Engine states: calls are accepted only when open; a scan visitor must not re-enter. */
const OPEN = 0;
const SCANNING = 1;
const CLOSED = 2;

const encoder = new TextEncoder();
/** Absolute paths of the files open in this process: two connections would corrupt a file,
 * because the file layer's SQLite locks are no-ops. */
const openPaths = new Set<string>();
let compiled: Promise<WebAssembly.Module> | undefined;

/** The engine module, compiled once per process. */
function compileModule(): Promise<WebAssembly.Module> {
  compiled ??= Deno.readFile(WASM_URL).then((bytes) => WebAssembly.compile(bytes)).catch(
    (err: unknown) => {
      compiled = undefined;
      const hint = err instanceof Deno.errors.NotFound ? ` (run "deno task build:wasm")` : "";
      throw new EngineError(`Cannot load the engine module "${WASM_URL.pathname}"${hint}`, 0, {
        cause: err,
      });
    },
  );
  return compiled;
}

function checkInteger(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min || value > MAX_INT) {
    throw new RangeError(
      `Invalid engine option ${name}: expected an integer >= ${min}, got ${value}`,
    );
  }
  return value;
}

/**
 * A key-value engine over one SQLite file: two tables of blob keys and values, one writer, all
 * calls synchronous. Durability is checkpoint-style: a committed {@linkcode Engine.write}
 * survives a process crash, and after a power loss the file is consistent at some earlier
 * commit; {@linkcode Engine.checkpoint} with `truncate` makes everything committed durable in
 * the main file.
 */
export class Engine implements Disposable {
  /** The path of the main database file, as given to {@linkcode Engine.open}. */
  readonly path: string;
  readonly #fn: EngineExports;
  readonly #mem: EngineMemory;
  readonly #host: EngineHost;
  readonly #absolutePath: string;
  #state: number = OPEN;

  private constructor(
    path: string,
    absolutePath: string,
    fn: EngineExports,
    mem: EngineMemory,
    host: EngineHost,
  ) {
    this.path = path;
    this.#absolutePath = absolutePath;
    this.#fn = fn;
    this.#mem = mem;
    this.#host = host;
  }

  /**
   * Opens (creating if needed) the database file at `path` in a new wasm instance, and reads
   * its schema and both tables' edges so that a file that is not a database or whose structure
   * is damaged fails here.
   *
   * @throws {EngineError} naming the file and the reason.
   */
  static async open(path: string, options: EngineOptions = {}): Promise<Engine> {
    const cacheKiB = checkInteger("cacheKiB", options.cacheKiB ?? DEFAULT_CACHE_KIB, 1);
    const autoCheckpointPages = checkInteger(
      "autoCheckpointPages",
      options.autoCheckpointPages ?? DEFAULT_AUTO_CHECKPOINT_PAGES,
      0,
    );
    const absolutePath = resolve(path);
    if (openPaths.has(absolutePath)) {
      throw new EngineError(
        `Cannot open engine file "${path}": it is already open in this process`,
        SQLITE_MISUSE,
      );
    }
    openPaths.add(absolutePath);
    try {
      const module = await compileModule();
      const host = new EngineHost(path);
      const instance = await WebAssembly.instantiate(module, host.imports());
      const fn = bindExports(instance);
      fn._initialize();
      const mem = new EngineMemory(fn, path);
      host.attach(mem);
      const pathBytes = encoder.encode(path);
      mem.writeInput(pathBytes);
      const n = fn.kv_open(pathBytes.length, cacheKiB, autoCheckpointPages);
      if (n !== 0) {
        const err = engineError(`Cannot open engine file "${path}"`, n, fn, mem, host);
        host.closeAll();
        throw err;
      }
      return new Engine(path, absolutePath, fn, mem, host);
    } catch (err: unknown) {
      openPaths.delete(absolutePath);
      throw err;
    }
  }

  /**
   * Returns a copy of the value of `key` in `table`, or `undefined` if there is none. The copy
   * belongs to the caller and the engine never writes to it again; small copies are carved from
   * a shared chunk, so `value.buffer` may also hold other values (`slice()` a value that is kept
   * for long, so that it does not pin its chunk).
   *
   * @throws {EngineError} when the read fails (I/O error, corruption).
   */
  get(table: Table, key: Uint8Array): Uint8Array | undefined {
    if (this.#state !== OPEN) this.#refuse("get");
    this.#mem.writeInput(key);
    let n = this.#fn.kv_get(table, key.length);
    if (n === KV_OUT_TOO_SMALL) {
      this.#mem.reserveOutput(this.#fn.kv_need());
      n = this.#fn.kv_get(table, key.length);
    }
    if (n === KV_NOT_FOUND) return undefined;
    if (n < 0) throw this.#error("get", n);
    return this.#mem.readOutput(n);
  }

  /**
   * Visits the rows of `table` with `start <= key < end` (`end` undefined: to the end of the
   * table) in ascending key order, or descending with `reverse`. `visit` receives views that
   * are valid only during that call and must not call the engine; returning `false` stops.
   * Rows arrive in blocks, one wasm call per block.
   *
   * @returns the number of rows visited.
   * @throws {EngineError} when the read fails (I/O error, corruption).
   */
  scan(
    table: Table,
    start: Uint8Array,
    end: Uint8Array | undefined,
    options: ScanOptions,
    visit: (key: Uint8Array, value: Uint8Array) => boolean | void,
  ): number {
    return this.scanRaw(
      table,
      start,
      end,
      options,
      (bytes, k, kl, v, vl) => visit(bytes.subarray(k, k + kl), bytes.subarray(v, v + vl)),
    );
  }

  /**
   * {@linkcode Engine.scan} without a view per row: `visit` gets the block's bytes (wasm memory,
   * valid only during the call) and each row's key and value offsets and lengths in them. For
   * bulk reads (the key-index rebuild at open) where two views per row would be most of the
   * cost.
   */
  scanRaw(
    table: Table,
    start: Uint8Array,
    end: Uint8Array | undefined,
    options: ScanOptions,
    visit: (
      bytes: Uint8Array,
      keyStart: number,
      keyLength: number,
      valueStart: number,
      valueLength: number,
    ) => boolean | void,
  ): number {
    if (this.#state !== OPEN) this.#refuse("scan");
    if (options.limit !== undefined && !(options.limit >= 1)) return 0; // 0, negative, NaN
    // kv_scan takes an int; 0 there means no limit.
    const limit = options.limit === undefined || options.limit > MAX_INT
      ? 0
      : Math.floor(options.limit);
    const flags = (options.reverse ? SCAN_REVERSE : 0) |
      (options.startExclusive ? SCAN_START_EXCLUSIVE : 0) | (end ? SCAN_HAS_END : 0);
    if (end) this.#mem.writeInputs(start, end);
    else this.#mem.writeInput(start);
    this.#state = SCANNING;
    let visited = 0;
    try {
      let n = this.#fn.kv_scan(table, flags, start.length, end?.length ?? 0, limit);
      for (;;) {
        if (n === KV_OUT_TOO_SMALL) {
          this.#mem.reserveOutput(this.#fn.kv_need());
          n = this.#fn.kv_scan_next();
          continue;
        }
        if (n < 0) throw this.#error("scan", n);
        if (n === 0) return visited;
        const bytes = this.#mem.bytes();
        const view = this.#mem.view();
        let at = this.#mem.outPtr;
        for (let i = 0; i < n; i++) {
          const keyLength = view.getUint32(at, true);
          const valueLength = view.getUint32(at + 4, true);
          const keyStart = at + ROW_HEADER_BYTES;
          const valueStart = keyStart + keyLength;
          at = valueStart + valueLength;
          visited++;
          if (visit(bytes, keyStart, keyLength, valueStart, valueLength) === false) return visited;
        }
        if (visited === limit) return visited; // the C side has ended the scan already
        n = this.#fn.kv_scan_next();
      }
    } finally {
      this.#fn.kv_scan_end();
      if (this.#state === SCANNING) this.#state = OPEN;
    }
  }

  /**
   * Counts the rows of `table` with `start <= key < end` (`end` undefined: to the end).
   *
   * @throws {EngineError} when the read fails.
   */
  count(table: Table, start: Uint8Array, end: Uint8Array | undefined): number {
    if (this.#state !== OPEN) this.#refuse("count");
    if (end) this.#mem.writeInputs(start, end);
    else this.#mem.writeInput(start);
    const n = this.#fn.kv_count(table, start.length, end?.length ?? 0, end ? 1 : 0);
    if (n < 0) throw this.#error("count", n);
    return n;
  }

  /**
   * Applies every op of `batch` in one SQLite transaction with one wasm call: all of them, or
   * (on error, after a rollback) none. The batch is not cleared. The encoded batch is copied
   * into a wasm buffer that stays as large as the largest batch written (wasm memory never
   * shrinks), so keep batches bounded.
   *
   * @throws {EngineError} when the transaction fails; nothing of it is applied.
   */
  write(batch: WriteBatch): void {
    if (this.#state !== OPEN) this.#refuse("write");
    if (batch.size === 0) return;
    this.#mem.writeInput(batch.bytes());
    const n = this.#fn.kv_write(batch.size, batch.byteLength);
    if (n !== 0) throw this.#error("write", n);
  }

  /** A new, empty {@linkcode WriteBatch} (for callers that see the engine as an interface). */
  createBatch(): WriteBatch {
    return new WriteBatch();
  }

  /**
   * Copies engine-WAL pages into the main file. PASSIVE by default; with `truncate`, returns
   * once the main file holds every committed transaction and has been fsynced, and the WAL is
   * empty — the moment to copy the main file for a snapshot (with automatic checkpoints off
   * until the copy is done, see {@linkcode Engine.setAutoCheckpoint}).
   *
   * @throws {EngineError} when the checkpoint fails.
   */
  checkpoint(truncate = false): void {
    if (this.#state !== OPEN) this.#refuse("checkpoint");
    const n = this.#fn.kv_checkpoint(truncate ? 1 : 0);
    if (n !== 0) throw this.#error("checkpoint", n);
  }

  /** Sets the engine-WAL size in pages that triggers an automatic checkpoint (0: never). */
  setAutoCheckpoint(pages: number): void {
    if (this.#state !== OPEN) this.#refuse("setAutoCheckpoint");
    checkInteger("autoCheckpointPages", pages, 0);
    const n = this.#fn.kv_set_auto_checkpoint(pages);
    if (n !== 0) throw this.#error("setAutoCheckpoint", n);
  }

  /**
   * Checks the whole file: SQLite's `integrity_check` plus the engine's invariants (schema,
   * page size, WAL mode). Reads every page; not for the request path.
   *
   * @returns one line per problem; `[]` when healthy.
   */
  check(): string[] {
    if (this.#state !== OPEN) this.#refuse("check");
    for (;;) {
      const n = this.#fn.kv_check();
      if (n === KV_OUT_TOO_SMALL) {
        this.#mem.reserveOutput(this.#fn.kv_need());
        continue;
      }
      if (n < 0) throw this.#error("check", n);
      return this.#mem.readOutputTexts(n);
    }
  }

  /** Reports the file's page counts and sizes and the instance's memory. */
  stats(): EngineStats {
    if (this.#state !== OPEN) this.#refuse("stats");
    const n = this.#fn.kv_stats();
    if (n !== 0) throw this.#error("stats", n);
    const [pageSize = 0, pageCount = 0, freelistCount = 0, fileBytes = 0, walBytes = 0] = this
      .#mem.readOutputF64(STAT_COUNT);
    return {
      pageSize,
      pageCount,
      freelistCount,
      fileBytes,
      walBytes,
      memoryBytes: this.#mem.byteLength,
    };
  }

  /**
   * Closes the file (checkpointing and removing the engine WAL). Idempotent; the engine is
   * closed even when this throws.
   *
   * @throws {EngineError} when the final checkpoint fails (the data stays in the WAL).
   */
  close(): void {
    if (this.#state === CLOSED) return;
    if (this.#state === SCANNING) this.#refuse("close");
    this.#state = CLOSED;
    openPaths.delete(this.#absolutePath);
    const n = this.#fn.kv_close();
    const err = n === 0 ? undefined : this.#error("close", n);
    this.#host.closeAll();
    if (err) throw err;
  }

  /** Same as {@linkcode Engine.close}. */
  [Symbol.dispose](): void {
    this.close();
  }

  #error(op: string, n: number): EngineError {
    return engineError(`Engine ${op} failed on "${this.path}"`, n, this.#fn, this.#mem, this.#host);
  }

  #refuse(op: string): never {
    const reason = this.#state === CLOSED
      ? "the engine is closed"
      : "the engine was called from inside a scan visitor";
    throw new EngineError(`Engine ${op} failed on "${this.path}": ${reason}`, SQLITE_MISUSE);
  }
}

/** Builds the error for a failed `kv_*` result `n` (`n <= KV_ERROR`). */
function engineError(
  prefix: string,
  n: number,
  fn: EngineExports,
  mem: EngineMemory,
  host: EngineHost,
): EngineError {
  const code = n <= KV_ERROR ? KV_ERROR - n : 0;
  const message = n <= KV_ERROR ? mem.readCString(fn.kv_errmsg()) : `unexpected result ${n}`;
  const cause = host.takeError();
  return new EngineError(
    `${prefix}: ${message} (${resultCodeName(code)})`,
    code,
    cause === undefined ? {} : { cause },
  );
}
