/**
 * {@linkcode MessageReader}: turns a request stream's DATA payloads back into gRPC messages.
 *
 * Each message is a 5-byte prefix (compressed flag, 32-bit big-endian length) and the bytes; a
 * message may span DATA frames and one frame may hold several. A message inside one payload is
 * copied out with one `slice` (the read buffer is reused); one spanning frames is gathered in
 * pieces, counted in the connection's held bytes, and joined once complete. The length is
 * checked against the limit as soon as the prefix arrives, so an oversized message is refused
 * before any of it is buffered.
 *
 * @module
 */

import { GrpcCode } from "../status.ts";
import { ErrorCode, H2ConnectionError } from "./frame.ts";
import { MESSAGE_PREFIX_BYTES } from "./grpc_framing.ts";
import { MAX_HELD_BYTES } from "./limits.ts";

/** The connection's count of bytes held in incomplete messages. */
export interface HeldBytes {
  /** Bytes held in incomplete request messages. */
  heldBytes: number;
}

/** Where a reader's messages and refusals go. */
export interface MessageSink {
  /** A complete message (owned by the receiver). */
  message(bytes: Uint8Array): void;
  /** The stream broke gRPC's framing or limits; the reader stops. */
  refuse(code: GrpcCode, details: string): void;
}

const EMPTY = new Uint8Array(0);

/** The message deframer of one call. */
export class MessageReader {
  readonly #max: number;
  readonly #held: HeldBytes;
  readonly #sink: MessageSink;
  /** Length of the message being read, or -1 between messages. */
  #msgLen = -1;
  #prefix: Uint8Array | undefined;
  #prefixGot = 0;
  #pieces: Uint8Array[] | undefined;
  #got = 0;
  #stopped = false;

  /** Creates a reader for messages of at most `maxBytes`. */
  constructor(maxBytes: number, held: HeldBytes, sink: MessageSink) {
    this.#max = maxBytes;
    this.#held = held;
    this.#sink = sink;
  }

  /** Whether a message is half read (the stream may not end here). */
  get partial(): boolean {
    return this.#msgLen >= 0 || this.#prefixGot > 0;
  }

  /** Reads `buf[start, end)`. */
  push(buf: Uint8Array, start: number, end: number): void {
    let at = start;
    while (at < end && !this.#stopped) {
      if (this.#msgLen < 0) {
        if (this.#prefixGot === 0 && end - at >= MESSAGE_PREFIX_BYTES) {
          this.#begin(buf, at);
          at += MESSAGE_PREFIX_BYTES;
        } else {
          const prefix = this.#prefix ??= new Uint8Array(MESSAGE_PREFIX_BYTES);
          while (at < end && this.#prefixGot < MESSAGE_PREFIX_BYTES) {
            prefix[this.#prefixGot++] = buf[at++]!;
          }
          if (this.#prefixGot < MESSAGE_PREFIX_BYTES) return;
          this.#prefixGot = 0;
          this.#begin(prefix, 0);
        }
        continue;
      }
      const need = this.#msgLen - this.#got;
      if (this.#got === 0 && end - at >= need) {
        this.#msgLen = -1;
        at += need;
        this.#sink.message(buf.slice(at - need, at));
        continue;
      }
      const n = Math.min(end - at, need);
      (this.#pieces ??= []).push(buf.slice(at, at + n));
      this.#got += n;
      at += n;
      this.#held.heldBytes += n;
      if (this.#held.heldBytes > MAX_HELD_BYTES) {
        throw new H2ConnectionError(
          ErrorCode.ENHANCE_YOUR_CALM,
          "too many bytes in partial messages",
        );
      }
      if (this.#got === this.#msgLen) this.#sink.message(this.#join());
    }
  }

  /** Stops reading and gives back held bytes (the call ended). */
  stop(): void {
    this.#stopped = true;
    this.#release();
  }

  #begin(src: Uint8Array, at: number): void {
    const flag = src[at]!;
    const len =
      ((src[at + 1]! << 24) | (src[at + 2]! << 16) | (src[at + 3]! << 8) | src[at + 4]!) >>>
      0;
    if (flag !== 0) {
      this.stop();
      return this.#sink.refuse(
        GrpcCode.INTERNAL,
        "grpc: compressed flag set with identity or empty encoding",
      );
    }
    if (len > this.#max) {
      this.stop();
      return this.#sink.refuse(
        GrpcCode.RESOURCE_EXHAUSTED,
        `grpc: received message larger than max (${len} vs. ${this.#max})`,
      );
    }
    if (len === 0) return this.#sink.message(EMPTY);
    this.#msgLen = len;
    this.#got = 0;
  }

  #join(): Uint8Array {
    const out = new Uint8Array(this.#got);
    let at = 0;
    for (const p of this.#pieces!) {
      out.set(p, at);
      at += p.length;
    }
    this.#release();
    this.#msgLen = -1;
    return out;
  }

  #release(): void {
    if (this.#pieces !== undefined) this.#held.heldBytes -= this.#got;
    this.#pieces = undefined;
    this.#got = 0;
  }
}
