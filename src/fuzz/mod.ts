/**
 * Fuzzing of every decoder T4 runs on bytes it did not produce itself in this process: WAL
 * frames, segment headers and entry payloads, directory and remote WAL replay, checkpoint
 * manifests, `manifest/latest` and branch entries, the leader-lock record, auth and lease rows,
 * engine log records, every etcd gRPC message and peer message, HPACK, gRPC message framing,
 * and whole HTTP/2 connections.
 *
 * ## The property
 *
 * For every input, a decoder returns a value or throws the error its target expects — its own
 * typed error (`WalCorruptError`, `ProtoDecodeError`, `CheckpointCorruptError`, an HTTP/2
 * `COMPRESSION_ERROR`…) or at least an `Error` of ours with a clear message. Never a raw
 * `TypeError`/`RangeError` from the runtime, never a non-`Error`, never more than a second,
 * never an allocation sized by a length field; and what it returns passes the target's round
 * trip (`decode(encode(x))`, re-encoding, re-reading after repair).
 *
 * ## Invariants of the harness
 *
 * - A run is a function of its seed: input `i` of seed `s` is always the same bytes, so every
 *   failure names how to run it again (`deno task fuzz --target T --seed S --inputs i+1`, or
 *   `--input <hex>`).
 * - Valid inputs come from the project's own encoders; mutations work on them and on inputs
 *   that decoded, so they reach past the first checks (checksums are repaired half the time).
 * - Targets run in a worker behind a watchdog ({@linkcode FuzzRunner}): a hang or a crash is
 *   reported with its input instead of stopping the run.
 *
 * `tests/fuzz_test.ts` runs every target for a few seconds in CI (`T4_FUZZ_SECONDS`);
 * `deno task fuzz --seconds N [--target name] [--seed S]` runs longer.
 *
 * @example Fuzz one target for 200 inputs
 * ```ts
 * import { findTarget, fuzzTarget } from "./mod.ts";
 * const report = await fuzzTarget(findTarget("wal-entry")!, { seed: 1, seconds: 10, inputs: 200 });
 * if (report.inputs !== 200 || report.failures.length !== 0) throw new Error("fuzz failed");
 * ```
 *
 * @module
 */

export {
  describeFailure,
  type FailureKind,
  type FuzzFailure,
  type FuzzOptions,
  type FuzzReport,
  type FuzzTarget,
  fuzzTarget,
  isClearError,
  settle,
  settleSync,
} from "./harness.ts";
export { BYTE_MUTATORS, mutateBytes, mutateJson, type Mutator } from "./mutate.ts";
export { Rng } from "./rng.ts";
export { FuzzRunner, type RunOptions } from "./runner.ts";
export { findTarget, TARGETS } from "./targets.ts";
