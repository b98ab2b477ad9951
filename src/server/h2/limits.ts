/**
 * The server's HTTP/2 settings and abuse limits, in one place. Windows are sized so that a
 * message of several MiB never waits for a WINDOW_UPDATE; every buffer that a peer can make us
 * fill has a bound here.
 *
 * @module
 */

/** Our SETTINGS_MAX_CONCURRENT_STREAMS; more open streams are refused (REFUSED_STREAM). */
export const MAX_STREAMS = 10_000;

/** Our SETTINGS_INITIAL_WINDOW_SIZE: how much a client may send on a stream unacknowledged. */
export const STREAM_WINDOW = 4 * 1024 * 1024;

/** The connection receive window, raised to this by a WINDOW_UPDATE right after our SETTINGS. */
export const CONNECTION_WINDOW = 16 * 1024 * 1024;

/** Received bytes of a stream consumed before we give them back with a WINDOW_UPDATE. */
export const STREAM_GIVE_BACK_BYTES: number = STREAM_WINDOW / 4;

/** Received bytes of the connection consumed before we give them back. */
export const CONNECTION_GIVE_BACK_BYTES = 1024 * 1024;

/** Our SETTINGS_MAX_HEADER_LIST_SIZE; a larger list resets its stream (ENHANCE_YOUR_CALM). */
export const MAX_HEADER_LIST_BYTES = 64 * 1024;

/** Largest encoded header block across HEADERS and CONTINUATION frames (else GOAWAY). */
export const MAX_HEADER_BLOCK_BYTES = 256 * 1024;

/** Most CONTINUATION frames in one header block (else GOAWAY). */
export const MAX_CONTINUATIONS = 512;

/**
 * Cheap frames (resets, settings, priority, empty DATA, pings with no call open, unknown types,
 * refused streams) allowed per second before GOAWAY ENHANCE_YOUR_CALM: rapid-reset and
 * control-frame floods cost us little per frame but must not go on for ever.
 */
export const CHEAP_FRAMES_PER_SECOND = 5000;

/** Most bytes held in incomplete request messages per connection (else GOAWAY). */
export const MAX_HELD_BYTES = 256 * 1024 * 1024;

/** Unwritten output bytes past which streams stop moving DATA into the output buffer. */
export const HIGH_WATER = 1024 * 1024;

/** Unwritten output past which a peer that keeps sending pings or settings is cut off. */
export const CONTROL_OUTPUT_LIMIT: number = HIGH_WATER + 4 * 1024 * 1024;

/** Queued bytes of one stream past which its sender is told to wait (write returns false). */
export const STREAM_HIGH_WATER = 64 * 1024;

/** The SETTINGS we send, as `[id, value, …]` (ids of RFC 9113 §6.5.2). */
export const SERVER_SETTINGS: readonly number[] = [
  0x3, // MAX_CONCURRENT_STREAMS
  MAX_STREAMS,
  0x4, // INITIAL_WINDOW_SIZE
  STREAM_WINDOW,
  0x6, // MAX_HEADER_LIST_SIZE
  MAX_HEADER_LIST_BYTES,
];
