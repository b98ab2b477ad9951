/**
 * File-system helpers for `LocalDirObjectStore`: the key → file name encoding, durable temp
 * files, directory fsync and the per-key lock that serializes writers across processes.
 *
 * ## File names
 *
 * Each key segment becomes one path component: its UTF-8 bytes, with every byte outside
 * `[A-Za-z0-9_.-]` (and a leading `.`) written as `%XX`. So `wal/0000000001/00…1` stays
 * readable, no component is ever `.`, `..` or starts with `.`, and the store's own entries
 * (`.tmp/`, `.locks/`, which start with `.`) can never collide with an object.
 *
 * @module
 */

import { compareKeys } from "./keys.ts";
import type { ListedObject } from "./object_store.ts";

const encoder = new TextEncoder();

/** The longest path component most file systems accept, in bytes. */
export const MAX_NAME_BYTES = 255;

function isSafeByte(b: number, first: boolean): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) ||
    b === 0x2d || b === 0x5f || (b === 0x2e && !first);
}

/** Encodes one key segment as a file name (see the module doc). */
export function encodeSegment(segment: string): string {
  let name = "";
  const bytes = encoder.encode(segment);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    const hex = b.toString(16).toUpperCase().padStart(2, "0");
    name += isSafeByte(b, i === 0) ? String.fromCharCode(b) : `%${hex}`;
  }
  return name;
}

/** Decodes a file name made by {@linkcode encodeSegment}; `undefined` for any other name. */
export function decodeSegment(name: string): string | undefined {
  try {
    const segment = decodeURIComponent(name);
    return encodeSegment(segment) === name ? segment : undefined;
  } catch {
    return undefined; // malformed %-escapes or UTF-8: not one of ours
  }
}

/** Writes `data` to a new file at `path` and fsyncs it; removes the file if that fails. */
export async function writeDurably(path: string, data: Uint8Array): Promise<void> {
  const file = await Deno.open(path, { createNew: true, write: true });
  try {
    for (let done = 0; done < data.length;) done += await file.write(data.subarray(done));
    await file.sync();
  } catch (err: unknown) {
    file.close();
    await Deno.remove(path).catch(() => {});
    throw err;
  }
  file.close();
}

/** Fsyncs a directory, so that a rename or link into it survives a crash. */
export async function syncDir(path: string): Promise<void> {
  const dir = await Deno.open(path, { read: true });
  try {
    await dir.sync();
  } finally {
    dir.close();
  }
}

/** Removes a file; a missing file is fine. */
export async function removeIfExists(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (err: unknown) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}

/** The number of lock files; keys hash onto them. */
const LOCK_STRIPES = 64;

function stripeOf(key: string): number {
  let hash = 0x811c9dc5; // FNV-1a over UTF-16 code units
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % LOCK_STRIPES;
}

/**
 * Exclusive per-key locks that hold across processes on one machine: `flock` on one of 64 lock
 * files in `dir`, chosen by a hash of the key. Within a process, callers of one stripe also
 * queue in a promise chain, so only one of them waits in the kernel at a time.
 */
export class KeyLocks {
  #dir: string;
  #queues = new Map<number, Promise<void>>();

  /** Creates the locks; `dir` must exist. */
  constructor(dir: string) {
    this.#dir = dir;
  }

  /** Runs `fn` while holding the lock for `key`. */
  async with<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const stripe = stripeOf(key);
    const previous = this.#queues.get(stripe) ?? Promise.resolve();
    let release = () => {};
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.#queues.set(stripe, tail);
    await previous;
    try {
      const path = `${this.#dir}/${stripe.toString(16).padStart(2, "0")}`;
      using file = await Deno.open(path, { create: true, write: true });
      await file.lock(true); // released when the file closes
      return await fn();
    } finally {
      release();
      if (this.#queues.get(stripe) === tail) this.#queues.delete(stripe);
    }
  }
}

/** Runs `fn` on every item, at most `limit` at a time; rejects with the first failure. */
export async function forEachLimited<T>(
  items: readonly T[],
  fn: (item: T) => Promise<void>,
  { limit }: { limit: number },
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Errors that mean "no file there": missing, a directory, or a file where a directory is. */
export function isMissing(err: unknown): boolean {
  return err instanceof Deno.errors.NotFound || err instanceof Deno.errors.IsADirectory ||
    err instanceof Deno.errors.NotADirectory;
}

/** Removes the files in `dir` last modified more than `ageMs` ago. */
export async function removeOldFiles(dir: string, ageMs: number): Promise<void> {
  const now = Date.now();
  for await (const entry of Deno.readDir(dir)) {
    const info = await Deno.lstat(`${dir}/${entry.name}`).catch(() => undefined);
    if (info?.isFile && info.mtime && now - info.mtime.getTime() > ageMs) {
      await removeIfExists(`${dir}/${entry.name}`);
    }
  }
}

/**
 * Every object file under `dir` (the directory of key prefix `dirKey`: `""` or ending in `/`)
 * whose key starts with `prefix` and sorts after `startAfter`, unsorted. Descends only into
 * directories that can hold such keys; skips names that no key encodes to.
 */
export async function walkKeys(
  dir: string,
  filter: { dirKey: string; prefix: string; startAfter?: string | undefined },
): Promise<ListedObject[]> {
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch (err: unknown) {
    if (isMissing(err)) return [];
    throw err;
  }
  const { dirKey, prefix, startAfter } = filter;
  const out: ListedObject[] = [];
  for (const entry of entries) {
    const segment = entry.name.startsWith(".") ? undefined : decodeSegment(entry.name);
    if (segment === undefined) continue;
    const key = dirKey + segment;
    if (entry.isDirectory) {
      const sub = key + "/";
      if (sub.startsWith(prefix) || prefix.startsWith(sub)) {
        out.push(...await walkKeys(`${dir}/${entry.name}`, { ...filter, dirKey: sub }));
      }
    } else if (entry.isFile && key.startsWith(prefix)) {
      if (startAfter !== undefined && compareKeys(key, startAfter) <= 0) continue;
      const info = await Deno.lstat(`${dir}/${entry.name}`).catch(() => undefined);
      if (info !== undefined) out.push({ key, size: info.size });
    }
  }
  return out;
}
