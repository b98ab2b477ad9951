/**
 * The data directory: its layout and the OS lock that keeps a second process out.
 *
 * ```
 * <dataDir>/LOCK          held (flock) for the life of the process that owns the directory
 * <dataDir>/engine.db     the engine file (SQLite), plus engine.db-wal while it is open
 * <dataDir>/wal/          T4's WAL segments (see src/wal/mod.ts)
 * ```
 *
 * The engine's own SQLite locks are no-ops (one process, one connection), so the lock here is
 * what makes two processes on one directory impossible.
 *
 * @module
 */

import { KvError } from "../errors.ts";

/** Paths inside a data directory. */
export interface DataDirLayout {
  root: string;
  lockFile: string;
  engineFile: string;
  walDir: string;
}

/** The layout of `root`. */
export function dataDirLayout(root: string): DataDirLayout {
  const base = root.replace(/\/+$/, "") || "/";
  return {
    root: base,
    lockFile: `${base}/LOCK`,
    engineFile: `${base}/engine.db`,
    walDir: `${base}/wal`,
  };
}

/** An exclusive lock on a data directory; release it with `close()`. */
export class DataDirLock implements Disposable {
  readonly #file: Deno.FsFile;
  #closed = false;

  private constructor(file: Deno.FsFile) {
    this.#file = file;
  }

  /**
   * Creates the directory if needed and takes its lock without waiting.
   *
   * @throws {KvError} "engine" when another process holds it or the directory is unusable.
   */
  static async acquire(layout: DataDirLayout): Promise<DataDirLock> {
    try {
      await Deno.mkdir(layout.root, { recursive: true });
    } catch (err: unknown) {
      throw new KvError("engine", `Cannot create data directory "${layout.root}": ${text(err)}`, {
        cause: err,
      });
    }
    let file: Deno.FsFile;
    try {
      file = await Deno.open(layout.lockFile, { read: true, write: true, create: true });
    } catch (err: unknown) {
      throw new KvError("engine", `Cannot open "${layout.lockFile}": ${text(err)}`, {
        cause: err,
      });
    }
    let locked = false;
    try {
      locked = file.tryLockSync(true);
    } catch (err: unknown) {
      file.close();
      throw new KvError("engine", `Cannot lock "${layout.lockFile}": ${text(err)}`, {
        cause: err,
      });
    }
    if (!locked) {
      file.close();
      throw new KvError(
        "engine",
        `Cannot use data directory "${layout.root}": another process holds its lock`,
      );
    }
    return new DataDirLock(file);
  }

  /** Releases the lock. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#file.unlockSync();
    } finally {
      this.#file.close();
    }
  }

  /** Same as {@linkcode DataDirLock.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}

function text(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
