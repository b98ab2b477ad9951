/**
 * {@linkcode ConnectionWriter}: a connection's send side — the output buffer, its single
 * in-flight socket write, the connection send window, and the streams waiting for room.
 *
 * Writes coalesce: frames are appended to an {@linkcode OutBuffer}, and the first append of an
 * event-loop turn queues a microtask that hands the whole buffer to one `conn.write`. While that
 * write is in flight, appends go to a second buffer, written as soon as the first completes, so
 * under load each socket write carries everything produced meanwhile.
 *
 * Backpressure: DATA never exceeds the peer's windows, and streams stop moving DATA into the
 * buffer once it holds {@linkcode HIGH_WATER} bytes not yet written; such streams wait in
 * `blocked` and are pumped again when a write completes or a WINDOW_UPDATE arrives. Senders told
 * to wait (`StreamCall.write` returned false) wait in `drainWaiting` and get `drained()` when
 * their stream and the buffer have room again.
 *
 * @module
 */

import { DEFAULT_MAX_FRAME, DEFAULT_WINDOW } from "./frame.ts";
import { TABLE_SIZE_ZERO } from "./grpc_framing.ts";
import { HIGH_WATER } from "./limits.ts";
import { OutBuffer } from "./out_buffer.ts";
import type { H2Stream, StreamOwner } from "./stream.ts";

/** The send side of one connection. */
export class ConnectionWriter implements StreamOwner {
  readonly #conn: Deno.Conn;
  readonly #onClosed: (stream: H2Stream) => void;
  #out = new OutBuffer();
  #spare = new OutBuffer();
  #inflight = 0;
  #writing = false;
  #queued = false;
  #done = false;
  #firstBlock = true;
  #idleWaiters: (() => void)[] = [];
  readonly #blocked = new Set<H2Stream>();
  readonly #drainWaiting = new Set<H2Stream>();
  /** The connection's send window. */
  sendWindow: number = DEFAULT_WINDOW;
  /** The peer's SETTINGS_MAX_FRAME_SIZE. */
  peerMaxFrame: number = DEFAULT_MAX_FRAME;
  /** Called when a socket write fails (the connection is gone). */
  onWriteError: (err: unknown) => void = () => {};

  /** Creates the writer; `onClosed` removes a closed stream from the connection. */
  constructor(conn: Deno.Conn, onClosed: (stream: H2Stream) => void) {
    this.#conn = conn;
    this.#onClosed = onClosed;
  }

  /** The buffer to append frames to (call `scheduleFlush` after). */
  get out(): OutBuffer {
    return this.#out;
  }

  /** Output bytes not yet written to the socket. */
  get pendingBytes(): number {
    return this.#out.length + this.#inflight;
  }

  /** Whether streams should stop adding DATA. */
  get outFull(): boolean {
    return this.#out.length + this.#inflight >= HIGH_WATER;
  }

  /** Writes a header block, opening the connection's first one with a table size update. */
  writeHeaders(streamId: number, flags: number, block: Uint8Array): void {
    if (this.#firstBlock) {
      this.#firstBlock = false;
      const first = new Uint8Array(block.length + 1);
      first.set(TABLE_SIZE_ZERO);
      first.set(block, 1);
      block = first;
    }
    this.#out.headerBlock(streamId, flags, block, this.peerMaxFrame);
    this.scheduleFlush();
  }

  /** Queues the flush of this turn's output. */
  scheduleFlush(): void {
    if (this.#queued || this.#writing || this.#done) return;
    this.#queued = true;
    queueMicrotask(this.#flushTask);
  }

  readonly #flushTask = (): void => {
    this.#queued = false;
    void this.#flush();
  };

  blocked(stream: H2Stream): void {
    this.#blocked.add(stream);
  }

  wantsDrain(stream: H2Stream): void {
    this.#drainWaiting.add(stream);
  }

  closed(stream: H2Stream): void {
    this.#blocked.delete(stream);
    this.#drainWaiting.delete(stream);
    this.#onClosed(stream);
  }

  /** Pumps waiting streams (after a window grew), then tells waiting senders with room. */
  pumpAll(): void {
    if (this.#blocked.size > 0 && !this.outFull) {
      const streams = [...this.#blocked];
      this.#blocked.clear();
      for (const s of streams) s.pump();
    }
    if (this.#drainWaiting.size > 0 && !this.outFull) {
      for (const s of [...this.#drainWaiting]) {
        if (s.full) continue;
        this.#drainWaiting.delete(s);
        s.listener.drained();
      }
    }
  }

  /** A stream's own window grew: pump just that stream, and tell its sender if it has room. */
  pumpStream(stream: H2Stream): void {
    stream.pump();
    if (this.#drainWaiting.has(stream) && !stream.full) {
      this.#drainWaiting.delete(stream);
      stream.listener.drained();
    }
  }

  /**
   * Resolves once everything appended so far is written, the socket failed, or `ms` passed (a
   * peer that does not read must not hold a close up).
   */
  idle(ms: number): Promise<void> {
    if (this.#done || (!this.#writing && this.#out.length === 0)) return Promise.resolve();
    this.scheduleFlush();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Stops writing for good (the socket is closing). */
  stop(): void {
    this.#done = true;
    this.#blocked.clear();
    this.#drainWaiting.clear();
    this.#wakeIdle();
  }

  async #flush(): Promise<void> {
    if (this.#writing) return;
    this.#writing = true;
    try {
      while (this.#out.length > 0 && !this.#done) {
        const buf = this.#out;
        this.#out = this.#spare;
        this.#spare = buf;
        let view = buf.view();
        this.#inflight = view.length;
        while (view.length > 0) {
          const n = await this.#conn.write(view);
          view = view.subarray(n);
          this.#inflight = view.length;
        }
        buf.reset();
        this.pumpAll();
      }
    } catch (err: unknown) {
      this.#inflight = 0;
      this.stop();
      this.onWriteError(err);
    } finally {
      this.#writing = false;
    }
    if (this.#out.length === 0) this.#wakeIdle();
  }

  #wakeIdle(): void {
    const waiters = this.#idleWaiters;
    if (waiters.length === 0) return;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }
}
