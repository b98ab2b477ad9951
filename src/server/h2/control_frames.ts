/**
 * Connection-level frames — SETTINGS, PING, WINDOW_UPDATE, RST_STREAM — and stream errors, by
 * the rules of RFC 9113 §6, plus {@linkcode FrameTarget}, the connection state every frame
 * handler acts on.
 *
 * @module
 */

import {
  ErrorCode,
  Flag,
  frameSizeError,
  FrameType,
  H2ConnectionError,
  LARGEST_MAX_FRAME,
  MAX_WINDOW,
  protocolError,
  Setting,
} from "./frame.ts";
import type { HpackDecoder } from "./hpack.ts";
import type { H2Stream } from "./stream.ts";
import type { ConnectionWriter } from "./writer.ts";

/** The connection state frames act on (the connection implements it). */
export interface FrameTarget {
  /** The send side. */
  readonly writer: ConnectionWriter;
  /** The HPACK decoding context. */
  readonly hpack: HpackDecoder;
  /** Open streams by id. */
  readonly streams: Map<number, H2Stream>;
  /** Highest client stream id seen. */
  lastStreamId: number;
  /** The peer's SETTINGS_INITIAL_WINDOW_SIZE. */
  peerInitialWindow: number;
  /** How much more the client may send on the connection. */
  recvWindow: number;
  /** Bytes received and not yet given back. */
  recvUnacked: number;
  /** The client's first SETTINGS arrived. */
  settingsSeen: boolean;
  /** The stream whose header block spans CONTINUATION frames (0: none). */
  blockStream: number;
  /** Flags of that block's HEADERS frame. */
  blockFlags: number;
  /** CONTINUATION frames of that block so far. */
  blockFrames: number;
  /** The block's bytes so far. */
  blockBytes: Uint8Array;
  /** How many bytes of `blockBytes` hold the block. */
  blockLength: number;
  /** GOAWAY was sent: new streams are refused. */
  readonly goingAway: boolean;
  /** Opens the call of a new stream. */
  open(stream: H2Stream, headers: string[]): void;
  /** Counts a cheap frame (throws on a flood). */
  cheapFrame(): void;
  /** Throws when a peer that does not read keeps asking for acks. */
  checkControlOutput(): void;
  /** Our keepalive PING was answered. */
  pingAcked(): void;
}

/** A 32-bit big-endian number at `buf[at]`. */
export function u32(buf: Uint8Array, at: number): number {
  return ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0;
}

/** A stream error (RFC 9113 §5.4.2): resets stream `id` (telling its call) with `code`. */
export function streamError(c: FrameTarget, id: number, code: number): void {
  const s = c.streams.get(id);
  if (s) s.fail(code);
  else c.writer.out.rstStream(id, code);
  c.writer.scheduleFlush();
}

/** RST_STREAM: the client cancels a stream. */
export function onReset(c: FrameTarget, id: number, length: number): void {
  if (length !== 4) throw frameSizeError("RST_STREAM of the wrong size");
  if (id === 0) throw protocolError("RST_STREAM on stream 0");
  c.cheapFrame();
  const s = c.streams.get(id);
  if (s) s.abort();
  else if (id > c.lastStreamId) throw protocolError("RST_STREAM on an idle stream");
}

/** SETTINGS: the peer's parameters, then our ACK. */
export function onSettings(
  c: FrameTarget,
  flags: number,
  id: number,
  buf: Uint8Array,
  start: number,
  end: number,
): void {
  if (id !== 0) throw protocolError("SETTINGS on a stream");
  if (flags & Flag.ACK) {
    if (end !== start) throw frameSizeError("SETTINGS ACK with a payload");
    if (!c.settingsSeen) throw protocolError("the first frame must be SETTINGS");
    return;
  }
  if ((end - start) % 6 !== 0) throw frameSizeError("SETTINGS of the wrong size");
  if (c.settingsSeen) c.cheapFrame();
  c.settingsSeen = true;
  let grew = false;
  for (let p = start; p < end; p += 6) {
    const value = u32(buf, p + 2);
    switch ((buf[p]! << 8) | buf[p + 1]!) {
      case Setting.ENABLE_PUSH:
        if (value > 1) throw protocolError("SETTINGS_ENABLE_PUSH above 1");
        break;
      case Setting.INITIAL_WINDOW_SIZE: {
        if (value > MAX_WINDOW) {
          throw new H2ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "initial window too big");
        }
        const delta = value - c.peerInitialWindow;
        c.peerInitialWindow = value;
        for (const s of c.streams.values()) {
          s.sendWindow += delta;
          if (s.sendWindow > MAX_WINDOW) {
            throw new H2ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "stream window overflow");
          }
        }
        grew ||= delta > 0;
        break;
      }
      case Setting.MAX_FRAME_SIZE:
        if (value < 16_384 || value > LARGEST_MAX_FRAME) {
          throw protocolError("SETTINGS_MAX_FRAME_SIZE out of range");
        }
        c.writer.peerMaxFrame = value;
        break;
        // HEADER_TABLE_SIZE needs nothing: our encoder keeps no dynamic table (grpc_framing.ts).
    }
  }
  c.writer.out.frameHeader(0, FrameType.SETTINGS, Flag.ACK, 0);
  c.writer.scheduleFlush();
  c.checkControlOutput();
  if (grew) c.writer.pumpAll();
}

/** PING: answered with an ACK carrying the same payload. */
export function onPing(
  c: FrameTarget,
  flags: number,
  id: number,
  buf: Uint8Array,
  start: number,
  end: number,
): void {
  if (end - start !== 8) throw frameSizeError("PING of the wrong size");
  if (id !== 0) throw protocolError("PING on a stream");
  if (flags & Flag.ACK) return c.pingAcked();
  // Pings while calls are open are keepalives or window probes (grpc-go's BDP estimator).
  if (c.streams.size === 0) c.cheapFrame();
  c.writer.out.ping(Flag.ACK, buf, start);
  c.writer.scheduleFlush();
  c.checkControlOutput();
}

/** WINDOW_UPDATE: more send window for the connection or a stream. */
export function onWindowUpdate(
  c: FrameTarget,
  id: number,
  buf: Uint8Array,
  start: number,
  end: number,
): void {
  if (end - start !== 4) throw frameSizeError("WINDOW_UPDATE of the wrong size");
  const increment = u32(buf, start) & 0x7fffffff;
  if (id === 0) {
    if (increment === 0) throw protocolError("WINDOW_UPDATE of 0");
    if (c.writer.sendWindow + increment > MAX_WINDOW) {
      throw new H2ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "connection window overflow");
    }
    c.writer.sendWindow += increment;
    return c.writer.pumpAll();
  }
  const s = c.streams.get(id);
  if (!s) {
    if (id > c.lastStreamId) throw protocolError("WINDOW_UPDATE on an idle stream");
    return;
  }
  if (increment === 0) return streamError(c, id, ErrorCode.PROTOCOL_ERROR);
  if (!s.addWindow(increment)) return streamError(c, id, ErrorCode.FLOW_CONTROL_ERROR);
  c.writer.pumpStream(s);
}
