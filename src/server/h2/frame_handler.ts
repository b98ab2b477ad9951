/**
 * {@linkcode handleFrame}: what a server connection does with each received frame, by the rules
 * of RFC 9113 §6 (frame definitions) and §5.1 (stream states): DATA, HEADERS and CONTINUATION
 * here, connection-level frames in `control_frames.ts`. Violations that leave the
 * connection's state unknown are connection errors (thrown {@linkcode H2ConnectionError}s);
 * those confined to one stream reset just that stream.
 *
 * @module
 */

import {
  MAX_CONTINUATIONS,
  MAX_HEADER_BLOCK_BYTES,
  MAX_HEADER_LIST_BYTES,
  MAX_STREAMS,
  STREAM_GIVE_BACK_BYTES,
  STREAM_WINDOW,
} from "./limits.ts";
import {
  ErrorCode,
  Flag,
  frameSizeError,
  FrameType,
  H2ConnectionError,
  protocolError,
} from "./frame.ts";
import {
  type FrameTarget,
  onPing,
  onReset,
  onSettings,
  onWindowUpdate,
  streamError,
} from "./control_frames.ts";
import { H2Stream } from "./stream.ts";

/** Handles one frame; its payload is `buf[start, end)`. */
export function handleFrame(
  c: FrameTarget,
  type: number,
  flags: number,
  id: number,
  buf: Uint8Array,
  start: number,
  end: number,
): void {
  if (c.blockStream !== 0 && type !== FrameType.CONTINUATION) {
    throw protocolError("expected CONTINUATION");
  }
  if (!c.settingsSeen && type !== FrameType.SETTINGS) {
    throw protocolError("the first frame must be SETTINGS");
  }
  switch (type) {
    case FrameType.DATA:
      return onData(c, flags, id, buf, start, end);
    case FrameType.HEADERS:
      return onHeaders(c, flags, id, buf, start, end);
    case FrameType.PRIORITY:
      if (id === 0) throw protocolError("PRIORITY on stream 0");
      if (end - start !== 5) return streamError(c, id, ErrorCode.FRAME_SIZE_ERROR);
      return c.cheapFrame();
    case FrameType.RST_STREAM:
      return onReset(c, id, end - start);
    case FrameType.SETTINGS:
      return onSettings(c, flags, id, buf, start, end);
    case FrameType.PUSH_PROMISE:
      throw protocolError("PUSH_PROMISE from a client");
    case FrameType.PING:
      return onPing(c, flags, id, buf, start, end);
    case FrameType.GOAWAY:
      if (id !== 0) throw protocolError("GOAWAY on a stream");
      return c.cheapFrame();
    case FrameType.WINDOW_UPDATE:
      return onWindowUpdate(c, id, buf, start, end);
    case FrameType.CONTINUATION:
      return onContinuation(c, flags, id, buf, start, end);
    default:
      return c.cheapFrame(); // unknown frame types are ignored (§5.5)
  }
}

function onData(
  c: FrameTarget,
  flags: number,
  id: number,
  buf: Uint8Array,
  start: number,
  end: number,
): void {
  const length = end - start;
  if (id === 0) throw protocolError("DATA on stream 0");
  c.recvWindow -= length;
  if (c.recvWindow < 0) {
    throw new H2ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "connection window exceeded");
  }
  c.recvUnacked += length;
  let from = start;
  let to = end;
  if (flags & Flag.PADDED) {
    if (length === 0 || buf[start]! >= length) throw protocolError("padding exceeds DATA");
    from++;
    to -= buf[start]!;
  }
  const s = c.streams.get(id);
  if (!s) {
    // Frames for a stream we closed can still be on their way; they only count for the window.
    if (id > c.lastStreamId || (id & 1) === 0) throw protocolError("DATA on an idle stream");
    return;
  }
  if (s.remoteClosed) return streamError(c, id, ErrorCode.STREAM_CLOSED);
  s.recvWindow -= length;
  if (s.recvWindow < 0) return streamError(c, id, ErrorCode.FLOW_CONTROL_ERROR);
  if (to > from) s.listener.data(buf, from, to);
  else if ((flags & Flag.END_STREAM) === 0) c.cheapFrame();
  if (s.closed) return;
  if (flags & Flag.END_STREAM) return s.remoteEnd();
  s.recvUnacked += length;
  if (s.recvUnacked >= STREAM_GIVE_BACK_BYTES) {
    c.writer.out.windowUpdate(id, s.recvUnacked);
    s.recvWindow += s.recvUnacked;
    s.recvUnacked = 0;
    c.writer.scheduleFlush();
  }
}

function onHeaders(
  c: FrameTarget,
  flags: number,
  id: number,
  buf: Uint8Array,
  start: number,
  end: number,
): void {
  if (id === 0) throw protocolError("HEADERS on stream 0");
  let from = start;
  let to = end;
  if (flags & Flag.PADDED) {
    if (to - from < 1 || buf[from]! > to - from - 1) throw protocolError("padding exceeds HEADERS");
    to -= buf[from]!;
    from++;
  }
  if (flags & Flag.PRIORITY) {
    if (to - from < 5) throw frameSizeError("HEADERS too short for its priority");
    from += 5; // priority is ignored (RFC 9113 §5.3.2)
  }
  if (flags & Flag.END_HEADERS) return headerBlock(c, id, flags, buf, from, to);
  c.blockStream = id;
  c.blockFlags = flags;
  c.blockFrames = 0;
  c.blockLength = 0;
  appendBlock(c, buf, from, to);
}

function onContinuation(
  c: FrameTarget,
  flags: number,
  id: number,
  buf: Uint8Array,
  start: number,
  end: number,
): void {
  if (c.blockStream === 0 || id !== c.blockStream) throw protocolError("unexpected CONTINUATION");
  if (++c.blockFrames > MAX_CONTINUATIONS) {
    throw new H2ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, "too many CONTINUATION frames");
  }
  appendBlock(c, buf, start, end);
  if ((flags & Flag.END_HEADERS) === 0) return;
  c.blockStream = 0;
  const block = c.blockBytes;
  if (block.length > 64 * 1024) c.blockBytes = new Uint8Array(0);
  headerBlock(c, id, c.blockFlags, block, 0, c.blockLength);
}

function appendBlock(c: FrameTarget, buf: Uint8Array, start: number, end: number): void {
  const need = c.blockLength + end - start;
  if (need > MAX_HEADER_BLOCK_BYTES) {
    throw new H2ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, "header block too large");
  }
  if (need > c.blockBytes.length) {
    const bigger = new Uint8Array(Math.max(need, c.blockBytes.length * 2, 4096));
    bigger.set(c.blockBytes.subarray(0, c.blockLength));
    c.blockBytes = bigger;
  }
  c.blockBytes.set(buf.subarray(start, end), c.blockLength);
  c.blockLength = need;
}

function headerBlock(
  c: FrameTarget,
  id: number,
  flags: number,
  buf: Uint8Array,
  start: number,
  end: number,
): void {
  // Every block is decoded, even one that is refused, to keep the HPACK table in step.
  const headers: string[] = [];
  const listBytes = c.hpack.decode(buf, start, end, headers, MAX_HEADER_LIST_BYTES);
  const existing = c.streams.get(id);
  if (existing) {
    // Trailers from the client: they must end the stream; their fields are not used.
    if (existing.remoteClosed) return streamError(c, id, ErrorCode.STREAM_CLOSED);
    if ((flags & Flag.END_STREAM) === 0) return streamError(c, id, ErrorCode.PROTOCOL_ERROR);
    return existing.remoteEnd();
  }
  if ((id & 1) === 0) throw protocolError("a client opened an even stream");
  if (id <= c.lastStreamId) return; // a stream we closed (e.g. reset) while this was sent
  c.lastStreamId = id;
  if (c.goingAway || c.streams.size >= MAX_STREAMS) {
    c.cheapFrame();
    return streamError(c, id, ErrorCode.REFUSED_STREAM);
  }
  if (c.hpack.malformed) return streamError(c, id, ErrorCode.PROTOCOL_ERROR);
  if (listBytes > MAX_HEADER_LIST_BYTES) return streamError(c, id, ErrorCode.ENHANCE_YOUR_CALM);
  const stream = new H2Stream(id, c.writer, c.peerInitialWindow, STREAM_WINDOW);
  c.streams.set(id, stream);
  c.open(stream, headers);
  if (flags & Flag.END_STREAM && !stream.closed) stream.remoteEnd();
}
