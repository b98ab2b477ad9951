/**
 * {@linkcode OutBuffer}: the growable byte buffer a connection assembles its outgoing frames in.
 * Everything a connection writes during one event-loop turn lands here and reaches the socket
 * in one `conn.write`; the writers below put frame headers and payloads straight into it, so
 * sending a frame allocates nothing.
 *
 * @module
 */

import { FRAME_HEADER_BYTES, FrameType } from "./frame.ts";

const INITIAL_BYTES = 16 * 1024;
/** A buffer that grew past this for one burst is replaced by a small one once it is written. */
const KEEP_BYTES = 1024 * 1024;

/** A growable output buffer with HTTP/2 frame writers. */
export class OutBuffer {
  #buf = new Uint8Array(INITIAL_BYTES);
  #len = 0;

  /** Bytes waiting in the buffer. */
  get length(): number {
    return this.#len;
  }

  /** A view of the waiting bytes (valid until the next write or `reset`). */
  view(): Uint8Array {
    return this.#buf.subarray(0, this.#len);
  }

  /** Empties the buffer, releasing a large backing store. */
  reset(): void {
    this.#len = 0;
    if (this.#buf.length > KEEP_BYTES) this.#buf = new Uint8Array(INITIAL_BYTES);
  }

  #reserve(n: number): void {
    const need = this.#len + n;
    if (need <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  /** Writes a frame header; the caller writes exactly `length` payload bytes next. */
  frameHeader(length: number, type: number, flags: number, streamId: number): void {
    this.#reserve(FRAME_HEADER_BYTES + length);
    const b = this.#buf;
    let p = this.#len;
    b[p++] = length >>> 16;
    b[p++] = length >>> 8;
    b[p++] = length;
    b[p++] = type;
    b[p++] = flags;
    b[p++] = streamId >>> 24;
    b[p++] = streamId >>> 16;
    b[p++] = streamId >>> 8;
    b[p++] = streamId;
    this.#len = p;
  }

  /** Appends `src[start, end)`. */
  bytes(src: Uint8Array, start = 0, end = src.length): void {
    const n = end - start;
    this.#reserve(n);
    if (n < 64) {
      const b = this.#buf;
      let p = this.#len;
      for (let i = start; i < end; i++) b[p++] = src[i]!;
    } else {
      this.#buf.set(start === 0 && end === src.length ? src : src.subarray(start, end), this.#len);
    }
    this.#len += n;
  }

  /** Appends one byte. */
  u8(v: number): void {
    this.#reserve(1);
    this.#buf[this.#len++] = v;
  }

  /** Appends a 32-bit big-endian number. */
  u32(v: number): void {
    this.#reserve(4);
    const b = this.#buf;
    const p = this.#len;
    b[p] = v >>> 24;
    b[p + 1] = v >>> 16;
    b[p + 2] = v >>> 8;
    b[p + 3] = v;
    this.#len = p + 4;
  }

  /** A SETTINGS frame with `pairs` as `[id, value, id, value, …]`. */
  settings(pairs: readonly number[]): void {
    this.frameHeader(pairs.length * 3, FrameType.SETTINGS, 0, 0);
    for (let i = 0; i < pairs.length; i += 2) {
      this.u8(pairs[i]! >>> 8);
      this.u8(pairs[i]!);
      this.u32(pairs[i + 1]!);
    }
  }

  /** A WINDOW_UPDATE frame. */
  windowUpdate(streamId: number, increment: number): void {
    this.frameHeader(4, FrameType.WINDOW_UPDATE, 0, streamId);
    this.u32(increment);
  }

  /** A RST_STREAM frame. */
  rstStream(streamId: number, errorCode: number): void {
    this.frameHeader(4, FrameType.RST_STREAM, 0, streamId);
    this.u32(errorCode);
  }

  /** A GOAWAY frame; `debug` is a short reason for the peer's logs. */
  goaway(lastStreamId: number, errorCode: number, debug: string): void {
    const text = new TextEncoder().encode(debug.slice(0, 256));
    this.frameHeader(8 + text.length, FrameType.GOAWAY, 0, 0);
    this.u32(lastStreamId);
    this.u32(errorCode);
    this.bytes(text);
  }

  /** A PING frame carrying the 8 bytes at `src[at]`. */
  ping(flags: number, src: Uint8Array, at: number): void {
    this.frameHeader(8, FrameType.PING, flags, 0);
    this.bytes(src, at, at + 8);
  }

  /**
   * A header block as HEADERS plus CONTINUATION frames of at most `maxFrame` bytes; `flags` may
   * carry END_STREAM (END_HEADERS is added to the last frame).
   */
  headerBlock(streamId: number, flags: number, block: Uint8Array, maxFrame: number): void {
    let type: number = FrameType.HEADERS;
    let at = 0;
    for (;;) {
      const n = Math.min(maxFrame, block.length - at);
      const last = at + n === block.length;
      this.frameHeader(n, type, last ? flags | 0x4 : flags & 0x1, streamId);
      this.bytes(block, at, at + n);
      at += n;
      if (last) return;
      type = FrameType.CONTINUATION;
      flags = 0;
    }
  }
}
