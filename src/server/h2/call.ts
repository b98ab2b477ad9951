/**
 * {@linkcode GrpcCall}: gRPC semantics on one HTTP/2 stream — running the method's handler
 * (unary, bidi, server-streaming) on the messages a {@linkcode MessageReader} yields, with the
 * same contract as `GrpcServer`: deadlines, cancellation, and the status the call ends with.
 *
 * Unary hot path: the handler runs synchronously when the request's END_STREAM arrives; a
 * `Uint8Array` result is framed into the connection's output buffer at once (HEADERS, DATA,
 * trailers), with no promise involved.
 *
 * @module
 */

import type { Method, StreamCall, StreamReceiver } from "../grpc.ts";
import { GrpcCode } from "../status.ts";
import { type CallHost, type CallStart, H2CallContext } from "./context.ts";
import { OK_TRAILERS, trailersBlock } from "./grpc_framing.ts";
import { MessageReader, type MessageSink } from "./message_reader.ts";
import type { H2Stream, StreamListener } from "./stream.ts";

const LONGEST_TIMER_MS = 2 ** 31 - 1;

/** The gRPC call on one stream; the stream's listener. */
export class GrpcCall implements StreamListener, MessageSink {
  readonly #host: CallHost;
  readonly #stream: H2Stream;
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
  readonly #reader: MessageReader;
  #request: Uint8Array | undefined;
  #receiver: StreamReceiver | undefined;
  #call: StreamCall | undefined;
  #drainListeners: (() => void)[] = [];

  /** Starts the call of `method` on `stream`; `timeoutMs` < 0 means no deadline. */
  constructor(host: CallHost, stream: H2Stream, call: CallStart) {
    this.#host = host;
    this.#stream = stream;
    this.#reader = new MessageReader(host.maxReceiveBytes, call.held, this);
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
    if (!this.#ended) this.#reader.push(buf, start, end);
  }

  end(): void {
    if (this.#ended) return;
    if (this.#reader.partial) {
      return this.refuse(GrpcCode.INTERNAL, "grpc: the request ended inside a message");
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
      return this.refuse(GrpcCode.INTERNAL, "grpc: the request has no message");
    }
    const request = this.#request;
    this.#request = undefined;
    if (m.kind === "unary") this.#runUnary(m.handler, request);
    else this.#startServerStream(m.handler, request);
  }

  aborted(): void {
    this.#aborted = true;
    this.#abort?.abort();
    this.#reader.stop();
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
    for (const listener of listeners) {
      try {
        listener();
      } catch (err: unknown) {
        this.#finishStream(err);
      }
    }
  }

  /** A complete request message from the reader. */
  message(message: Uint8Array): void {
    if (this.#method.kind !== "bidi") {
      if (this.#request !== undefined) {
        return this.refuse(GrpcCode.INTERNAL, "grpc: more than one request message");
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
  refuse(code: GrpcCode, details: string): void {
    if (this.#ended) return;
    this.#reader.stop();
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
    this.#reader.stop();
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
    out.then((bytes) => this.#unaryAnswered(bytes), (err: unknown) => this.#unaryFailed(err))
      .catch((err: unknown) => void this.#host.status(this.#path, err)); // our bug: log it
  }

  #unaryAnswered(bytes: Uint8Array): void {
    if (!(bytes instanceof Uint8Array)) {
      return this.#unaryFailed(new TypeError(`${this.#path} answered with a non-Uint8Array`));
    }
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
    this.#reader.stop();
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
