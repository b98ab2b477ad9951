/**
 * A controllable TCP proxy on 127.0.0.1 for partition tests: in front of S3 or a peer port, it
 * forwards bytes both ways until told to `block()` (existing connections are cut, new ones are
 * refused by closing them at once) and forwards again after `heal()`.
 *
 * @module
 */

/** A running proxy; dispose it to stop. */
export interface TcpProxy extends AsyncDisposable {
  /** The proxy's port (clients connect here). */
  readonly port: number;
  /** `host:port` of the proxy. */
  readonly address: string;
  /** Cuts every connection and refuses new ones. */
  block(): void;
  /** Forwards again. */
  heal(): void;
  /** Limits each direction of each connection to `bytesPerSecond` (0: no limit). */
  throttle(bytesPerSecond: number): void;
  readonly blocked: boolean;
  close(): Promise<void>;
}

/** Starts a proxy from a free local port to `target` (`host:port`). */
export function startProxy(target: string): TcpProxy {
  const [host, portText] = target.split(":") as [string, string];
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const open = new Set<Deno.Conn>();
  let blocked = false;
  let closed = false;
  let rate = 0;
  const pipe = async (from: Deno.Conn, to: Deno.Conn) => {
    const buf = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const n = await from.read(buf);
        if (n === null || blocked) break;
        let off = 0;
        while (off < n) off += await to.write(buf.subarray(off, n));
        if (rate > 0) await new Promise((r) => setTimeout(r, (1000 * n) / rate));
      }
    } catch { /* a side closed */ }
    for (const c of [from, to]) {
      try {
        c.close();
      } catch { /* already closed */ }
      open.delete(c);
    }
  };
  const loop = (async () => {
    for (;;) {
      let client: Deno.Conn;
      try {
        client = await listener.accept();
      } catch {
        return;
      }
      if (blocked || closed) {
        client.close();
        continue;
      }
      let upstream: Deno.Conn;
      try {
        upstream = await Deno.connect({ hostname: host, port: Number(portText) });
      } catch {
        client.close();
        continue;
      }
      open.add(client);
      open.add(upstream);
      void pipe(client, upstream);
      void pipe(upstream, client);
    }
  })();
  const cutAll = () => {
    for (const c of open) {
      try {
        c.close();
      } catch { /* already closed */ }
    }
    open.clear();
  };
  const close = async () => {
    if (closed) return;
    closed = true;
    listener.close();
    cutAll();
    await loop;
  };
  return {
    port,
    address: `127.0.0.1:${port}`,
    get blocked() {
      return blocked;
    },
    block() {
      blocked = true;
      cutAll();
    },
    heal() {
      blocked = false;
    },
    throttle(bytesPerSecond: number) {
      rate = bytesPerSecond;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
