/**
 * {@linkcode decode}: runs a message decoder and turns a malformed message into the error etcd
 * (grpc-go) answers with: `INTERNAL` "grpc: error unmarshalling request: …".
 *
 * @module
 */

import { KvError } from "../errors.ts";

/** Decodes `bytes` with `decoder`; a decoding failure becomes a `malformed-request` error. */
export function decode<T>(bytes: Uint8Array, decoder: (bytes: Uint8Array) => T): T {
  try {
    return decoder(bytes);
  } catch (err: unknown) {
    const text = err instanceof Error ? err.message : String(err);
    throw new KvError("malformed-request", `grpc: error unmarshalling request: ${text}`, {
      cause: err,
    });
  }
}
