/**
 * The fuzz harness: {@linkcode FuzzTarget} describes one decoder, {@linkcode fuzzTarget} feeds
 * it inputs for a bounded time and reports every input that broke the property.
 *
 * The property, for every input: the decoder returns a value or throws an error the target
 * expects (by default any `Error` subclass of our own with a message; a raw `TypeError`,
 * `RangeError` or `SyntaxError` from the runtime is a bug, since it reaches users as an
 * unexplained internal error). It never throws a non-`Error`, never takes longer than
 * `slowMs`, never allocates more than the target's budget (a length field of 4 GiB must not
 * become a 4 GiB buffer), and the target's own check (round trips, invariants) holds for what
 * it returns.
 *
 * Inputs, in order: the target's regression inputs, its valid corpus (made by the project's own
 * encoders), then a stream drawn from one seed: mostly mutations of the corpus and of inputs
 * that decoded (kept in a small pool, so mutations compound), some purely random bytes, some
 * inputs of the target's own shape. Input `i` of seed `s` is always the same bytes, so a report
 * names what to run again: `deno task fuzz --target T --seed S --inputs i+1`.
 *
 * @module
 */

import v8 from "node:v8";
import { mutateBytes, type Mutator } from "./mutate.ts";
import { Rng } from "./rng.ts";

/** One decoder under test. */
export interface FuzzTarget<T = unknown> {
  /** Short name: `wal-segment`, `grpc-requests`. */
  readonly name: string;
  /** What is fuzzed, in a line. */
  readonly description: string;
  /** Valid inputs, made by the project's own encoders. */
  corpus(rng: Rng): Uint8Array[];
  /** Runs the decoder; its time and allocations are measured. */
  decode(input: Uint8Array): T | Promise<T>;
  /** Whether `err`, thrown by `decode`, is a proper refusal. Default {@linkcode isClearError}. */
  expected?(err: unknown): boolean;
  /**
   * Checks what `decode` returned (round trips, invariants) and throws to report a bug; `valid`
   * is set for corpus inputs. Not measured.
   */
  check?(input: Uint8Array, value: T, valid: boolean): void | Promise<void>;
  /** Format-aware mutators, used besides the byte mutators. */
  readonly mutators?: Readonly<Record<string, Mutator>>;
  /** Repairs checksums and the like so mutations get past the first check (half the time). */
  fixup?(input: Uint8Array): Uint8Array;
  /** A random input of the target's own shape. */
  generate?(rng: Rng): Uint8Array;
  /** Inputs that once broke the property, run first on every run. */
  readonly regressions?: readonly Uint8Array[];
  /** Largest input generated; default 64 KiB. */
  readonly maxInputBytes?: number;
  /** Bytes one decode may allocate; default 16 MiB + 64 per input byte. */
  allocBudget?(input: Uint8Array): number;
  /** Runs before the first input (temporary directories). */
  setup?(): void | Promise<void>;
  /** Runs after the last input. */
  teardown?(): void | Promise<void>;
}

/** How an input broke the property. */
export type FailureKind =
  | "unexpected-error"
  | "non-error"
  | "slow"
  | "alloc"
  | "check"
  | "hang"
  | "crash";

/** One input that broke the property. */
export interface FuzzFailure {
  target: string;
  seed: number;
  /** Position in the run's input stream (regressions and corpus first). */
  index: number;
  kind: FailureKind;
  message: string;
  /** How the input was made: `corpus`, `random`, or the mutators applied. */
  how: string[];
  input: Uint8Array;
}

/** What one run of a target did. */
export interface FuzzReport {
  target: string;
  seed: number;
  /** Inputs run. */
  inputs: number;
  /** Inputs the decoder accepted (returned a value). */
  accepted: number;
  /** Inputs refused with an expected error. */
  refused: number;
  failures: FuzzFailure[];
  /** Wall time of the run. */
  ms: number;
  /** The slowest single input. */
  slowestMs: number;
  /** The largest allocation of a single input. */
  maxAllocBytes: number;
}

/** Options of {@linkcode fuzzTarget}. */
export interface FuzzOptions {
  seed: number;
  /** Time budget; the run stops at the first input after it. */
  seconds: number;
  /** Stop after this many inputs (reproduces a run exactly); default unlimited. */
  inputs?: number;
  /** An input slower than this is a failure; default 1000 ms. */
  slowMs?: number;
  /** Stop after this many failures; default 10. */
  maxFailures?: number;
  /** Run just this input (reproduces a failure from its printed hex). */
  only?: Uint8Array;
  /** Called once the corpus is ready, before the first input runs. */
  onStart?(): void;
  /** Called with every input before it runs (the hang watchdog records it). */
  onInput?(input: Uint8Array, index: number): void;
}

const NATIVE_ERRORS: readonly unknown[] = [
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
  AggregateError,
];

/** The longest message a refusal may have: a message quoting a whole hostile input is no clearer. */
export const MAX_MESSAGE_CHARS = 4096;

/**
 * Whether `err` is a refusal a user can act on: an `Error` of the project's own (not one of the
 * runtime's built-in error classes, which signal a bug such as an out-of-bounds `DataView`
 * read), with a message of reasonable length.
 */
export function isClearError(err: unknown): boolean {
  return err instanceof Error && !NATIVE_ERRORS.includes(err.constructor) &&
    err.message.length > 0 && err.message.length <= MAX_MESSAGE_CHARS;
}

/**
 * Runs `fn` and returns its value, or `undefined` when it throws an error `expected` accepts;
 * any other error is rethrown. For targets that try several decoders on one input.
 */
export async function settle<T>(
  fn: () => T | Promise<T>,
  expected: (err: unknown) => boolean = isClearError,
): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err: unknown) {
    if (expected(err)) return undefined;
    throw err;
  }
}

/** The synchronous form of {@linkcode settle}. */
export function settleSync<T>(
  fn: () => T,
  expected: (err: unknown) => boolean = isClearError,
): T | undefined {
  try {
    return fn();
  } catch (err: unknown) {
    if (expected(err)) return undefined;
    throw err;
  }
}

/** `bytes` as lowercase hex. */
export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/** Bytes of a hex string. */
export function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** A one-paragraph description of a failure, with what it takes to reproduce it. */
export function describeFailure(f: FuzzFailure, maxHexBytes = 512): string {
  const hex = toHex(f.input.subarray(0, maxHexBytes));
  const more = f.input.length > maxHexBytes ? `… (${f.input.length} bytes)` : "";
  return `${f.target}: ${f.kind} at input #${f.index} of seed ${f.seed} (${f.how.join(", ")}): ` +
    `${f.message}\n  input: ${hex}${more}\n  again: deno task fuzz --target ${f.target} ` +
    `--seed ${f.seed} --inputs ${f.index + 1}`;
}

function errorText(err: unknown): string {
  const cut = (s: string) => s.length > 800 ? `${s.slice(0, 800)}…` : s;
  if (err instanceof Error) {
    const frame = err.stack?.split("\n").find((l) => l.trim().startsWith("at "))?.trim();
    return `${err.name}: ${cut(err.message)}${frame ? ` (${frame})` : ""}`;
  }
  return `${typeof err} ${cut(String(err))}`;
}

function allocated(): number {
  const s = v8.getHeapStatistics() as unknown as {
    total_allocated_bytes?: number;
    external_memory?: number;
  };
  return (s.total_allocated_bytes ?? 0) + (s.external_memory ?? 0);
}

const POOL_SIZE = 512;

/** Runs `target` for the budget in `options`; never throws for a failing input. */
export async function fuzzTarget<T>(
  target: FuzzTarget<T>,
  options: FuzzOptions,
): Promise<FuzzReport> {
  const rng = new Rng(options.seed);
  const slowMs = options.slowMs ?? 1000;
  const maxFailures = options.maxFailures ?? 10;
  const maxBytes = target.maxInputBytes ?? 64 * 1024;
  const budget = target.allocBudget ??
    ((input: Uint8Array) => 16 * 1024 * 1024 + 64 * input.length);
  const expected = target.expected ?? isClearError;
  const report: FuzzReport = {
    target: target.name,
    seed: options.seed,
    inputs: 0,
    accepted: 0,
    refused: 0,
    failures: [],
    ms: 0,
    slowestMs: 0,
    maxAllocBytes: 0,
  };
  const fixed: { input: Uint8Array; how: string[]; valid: boolean }[] = [
    ...(target.regressions ?? []).map((input) => ({ input, how: ["regression"], valid: false })),
  ];
  const corpus = target.corpus(rng.fork());
  for (const input of corpus) fixed.push({ input, how: ["corpus"], valid: true });
  if (options.only) {
    fixed.splice(0, fixed.length, { input: options.only, how: ["given"], valid: false });
  }
  const limit = options.only ? 1 : options.inputs;
  const pool: Uint8Array[] = [];
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  await target.setup?.();
  options.onStart?.();
  try {
    for (let index = 0;; index++) {
      if (
        limit !== undefined ? index >= limit : index > 0 && performance.now() >= deadline
      ) break;
      if (report.failures.length >= maxFailures) break;
      const { input, how, valid } = index < fixed.length
        ? fixed[index]!
        : nextInput(target, rng, corpus, pool, maxBytes);
      options.onInput?.(input, index);
      report.inputs++;
      const fail = (kind: FailureKind, message: string) =>
        void report.failures.push({
          target: target.name,
          seed: options.seed,
          index,
          kind,
          message,
          how,
          input,
        });
      const a0 = allocated();
      const t0 = performance.now();
      let value: T;
      let ok = false;
      try {
        const r = target.decode(input);
        value = r instanceof Promise ? await r : r;
        ok = true;
      } catch (err: unknown) {
        if (!(err instanceof Error)) fail("non-error", `threw a non-Error: ${errorText(err)}`);
        else if (!expected(err)) fail("unexpected-error", `threw ${errorText(err)}`);
        else if (err.message.length > MAX_MESSAGE_CHARS) {
          fail("unexpected-error", `an error message of ${err.message.length} chars`);
        } else report.refused++;
      }
      const ms = performance.now() - t0;
      const bytes = allocated() - a0;
      if (ms > report.slowestMs) report.slowestMs = ms;
      if (bytes > report.maxAllocBytes) report.maxAllocBytes = bytes;
      if (ms > slowMs) fail("slow", `one input took ${ms.toFixed(0)} ms (limit ${slowMs} ms)`);
      const allowed = budget(input);
      if (bytes > allowed) {
        fail("alloc", `one input allocated ${mib(bytes)} (budget ${mib(allowed)})`);
      }
      if (!ok) continue;
      report.accepted++;
      try {
        await target.check?.(input, value!, valid);
      } catch (err: unknown) {
        fail("check", errorText(err));
        continue;
      }
      if (!valid && rng.chance(0.25)) {
        if (pool.length < POOL_SIZE) pool.push(input);
        else pool[rng.int(POOL_SIZE)] = input;
      }
    }
  } finally {
    await target.teardown?.();
  }
  report.ms = performance.now() - started;
  return report;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function nextInput<T>(
  target: FuzzTarget<T>,
  rng: Rng,
  corpus: readonly Uint8Array[],
  pool: readonly Uint8Array[],
  maxBytes: number,
): { input: Uint8Array; how: string[]; valid: boolean } {
  const r = rng.next();
  if (r < 0.06 || corpus.length === 0) {
    return { input: rng.bytes(rng.size(512)), how: ["random"], valid: false };
  }
  if (r < 0.14 && target.generate) {
    return { input: target.generate(rng), how: ["generated"], valid: false };
  }
  const fromPool = pool.length > 0 && rng.chance(0.4);
  const base = fromPool ? rng.pick(pool) : rng.pick(corpus);
  const material = pool.length > 0 && rng.chance(0.3) ? pool : corpus;
  const extra = target.mutators ? Object.keys(target.mutators) : [];
  let mutated: { bytes: Uint8Array; how: string[] };
  if (extra.length > 0 && rng.chance(0.5)) {
    // A format-aware mutation, sometimes followed by a byte mutation.
    const name = rng.pick(extra);
    let bytes = target.mutators![name]!(base, rng, material);
    if (bytes.length > maxBytes) bytes = bytes.slice(0, maxBytes);
    mutated = { bytes, how: [name] };
    if (rng.chance(0.2)) {
      const more = mutateBytes(bytes, rng, material, maxBytes);
      mutated = { bytes: more.bytes, how: [name, ...more.how] };
    }
  } else mutated = mutateBytes(base, rng, material, maxBytes);
  const { bytes, how } = mutated;
  how.unshift(fromPool ? "pool" : "corpus");
  if (target.fixup && rng.chance(0.5)) {
    how.push("fixup");
    return { input: target.fixup(bytes), how, valid: false };
  }
  return { input: bytes, how, valid: false };
}
