/**
 * A TCP proxy on 127.0.0.1 that injects network faults, an extended copy of `tests/_proxy.ts`.
 * One sits in front of each node's S3 endpoint and one in front of each node's peer port.
 *
 * Modes:
 * - `forward`: bytes flow both ways, each chunk after `delayMs` (0: at once): slow S3.
 * - `cut`: every connection is closed and new ones are closed at once (connection reset).
 * - `blackhole`: connections stay open but nothing is forwarded (a silent network): the
 *   sender only notices through its own timeouts. Healing closes them (bytes were lost).
 * - `http-503`: connections are closed and every new request is answered `503 SlowDown`
 *   (S3 refusing work) and closed.
 *
 * Besides the mode, connections opened by chosen processes can be refused
 * (`blockFrom(pids)`), which partitions one follower from the leader it dials while the
 * others keep following. The owner of a connection is found through `/proc` (`_proc_net.ts`).
 *
 * @module
 */

import { connectionOwner } from "./_proc_net.ts";

/** How the proxy treats traffic. */
export type ProxyMode = "forward" | "cut" | "blackhole" | "http-503";

interface Link {
  client: Deno.Conn;
  upstream: Deno.Conn | undefined;
  clientPort: number;
  /** Set when the link was blackholed: drop its bytes, close it on heal. */
  holed: boolean;
}

const SLOW_DOWN = new TextEncoder().encode(
  "HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nContent-Length: 94\r\n" +
    "Connection: close\r\n\r\n" +
    '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message/></Error>   ',
);

function closeQuietly(c: Deno.Conn | undefined): void {
  try {
    c?.close();
  } catch { /* already closed */ }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A running fault-injecting proxy; dispose it to stop. */
export class FaultProxy implements AsyncDisposable {
  /** The port clients connect to. */
  readonly port: number;
  readonly #target: { hostname: string; port: number };
  readonly #listener: Deno.Listener;
  readonly #links = new Set<Link>();
  readonly #loop: Promise<void>;
  #mode: ProxyMode = "forward";
  #delayMs = 0;
  #blockedPids = new Set<number>();
  #candidatePids: () => number[] = () => [];
  #closed = false;

  /** Starts a proxy from a free local port to `target` (`host:port`). */
  constructor(target: string) {
    const [hostname, port] = target.split(":") as [string, string];
    this.#target = { hostname, port: Number(port) };
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.port = (this.#listener.addr as Deno.NetAddr).port;
    this.#loop = this.#accept();
  }

  /** `127.0.0.1:<port>`. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** The current mode. */
  get mode(): ProxyMode {
    return this.#mode;
  }

  /** The processes that may be named in {@linkcode blockFrom} (looked up lazily). */
  set candidates(pids: () => number[]) {
    this.#candidatePids = pids;
  }

  /** Switches to `mode`; `delayMs` applies to `forward`. */
  set(mode: ProxyMode, delayMs = 0): void {
    const was = this.#mode;
    this.#mode = mode;
    this.#delayMs = mode === "forward" ? delayMs : 0;
    if (mode === "cut" || mode === "http-503") this.#cutAll();
    if (mode === "blackhole") { for (const l of this.#links) l.holed = true; }
    if (mode === "forward" && was === "blackhole") {
      for (const l of [...this.#links]) if (l.holed) this.#drop(l);
    }
  }

  /** Refuses connections from `pids` (cutting the open ones) until {@linkcode heal}. */
  async blockFrom(pids: readonly number[]): Promise<void> {
    for (const p of pids) this.#blockedPids.add(p);
    for (const l of [...this.#links]) {
      if (await this.#blocked(l.clientPort)) this.#drop(l);
    }
  }

  /** Back to plain forwarding: no delay, nobody blocked. */
  heal(): void {
    this.#blockedPids.clear();
    this.set("forward");
  }

  async #blocked(clientPort: number): Promise<boolean> {
    if (this.#blockedPids.size === 0) return false;
    const candidates = this.#candidatePids().filter((p) => this.#blockedPids.has(p));
    const owner = await connectionOwner(clientPort, this.port, candidates);
    return owner !== undefined;
  }

  #drop(l: Link): void {
    closeQuietly(l.client);
    closeQuietly(l.upstream);
    this.#links.delete(l);
  }

  #cutAll(): void {
    for (const l of [...this.#links]) this.#drop(l);
  }

  async #accept(): Promise<void> {
    for (;;) {
      let client: Deno.Conn;
      try {
        client = await this.#listener.accept();
      } catch {
        return;
      }
      void this.#serve(client);
    }
  }

  async #serve(client: Deno.Conn): Promise<void> {
    const clientPort = (client.remoteAddr as Deno.NetAddr).port;
    if (this.#closed || this.#mode === "cut" || await this.#blocked(clientPort)) {
      return closeQuietly(client);
    }
    if (this.#mode === "http-503") return this.#refuse(client);
    const link: Link = { client, upstream: undefined, clientPort, holed: false };
    this.#links.add(link);
    if (this.#mode === "blackhole") {
      link.holed = true;
      return this.#pipe(link, client, undefined);
    }
    try {
      link.upstream = await Deno.connect(this.#target);
    } catch {
      return this.#drop(link);
    }
    if (!this.#links.has(link)) return closeQuietly(link.upstream);
    void this.#pipe(link, client, link.upstream);
    void this.#pipe(link, link.upstream, client);
  }

  /** Answers the first request on `client` with 503 and closes it. */
  async #refuse(client: Deno.Conn): Promise<void> {
    const buf = new Uint8Array(16 * 1024);
    const deadline = Date.now() + 2000;
    try {
      let head = "";
      while (!head.includes("\r\n\r\n") && Date.now() < deadline) {
        const n = await client.read(buf);
        if (n === null) break;
        head += new TextDecoder().decode(buf.subarray(0, n));
      }
      await client.write(SLOW_DOWN);
    } catch { /* the client went away */ }
    closeQuietly(client);
  }

  async #pipe(link: Link, from: Deno.Conn, to: Deno.Conn | undefined): Promise<void> {
    const buf = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const n = await from.read(buf);
        if (n === null || !this.#links.has(link)) break;
        if (link.holed || !to) continue; // a blackhole swallows everything
        if (this.#delayMs > 0) await sleep(this.#delayMs);
        if (link.holed) continue;
        let off = 0;
        while (off < n) off += await to.write(buf.subarray(off, n));
      }
    } catch { /* a side closed */ }
    this.#drop(link);
  }

  /** Stops listening and closes every connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listener.close();
    this.#cutAll();
    await this.#loop;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
