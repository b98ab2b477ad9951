/**
 * The few file primitives the WAL needs, over `node:fs` because Deno's own file API has no
 * positional write. `writeSync(fd, buf, off, len, pos)` is a real `pwrite64`; the callback
 * forms of `fdatasync`/`fsync` run on the thread pool, so a sync never blocks the JS thread
 * (measured: timers keep firing during it; see `writer_test.ts`). Every failure becomes
 * `KvError("wal-io")` naming the file.
 *
 * @module
 */

import * as fs from "node:fs";
import { KvError } from "../errors.ts";

/** Wraps an I/O failure as `KvError("wal-io")`. */
export function ioError(what: string, err: unknown): KvError {
  const detail = err instanceof Error ? err.message : String(err);
  return new KvError("wal-io", `${what}: ${detail}`, { cause: err });
}

/** Writes all of `bytes` at `position` (pwrite, retried on short writes). */
export function pwriteAll(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.length) {
    done += fs.writeSync(fd, bytes, done, bytes.length - done, position + done);
  }
}

/** `fdatasync(fd)` on the thread pool. */
export function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    fs.fdatasync(fd, (err) => err ? reject(err) : resolve());
  });
}

function fsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    fs.fsync(fd, (err) => err ? reject(err) : resolve());
  });
}

/** Makes creations, renames and removals in `dir` durable: open it read-only and fsync it. */
export async function fsyncDir(dir: string): Promise<void> {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, "r");
    await fsync(fd);
  } catch (err: unknown) {
    throw ioError(`Cannot fsync WAL directory "${dir}"`, err);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Truncates the file at `path` to `length` bytes and fdatasyncs it. */
export async function truncateFile(path: string, length: number): Promise<void> {
  let fd: number | undefined;
  try {
    fd = fs.openSync(path, "r+");
    fs.ftruncateSync(fd, length);
    await fdatasync(fd);
  } catch (err: unknown) {
    throw ioError(`Cannot truncate WAL segment "${path}" to ${length} bytes`, err);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

const ZEROS = new Uint8Array(1024 * 1024);

/**
 * Creates `path` filled with `bytes` zero bytes and fdatasyncs it, with asynchronous writes so
 * the JS thread stays free. Writing real zeros (not a sparse `ftruncate`) allocates the blocks
 * now, so later appends and fdatasyncs change no file metadata.
 */
export async function createZeroFile(path: string, bytes: number): Promise<void> {
  const file = await fs.promises.open(path, "w");
  try {
    for (let pos = 0; pos < bytes; pos += ZEROS.length) {
      const n = Math.min(ZEROS.length, bytes - pos);
      let done = 0;
      while (done < n) {
        const { bytesWritten } = await file.write(ZEROS, done, n - done, pos + done);
        done += bytesWritten;
      }
    }
    await file.datasync();
  } finally {
    await file.close();
  }
}

/** Writes zeros over `[from, to)` (synchronously; used by rollback only). */
export function zeroRange(fd: number, from: number, to: number): void {
  for (let pos = from; pos < to; pos += ZEROS.length) {
    pwriteAll(fd, ZEROS.subarray(0, Math.min(ZEROS.length, to - pos)), pos);
  }
}
