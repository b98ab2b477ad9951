/**
 * What a call sees and needs: {@linkcode H2CallContext}, the {@linkcode CallContext} of a call
 * on `H2GrpcServer`, read from the request's decoded header list (TLS never reaches this
 * transport, so `commonName` is always undefined); {@linkcode CallStart}, what a call is opened
 * with; and {@linkcode CallHost}, what it needs from its server — limits, error mapping, the
 * observer, and the bookkeeping that lets `shutdown` wait for unary calls and end streaming ones.
 *
 * @module
 */

import type { CallContext, Method, StreamCall } from "../grpc.ts";
import type { GrpcStatus } from "../status.ts";
import type { HeldBytes } from "./message_reader.ts";

/** What calls need from their server. */
export interface CallHost {
  /** Largest request message accepted. */
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
  /** A unary call began (shutdown waits for unary calls). */
  unaryStarted(): void;
  /** A unary call is over. */
  unaryEnded(): void;
  /** A streaming call began (shutdown ends it with UNAVAILABLE). */
  streamStarted(call: StreamCall): void;
  /** A streaming call is over. */
  streamEnded(call: StreamCall): void;
}

/** What a call is opened with. */
export interface CallStart {
  /** `:path`, e.g. `/etcdserverpb.KV/Range`. */
  path: string;
  method: Method;
  /** The client's address. */
  peer: string;
  /** The request's header list, `name, value, …`. */
  headers: readonly string[];
  /** The `grpc-timeout` in milliseconds, or -1. */
  timeoutMs: number;
  /** The connection's count of bytes held in incomplete messages. */
  held: HeldBytes;
}

/** Where a context gets its abort signal from (created only when a handler asks). */
export interface SignalSource {
  /** The call's abort signal. */
  signal(): AbortSignal;
}

/** A call's context; `metadata(key)` finds the first field named `key`. */
export class H2CallContext implements CallContext {
  readonly method: string;
  readonly peer: string;
  readonly commonName: string | undefined = undefined;
  readonly #headers: readonly string[];
  readonly #source: SignalSource;

  /** Creates the context of a call on `method` from `headers` (`name, value, …`). */
  constructor(method: string, peer: string, headers: readonly string[], source: SignalSource) {
    this.method = method;
    this.peer = peer;
    this.#headers = headers;
    this.#source = source;
  }

  /** Aborted when the client cancels or disconnects, or the deadline passes. */
  get signal(): AbortSignal {
    return this.#source.signal();
  }

  /** The first value of metadata `key`; `-bin` values are base64-decoded as grpc-js does. */
  metadata(key: string): string | undefined {
    const h = this.#headers;
    for (let i = 0; i < h.length; i += 2) {
      if (h[i] !== key) continue;
      const value = h[i + 1]!;
      return key.endsWith("-bin") ? decodeBinary(value) : value;
    }
    return undefined;
  }
}

function decodeBinary(value: string): string {
  try {
    const bytes = Uint8Array.from(atob(value.replace(/=+$/, "")), (c) => c.charCodeAt(0));
    return new TextDecoder().decode(bytes);
  } catch {
    return value;
  }
}
