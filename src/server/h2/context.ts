/**
 * {@linkcode H2CallContext}: the {@linkcode CallContext} of a call on {@linkcode H2GrpcServer},
 * read from the request's decoded header list. TLS never reaches this transport, so
 * `commonName` is always undefined.
 *
 * @module
 */

import type { CallContext } from "../grpc.ts";

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
