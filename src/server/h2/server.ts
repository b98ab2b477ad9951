/**
 * {@linkcode H2GrpcServer}: a gRPC server on our own HTTP/2 implementation, over cleartext TCP
 * (h2c with prior knowledge, which etcd clients use without TLS). Its public surface is
 * `GrpcServer`'s, and handlers see the same {@linkcode CallContext} and {@linkcode StreamCall}
 * semantics, so the server can run either; TLS listeners stay on `GrpcServer`.
 *
 * @module
 */

import { errorText } from "../../log.ts";
import type { GrpcServerOptions, Method, StreamCall, TlsOptions } from "../grpc.ts";
import { GrpcCode, GrpcError, type GrpcStatus, toStatus } from "../status.ts";
import { GrpcCall } from "./call.ts";
import type { CallHost } from "./context.ts";
import { type ConnectionHost, H2Connection } from "./connection.ts";
import { ErrorCode } from "./frame.ts";
import { trailersBlock } from "./grpc_framing.ts";
import { parseRequestHead } from "./request.ts";
import type { H2Stream } from "./stream.ts";

/** grpc-go's texts for a path that names no registered method. */
function unknownMethod(path: string, services: ReadonlySet<string>): string {
  const name = path.startsWith("/") ? path.slice(1) : path;
  const slash = name.lastIndexOf("/");
  if (slash < 0) return `malformed method name: ${JSON.stringify(path)}`;
  const service = name.slice(0, slash);
  if (!services.has(service)) return `unknown service ${service}`;
  return `unknown method ${name.slice(slash + 1)} for service ${service}`;
}

/** A gRPC server over cleartext HTTP/2; see the module doc. */
export class H2GrpcServer implements AsyncDisposable {
  readonly #options: GrpcServerOptions;
  readonly #routes = new Map<string, Method>();
  readonly #services = new Set<string>();
  readonly #listeners: Deno.Listener[] = [];
  readonly #accepting: Promise<void>[] = [];
  readonly #conns = new Set<H2Connection>();
  readonly #streams = new Set<StreamCall>();
  readonly #reportedUnexpected = new Set<string>();
  #unary = 0;
  #unaryIdle: (() => void)[] = [];
  #stopping = false;
  readonly #calls: CallHost;
  readonly #connectionHost: ConnectionHost;

  /** Creates the server with `options` (limits, keepalive, logger, observer). */
  constructor(options: GrpcServerOptions) {
    this.#options = options;
    const observer = options.observer;
    this.#calls = {
      maxReceiveBytes: options.maxReceiveBytes,
      timed: observer !== undefined,
      status: (path, err) => this.#status(path, err),
      observe(path, kind, code, started, rx, tx) {
        observer?.(path, kind, code, (performance.now() - started) / 1000, rx, tx);
      },
      unaryStarted: () => void this.#unary++,
      unaryEnded: () => {
        if (--this.#unary > 0) return;
        const waiters = this.#unaryIdle;
        this.#unaryIdle = [];
        for (const w of waiters) w();
      },
      streamStarted: (call) => void this.#streams.add(call),
      streamEnded: (call) => void this.#streams.delete(call),
    };
    this.#connectionHost = {
      keepaliveTimeMs: options.keepaliveTimeMs,
      keepaliveTimeoutMs: options.keepaliveTimeoutMs,
      open: (conn, stream, headers) => this.#open(conn, stream, headers),
      closed: (conn) => void this.#conns.delete(conn),
      internalError: (err) =>
        options.logger.error("HTTP/2 connection failed", { error: errorText(err) }),
    };
  }

  /** Registers the methods of service `name` (e.g. `etcdserverpb.KV`). */
  addService(name: string, methods: Record<string, Method>): void {
    this.#services.add(name);
    for (const [methodName, method] of Object.entries(methods)) {
      this.#routes.set(`/${name}/${methodName}`, method);
    }
  }

  /**
   * Binds `host:port` (port 0 picks one; IPv4 or IPv6); returns the bound port. Cleartext only:
   * passing `tls` rejects (TLS listeners use `GrpcServer`).
   */
  listen(host: string, port: number, tls?: TlsOptions): Promise<number> {
    if (tls !== undefined) {
      return Promise.reject(
        new Error("H2GrpcServer serves cleartext only; use GrpcServer for TLS"),
      );
    }
    try {
      const listener = Deno.listen({ hostname: host, port, transport: "tcp" });
      this.#listeners.push(listener);
      this.#accepting.push(this.#accept(listener));
      return Promise.resolve((listener.addr as Deno.NetAddr).port);
    } catch (err: unknown) {
      return Promise.reject(err);
    }
  }

  /**
   * Stops accepting, sends GOAWAY, ends open streams (watches, keepalives) with UNAVAILABLE
   * "server stopped", waits up to `graceMs` for unary calls in flight, then closes every
   * connection (cancelling what is left).
   */
  async shutdown(graceMs: number): Promise<void> {
    this.#stopListening();
    for (const c of this.#conns) c.goaway();
    for (const call of [...this.#streams]) {
      call.finish(new GrpcError(GrpcCode.UNAVAILABLE, "etcdserver: server stopped"));
    }
    if (this.#unary > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#unaryIdle.push(resolve);
        timer = setTimeout(resolve, graceMs);
      });
      clearTimeout(timer);
    }
    await Promise.all([...this.#conns].map((c) => c.close()));
    await Promise.all(this.#accepting);
  }

  /** Cancels every call and closes every connection at once. */
  forceShutdown(): void {
    this.#stopListening();
    for (const c of [...this.#conns]) c.destroy();
  }

  /** Shuts down without a grace period. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown(0);
  }

  #stopListening(): void {
    this.#stopping = true;
    for (const l of this.#listeners.splice(0)) {
      try {
        l.close();
      } catch { /* already closed */ }
    }
  }

  async #accept(listener: Deno.Listener): Promise<void> {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (err: unknown) {
        if (this.#stopping || err instanceof Deno.errors.BadResource) return;
        this.#options.logger.warn("cannot accept a connection", { error: errorText(err) });
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      if (this.#stopping) {
        conn.close();
        continue;
      }
      const c = new H2Connection(conn, this.#connectionHost);
      this.#conns.add(c);
      void c.serve();
    }
  }

  #open(conn: H2Connection, stream: H2Stream, headers: readonly string[]): void {
    const head = parseRequestHead(headers);
    if (head === "malformed") return stream.fail(ErrorCode.PROTOCOL_ERROR);
    if ("httpStatus" in head) {
      const { code, details, httpStatus } = head;
      return stream.finish(trailersBlock(code, details, { trailersOnly: true, httpStatus }));
    }
    const method = this.#routes.get(head.path);
    if (method === undefined) {
      const details = unknownMethod(head.path, this.#services);
      return stream.finish(trailersBlock(GrpcCode.UNIMPLEMENTED, details, { trailersOnly: true }));
    }
    stream.listener = new GrpcCall(this.#calls, stream, {
      path: head.path,
      method,
      peer: conn.peer,
      headers,
      timeoutMs: head.timeoutMs,
      held: conn,
    });
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
}
