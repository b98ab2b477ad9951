/**
 * {@linkcode Keepalive}: the server side of gRPC keepalive for one connection. After
 * `intervalMs` without anything read from the client, it sends a PING; if no PING ACK comes
 * within `timeoutMs`, the connection is considered dead. Activity is a counter bumped per read,
 * so the hot path costs one increment and no clock reads.
 *
 * @module
 */

/** Keepalive timing for one connection. */
export interface KeepaliveOptions {
  intervalMs: number;
  timeoutMs: number;
  /** Sends a PING. */
  ping(): void;
  /** The client did not answer in time. */
  dead(): void;
}

/** A connection's keepalive timers; see the module doc. */
export class Keepalive {
  readonly #options: KeepaliveOptions;
  #reads = 0;
  #readsAtCheck = -1;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #answerTimer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  /** Starts the timers (none when `intervalMs` is 0 or too large for a timer). */
  constructor(options: KeepaliveOptions) {
    this.#options = options;
    this.#arm();
  }

  /** Something was read from the client. */
  activity(): void {
    this.#reads++;
  }

  /** A PING ACK arrived. */
  acked(): void {
    clearTimeout(this.#answerTimer);
    this.#answerTimer = undefined;
  }

  /** Stops every timer. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.acked();
  }

  #arm(): void {
    const { intervalMs, timeoutMs } = this.#options;
    if (!(intervalMs > 0 && intervalMs < 2 ** 31) || this.#stopped) return;
    this.#timer = setTimeout(() => {
      if (this.#reads !== this.#readsAtCheck) {
        this.#readsAtCheck = this.#reads;
      } else if (this.#answerTimer === undefined) {
        this.#options.ping();
        this.#answerTimer = setTimeout(() => this.#options.dead(), timeoutMs);
      }
      this.#arm();
    }, intervalMs);
  }
}
