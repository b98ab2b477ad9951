/**
 * Helpers for the engine's tests and benchmarks.
 *
 * @module
 */

/** A temporary directory, removed with everything in it on disposal. */
export interface TempDir extends AsyncDisposable {
  /** The directory's path. */
  readonly path: string;
}

/** Creates a temporary directory for `await using`. */
export async function makeTempDir(prefix = "t4_engine_"): Promise<TempDir> {
  const path = await Deno.makeTempDir({ prefix });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true });
    },
  };
}

/** A 12-byte revision key: `main` as 8 bytes and `sub` as 4 bytes, both big-endian. */
export function revisionKey(main: number, sub = 0): Uint8Array {
  const key = new Uint8Array(12);
  const view = new DataView(key.buffer);
  view.setUint32(0, Math.floor(main / 2 ** 32));
  view.setUint32(4, main >>> 0);
  view.setUint32(8, sub);
  return key;
}

/** Reads the `main` part of a revision key. */
export function revisionMain(key: Uint8Array): number {
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
  return view.getUint32(0) * 2 ** 32 + view.getUint32(4);
}

/** `length` bytes that depend on `seed`, so a test can recompute what it wrote. */
export function valueFor(seed: number, length: number): Uint8Array {
  const value = new Uint8Array(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    value[i] = x & 0xff;
  }
  return value;
}

const encoder = new TextEncoder();

/** UTF-8 bytes of `text`. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Returns what `fn` throws; fails if it returns. */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err: unknown) {
    return err;
  }
  throw new Error("Expected the call to throw");
}
