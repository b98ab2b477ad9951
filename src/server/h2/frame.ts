/**
 * HTTP/2 framing constants (RFC 9113 §4, §6, §7, §11) and the two kinds of protocol error.
 *
 * A frame is a 9-byte header — length (24 bits), type, flags, a reserved bit and the stream id
 * (31 bits) — and `length` bytes of payload. A connection opens with the client's 24-byte
 * preface, then both sides send SETTINGS.
 *
 * @module
 */

/** Length of a frame header. */
export const FRAME_HEADER_BYTES = 9;

/** The client connection preface: `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`. */
export const PREFACE: Uint8Array = new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/** Frame types. */
export const FrameType = {
  DATA: 0,
  HEADERS: 1,
  PRIORITY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PUSH_PROMISE: 5,
  PING: 6,
  GOAWAY: 7,
  WINDOW_UPDATE: 8,
  CONTINUATION: 9,
} as const;

/** Frame flags (`ACK` shares its bit with `END_STREAM`). */
export const Flag = {
  END_STREAM: 0x1,
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;

/** Error codes of RST_STREAM and GOAWAY. */
export const ErrorCode = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  SETTINGS_TIMEOUT: 0x4,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  CONNECT_ERROR: 0xa,
  ENHANCE_YOUR_CALM: 0xb,
} as const;

/** An HTTP/2 error code. */
export type ErrorCode = typeof ErrorCode[keyof typeof ErrorCode];

/** SETTINGS parameter identifiers. */
export const Setting = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
} as const;

/** The largest flow-control window (2^31 - 1). */
export const MAX_WINDOW = 0x7fffffff;

/** The initial window and frame size every endpoint starts with, before SETTINGS. */
export const DEFAULT_WINDOW = 65_535;

/** The smallest MAX_FRAME_SIZE, which is also the default. */
export const DEFAULT_MAX_FRAME = 16_384;

/** The largest MAX_FRAME_SIZE a peer may announce. */
export const LARGEST_MAX_FRAME = 16_777_215;

/**
 * A connection error (RFC 9113 §5.4.1): the connection sends GOAWAY with `errorCode` and closes.
 */
export class H2ConnectionError extends Error {
  /** Creates the error; `message` becomes GOAWAY's debug data. */
  constructor(readonly errorCode: ErrorCode, message: string) {
    super(message);
    this.name = "H2ConnectionError";
  }
}

/** Shorthand for a PROTOCOL_ERROR connection error. */
export function protocolError(message: string): H2ConnectionError {
  return new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, message);
}

/** Shorthand for a FRAME_SIZE_ERROR connection error. */
export function frameSizeError(message: string): H2ConnectionError {
  return new H2ConnectionError(ErrorCode.FRAME_SIZE_ERROR, message);
}
