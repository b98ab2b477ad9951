/**
 * Small assertion helpers for tests (JSR's `@std/assert` cannot be reached from our machines).
 *
 * @module
 */

/** An assertion failed. */
export class AssertionError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "AssertionError";
  }
}

function fmt(v: unknown): string {
  return Deno.inspect(v, { depth: 8, iterableLimit: 200, strAbbreviateSize: 400 });
}

/** Structural equality: arrays, plain objects, typed arrays, Maps, Sets, bigints, NaN. */
export function equal(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) {
    const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    if (x.length !== y.length || a.constructor !== b.constructor) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    return true;
  }
  if (a instanceof Map && b instanceof Map) {
    if (a.size !== b.size) return false;
    for (const [k, v] of a) if (!b.has(k) || !equal(v, b.get(k))) return false;
    return true;
  }
  if (a instanceof Set && b instanceof Set) {
    if (a.size !== b.size) return false;
    for (const v of a) if (!b.has(v)) return false;
    return true;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!equal((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/** Throws unless `cond` is truthy. */
export function assert(cond: unknown, message = "assertion failed"): asserts cond {
  if (!cond) throw new AssertionError(message);
}

/** Throws unless `actual` structurally equals `expected`. */
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  if (!equal(actual, expected)) {
    throw new AssertionError(
      `${message ? message + ": " : ""}values are not equal\n  actual:   ${
        fmt(actual)
      }\n  expected: ${fmt(expected)}`,
    );
  }
}

/** Throws if `actual` structurally equals `unexpected`. */
export function assertNotEquals<T>(actual: T, unexpected: T, message?: string): void {
  if (equal(actual, unexpected)) {
    throw new AssertionError(`${message ? message + ": " : ""}values are equal: ${fmt(actual)}`);
  }
}

/** Throws unless `text` matches `re`. */
export function assertMatch(text: string, re: RegExp, message?: string): void {
  if (!re.test(text)) {
    throw new AssertionError(`${message ? message + ": " : ""}${fmt(text)} does not match ${re}`);
  }
}

type ErrorClass = abstract new (...args: never[]) => Error;

function checkError(err: unknown, cls?: ErrorClass, includes?: string): Error {
  if (!(err instanceof Error)) throw new AssertionError(`expected an Error, got ${fmt(err)}`);
  if (cls && !(err instanceof cls)) {
    const e: Error = err;
    throw new AssertionError(`expected ${cls.name}, got ${e.name}: ${e.message}`);
  }
  if (includes && !err.message.includes(includes)) {
    throw new AssertionError(
      `expected message to include ${fmt(includes)}, got ${fmt(err.message)}`,
    );
  }
  return err;
}

/** Calls `fn` and returns the Error it throws; fails if it does not throw. */
export function assertThrows<E extends Error = Error>(
  fn: () => unknown,
  cls?: abstract new (...args: never[]) => E,
  includes?: string,
): E {
  try {
    fn();
  } catch (err: unknown) {
    return checkError(err, cls, includes) as E;
  }
  throw new AssertionError("expected the function to throw");
}

/** Awaits `fn` and returns the Error it rejects with; fails if it resolves. */
export async function assertRejects<E extends Error = Error>(
  fn: () => Promise<unknown>,
  cls?: abstract new (...args: never[]) => E,
  includes?: string,
): Promise<E> {
  try {
    await fn();
  } catch (err: unknown) {
    return checkError(err, cls as ErrorClass | undefined, includes) as E;
  }
  throw new AssertionError("expected the promise to reject");
}
