/**
 * Targets with known bugs, for the harness's own tests: each breaks the property in one way
 * on the input `[n]`, so a test can check that the harness (or the runner) reports it.
 *
 * @module
 */

import type { FuzzTarget } from "./harness.ts";

/** Input `[1]`: TypeError; `[2]`: a thrown string; `[3]`: a failed check; `[4]`: slow (40 ms);
 * `[5]`: a 1 GiB allocation; `[6]`: a clear error (a proper refusal); anything else: accepted. */
export const buggyTarget: FuzzTarget<number> = {
  name: "buggy",
  description: "a decoder with one bug per input byte",
  corpus: () => [1, 2, 3, 4, 5, 6, 0].map((n) => new Uint8Array([n])),
  decode(input) {
    const n = input[0] ?? 0;
    if (n === 1) return (undefined as unknown as { x: number }).x;
    if (n === 2) throw "a string";
    if (n === 4) {
      const end = performance.now() + 40;
      while (performance.now() < end) { /* spin */ }
    }
    if (n === 5) return new Uint8Array(2 ** 30).length;
    if (n === 6) throw new Error("Cannot decode: byte 6 is refused");
    return n;
  },
  check(_input, n) {
    if (n === 3) throw new Error("round trip differs");
  },
};

/**
 * Spins for 3 s on `[255]`: a hang to a watchdog with a shorter limit. (Not forever: Deno
 * cannot stop a worker that spins, and the test process would keep the thread busy.)
 */
export const hangingTarget: FuzzTarget<number> = {
  name: "hanging",
  description: "a decoder that does not return on one input",
  corpus: () => [0, 1, 255, 2].map((n) => new Uint8Array([n])),
  decode(input) {
    const end = performance.now() + 3000;
    while (input[0] === 255 && performance.now() < end) { /* spin */ }
    return input[0] ?? 0;
  },
};

/** Kills its isolate on `[254]`: an exception thrown from a timer, outside any decode call. */
export const crashingTarget: FuzzTarget<number> = {
  name: "crashing",
  description: "a decoder that leaves an uncaught error behind",
  corpus: () => [0, 254, 1].map((n) => new Uint8Array([n])),
  async decode(input) {
    if (input[0] === 254) {
      setTimeout(() => {
        throw new Error("uncaught in a timer");
      }, 0);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return input[0] ?? 0;
  },
};

/** The targets above, as the runner's `targets` module. */
export const TARGETS: readonly FuzzTarget<unknown>[] = [buggyTarget, hangingTarget, crashingTarget];
