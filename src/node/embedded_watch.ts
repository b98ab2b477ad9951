/**
 * {@linkcode Watch}: a watcher of the embedded API as an async iterable of event batches.
 *
 * Memory stays bounded: when the consumer falls `maxQueuedBatches` behind, the watcher pauses
 * (the hub stops sending) and resumes from the log once the consumer has drained the queue, so
 * a slow consumer never loses or reorders events.
 *
 * @module
 */

import type { Kv, Watcher, WatchEvent as MvccEvent, WatchHub } from "../mvcc/mod.ts";
import type { KeySpan, KeyValue } from "./embedded.ts";

/** Options of `Store.watch`. */
export interface WatchOptions extends KeySpan {
  /** First revision to deliver (history replay); absent: only new writes. */
  startRevision?: number;
  /** Include the previous key-value with each event. */
  prevKv?: boolean;
  /** Leave out put events. */
  noPut?: boolean;
  /** Leave out delete events. */
  noDelete?: boolean;
  /** Batches queued for a slow consumer before the watcher pauses; default 1024. */
  maxQueuedBatches?: number;
}

/** One event (etcd's `mvccpb.Event`). */
export interface WatchEvent {
  type: "put" | "delete";
  kv: KeyValue;
  prevKv?: KeyValue;
}

/** Events of one or more whole revisions, in order. */
export interface WatchBatch {
  /** The store revision when the batch was sent. */
  revision: number;
  events: WatchEvent[];
}

function bytes(key: string): Uint8Array {
  const out = new Uint8Array(key.length);
  for (let i = 0; i < key.length; i++) out[i] = key.charCodeAt(i);
  return out;
}

function keyValue(kv: Kv): KeyValue {
  return { ...kv, key: bytes(kv.key) };
}

function event(e: MvccEvent): WatchEvent {
  const out: WatchEvent = { type: e.type, kv: keyValue(e.kv) };
  if (e.prevKv) out.prevKv = keyValue(e.prevKv);
  return out;
}

/** A watcher; iterate it with `for await`, stop it with `cancel()`. */
export class Watch implements AsyncIterable<WatchBatch>, Disposable {
  readonly #hub: WatchHub;
  readonly #watcher: Watcher;
  readonly #max: number;
  #queue: WatchBatch[] = [];
  #wake: (() => void) | undefined;
  #ended = false;
  #reason: string | undefined;
  #compactRevision = 0;

  /** Use `Store.watch`. */
  constructor(hub: WatchHub, key: string, rangeEnd: string | undefined, options: WatchOptions) {
    this.#hub = hub;
    this.#max = options.maxQueuedBatches ?? 1024;
    const spec: Parameters<WatchHub["watch"]>[0] = { key };
    if (rangeEnd !== undefined) spec.rangeEnd = rangeEnd;
    if (options.startRevision !== undefined) spec.startRevision = options.startRevision;
    if (options.prevKv) spec.prevKv = true;
    if (options.noPut) spec.noPut = true;
    if (options.noDelete) spec.noDelete = true;
    this.#watcher = hub.watch(spec, {
      send: (events, revision) => {
        this.#queue.push({ revision, events: events.map(event) });
        this.#notify();
        return this.#queue.length < this.#max;
      },
      cancel: (reason, compactRevision) => {
        this.#reason = reason;
        this.#compactRevision = compactRevision;
        this.#end();
      },
    });
  }

  /** Why the store cancelled the watch (history compacted), if it did. */
  get cancelReason(): string | undefined {
    return this.#reason;
  }

  /** The compact revision reported with a compaction cancel. */
  get compactRevision(): number {
    return this.#compactRevision;
  }

  /** Stops the watch; iteration ends after the batches already queued. */
  cancel(): void {
    this.#hub.cancel(this.#watcher);
    this.#end();
  }

  /** Same as {@linkcode Watch.cancel}. */
  [Symbol.dispose](): void {
    this.cancel();
  }

  #end(): void {
    this.#ended = true;
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<WatchBatch> {
    try {
      for (;;) {
        const batch = this.#queue.shift();
        if (batch) {
          if (this.#queue.length === 0) this.#hub.resume(this.#watcher);
          yield batch;
          continue;
        }
        if (this.#ended) return;
        await new Promise<void>((resolve) => (this.#wake = resolve));
      }
    } finally {
      if (!this.#ended) this.cancel();
    }
  }
}
