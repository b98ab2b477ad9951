/**
 * Local file helpers for checkpoints: full reads, SHA-256, directory fsync, and wrapping I/O
 * failures as `EngineError` (the files are engine files) naming the file.
 *
 * @module
 */

import { dirname } from "node:path";
import { EngineError } from "../errors.ts";
import { describeError } from "./errors.ts";

/** Wraps a local I/O failure: `<what>: <reason>`. */
export function fileError(what: string, err: unknown): EngineError {
  return new EngineError(`${what}: ${describeError(err)}`, 0, { cause: err });
}

/** Reads exactly `buf.length` bytes at the file's position; returns how many were there. */
export async function readFull(file: Deno.FsFile, buf: Uint8Array): Promise<number> {
  let done = 0;
  while (done < buf.length) {
    const n = await file.read(buf.subarray(done));
    if (n === null) break;
    done += n;
  }
  return done;
}

/** Writes all of `bytes` at the file's position. */
export async function writeFull(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) done += await file.write(bytes.subarray(done));
}

/** The lowercase hex SHA-256 of `bytes`. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>),
  );
  let hex = "";
  for (const b of digest) hex += b.toString(16).padStart(2, "0");
  return hex;
}

/** Fsyncs the directory holding `path`, so a rename into it survives a crash. */
export async function fsyncParent(path: string): Promise<void> {
  const dir = await Deno.open(dirname(path), { read: true });
  try {
    await dir.sync();
  } finally {
    dir.close();
  }
}

/** Removes `path` if it exists. */
export async function removeIfExists(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (err: unknown) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}
