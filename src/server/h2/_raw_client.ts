/**
 * Test helper: a raw HTTP/2 client that writes exactly the bytes a test asks for — valid or
 * hostile — and reads the server's frames back.
 *
 * @module
 */

import { FrameType, PREFACE } from "./frame.ts";

/** A frame as read back. */
export interface RawFrame {
  type: number;
  flags: number;
  streamId: number;
  payload: Uint8Array;
}

/** Encodes one frame. */
export function frame(
  type: number,
  flags: number,
  streamId: number,
  payload: Uint8Array = new Uint8Array(),
): Uint8Array {
  const out = new Uint8Array(9 + payload.length);
  out[0] = payload.length >>> 16;
  out[1] = payload.length >>> 8;
  out[2] = payload.length;
  out[3] = type;
  out[4] = flags;
  new DataView(out.buffer).setUint32(5, streamId);
  out.set(payload, 9);
  return out;
}

/** An HPACK block of literal fields without indexing (no Huffman). */
export function literalBlock(fields: [string, string][]): Uint8Array {
  const out: number[] = [];
  const str = (s: string) => {
    const bytes = new TextEncoder().encode(s);
    if (bytes.length < 127) out.push(bytes.length);
    else {
      out.push(127);
      let n = bytes.length - 127;
      while (n >= 128) {
        out.push((n & 0x7f) | 0x80);
        n >>>= 7;
      }
      out.push(n);
    }
    out.push(...bytes);
  };
  for (const [name, value] of fields) {
    out.push(0);
    str(name);
    str(value);
  }
  return new Uint8Array(out);
}

/** The header fields of a gRPC request to `path`. */
export function grpcRequestFields(path: string): [string, string][] {
  return [
    [":method", "POST"],
    [":scheme", "http"],
    [":path", path],
    [":authority", "localhost"],
    ["content-type", "application/grpc"],
    ["te", "trailers"],
  ];
}

/** A 5-byte-prefixed gRPC message. */
export function grpcMessage(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + body.length);
  new DataView(out.buffer).setUint32(1, body.length);
  out.set(body, 5);
  return out;
}

/** A raw connection to a server. */
export class RawClient implements AsyncDisposable {
  readonly #conn: Deno.Conn;
  #buf = new Uint8Array(0);
  #eof = false;
  #wake: (() => void) | undefined;
  readonly #pump: Promise<void>;

  private constructor(conn: Deno.Conn) {
    this.#conn = conn;
    this.#pump = this.#readLoop();
  }

  /** Connects to 127.0.0.1:`port`. */
  static async connect(port: number): Promise<RawClient> {
    return new RawClient(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  async #readLoop(): Promise<void> {
    const chunk = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const n = await this.#conn.read(chunk);
        if (n === null) break;
        const next = new Uint8Array(this.#buf.length + n);
        next.set(this.#buf);
        next.set(chunk.subarray(0, n), this.#buf.length);
        this.#buf = next;
        this.#wake?.();
      }
    } catch { /* reset or closed */ }
    this.#eof = true;
    this.#wake?.();
  }

  /** Sends the preface and an empty SETTINGS frame. */
  async handshake(): Promise<void> {
    await this.send(PREFACE, frame(FrameType.SETTINGS, 0, 0));
  }

  /** Writes bytes; resolves false if the server closed the connection. */
  async send(...chunks: Uint8Array[]): Promise<boolean> {
    try {
      for (const c of chunks) {
        let at = 0;
        while (at < c.length) at += await this.#conn.write(c.subarray(at));
      }
      return true;
    } catch {
      return false;
    }
  }

  /** The next frame, or null once the server closed the connection. */
  async read(timeoutMs = 5000): Promise<RawFrame | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.#buf.length >= 9) {
        const len = (this.#buf[0]! << 16) | (this.#buf[1]! << 8) | this.#buf[2]!;
        if (this.#buf.length >= 9 + len) {
          const view = new DataView(this.#buf.buffer, this.#buf.byteOffset);
          const f: RawFrame = {
            type: this.#buf[3]!,
            flags: this.#buf[4]!,
            streamId: view.getUint32(5) & 0x7fffffff,
            payload: this.#buf.slice(9, 9 + len),
          };
          this.#buf = this.#buf.slice(9 + len);
          return f;
        }
      }
      if (this.#eof) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("Timed out reading a frame");
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
      this.#wake = undefined;
    }
  }

  /** Reads frames until one matches `pred` (returned) or the connection ends (null). */
  async until(pred: (f: RawFrame) => boolean, timeoutMs = 5000): Promise<RawFrame | null> {
    for (;;) {
      const f = await this.read(timeoutMs);
      if (f === null || pred(f)) return f;
    }
  }

  /** Whether the server closed the connection (all frames read or not). */
  get eof(): boolean {
    return this.#eof;
  }

  /** Closes the connection and waits for the read loop. */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#conn.close();
    } catch { /* already closed */ }
    await this.#pump;
  }
}
