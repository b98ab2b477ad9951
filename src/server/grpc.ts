/**
 * The gRPC transport: the only module that imports `@grpc/grpc-js`. Services are tables of
 * methods whose handlers take and return encoded protobuf bytes; this module owns the server,
 * its limits and keepalive policy, TLS, call contexts, and the mapping of thrown errors to a
 * status through `status.ts`.
 *
 * Messages cross as raw bytes (identity serializers) so that decoding happens in our own codec
 * (`pb/`), where a malformed message becomes etcd's `INTERNAL` "error unmarshalling request".
 *
 * @module
 */

import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { errorText, type Logger } from "../log.ts";
import { GrpcCode, GrpcError, type GrpcStatus, toStatus } from "./status.ts";

/** What a handler knows about its call. */
export interface CallContext {
  /** The full method path, e.g. `/etcdserverpb.KV/Range`. */
  readonly method: string;
  /** The first value of a request metadata key (lower case), e.g. `token`, `hasleader`. */
  metadata(key: string): string | undefined;
  /** The client's address. */
  readonly peer: string;
  /** The common name of the client's TLS certificate (mTLS), if any. */
  readonly commonName: string | undefined;
  /** Aborted when the client cancels or disconnects. */
  readonly signal: AbortSignal;
}

/** A unary handler: request bytes in, response bytes out (or a thrown error). */
export type UnaryHandler = (
  request: Uint8Array,
  ctx: CallContext,
) => Uint8Array | Promise<Uint8Array>;

/** The server side of a streaming call. */
export interface StreamCall {
  readonly ctx: CallContext;
  /** Queues a message; false means the transport buffer is full (wait for `onDrain`). */
  write(message: Uint8Array): boolean;
  /** Calls `listener` once each time a full buffer drains. */
  onDrain(listener: () => void): void;
  /** Ends the call: OK without `err`, else the error's status. Idempotent. */
  finish(err?: unknown): void;
  /** Whether the call has ended (finished, cancelled or failed). */
  readonly ended: boolean;
}

/** Receives a bidirectional stream's messages; `closed` runs once when the call ends. */
export interface StreamReceiver {
  message(request: Uint8Array): void;
  /** The client half-closed its side. */
  end?(): void;
  /** The call ended for any reason; release everything. */
  closed?(): void;
}

/** A method of a service. */
export type Method =
  | { kind: "unary"; handler: UnaryHandler }
  | { kind: "bidi"; handler: (call: StreamCall) => StreamReceiver }
  | { kind: "serverStream"; handler: (request: Uint8Array, call: StreamCall) => void };

/** Called after every call with its outcome (metrics). */
export type CallObserver = (
  method: string,
  kind: Method["kind"],
  code: number,
  seconds: number,
  received: number,
  sent: number,
) => void;

/** Options of {@linkcode GrpcServer}. */
export interface GrpcServerOptions {
  /** Largest message accepted; etcd uses max-request-bytes + 512 KiB. */
  maxReceiveBytes: number;
  keepaliveTimeMs: number;
  keepaliveTimeoutMs: number;
  logger: Logger;
  observer?: CallObserver;
}

/** TLS material for {@linkcode GrpcServer.listen}. */
export interface TlsOptions {
  cert: Uint8Array;
  key: Uint8Array;
  /** When set, clients must present a certificate signed by this CA (mTLS). */
  ca?: Uint8Array;
}

const identity = (b: Buffer): Buffer => b;

function contextOf(
  call: Pick<grpc.ServerUnaryCall<Buffer, Buffer>, "metadata" | "getPeer" | "getAuthContext">,
  method: string,
  signal: AbortSignal,
): CallContext {
  let cn: string | undefined | null = null;
  return {
    method,
    peer: call.getPeer(),
    signal,
    metadata(key: string): string | undefined {
      const v = call.metadata.get(key)[0];
      return v === undefined ? undefined : typeof v === "string" ? v : v.toString();
    },
    get commonName(): string | undefined {
      if (cn === null) {
        const subject = call.getAuthContext().sslPeerCertificate?.subject as
          | { CN?: string | string[] }
          | undefined;
        const value = subject?.CN;
        cn = Array.isArray(value) ? value[0] : value;
      }
      return cn ?? undefined;
    },
  };
}

function asBytes(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** A gRPC server; see the module doc. */
export class GrpcServer {
  readonly #server: grpc.Server;
  readonly #options: GrpcServerOptions;
  readonly #streams = new Set<StreamCall>();
  #reportedUnexpected = new Set<string>();

  /** Creates the server with etcd's limits and keepalive policy. */
  constructor(options: GrpcServerOptions) {
    this.#options = options;
    this.#server = new grpc.Server({
      "grpc.max_receive_message_length": options.maxReceiveBytes,
      "grpc.max_send_message_length": -1,
      "grpc.keepalive_time_ms": options.keepaliveTimeMs,
      "grpc.keepalive_timeout_ms": options.keepaliveTimeoutMs,
    });
  }

  /** Registers the methods of service `name` (e.g. `etcdserverpb.KV`). */
  addService(name: string, methods: Record<string, Method>): void {
    const definition: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
    const implementation: grpc.UntypedServiceImplementation = {};
    for (const [methodName, method] of Object.entries(methods)) {
      const path = `/${name}/${methodName}`;
      definition[methodName] = {
        path,
        requestStream: method.kind === "bidi",
        responseStream: method.kind !== "unary",
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      };
      implementation[methodName] = this.#wrap(path, method);
    }
    this.#server.addService(definition as grpc.ServiceDefinition, implementation);
  }

  /** Binds `host:port` (port 0 picks one); returns the bound port. */
  listen(host: string, port: number, tls?: TlsOptions): Promise<number> {
    // Without a CA, grpc-js hands Deno's TLS server `ca: undefined`, and Go clients (etcdctl)
    // then fail the handshake; the server's own chain stands in, and with
    // `checkClientCertificate` false no client certificate is asked for.
    const creds = tls
      ? grpc.ServerCredentials.createSsl(
        Buffer.from(tls.ca ?? tls.cert),
        [{ private_key: Buffer.from(tls.key), cert_chain: Buffer.from(tls.cert) }],
        tls.ca !== undefined,
      )
      : grpc.ServerCredentials.createInsecure();
    const address = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
    return new Promise((resolve, reject) => {
      this.#server.bindAsync(address, creds, (err, bound) => err ? reject(err) : resolve(bound));
    });
  }

  /**
   * Stops accepting calls, ends open streams (watches, keepalives) with Unavailable "server
   * stopped" so clients move to another member, waits up to `graceMs` for unary calls in
   * flight, then cancels what is left.
   */
  shutdown(graceMs: number): Promise<void> {
    for (const call of [...this.#streams]) {
      call.finish(new GrpcError(GrpcCode.UNAVAILABLE, "etcdserver: server stopped"));
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#server.forceShutdown();
        resolve();
      }, graceMs);
      this.#server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Cancels every call and closes every connection at once. */
  forceShutdown(): void {
    this.#server.forceShutdown();
  }

  #status(path: string, err: unknown): GrpcStatus {
    const s = toStatus(err);
    if (s.unexpected && !this.#reportedUnexpected.has(s.details)) {
      this.#reportedUnexpected.add(s.details);
      this.#options.logger.error("unexpected error in a request", {
        method: path,
        error: errorText(err),
      });
    }
    return { code: s.code, details: s.details };
  }

  #observe(
    path: string,
    kind: Method["kind"],
    code: number,
    started: number,
    rx: number,
    tx: number,
  ) {
    this.#options.observer?.(path, kind, code, (performance.now() - started) / 1000, rx, tx);
  }

  #wrap(path: string, method: Method): grpc.UntypedHandleCall {
    if (method.kind === "unary") {
      const handler = method.handler;
      return (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        const started = performance.now();
        const abort = new AbortController();
        call.once("cancelled", () => abort.abort());
        const ctx = contextOf(call, path, abort.signal);
        const fail = (err: unknown) => {
          const s = this.#status(path, err);
          this.#observe(path, "unary", s.code, started, 1, 0);
          callback({ code: s.code, details: s.details });
        };
        try {
          const out = handler(asBytes(call.request), ctx);
          if (out instanceof Uint8Array) {
            this.#observe(path, "unary", GrpcCode.OK, started, 1, 1);
            callback(null, asBuffer(out));
          } else {
            out.then((bytes) => {
              this.#observe(path, "unary", GrpcCode.OK, started, 1, 1);
              callback(null, asBuffer(bytes));
            }, fail);
          }
        } catch (err: unknown) {
          fail(err);
        }
      };
    }
    if (method.kind === "bidi") {
      const handler = method.handler;
      return (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
        const { stream, settle } = this.#streamCall(path, "bidi", call);
        let receiver: StreamReceiver;
        try {
          receiver = handler(stream);
        } catch (err: unknown) {
          stream.finish(err);
          return;
        }
        call.on("data", (b: Buffer) => {
          if (stream.ended) return;
          settle.received++;
          try {
            receiver.message(asBytes(b));
          } catch (err: unknown) {
            stream.finish(err);
          }
        });
        call.on("end", () => receiver.end?.());
        settle.onClose = () => receiver.closed?.();
      };
    }
    const handler = method.handler;
    return (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
      const { stream } = this.#streamCall(path, "serverStream", call);
      try {
        handler(asBytes(call.request), stream);
      } catch (err: unknown) {
        stream.finish(err);
      }
    };
  }

  #streamCall(
    path: string,
    kind: "bidi" | "serverStream",
    call: grpc.ServerDuplexStream<Buffer, Buffer> | grpc.ServerWritableStream<Buffer, Buffer>,
  ): { stream: StreamCall; settle: { received: number; onClose: (() => void) | undefined } } {
    const started = performance.now();
    const abort = new AbortController();
    const settle = {
      received: kind === "bidi" ? 0 : 1,
      onClose: undefined as (() => void) | undefined,
    };
    let sent = 0;
    let ended = false;
    const close = (code: number) => {
      if (ended) return;
      ended = true;
      this.#streams.delete(stream);
      abort.abort();
      this.#observe(path, kind, code, started, settle.received, sent);
      settle.onClose?.();
    };
    call.once("cancelled", () => close(GrpcCode.CANCELLED));
    call.on("error", () => close(GrpcCode.CANCELLED));
    const statusOf = (err: unknown) => this.#status(path, err);
    const stream: StreamCall = {
      ctx: contextOf(call, path, abort.signal),
      get ended() {
        return ended;
      },
      write(message: Uint8Array): boolean {
        if (ended) return false;
        sent++;
        // A stream may buffer the message past this call, and small encoded messages are
        // pieces of the codec's shared slab, so the stream gets its own copy.
        return call.write(Buffer.from(message));
      },
      onDrain(listener: () => void): void {
        call.once("drain", listener);
      },
      finish(err?: unknown): void {
        if (ended) return;
        if (err === undefined) {
          close(GrpcCode.OK);
          call.end();
          return;
        }
        const s = statusOf(err);
        close(s.code);
        call.emit("error", { code: s.code, details: s.details });
      },
    };
    this.#streams.add(stream);
    return { stream, settle };
  }
}

/** Options of {@linkcode GrpcClient}. */
export interface GrpcClientOptions {
  /** TLS: the CA to trust, and a client certificate for mTLS. */
  tls?: { ca?: Uint8Array; cert?: Uint8Array; key?: Uint8Array; serverName?: string };
  /** Largest message accepted; default 64 MiB. */
  maxReceiveBytes?: number;
}

/** Per-call options of {@linkcode GrpcClient}. */
export interface CallOptions {
  /** Request metadata (e.g. `token`, `hasleader`). */
  metadata?: Record<string, string>;
  /** Milliseconds until the call is cancelled with DEADLINE_EXCEEDED. */
  timeoutMs?: number;
}

/** The client side of a bidirectional stream. */
export interface ClientStream {
  write(message: Uint8Array): void;
  /** Half-closes the client side. */
  end(): void;
  cancel(): void;
  /** Messages from the server, until `done` resolves. */
  onMessage(listener: (message: Uint8Array) => void): void;
  /** Resolves with the final status (OK or the error). */
  readonly done: Promise<GrpcStatus>;
}

/**
 * A raw-bytes gRPC client: the peer transport of cluster mode, `t4 migrate`, and the tests use
 * it with the `pb/` codec. Errors arrive as {@linkcode GrpcError} with the server's status.
 */
export class GrpcClient {
  readonly #client: grpc.Client;

  /** Connects lazily to `address` (`host:port`). */
  constructor(address: string, options: GrpcClientOptions = {}) {
    const t = options.tls;
    const creds = t
      ? grpc.credentials.createSsl(
        t.ca ? Buffer.from(t.ca) : null,
        t.key ? Buffer.from(t.key) : null,
        t.cert ? Buffer.from(t.cert) : null,
      )
      : grpc.credentials.createInsecure();
    const channelOptions: grpc.ChannelOptions = {
      "grpc.max_receive_message_length": options.maxReceiveBytes ?? 64 * 1024 * 1024,
      "grpc.max_send_message_length": -1,
      // one connection per client object (load generators and peers want their own)
      "grpc.use_local_subchannel_pool": 1,
    };
    if (t?.serverName) channelOptions["grpc.ssl_target_name_override"] = t.serverName;
    this.#client = new grpc.Client(address, creds, channelOptions);
  }

  #metadata(options: CallOptions): grpc.Metadata {
    const md = new grpc.Metadata();
    for (const [k, v] of Object.entries(options.metadata ?? {})) md.set(k, v);
    return md;
  }

  #callOptions(options: CallOptions): grpc.CallOptions {
    return options.timeoutMs === undefined ? {} : { deadline: Date.now() + options.timeoutMs };
  }

  /** Calls a unary method; resolves with the response bytes. */
  unary(path: string, request: Uint8Array, options: CallOptions = {}): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      this.#client.makeUnaryRequest<Buffer, Buffer>(
        path,
        identity,
        identity,
        asBuffer(request),
        this.#metadata(options),
        this.#callOptions(options),
        (err, value) => {
          if (err) reject(new GrpcError(err.code as GrpcCode, err.details));
          else resolve(asBytes(value!));
        },
      );
    });
  }

  /** Opens a bidirectional stream. */
  stream(path: string, options: CallOptions = {}): ClientStream {
    const call = this.#client.makeBidiStreamRequest<Buffer, Buffer>(
      path,
      identity,
      identity,
      this.#metadata(options),
      this.#callOptions(options),
    );
    const done = new Promise<GrpcStatus>((resolve) => {
      call.on(
        "status",
        (s: grpc.StatusObject) => resolve({ code: s.code as GrpcCode, details: s.details }),
      );
    });
    call.on("error", () => {/* reported through `done` */});
    return {
      write: (m) => void call.write(asBuffer(m)),
      end: () => void call.end(),
      cancel: () => call.cancel(),
      onMessage: (listener) => void call.on("data", (b: Buffer) => listener(asBytes(b))),
      done,
    };
  }

  /** Calls a server-streaming method; `listener` gets each message. */
  serverStream(
    path: string,
    request: Uint8Array,
    listener: (message: Uint8Array) => void,
    options: CallOptions = {},
  ): { cancel(): void; done: Promise<GrpcStatus> } {
    const call = this.#client.makeServerStreamRequest<Buffer, Buffer>(
      path,
      identity,
      identity,
      asBuffer(request),
      this.#metadata(options),
      this.#callOptions(options),
    );
    call.on("data", (b: Buffer) => listener(asBytes(b)));
    call.on("error", () => {});
    const done = new Promise<GrpcStatus>((resolve) => {
      call.on(
        "status",
        (s: grpc.StatusObject) => resolve({ code: s.code as GrpcCode, details: s.details }),
      );
    });
    return { cancel: () => call.cancel(), done };
  }

  /** Closes the channel. */
  close(): void {
    this.#client.close();
  }
}
