/**
 * The worker {@linkcode FuzzRunner} runs targets in: it fuzzes one target per request and
 * records every input in shared memory before running it, so that the runner can name the
 * input when the worker hangs or crashes.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { type FuzzTarget, fuzzTarget } from "./harness.ts";
import type { WorkerReply, WorkerRequest } from "./runner.ts";

self.onmessage = async (e: MessageEvent<WorkerRequest>) => {
  const { module, target: name, options, shared } = e.data;
  const { TARGETS } = await import(module) as { TARGETS: readonly FuzzTarget<unknown>[] };
  const target = TARGETS.find((t) => t.name === name);
  if (!target) {
    self.postMessage(
      { type: "error", message: `no fuzz target named "${name}"` } satisfies WorkerReply,
    );
    return;
  }
  const header = new Int32Array(shared, 0, 3);
  const bytes = new Uint8Array(shared, 12);
  try {
    const report = await fuzzTarget(target, {
      ...options,
      onStart: () => self.postMessage({ type: "started" } satisfies WorkerReply),
      onInput(input, index) {
        const n = Math.min(input.length, bytes.length);
        bytes.set(input.subarray(0, n));
        Atomics.store(header, 1, index);
        Atomics.store(header, 2, n);
        Atomics.add(header, 0, 1);
      },
    });
    self.postMessage({ type: "report", report } satisfies WorkerReply);
  } catch (err: unknown) {
    const message = err instanceof Error ? `${err.message}\n${err.stack ?? ""}` : String(err);
    self.postMessage({ type: "error", message } satisfies WorkerReply);
  }
};
