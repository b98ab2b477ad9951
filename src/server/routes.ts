/**
 * {@linkcode Routes}: the service tables behind the transport, swappable at run time. The
 * transport gets one delegating method per RPC, registered once; each call looks up the current
 * table. Cluster mode swaps the tables when it reopens the node (a leader that steps down, a
 * follower that resyncs), and ends open streams so clients reconnect to the new state.
 *
 * It also runs a unary method in-process for a request a follower forwarded.
 *
 * @module
 */

import type { CallContext, Method, StreamCall, StreamReceiver, UnaryHandler } from "./grpc.ts";
import { GrpcCode, GrpcError } from "./status.ts";

/** Service name → method name → method. */
export type ServiceTables = Record<string, Record<string, Method>>;

/** Something that takes services (both transports do). */
export interface ServiceHost {
  addService(name: string, methods: Record<string, Method>): void;
}

/** Counts the bytes of client messages (etcd's `etcd_network_client_grpc_*_bytes_total`). */
export interface ByteCounter {
  received(bytes: number): void;
  sent(bytes: number): void;
}

/** The swappable tables; see the module doc. */
export class Routes {
  #tables: ServiceTables;
  #internal: Record<string, UnaryHandler>;
  readonly #streams = new Set<StreamCall>();
  readonly #bytes: ByteCounter | undefined;

  /**
   * Starts with `tables`; `internal` are unary paths only forwarded calls reach; `bytes` counts
   * the messages of client calls (not of in-process forwarded ones).
   */
  constructor(
    tables: ServiceTables,
    internal: Record<string, UnaryHandler> = {},
    bytes?: ByteCounter,
  ) {
    this.#tables = tables;
    this.#internal = internal;
    this.#bytes = bytes;
  }

  /** `call`, with every written message counted. */
  #counted(call: StreamCall): StreamCall {
    const bytes = this.#bytes;
    if (!bytes) return call;
    return {
      get ctx() {
        return call.ctx;
      },
      write(message: Uint8Array): boolean {
        bytes.sent(message.length);
        return call.write(message);
      },
      onDrain: (listener) => call.onDrain(listener),
      finish: (err) => call.finish(err),
      get ended() {
        return call.ended;
      },
    };
  }

  /** `receiver`, with every received message counted. */
  #receiving(receiver: StreamReceiver): StreamReceiver {
    const bytes = this.#bytes;
    if (!bytes) return receiver;
    const counted: StreamReceiver = {
      message(request: Uint8Array) {
        bytes.received(request.length);
        receiver.message(request);
      },
    };
    if (receiver.end) counted.end = () => receiver.end!();
    if (receiver.closed) counted.closed = () => receiver.closed!();
    return counted;
  }

  /**
   * Replaces every table (the same services and methods as before) and ends every open stream
   * with Unavailable "leader changed": watches and keepalives then reconnect to the new state.
   */
  set(tables: ServiceTables, internal: Record<string, UnaryHandler> = this.#internal): void {
    this.#tables = tables;
    this.#internal = internal;
    this.endStreams();
  }

  /** Ends every open stream with Unavailable "leader changed" (clients reconnect). */
  endStreams(): void {
    for (const call of [...this.#streams]) {
      call.finish(new GrpcError(GrpcCode.UNAVAILABLE, "etcdserver: leader changed"));
    }
    this.#streams.clear();
  }

  #track(call: StreamCall): void {
    for (const c of this.#streams) if (c.ended) this.#streams.delete(c);
    this.#streams.add(call);
  }

  #method(service: string, name: string): Method {
    const m = this.#tables[service]?.[name];
    if (!m) {
      throw new GrpcError(GrpcCode.UNIMPLEMENTED, `unknown method ${name} for service ${service}`);
    }
    return m;
  }

  /** Registers one delegating method per method of the current tables on `host`. */
  register(host: ServiceHost): void {
    for (const [service, methods] of Object.entries(this.#tables)) {
      const delegates: Record<string, Method> = {};
      for (const [name, m] of Object.entries(methods)) {
        if (m.kind === "unary") {
          delegates[name] = {
            kind: "unary",
            handler: (bytes, ctx) => {
              const cur = this.#method(service, name);
              if (cur.kind !== "unary") throw new Error("method kind changed");
              const counter = this.#bytes;
              if (!counter) return cur.handler(bytes, ctx);
              counter.received(bytes.length);
              const out = cur.handler(bytes, ctx);
              if (out instanceof Uint8Array) {
                counter.sent(out.length);
                return out;
              }
              return out.then((r) => {
                counter.sent(r.length);
                return r;
              });
            },
          };
        } else if (m.kind === "bidi") {
          delegates[name] = {
            kind: "bidi",
            handler: (call: StreamCall) => {
              const cur = this.#method(service, name);
              if (cur.kind !== "bidi") throw new Error("method kind changed");
              this.#track(call);
              return this.#receiving(cur.handler(this.#counted(call)));
            },
          };
        } else {
          delegates[name] = {
            kind: "serverStream",
            handler: (bytes, call) => {
              const cur = this.#method(service, name);
              if (cur.kind !== "serverStream") throw new Error("method kind changed");
              this.#track(call);
              this.#bytes?.received(bytes.length);
              cur.handler(bytes, this.#counted(call));
            },
          };
        }
      }
      host.addService(service, delegates);
    }
  }

  /** Runs unary method `path` (`/service/Method`) in-process with `metadata`. */
  async call(
    path: string,
    request: Uint8Array,
    metadata: Record<string, string>,
  ): Promise<Uint8Array> {
    const [, service = "", name = ""] = path.split("/");
    const internal = this.#internal[path];
    const m = internal ? undefined : this.#method(service, name);
    if (m && m.kind !== "unary") {
      throw new GrpcError(GrpcCode.UNIMPLEMENTED, `${path} cannot be forwarded`);
    }
    const handler = internal ?? (m as Extract<Method, { kind: "unary" }>).handler;
    const ctx: CallContext = {
      method: path,
      metadata: (key) => metadata[key],
      peer: "forwarded",
      commonName: undefined,
      signal: new AbortController().signal,
    };
    return await handler(request, ctx);
  }
}
