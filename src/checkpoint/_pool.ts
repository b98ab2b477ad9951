/**
 * Bounded concurrency for object-store calls: a pool that runs at most `limit` tasks at once,
 * and `mapLimit` on top of it.
 *
 * @module
 */

/** The default number of object-store calls in flight. */
export const DEFAULT_CONCURRENCY = 4;

/**
 * Runs tasks with at most `limit` in flight. `run()` waits for a free slot, so a producer that
 * awaits it never holds more than `limit` pending tasks (and their buffers). The first failure
 * is kept and rethrown by `run()` and `drain()`; later tasks are not started.
 */
export class TaskPool {
  readonly #limit: number;
  readonly #running = new Set<Promise<void>>();
  #failed: { error: unknown } | undefined;

  /** Creates a pool; `limit` is clamped to at least 1. */
  constructor(limit: number) {
    this.#limit = Math.max(1, Math.floor(limit) || 1);
  }

  /** Starts `task` once a slot is free; throws the first failure of an earlier task. */
  async run(task: () => Promise<void>): Promise<void> {
    while (this.#running.size >= this.#limit) await Promise.race(this.#running);
    this.#throwIfFailed();
    const p: Promise<void> = task().then(
      () => {
        this.#running.delete(p);
      },
      (error: unknown) => {
        this.#running.delete(p);
        this.#failed ??= { error };
      },
    );
    this.#running.add(p);
  }

  /** Waits for every started task; throws the first failure. */
  async drain(): Promise<void> {
    while (this.#running.size > 0) await Promise.race(this.#running);
    this.#throwIfFailed();
  }

  /** Waits for every started task and ignores failures (for clean-up after an error). */
  async settle(): Promise<void> {
    while (this.#running.size > 0) await Promise.race(this.#running);
  }

  #throwIfFailed(): void {
    if (this.#failed) throw this.#failed.error;
  }
}

/** `items.map(fn)` with at most `limit` calls in flight; results keep the order of `items`. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  const pool = new TaskPool(limit);
  try {
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as T;
      await pool.run(async () => {
        results[i] = await fn(item, i);
      });
    }
    await pool.drain();
  } finally {
    await pool.settle();
  }
  return results;
}
