/**
 * {@linkcode FuzzRunner}: runs fuzz targets in a worker with a watchdog. A decoder that hangs
 * cannot be interrupted from its own thread, and one that crashes the isolate takes the harness
 * with it; from outside, the runner sees the worker make no progress for `hangMs` (or die),
 * terminates it, reports the input it was stuck on, and starts a fresh worker for the next run.
 *
 * Deno cannot stop a worker thread that spins in a loop: after a real hang its thread keeps a
 * CPU busy until the process exits (`deno task fuzz` exits explicitly; a test process ends).
 *
 * @module
 */

import type { FuzzFailure, FuzzOptions, FuzzReport } from "./harness.ts";

/** What the runner asks the worker. */
export interface WorkerRequest {
  /** URL of the module whose `TARGETS` holds the target. */
  module: string;
  target: string;
  options: Omit<FuzzOptions, "onInput">;
  /** `[ticks, index, length]` as Int32, then the input being run. */
  shared: SharedArrayBuffer;
}

/** What the worker answers. */
export type WorkerReply =
  | { type: "started" }
  | { type: "report"; report: FuzzReport }
  | { type: "error"; message: string };

/** Options of {@linkcode FuzzRunner.run}. */
export interface RunOptions extends Omit<FuzzOptions, "onInput"> {
  /** No progress for this long is a hang; default 10 s. */
  hangMs?: number;
  /** How long the worker may take to load and build the corpus; default 120 s. */
  startMs?: number;
}

const SHARED_INPUT_BYTES = 256 * 1024;

/** Runs targets in a worker; dispose it to stop the worker. */
export class FuzzRunner implements Disposable {
  readonly #module: string;
  #worker: Worker | undefined;
  readonly #shared = new SharedArrayBuffer(12 + SHARED_INPUT_BYTES);
  readonly #header = new Int32Array(this.#shared, 0, 3);

  /** Runs the targets of `targets.ts`, or of the module at `options.targets` (tests). */
  constructor(options: { targets?: URL } = {}) {
    this.#module = (options.targets ?? new URL("./targets.ts", import.meta.url)).href;
  }

  /** Fuzzes `target` with `options`; a hang or crash comes back as a failure in the report. */
  run(target: string, options: RunOptions): Promise<FuzzReport> {
    const worker = this.#worker ??= new Worker(new URL("./_worker.ts", import.meta.url), {
      type: "module",
    });
    const hangMs = options.hangMs ?? 10_000;
    const startMs = options.startMs ?? 120_000;
    const { hangMs: _h, startMs: _s, ...fuzzOptions } = options;
    const started = performance.now();
    return new Promise<FuzzReport>((resolve, reject) => {
      let ticks = Atomics.load(this.#header, 0);
      let progressAt = performance.now();
      let running = false;
      const lost = (kind: FuzzFailure["kind"], message: string) => {
        this.#stop();
        const length = Atomics.load(this.#header, 2);
        const failure: FuzzFailure = {
          target,
          seed: options.seed,
          index: Atomics.load(this.#header, 1),
          kind,
          message,
          how: ["see --seed and --inputs"],
          input: new Uint8Array(this.#shared, 12, length).slice(),
        };
        resolve({
          target,
          seed: options.seed,
          inputs: failure.index + 1,
          accepted: 0,
          refused: 0,
          failures: [failure],
          ms: performance.now() - started,
          slowestMs: 0,
          maxAllocBytes: 0,
        });
      };
      const watchdog = setInterval(() => {
        const now = Atomics.load(this.#header, 0);
        if (now !== ticks) {
          ticks = now;
          progressAt = performance.now();
        } else if (running && performance.now() - progressAt > hangMs) {
          done();
          lost("hang", `no progress for ${hangMs} ms: the decoder hangs on this input`);
        } else if (!running && performance.now() - progressAt > startMs) {
          done();
          lost("crash", `the worker did not start fuzzing within ${startMs} ms`);
        }
      }, 100);
      const done = () => {
        clearInterval(watchdog);
        worker.onmessage = null;
        worker.onerror = null;
      };
      worker.onmessage = (e: MessageEvent<WorkerReply>) => {
        if (e.data.type === "started") {
          running = true;
          progressAt = performance.now();
          return;
        }
        done();
        if (e.data.type === "report") resolve(e.data.report);
        else reject(new Error(`Cannot fuzz ${target}: ${e.data.message}`));
      };
      worker.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        done();
        lost("crash", `the worker died: ${e.message}`);
      };
      worker.postMessage(
        {
          module: this.#module,
          target,
          options: fuzzOptions,
          shared: this.#shared,
        } satisfies WorkerRequest,
      );
    });
  }

  #stop(): void {
    this.#worker?.terminate();
    this.#worker = undefined;
  }

  /** Terminates the worker. */
  [Symbol.dispose](): void {
    this.#stop();
  }
}
