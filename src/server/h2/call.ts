/**
 * {@linkcode GrpcCall}: gRPC semantics on one HTTP/2 stream — deframing request messages,
 * running the method's handler (unary, bidi, server-streaming) with the same contract as
 * `GrpcServer`, deadlines, cancellation, and the status the call ends with.
 *
 * Request messages are 5-byte-prefixed (flag, 32-bit length). A message inside one DATA frame is
 * copied out with one `slice`; one spanning frames is gathered in pieces (counted against the
 * connection's held-bytes cap) and joined once complete. The length is checked against
 * `maxReceiveBytes` as soon as the prefix arrives, so an oversized message is refused before
 * its bytes are buffered.
 *
 * Unary hot path: the handler runs synchronously when the request's END_STREAM arrives; a
 * `Uint8Array` result is framed into the connection's output buffer at once (HEADERS, DATA,
 * trailers), with no promise involved.
 *
 * @module
 */

import type { Method, StreamCall, StreamReceiver } from "../grpc.ts";
import { GrpcCode, type GrpcStatus } from "../status.ts";
import { H2CallContext } from "./context.ts";
import { ErrorCode, H2ConnectionError } from "./frame.ts";
import { MESSAGE_PREFIX_BYTES, OK_TRAILERS, trailersBlock } from "./grpc_framing.ts";
import { MAX_HELD_BYTES } from "./limits.ts";
import type { H2Stream, StreamListener } from "./stream.ts";

/** What calls need from their server. */
export interface CallHost {
  readonly maxReceiveBytes: number;
  /** Maps an error to a status (logging unexpected ones once). */
  status(path: string, err: unknown): GrpcStatus;
  /** Reports a finished call to the observer, if any. */
  observe(
    path: string,
    kind: Method["kind"],
    code: number,
    started: number,
    rx: number,
    tx: number,
  ): void;
  /** Whether an observer wants call timings. */
  readonly timed: boolean;
  unaryStarted(): void;
  unaryEnded(): void;
  streamStarted(call: StreamCall): void;
  streamEnded(call: StreamCall): void;
}

/** The connection's count of bytes held in incomplete messages. */
export interface HeldBytes {
  heldBytes: number;
}

const EMPTY = new Uint8Array(0);
const LONGEST_TIMER_MS = 2 ** 31 - 1;

/** The gRPC call on one stream; the stream's listener. */
export class GrpcCall implements StreamListener {
  readonly #host: CallHost;
  readonly #stream: H2Stream;
  readonly #held: HeldBytes;
  readonly #path: string;
  readonly #method: Method;
  readonly #ctx: H2CallContext;
  readonly #started: number;
  #abort: AbortController | undefined;
  #aborted = false;
  /** The status is decided: nothing more is delivered or sent. */
  #ended = false;
  /** 0: receiving, 1: handler running (unary), 2: done. */
  #phase = 0;
  #received = 0;
  #sent = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #msgLen = -1;
  #prefix: Uint8Array | undefined;
  #prefixGot = 0;
  #pieces: Uint8Array[] | undefined;
  #got = 0;
  #request: Uint8Array | undefined;
  #receiver: StreamReceiver | undefined;
  #call: StreamCall | undefined;
  #drainListeners: (() => void)[] = [];

  /** Starts the call of `method` on `stream`; `timeoutMs` < 0 means no deadline. */
  constructor(
    host: CallHost,
    stream: H2Stream,
    held: HeldBytes,
    call: {
      path: string;
      method: Method;
      peer: string;
      headers: readonly string[];
      timeoutMs: number;
    },
  ) {
    this.#host = host;
    this.#stream = stream;
    this.#held = held;
    this.#path = call.path;
    this.#method = call.method;
    this.#ctx = new H2CallContext(call.path, call.peer, call.headers, this);
    this.#started = host.timed ? performance.now() : 0;
    if (call.timeoutMs >= 0 && call.timeoutMs <= LONGEST_TIMER_MS) {
      this.#timer = setTimeout(this.#expire, call.timeoutMs);
    }
    if (this.#method.kind === "unary") host.unaryStarted();
    else if (this.#method.kind === "bidi") this.#startBidi(this.#method.handler);
  }

  /** The call's abort signal, created on first use. */
  signal(): AbortSignal {
    this.#abort ??= new AbortController();
    if (this.#aborted && !this.#abort.signal.aborted) this.#abort.abort();
    return this.#abort.signal;
  }

  data(buf: Uint8Array, start: number, end: number): void {
    let at = start;
    while (at < end && !this.#ended) {
      if (this.#msgLen < 0) {
        if (this.#prefixGot === 0 && end - at >= MESSAGE_PREFIX_BYTES) {
          this.#beginMessage(buf, at);
          at += MESSAGE_PREFIX_BYTES;
        } else {
          this.#prefix ??= new Uint8Array(MESSAGE_PREFIX_BYTES);
          while (at < end && this.#prefixGot < MESSAGE_PREFIX_BYTES) {
            this.#prefix[this.#prefixGot++] = buf[at++]!;
          }
          if (this.#prefixGot < MESSAGE_PREFIX_BYTES) return;
          this.#prefixGot = 0;
          this.#beginMessage(this.#prefix, 0);
        }
        if (this.#ended || this.#msgLen < 0) continue;
      }
      const need = this.#msgLen - this.#got;
      if (this.#got === 0 && end - at >= need) {
        this.#msgLen = -1;
        this.#deliver(buf.slice(at, at + need));
        at += need;
        continue;
      }
      const n = Math.min(end - at, need);
      (this.#pieces ??= []).push(buf.slice(at, at + n));
      this.#got += n;
      at += n;
      this.#hold(n);
      if (this.#got === this.#msgLen) this.#deliver(this.#joinPieces());
    }
  }

  end(): void {
    if (this.#ended) return;
    if (this.#msgLen >= 0 || this.#prefixGot > 0) {
      return this.#refuse(GrpcCode.INTERNAL, "grpc: the request ended inside a message");
    }
    const m = this.#method;
    if (m.kind === "bidi") {
      try {
        this.#receiver?.end?.();
      } catch (err: unknown) {
        this.#finishStream(err);
      }
      return;
    }
    if (this.#request === undefined) {
      return this.#refuse(GrpcCode.INTERNAL, "grpc: the request has no message");
    }
    const request = this.#request;
    this.#request = undefined;
    if (m.kind === "unary") this.#runUnary(m.handler, request);
    else this.#startServerStream(m.handler, request);
  }

  aborted(): void {
    this.#aborted = true;
    this.#abort?.abort();
    this.#release();
    if (this.#method.kind === "unary") {
      this.#ended = true;
      if (this.#phase === 0) this.#done();
      return;
    }
    this.#closeStream(GrpcCode.CANCELLED);
  }

  drained(): void {
    const listeners = this.#drainListeners;
    this.#drainListeners = [];
    for (const listener of listeners) listener();
  }

  #beginMessage(src: Uint8Array, at: number): void {
    const flag = src[at]!;
    const len =
      ((src[at + 1]! << 24) | (src[at + 2]! << 16) | (src[at + 3]! << 8) | src[at + 4]!) >>>
      0;
    if (flag !== 0) {
      return this.#refuse(
        GrpcCode.INTERNAL,
        "grpc: compressed flag set with identity or empty encoding",
      );
    }
    const max = this.#host.maxReceiveBytes;
    if (len > max) {
      return this.#refuse(
        GrpcCode.RESOURCE_EXHAUSTED,
        `grpc: received message larger than max (${len} vs. ${max})`,
      );
    }
    if (len === 0) return this.#deliver(EMPTY);
    this.#msgLen = len;
    this.#got = 0;
  }

  #hold(n: number): void {
    this.#held.heldBytes += n;
    if (this.#held.heldBytes > MAX_HELD_BYTES) {
      throw new H2ConnectionError(
        ErrorCode.ENHANCE_YOUR_CALM,
        "too many bytes in partial messages",
      );
    }
  }

  #joinPieces(): Uint8Array {
    const pieces = this.#pieces!;
    const out = new Uint8Array(this.#got);
    let at = 0;
    for (const p of pieces) {
      out.set(p, at);
      at += p.length;
    }
    this.#release();
    this.#msgLen = -1;
    return out;
  }

  #release(): void {
    this.#held.heldBytes -= this.#pieces === undefined ? 0 : this.#got;
    this.#pieces = undefined;
    this.#got = 0;
  }

  #deliver(message: Uint8Array): void {
    if (this.#method.kind !== "bidi") {
      if (this.#request !== undefined) {
        return this.#refuse(GrpcCode.INTERNAL, "grpc: more than one request message");
      }
      this.#request = message;
      this.#received = 1;
      return;
    }
    this.#received++;
    try {
      this.#receiver?.message(message);
    } catch (err: unknown) {
      this.#finishStream(err);
    }
  }

  /** Ends the call with a status of the transport's own (not the handler's). */
  #refuse(code: GrpcCode, details: string): void {
    if (this.#ended) return;
    this.#release();
    this.#msgLen = -1;
    if (this.#call) {
      this.#closeStream(code);
    } else {
      this.#ended = true;
      this.#abort?.abort();
      if (this.#phase === 0) this.#done();
    }
    this.#sendStatus(code, details);
  }

  #sendStatus(code: number, details: string): void {
    const s = this.#stream;
    if (code === GrpcCode.OK && s.headersSent) return s.finish(OK_TRAILERS);
    s.finish(trailersBlock(code, details, { trailersOnly: !s.headersSent }));
  }

  readonly #expire = (): void => {
    this.#timer = undefined;
    if (this.#ended) return;
    this.#aborted = true;
    this.#abort?.abort();
    if (this.#call) this.#closeStream(GrpcCode.DEADLINE_EXCEEDED);
    else {
      this.#ended = true;
      if (this.#phase === 0) this.#done();
    }
    this.#sendStatus(GrpcCode.DEADLINE_EXCEEDED, "Deadline exceeded");
  };

  /** The end of a unary call's life (or of a server stream that never started). */
  #done(): void {
    this.#phase = 2;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#method.kind === "unary") this.#host.unaryEnded();
  }

  #runUnary(
    handler: (r: Uint8Array, ctx: H2CallContext) => Uint8Array | Promise<Uint8Array>,
    request: Uint8Array,
  ): void {
    this.#phase = 1;
    let out: Uint8Array | Promise<Uint8Array>;
    try {
      out = handler(request, this.#ctx);
    } catch (err: unknown) {
      return this.#unaryFailed(err);
    }
    if (out instanceof Uint8Array) return this.#unaryAnswered(out);
    out.then((bytes) => this.#unaryAnswered(bytes), (err: unknown) => this.#unaryFailed(err));
  }

  #unaryAnswered(bytes: Uint8Array): void {
    this.#host.observe(this.#path, "unary", GrpcCode.OK, this.#started, 1, 1);
    if (!this.#ended) {
      this.#ended = true;
      const s = this.#stream;
      s.sendHeaders();
      s.sendMessage(bytes);
      s.finish(OK_TRAILERS);
    }
    this.#done();
  }

  #unaryFailed(err: unknown): void {
    const status = this.#host.status(this.#path, err);
    this.#host.observe(this.#path, "unary", status.code, this.#started, 1, 0);
    if (!this.#ended) {
      this.#ended = true;
      this.#sendStatus(status.code, status.details);
    }
    this.#done();
  }

  #streamCall(): StreamCall {
    const ended = () => this.#ended;
    const call: StreamCall = {
      ctx: this.#ctx,
      get ended() {
        return ended();
      },
      write: (message) => this.#write(message),
      onDrain: (listener) => void this.#drainListeners.push(listener),
      finish: (err) => this.#finishStream(err),
    };
    this.#call = call;
    this.#host.streamStarted(call);
    return call;
  }

  #startBidi(handler: (call: StreamCall) => StreamReceiver): void {
    const call = this.#streamCall();
    try {
      this.#receiver = handler(call);
    } catch (err: unknown) {
      this.#finishStream(err);
    }
  }

  #startServerStream(
    handler: (r: Uint8Array, call: StreamCall) => void,
    request: Uint8Array,
  ): void {
    this.#phase = 1;
    const call = this.#streamCall();
    try {
      handler(request, call);
    } catch (err: unknown) {
      this.#finishStream(err);
    }
  }

  #write(message: Uint8Array): boolean {
    if (this.#ended) return false;
    this.#sent++;
    const s = this.#stream;
    s.sendHeaders();
    s.sendMessage(message);
    if (!s.full) return true;
    s.wantDrain();
    return false;
  }

  #finishStream(err?: unknown): void {
    if (this.#ended) return;
    if (err === undefined) {
      this.#closeStream(GrpcCode.OK);
      return this.#sendStatus(GrpcCode.OK, "");
    }
    const status = this.#host.status(this.#path, err);
    this.#closeStream(status.code);
    this.#sendStatus(status.code, status.details);
  }

  /** Ends a streaming call: observer, abort signal, the receiver's `closed`. */
  #closeStream(code: number): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#phase = 2;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#aborted = true;
    this.#abort?.abort();
    this.#drainListeners = [];
    const kind = this.#method.kind;
    if (this.#call) this.#host.streamEnded(this.#call);
    this.#host.observe(this.#path, kind, code, this.#started, this.#received, this.#sent);
    try {
      this.#receiver?.closed?.();
    } catch { /* a receiver's cleanup must not break the connection */ }
  }
}
