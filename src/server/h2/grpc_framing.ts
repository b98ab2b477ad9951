/**
 * gRPC over HTTP/2, the response side (gRPC's PROTOCOL-HTTP2.md): the header blocks a call
 * answers with, and the 5-byte message prefix.
 *
 * A response is HEADERS (`:status 200`, `content-type: application/grpc`), DATA frames holding
 * length-prefixed messages, then trailers (`grpc-status`, and `grpc-message` when not OK) with
 * END_STREAM; a call that fails before sending a message may answer with one Trailers-Only
 * HEADERS frame. Every field is an HPACK literal without indexing, so our encoder keeps no
 * dynamic table: the first block of a connection starts with a table size update to 0, after
 * which any SETTINGS_HEADER_TABLE_SIZE the client announces is already satisfied.
 *
 * @module
 */

import { CONTENT_TYPE_INDEX, STATUS_200_INDEX, STATUS_INDEX } from "./hpack_static.ts";

/** Bytes of the prefix before each message: a compressed flag and a 32-bit length. */
export const MESSAGE_PREFIX_BYTES = 5;

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

/** An HPACK string literal, not Huffman-coded: a 7-bit-prefix length, then the octets. */
function literal(out: number[], octets: ArrayLike<number>): void {
  let n = octets.length;
  if (n < 0x7f) out.push(n);
  else {
    out.push(0x7f);
    n -= 0x7f;
    while (n >= 0x80) {
      out.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    out.push(n);
  }
  for (let i = 0; i < octets.length; i++) out.push(octets[i]!);
}

/** A literal field without indexing with a new name. */
function field(out: number[], name: string, value: ArrayLike<number>): void {
  out.push(0x00);
  literal(out, ascii(name));
  literal(out, value);
}

function responseHeaders(httpStatus: number): number[] {
  const out: number[] = [];
  if (httpStatus === 200) out.push(0x80 | STATUS_200_INDEX);
  else {
    out.push(STATUS_INDEX); // literal without indexing, indexed name `:status`
    literal(out, ascii(String(httpStatus)));
  }
  out.push(0x0f, CONTENT_TYPE_INDEX - 15);
  literal(out, ascii("application/grpc"));
  return out;
}

/** The table size update to 0 that opens the first header block of a connection. */
export const TABLE_SIZE_ZERO: Uint8Array = new Uint8Array([0x20]);

/** The response HEADERS block of every call. */
export const RESPONSE_HEADERS: Uint8Array = new Uint8Array(responseHeaders(200));

/** The trailers of a call that ended OK. */
export const OK_TRAILERS: Uint8Array = new Uint8Array((() => {
  const out: number[] = [];
  field(out, "grpc-status", ascii("0"));
  return out;
})());

/**
 * Percent-encodes `details` for `grpc-message`: its UTF-8 octets outside 0x20-0x7E, and `%`,
 * become `%XX`.
 */
export function percentEncode(details: string): number[] {
  const out: number[] = [];
  const hex = "0123456789ABCDEF";
  for (const b of new TextEncoder().encode(details)) {
    if (b >= 0x20 && b <= 0x7e && b !== 0x25) out.push(b);
    else out.push(0x25, hex.charCodeAt(b >> 4), hex.charCodeAt(b & 0xf));
  }
  return out;
}

/** Most octets of `grpc-message` sent: longer details are cut, to stay in one frame. */
const MAX_MESSAGE_OCTETS = 8 * 1024;

/**
 * The trailers block for `code` and `details`; with `trailersOnly`, preceded by the response
 * headers (with `httpStatus`) so that one HEADERS frame answers the call.
 */
export function trailersBlock(
  code: number,
  details: string,
  options: { trailersOnly: boolean; httpStatus?: number },
): Uint8Array {
  if (code === 0 && !options.trailersOnly) return OK_TRAILERS;
  const out = options.trailersOnly ? responseHeaders(options.httpStatus ?? 200) : [];
  field(out, "grpc-status", ascii(String(code)));
  if (code !== 0 && details !== "") {
    const message = percentEncode(details);
    if (message.length > MAX_MESSAGE_OCTETS) {
      // Cut, but never inside a `%XX` escape.
      let end = MAX_MESSAGE_OCTETS;
      while (end > MAX_MESSAGE_OCTETS - 3 && message.lastIndexOf(0x25, end - 1) > end - 3) end--;
      message.length = end;
    }
    field(out, "grpc-message", message);
  }
  return new Uint8Array(out);
}
