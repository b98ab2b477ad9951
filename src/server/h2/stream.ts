/**
 * {@linkcode H2Stream}: one HTTP/2 stream's send side — flow-control window, the queue of DATA
 * waiting for window or buffer room, trailers held until that queue is empty — and its state.
 *
 * Sending: a message that fits the stream's and the connection's windows and finds the
 * connection's output buffer below its high-water mark is framed straight into that buffer (one
 * copy, no allocation). Otherwise it is copied, with its 5-byte prefix, into the stream's queue,
 * and {@linkcode H2Stream.pump} moves queued bytes out as WINDOW_UPDATEs and socket writes make
 * room. Trailers go out when the queue is empty; then the stream is closed — after an
 * RST_STREAM(NO_ERROR) when the client has not finished sending, as grpc-go does, so the client
 * stops sending.
 *
 * @module
 */

import { FrameType, MAX_WINDOW } from "./frame.ts";
import { MESSAGE_PREFIX_BYTES, RESPONSE_HEADERS } from "./grpc_framing.ts";
import { STREAM_HIGH_WATER } from "./limits.ts";
import type { OutBuffer } from "./out_buffer.ts";

/** What a stream needs from its connection. */
export interface StreamOwner {
  /** The buffer to frame into. */
  readonly out: OutBuffer;
  /** The connection's send window (shared by all streams). */
  sendWindow: number;
  /** The peer's SETTINGS_MAX_FRAME_SIZE. */
  readonly peerMaxFrame: number;
  /** Whether the output buffer is past its high-water mark. */
  readonly outFull: boolean;
  /** Writes a header block (HEADERS + CONTINUATION). */
  writeHeaders(streamId: number, flags: number, block: Uint8Array): void;
  /** Writes the buffer at the end of this turn. */
  scheduleFlush(): void;
  /** `stream` has queued data waiting for window or buffer room. */
  blocked(stream: H2Stream): void;
  /** `stream` wants {@linkcode StreamListener.drained} once there is room. */
  wantsDrain(stream: H2Stream): void;
  /** `stream` is closed; forget it. */
  closed(stream: H2Stream): void;
}

/** What a stream reports to the call on it. */
export interface StreamListener {
  /** DATA payload `buf[start, end)` (valid only during the call). */
  data(buf: Uint8Array, start: number, end: number): void;
  /** The client half-closed (END_STREAM). */
  end(): void;
  /** The client reset the stream or the connection went away. */
  aborted(): void;
  /** A sender that was told to wait has room again. */
  drained(): void;
}

const IGNORE: StreamListener = { data() {}, end() {}, aborted() {}, drained() {} };

/** One HTTP/2 stream of a server connection. */
export class H2Stream {
  /** The stream id. */
  readonly id: number;
  readonly #owner: StreamOwner;
  /** Our window to send on this stream (may go negative after a SETTINGS change). */
  sendWindow: number;
  /** How much more the client may send on this stream. */
  recvWindow: number;
  /** Bytes received and not yet given back with a WINDOW_UPDATE. */
  recvUnacked = 0;
  /** The call on this stream. */
  listener: StreamListener = IGNORE;
  #queue: Uint8Array[] = [];
  #queueHead = 0;
  #queueOffset = 0;
  /** Bytes waiting in the queue. */
  queuedBytes = 0;
  #trailers: Uint8Array | undefined;
  #headersSent = false;
  /** The client sent END_STREAM. */
  remoteClosed = false;
  /** Trailers were queued or sent: we send nothing more. */
  localClosed = false;
  /** Gone from the connection (both sides done, or reset). */
  closed = false;

  /** Creates stream `id` with the peer's initial window and ours. */
  constructor(id: number, owner: StreamOwner, sendWindow: number, recvWindow: number) {
    this.id = id;
    this.#owner = owner;
    this.sendWindow = sendWindow;
    this.recvWindow = recvWindow;
  }

  /** Whether the response headers went out (else trailers must be Trailers-Only). */
  get headersSent(): boolean {
    return this.#headersSent;
  }

  /** Whether a sender should wait: the queue or the connection's buffer is full. */
  get full(): boolean {
    return this.queuedBytes >= STREAM_HIGH_WATER || this.#owner.outFull;
  }

  /** Sends the response headers once. */
  sendHeaders(): void {
    if (this.#headersSent || this.localClosed) return;
    this.#headersSent = true;
    this.#owner.writeHeaders(this.id, 0, RESPONSE_HEADERS);
  }

  /** Sends one gRPC message; `message` may be reused by the caller once this returns. */
  sendMessage(message: Uint8Array): void {
    if (this.localClosed) return;
    const owner = this.#owner;
    const total = MESSAGE_PREFIX_BYTES + message.length;
    if (
      this.queuedBytes === 0 && total <= this.sendWindow && total <= owner.sendWindow &&
      !owner.outFull
    ) {
      const out = owner.out;
      const max = owner.peerMaxFrame;
      let n = Math.min(total, max);
      out.frameHeader(n, FrameType.DATA, 0, this.id);
      out.u8(0);
      out.u32(message.length);
      let at = n - MESSAGE_PREFIX_BYTES;
      out.bytes(message, 0, at);
      while (at < message.length) {
        n = Math.min(message.length - at, max);
        out.frameHeader(n, FrameType.DATA, 0, this.id);
        out.bytes(message, at, at + n);
        at += n;
      }
      this.sendWindow -= total;
      owner.sendWindow -= total;
      owner.scheduleFlush();
      return;
    }
    const chunk = new Uint8Array(total);
    const len = message.length;
    chunk[1] = len >>> 24;
    chunk[2] = len >>> 16;
    chunk[3] = len >>> 8;
    chunk[4] = len;
    chunk.set(message, MESSAGE_PREFIX_BYTES);
    this.#queue.push(chunk);
    this.queuedBytes += total;
    this.pump();
  }

  /** Sends the trailer block `block` (END_STREAM) after everything queued. */
  finish(block: Uint8Array): void {
    if (this.localClosed) return;
    this.localClosed = true;
    if (this.queuedBytes > 0) this.#trailers = block;
    else this.#writeTrailers(block);
  }

  /** Resets the stream with `errorCode` and closes it. */
  reset(errorCode: number): void {
    if (this.closed) return;
    this.#owner.out.rstStream(this.id, errorCode);
    this.#owner.scheduleFlush();
    this.#close();
  }

  /** A stream error (RFC 9113 §5.4.2): reset with `errorCode` and tell the call. */
  fail(errorCode: number): void {
    if (this.closed) return;
    this.reset(errorCode);
    this.listener.aborted();
  }

  /** The client's RST_STREAM, or the connection's end: close and tell the call. */
  abort(): void {
    if (this.closed) return;
    this.#close();
    this.listener.aborted();
  }

  /** The client's END_STREAM. */
  remoteEnd(): void {
    this.remoteClosed = true;
    this.listener.end();
  }

  /** Adds a WINDOW_UPDATE increment; false when the window would overflow. */
  addWindow(increment: number): boolean {
    if (this.sendWindow + increment > MAX_WINDOW) return false;
    this.sendWindow += increment;
    return true;
  }

  /** Moves queued bytes out while the windows and the output buffer allow. */
  pump(): void {
    if (this.closed) return;
    const owner = this.#owner;
    while (this.queuedBytes > 0) {
      const allowed = Math.min(this.sendWindow, owner.sendWindow, owner.peerMaxFrame);
      if (allowed <= 0 || owner.outFull) {
        owner.blocked(this);
        owner.scheduleFlush();
        return;
      }
      const chunk = this.#queue[this.#queueHead]!;
      const n = Math.min(chunk.length - this.#queueOffset, allowed);
      owner.out.frameHeader(n, FrameType.DATA, 0, this.id);
      owner.out.bytes(chunk, this.#queueOffset, this.#queueOffset + n);
      this.sendWindow -= n;
      owner.sendWindow -= n;
      this.queuedBytes -= n;
      this.#queueOffset += n;
      if (this.#queueOffset === chunk.length) this.#shift();
    }
    owner.scheduleFlush();
    const trailers = this.#trailers;
    if (trailers !== undefined) {
      this.#trailers = undefined;
      this.#writeTrailers(trailers);
    }
  }

  /** Asks the connection for a drain notice. */
  wantDrain(): void {
    this.#owner.wantsDrain(this);
  }

  #shift(): void {
    this.#queue[this.#queueHead++] = undefined as unknown as Uint8Array;
    this.#queueOffset = 0;
    if (this.#queueHead === this.#queue.length) {
      this.#queue.length = 0;
      this.#queueHead = 0;
    } else if (this.#queueHead > 64 && this.#queueHead * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#queueHead);
      this.#queueHead = 0;
    }
  }

  #writeTrailers(block: Uint8Array): void {
    this.#owner.writeHeaders(this.id, 0x1, block);
    if (this.remoteClosed) this.#close();
    else this.reset(0);
  }

  #close(): void {
    this.closed = true;
    this.localClosed = true;
    this.#queue.length = 0;
    this.queuedBytes = 0;
    this.#trailers = undefined;
    this.#owner.closed(this);
  }
}
