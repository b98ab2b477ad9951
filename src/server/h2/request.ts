/**
 * {@linkcode parseRequestHead}: checks a request's decoded header list against HTTP/2's rules
 * for requests (RFC 9113 §8.2-§8.3) and gRPC's, and picks out what a call needs.
 *
 * A list HTTP/2 calls malformed (pseudo-headers out of place, unknown or repeated, a missing
 * `:method`/`:scheme`/`:path`, connection-specific fields, `te` other than `trailers`) is a
 * stream error; a well-formed request that is not gRPC gets an HTTP status with a gRPC status,
 * as grpc-go answers it.
 *
 * @module
 */

import { GrpcCode } from "../status.ts";

/** What a call needs from its request headers. */
export interface RequestHead {
  /** `:path`, e.g. `/etcdserverpb.KV/Range`. */
  path: string;
  /** `grpc-timeout` in milliseconds, or -1 without one. */
  timeoutMs: number;
}

/** A request refused with a status before any handler runs. */
export interface Refusal {
  /** The HTTP status of the Trailers-Only response. */
  httpStatus: number;
  /** The gRPC status. */
  code: GrpcCode;
  /** The gRPC status message. */
  details: string;
}

/** Why a request is not one: `"malformed"` (reset the stream) or a {@linkcode Refusal}. */
export type Rejection = "malformed" | Refusal;

const TIMEOUT_UNIT_MS: Record<string, number> = {
  H: 3_600_000,
  M: 60_000,
  S: 1000,
  m: 1,
  u: 0.001,
  n: 0.000001,
};

/** Parses a `grpc-timeout` value (`1S`, `250m`, …) into milliseconds; NaN when invalid. */
export function parseTimeout(value: string): number {
  const n = value.length - 1;
  if (n < 1 || n > 8) return NaN;
  const unit = TIMEOUT_UNIT_MS[value[n]!];
  const digits = value.slice(0, n);
  if (unit === undefined || !/^\d+$/.test(digits)) return NaN;
  return Number(digits) * unit;
}

function isGrpcContentType(v: string): boolean {
  if (!v.startsWith("application/grpc")) return false;
  const next = v.charCodeAt(16);
  return Number.isNaN(next) || next === 0x2b || next === 0x3b; // end, "+" or ";"
}

/** Checks `headers` (`name, value, …`); returns the head or why the request is refused. */
export function parseRequestHead(headers: readonly string[]): RequestHead | Rejection {
  let method: string | undefined;
  let scheme: string | undefined;
  let path: string | undefined;
  let authority = false;
  let contentType: string | undefined;
  let timeout: string | undefined;
  let encoding: string | undefined;
  let regular = false;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    const value = headers[i + 1]!;
    if (name.charCodeAt(0) === 0x3a) {
      if (regular) return "malformed";
      if (name === ":path" && path === undefined && value !== "") path = value;
      else if (name === ":method" && method === undefined) method = value;
      else if (name === ":scheme" && scheme === undefined) scheme = value;
      else if (name === ":authority" && !authority) authority = true;
      else return "malformed";
      continue;
    }
    regular = true;
    switch (name) {
      case "content-type":
        contentType ??= value;
        break;
      case "grpc-timeout":
        timeout ??= value;
        break;
      case "grpc-encoding":
        encoding ??= value;
        break;
      case "te":
        if (value !== "trailers") return "malformed";
        break;
      case "connection":
      case "keep-alive":
      case "proxy-connection":
      case "transfer-encoding":
      case "upgrade":
        return "malformed";
    }
  }
  if (method === undefined || scheme === undefined || path === undefined) return "malformed";
  if (contentType === undefined) {
    return refusal(415, GrpcCode.INTERNAL, "transport: missing content-type field");
  }
  if (!isGrpcContentType(contentType)) {
    return refusal(
      415,
      GrpcCode.INTERNAL,
      `transport: received unexpected content-type ${JSON.stringify(contentType)}`,
    );
  }
  if (method !== "POST") {
    return refusal(
      405,
      GrpcCode.INTERNAL,
      `http2Server.operateHeaders parsed a :method field: ${method} which should be POST`,
    );
  }
  if (encoding !== undefined && encoding !== "identity") {
    return refusal(
      200,
      GrpcCode.UNIMPLEMENTED,
      `grpc: Decompressor is not installed for grpc-encoding ${JSON.stringify(encoding)}`,
    );
  }
  let timeoutMs = -1;
  if (timeout !== undefined) {
    timeoutMs = parseTimeout(timeout);
    if (Number.isNaN(timeoutMs)) {
      return refusal(400, GrpcCode.INTERNAL, `transport: malformed grpc-timeout: ${timeout}`);
    }
  }
  return { path, timeoutMs };
}

function refusal(httpStatus: number, code: GrpcCode, details: string): Refusal {
  return { httpStatus, code, details };
}
