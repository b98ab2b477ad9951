/**
 * Test helpers: a node stand-in over a real `MvccStore` on the in-memory backend, with the
 * commit pipeline's batch rules (jobs queued together share one batch; a job's request error
 * rejects it alone; an aborted batch undoes everything), and a fake clock.
 *
 * @module
 */

import { KvError } from "../errors.ts";
import { Logger } from "../log.ts";
import { MemoryBackend, MvccStore } from "../mvcc/mod.ts";
import type { AuthNode } from "./login.ts";
import type { MetaWriter } from "./state.ts";

interface Pending {
  job: (store: MetaWriter) => unknown;
  resolve: (v: unknown) => void;
  reject: (err: unknown) => void;
}

/** A node stand-in; see the module doc. */
export class FakeNode implements AuthNode {
  readonly backend: MemoryBackend;
  readonly store: MvccStore;
  #queue: Pending[] = [];
  #scheduled = false;
  /** When set, the next batch is aborted after its jobs ran (an fsync failure). */
  failNextBatch = false;

  constructor(backend = new MemoryBackend()) {
    this.backend = backend;
    this.store = MvccStore.open(backend);
  }

  submit<T>(job: (store: MetaWriter) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ job, resolve: resolve as (v: unknown) => void, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setTimeout(() => this.#run(), 0);
      }
    });
  }

  #run(): void {
    this.#scheduled = false;
    const jobs = this.#queue.splice(0);
    const results: { ok: boolean; value: unknown }[] = [];
    this.store.beginBatch();
    for (const p of jobs) {
      try {
        results.push({ ok: true, value: p.job(this.store) });
      } catch (err: unknown) {
        if (!(err instanceof KvError)) throw err;
        results.push({ ok: false, value: err });
      }
    }
    if (this.failNextBatch) {
      this.failNextBatch = false;
      this.store.abortBatch();
      for (const p of jobs) p.reject(new Error("batch aborted"));
      return;
    }
    this.store.commitBatch();
    jobs.forEach((p, i) => {
      const r = results[i]!;
      if (r.ok) p.resolve(r.value);
      else p.reject(r.value);
    });
  }
}

/** A settable wall clock. */
export class FakeClock {
  t = 1_700_000_000_000;
  readonly now = (): number => this.t;
}

/** A logger that keeps its lines. */
export function memoryLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: new Logger({ level: "debug", sink: (l) => lines.push(l) }), lines };
}
