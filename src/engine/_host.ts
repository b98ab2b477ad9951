/**
 * The host side of the engine's file layer: the functions `wasm/engine.c` imports from module
 * `host`, one per file operation, on `node:fs` positional I/O (`readSync`/`writeSync` with a
 * position are `pread`/`pwrite`), `fdatasyncSync`, `ftruncateSync` and `fstatSync`.
 *
 * An exception must never unwind through SQLite's frames, so every import catches, keeps the
 * error for the `cause` of the `EngineError` the engine then throws, and returns a negative
 * status that the C side turns into a SQLite I/O error code.
 *
 * @module
 */

import * as fs from "node:fs";
import { dirname } from "node:path";
import type { EngineMemory } from "./_memory.ts";

/** Import results the C side knows (`HOST_*` in `wasm/engine.c`). */
const HOST_ERROR = -1;
const HOST_FULL = -2;
const HOST_NOT_FOUND = -2;

/** `SQLITE_OPEN_*` flags the file layer honours. */
const OPEN_READONLY = 0x1;
const OPEN_CREATE = 0x4;
const OPEN_DELETEONCLOSE = 0x8;
const OPEN_EXCLUSIVE = 0x10;
const OPEN_MAIN_DB = 0x100;

/** `SQLITE_ACCESS_*` checks. */
const ACCESS_READWRITE = 1;
const ACCESS_READ = 2;

/** `crypto.getRandomValues` fills at most this many bytes per call. */
const RANDOM_CHUNK_BYTES = 65536;

interface OpenFile {
  fd: number;
  path: string;
  deleteOnClose: boolean;
}

/** The host imports for one engine instance and the files it has open. */
export class EngineHost {
  readonly #dbPath: string;
  readonly #files = new Map<number, OpenFile>();
  #memory: EngineMemory | undefined;
  #nextId = 1;
  #tempCount = 0;
  #lastError: unknown;

  /** `dbPath` is the main database file; temporary files are created next to it. */
  constructor(dbPath: string) {
    this.#dbPath = dbPath;
  }

  /** Connects the imports to the instance's memory (available only after instantiation). */
  attach(memory: EngineMemory): void {
    this.#memory = memory;
  }

  /** Returns and forgets the error the last failed import caught. */
  takeError(): unknown {
    const err = this.#lastError;
    this.#lastError = undefined;
    return err;
  }

  /** Closes every file still open (after a failed open or close); never throws. */
  closeAll(): void {
    for (const id of [...this.#files.keys()]) this.#close(id);
  }

  /** The import object for `WebAssembly.instantiate`. */
  imports(): WebAssembly.Imports {
    return {
      host: {
        open: (ptr: number, length: number, flags: number) => this.#open(ptr, length, flags),
        close: (id: number) => this.#close(id),
        read: (id: number, ptr: number, n: number, offset: number) =>
          this.#read(id, ptr, n, offset),
        write: (id: number, ptr: number, n: number, offset: number) =>
          this.#write(id, ptr, n, offset),
        sync: (id: number) => this.#try(() => fs.fdatasyncSync(this.#fd(id))),
        size: (id: number) => this.#size(id),
        truncate: (id: number, size: number) =>
          this.#try(() => fs.ftruncateSync(this.#fd(id), size)),
        delete: (ptr: number, length: number, syncDir: number) =>
          this.#delete(ptr, length, syncDir),
        access: (ptr: number, length: number, flags: number) => this.#access(ptr, length, flags),
        time: () => Date.now(),
        random: (ptr: number, n: number) => this.#random(ptr, n),
      },
    };
  }

  #mem(): EngineMemory {
    if (this.#memory === undefined) throw new Error("The engine memory is not attached yet");
    return this.#memory;
  }

  #fd(id: number): number {
    const file = this.#files.get(id);
    if (file === undefined) throw new Error(`Unknown engine file id ${id}`);
    return file.fd;
  }

  /** Runs `fn`; returns 0, or HOST_ERROR after keeping what it threw. */
  #try(fn: () => void): number {
    try {
      fn();
      return 0;
    } catch (err: unknown) {
      this.#lastError = err;
      return HOST_ERROR;
    }
  }

  #open(ptr: number, length: number, flags: number): number {
    try {
      const temporary = length === 0;
      const path = temporary
        ? `${this.#dbPath}-tmp-${Deno.pid}-${++this.#tempCount}`
        : this.#mem().readString(ptr, length);
      const created = (flags & OPEN_CREATE) !== 0 && !fs.existsSync(path);
      const mode = (flags & OPEN_READONLY ? fs.constants.O_RDONLY : fs.constants.O_RDWR) |
        (flags & OPEN_CREATE ? fs.constants.O_CREAT : 0) |
        (flags & OPEN_EXCLUSIVE ? fs.constants.O_EXCL : 0);
      const fd = fs.openSync(path, mode, 0o644);
      // A new main file's directory entry must survive a power loss along with its contents.
      if (created && (flags & OPEN_MAIN_DB) !== 0) syncDirectory(path);
      const id = this.#nextId++;
      this.#files.set(id, {
        fd,
        path,
        deleteOnClose: temporary || (flags & OPEN_DELETEONCLOSE) !== 0,
      });
      return id;
    } catch (err: unknown) {
      this.#lastError = err;
      return HOST_ERROR;
    }
  }

  #close(id: number): number {
    const file = this.#files.get(id);
    if (file === undefined) return HOST_ERROR;
    this.#files.delete(id);
    return this.#try(() => {
      fs.closeSync(file.fd);
      if (file.deleteOnClose) fs.rmSync(file.path, { force: true });
    });
  }

  #read(id: number, ptr: number, n: number, offset: number): number {
    try {
      const fd = this.#fd(id);
      const bytes = this.#mem().bytes();
      ptr >>>= 0;
      let got = 0;
      while (got < n) {
        const r = fs.readSync(fd, bytes, ptr + got, n - got, offset + got);
        if (r === 0) break; // end of file: the C side zero-fills the rest
        got += r;
      }
      return got;
    } catch (err: unknown) {
      this.#lastError = err;
      return HOST_ERROR;
    }
  }

  #write(id: number, ptr: number, n: number, offset: number): number {
    try {
      const fd = this.#fd(id);
      const bytes = this.#mem().bytes();
      ptr >>>= 0;
      let put = 0;
      while (put < n) put += fs.writeSync(fd, bytes, ptr + put, n - put, offset + put);
      return 0;
    } catch (err: unknown) {
      this.#lastError = err;
      return errorCode(err) === "ENOSPC" ? HOST_FULL : HOST_ERROR;
    }
  }

  #size(id: number): number {
    try {
      return fs.fstatSync(this.#fd(id)).size;
    } catch (err: unknown) {
      this.#lastError = err;
      return HOST_ERROR;
    }
  }

  #delete(ptr: number, length: number, syncDir: number): number {
    try {
      const path = this.#mem().readString(ptr, length);
      fs.unlinkSync(path);
      if (syncDir) syncDirectory(path);
      return 0;
    } catch (err: unknown) {
      if (errorCode(err) === "ENOENT") return HOST_NOT_FOUND;
      this.#lastError = err;
      return HOST_ERROR;
    }
  }

  #access(ptr: number, length: number, flags: number): number {
    try {
      const path = this.#mem().readString(ptr, length);
      const mode = flags === ACCESS_READWRITE
        ? fs.constants.R_OK | fs.constants.W_OK
        : flags === ACCESS_READ
        ? fs.constants.R_OK
        : fs.constants.F_OK;
      fs.accessSync(path, mode);
      return 1;
    } catch (err: unknown) {
      if (errorCode(err) === "ENOENT" || errorCode(err) === "EACCES") return 0;
      this.#lastError = err;
      return HOST_ERROR;
    }
  }

  #random(ptr: number, n: number): void {
    ptr >>>= 0;
    const bytes = this.#mem().bytes();
    for (let at = 0; at < n; at += RANDOM_CHUNK_BYTES) {
      crypto.getRandomValues(bytes.subarray(ptr + at, ptr + Math.min(n, at + RANDOM_CHUNK_BYTES)));
    }
  }
}

function errorCode(err: unknown): unknown {
  return typeof err === "object" && err !== null && "code" in err ? err.code : undefined;
}

/** Makes a created or removed directory entry durable; best effort (some filesystems refuse). */
function syncDirectory(path: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dirname(path), fs.constants.O_RDONLY);
    fs.fsyncSync(fd);
  } catch {
    // A directory that cannot be opened or synced is not worth failing the operation for.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
