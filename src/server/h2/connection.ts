/**
 * {@linkcode H2Connection}: one cleartext HTTP/2 server connection (h2c with prior knowledge) —
 * the read loop, frame parsing, SETTINGS, flow control on the receive side, the stream table
 * and its state rules, keepalive, and connection errors (RFC 9113).
 *
 * Reads go into one reusable buffer; whole frames are handled in place (DATA payloads are
 * handed to the stream's call as views, HPACK decodes straight from the buffer) and a partial
 * frame at the end is moved to the front for the next read. Only a header block split over
 * CONTINUATION frames is copied, into a block buffer of bounded size.
 *
 * Receive windows are generous (4 MiB per stream, 16 MiB for the connection) and are given back
 * as data is consumed — a call copies each message out as it completes — so a 2 MiB request
 * never waits for a window. Bytes held in incomplete messages are capped per connection.
 *
 * Limits (`limits.ts`) keep memory bounded: frames over our MAX_FRAME_SIZE, oversized or
 * endless header blocks, floods of cheap frames and a peer that sends pings but does not read
 * end the connection with GOAWAY; streams beyond MAX_CONCURRENT_STREAMS are refused.
 *
 * @module
 */

import {
  DEFAULT_MAX_FRAME,
  DEFAULT_WINDOW,
  ErrorCode,
  FRAME_HEADER_BYTES,
  H2ConnectionError,
  PREFACE,
  protocolError,
} from "./frame.ts";
import { HpackDecoder } from "./hpack.ts";
import { Keepalive } from "./keepalive.ts";
import type { H2Stream } from "./stream.ts";
import { ConnectionWriter } from "./writer.ts";
import type { FrameTarget } from "./control_frames.ts";
import { handleFrame } from "./frame_handler.ts";
import {
  CHEAP_FRAMES_PER_SECOND,
  CONNECTION_GIVE_BACK_BYTES,
  CONNECTION_WINDOW,
  CONTROL_OUTPUT_LIMIT,
  SERVER_SETTINGS,
} from "./limits.ts";

const READ_BYTES = 64 * 1024;

/** What a connection needs from its server. */
export interface ConnectionHost {
  /** Opens the call for a new stream; sets `stream.listener`. */
  open(conn: H2Connection, stream: H2Stream, headers: readonly string[]): void;
  /** The connection is closed. */
  closed(conn: H2Connection): void;
  /** A bug surfaced while serving a connection (it is closed with INTERNAL_ERROR). */
  internalError(err: unknown): void;
  /** Idle time after which we ping the client. */
  readonly keepaliveTimeMs: number;
  /** How long a keepalive ping may go unanswered before we close. */
  readonly keepaliveTimeoutMs: number;
}

/** One server connection; see the module doc. */
export class H2Connection implements FrameTarget {
  readonly #conn: Deno.Conn;
  /** The server this connection serves. */
  readonly host: ConnectionHost;
  /** The client's address, as grpc-js prints it (`host:port`). */
  readonly peer: string;
  /** The send side. */
  readonly writer: ConnectionWriter;
  /** The connection's HPACK decoding context. */
  readonly hpack = new HpackDecoder();
  /** Open streams by id. */
  readonly streams = new Map<number, H2Stream>();
  /** Highest client stream id seen. */
  lastStreamId = 0;
  /** The peer's SETTINGS_INITIAL_WINDOW_SIZE. */
  peerInitialWindow: number = DEFAULT_WINDOW;
  /** How much more the client may send on the connection. */
  recvWindow: number = CONNECTION_WINDOW;
  /** Bytes received and not yet given back. */
  recvUnacked = 0;
  /** Bytes held in incomplete request messages. */
  heldBytes = 0;
  /** The client's first SETTINGS arrived. */
  settingsSeen = false;
  /** The header block being assembled from CONTINUATION frames (stream 0: none). */
  blockStream = 0;
  /** Flags of that block's HEADERS frame. */
  blockFlags = 0;
  /** CONTINUATION frames of that block so far. */
  blockFrames = 0;
  /** The block's bytes so far (`blockLength` of them). */
  blockBytes: Uint8Array = new Uint8Array(0);
  /** How many bytes of `blockBytes` hold the block. */
  blockLength = 0;
  /** GOAWAY sent: no new streams. */
  goingAway = false;
  #closed = false;
  #cheapFrames = 0;
  #cheapSince = performance.now();
  #keepalive: Keepalive | undefined;
  #done: Promise<void> | undefined;

  /** Wraps an accepted TCP connection. */
  constructor(conn: Deno.Conn, host: ConnectionHost) {
    this.#conn = conn;
    this.host = host;
    const addr = conn.remoteAddr as Deno.NetAddr;
    this.peer = `${addr.hostname}:${addr.port}`;
    this.writer = new ConnectionWriter(conn, (s) => this.streams.delete(s.id));
    this.writer.onWriteError = () => this.#closeSocket();
  }

  /** Whether the connection is closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Serves the connection until it closes; never rejects. */
  serve(): Promise<void> {
    this.#done ??= this.#serve();
    return this.#done;
  }

  async #serve(): Promise<void> {
    try {
      (this.#conn as Deno.TcpConn).setNoDelay?.(true);
    } catch { /* not TCP */ }
    const w = this.writer;
    w.out.settings(SERVER_SETTINGS);
    w.out.windowUpdate(0, CONNECTION_WINDOW - DEFAULT_WINDOW);
    w.scheduleFlush();
    this.#keepalive = new Keepalive({
      intervalMs: this.host.keepaliveTimeMs,
      timeoutMs: this.host.keepaliveTimeoutMs,
      ping: () => {
        this.writer.out.ping(0, KEEPALIVE_PING, 0);
        this.writer.scheduleFlush();
      },
      dead: () => this.#closeSocket(),
    });
    const buf = new Uint8Array(READ_BYTES);
    let len = 0;
    let preface = false;
    try {
      for (;;) {
        const n = await this.#conn.read(len === 0 ? buf : buf.subarray(len));
        if (n === null || this.#closed) break;
        this.#keepalive.activity();
        len += n;
        let pos = 0;
        if (!preface) {
          const k = Math.min(len, PREFACE.length);
          for (let i = 0; i < k; i++) {
            if (buf[i] !== PREFACE[i]) throw protocolError("invalid connection preface");
          }
          if (len < PREFACE.length) continue;
          preface = true;
          pos = PREFACE.length;
        }
        pos = this.#frames(buf, pos, len);
        if (this.#closed) break;
        this.#giveBack();
        // A partial frame (at most MAX_FRAME_SIZE + 9 bytes) moves to the front.
        len -= pos;
        if (len > 0 && pos > 0) buf.copyWithin(0, pos, pos + len);
      }
    } catch (err: unknown) {
      if (err instanceof H2ConnectionError) await this.#fail(err);
      else if (!isSocketError(err)) {
        // Our own bug: tell the peer and the log, lose only this connection.
        this.host.internalError(err);
        await this.#fail(new H2ConnectionError(ErrorCode.INTERNAL_ERROR, "internal error"));
      }
    } finally {
      this.#teardown();
    }
  }

  /** Handles every whole frame in `buf[pos, len)`; returns where the first partial one starts. */
  #frames(buf: Uint8Array, pos: number, len: number): number {
    while (len - pos >= FRAME_HEADER_BYTES) {
      const length = (buf[pos]! << 16) | (buf[pos + 1]! << 8) | buf[pos + 2]!;
      if (length > DEFAULT_MAX_FRAME) {
        throw new H2ConnectionError(ErrorCode.FRAME_SIZE_ERROR, `frame of ${length} bytes`);
      }
      const end = pos + FRAME_HEADER_BYTES + length;
      if (end > len) break;
      const type = buf[pos + 3]!;
      const flags = buf[pos + 4]!;
      const id = ((buf[pos + 5]! & 0x7f) << 24) | (buf[pos + 6]! << 16) | (buf[pos + 7]! << 8) |
        buf[pos + 8]!;
      handleFrame(this, type, flags, id, buf, pos + FRAME_HEADER_BYTES, end);
      pos = end;
      if (this.#closed) break;
    }
    return pos;
  }

  #giveBack(): void {
    if (this.recvUnacked < CONNECTION_GIVE_BACK_BYTES) return;
    this.writer.out.windowUpdate(0, this.recvUnacked);
    this.recvWindow += this.recvUnacked;
    this.recvUnacked = 0;
    this.writer.scheduleFlush();
  }

  /** Opens the call of a new stream. */
  open(stream: H2Stream, headers: string[]): void {
    this.host.open(this, stream, headers);
  }

  /** Counts a cheap frame; throws ENHANCE_YOUR_CALM on a flood. */
  cheapFrame(): void {
    if (++this.#cheapFrames <= CHEAP_FRAMES_PER_SECOND) return;
    const now = performance.now();
    if (now - this.#cheapSince > 1000) {
      this.#cheapSince = now;
      this.#cheapFrames = 0;
      return;
    }
    throw new H2ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, "too many control frames");
  }

  /** Throws when control output piles up because the peer does not read. */
  checkControlOutput(): void {
    if (this.writer.pendingBytes > CONTROL_OUTPUT_LIMIT) {
      throw new H2ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, "peer does not read");
    }
  }

  /** A PING ACK arrived. */
  pingAcked(): void {
    this.#keepalive?.acked();
  }

  /** Sends GOAWAY(NO_ERROR) and takes no new streams; calls in flight go on. */
  goaway(): void {
    if (this.goingAway || this.#closed) return;
    this.goingAway = true;
    this.writer.out.goaway(this.lastStreamId, ErrorCode.NO_ERROR, "server shutting down");
    this.writer.scheduleFlush();
  }

  /** Writes what is pending, then closes the socket. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.writer.idle(1000);
    this.#closeSocket();
    await this.serve();
  }

  /** Closes the socket now; calls are aborted. */
  destroy(): void {
    this.#closeSocket();
  }

  async #fail(err: H2ConnectionError): Promise<void> {
    if (this.#closed) return;
    this.goingAway = true;
    this.writer.out.goaway(this.lastStreamId, err.errorCode, err.message);
    await this.writer.idle(1000);
  }

  #closeSocket(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.writer.stop();
    try {
      this.#conn.close();
    } catch { /* already closed */ }
  }

  #teardown(): void {
    this.#closeSocket();
    this.#keepalive?.stop();
    const streams = [...this.streams.values()];
    this.streams.clear();
    for (const s of streams) s.abort();
    this.host.closed(this);
  }
}

const KEEPALIVE_PING = new Uint8Array(8);

/** Whether `err` is the socket failing (reset, closed), not a bug. */
function isSocketError(err: unknown): boolean {
  const e = Deno.errors;
  return err instanceof e.BadResource || err instanceof e.ConnectionReset ||
    err instanceof e.ConnectionAborted || err instanceof e.BrokenPipe ||
    err instanceof e.Interrupted || err instanceof e.UnexpectedEof || err instanceof e.NotConnected;
}
