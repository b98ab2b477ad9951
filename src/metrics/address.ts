/**
 * {@linkcode parseListenAddress}: `--metrics-addr` (and any other `host:port` flag) as a
 * hostname and port for `Deno.serve`.
 *
 * @module
 */

/** A hostname and port to listen on; IPv6 hostnames come without brackets. */
export interface ListenAddress {
  /** `0.0.0.0`, `127.0.0.1`, `::1`, `localhost` … */
  hostname: string;
  /** 0 … 65535; 0 lets the OS choose. */
  port: number;
}

/** Options of {@linkcode parseListenAddress}. */
export interface ParseListenAddressOptions {
  /** The hostname for an address without one (`:9090`). Default `0.0.0.0`, every IPv4 address. */
  defaultHostname?: string;
}

/**
 * Parses `host:port`, `[ipv6]:port` or `:port`, as Go's `net.Listen` accepts them.
 *
 * @example
 * ```ts
 * import { parseListenAddress } from "./address.ts";
 * const { hostname, port } = parseListenAddress("[::1]:9090");
 * if (hostname !== "::1" || port !== 9090) throw new Error("unexpected parse");
 * ```
 *
 * @throws {Error} naming the address and what is wrong with it.
 */
export function parseListenAddress(
  address: string,
  options: ParseListenAddressOptions = {},
): ListenAddress {
  const fail = (why: string): never => {
    throw new Error(
      `Cannot parse listen address "${address}": ${why}; ` +
        `expected "host:port", "[ipv6]:port" or ":port"`,
    );
  };
  let hostname: string;
  let portText: string;
  if (address.startsWith("[")) {
    const close = address.indexOf("]");
    if (close < 0) fail(`missing "]" after the IPv6 address`);
    hostname = address.slice(1, close);
    if (hostname === "") fail("empty IPv6 address in brackets");
    if (address[close + 1] !== ":") fail(`expected ":port" after "]"`);
    portText = address.slice(close + 2);
  } else {
    const colon = address.lastIndexOf(":");
    if (colon < 0) fail("missing port");
    hostname = address.slice(0, colon);
    if (hostname.includes(":")) {
      fail(`an IPv6 address needs brackets, as in "[${hostname}]:${address.slice(colon + 1)}"`);
    }
    if (hostname.includes("[") || hostname.includes("]")) fail("unexpected bracket");
    portText = address.slice(colon + 1);
  }
  if (portText === "") fail("missing port");
  if (!/^[0-9]+$/.test(portText)) fail(`port "${portText}" is not a number`);
  const port = Number(portText);
  if (port > 65535) fail(`port ${port} is out of range 0-65535`);
  return { hostname: hostname || (options.defaultHostname ?? "0.0.0.0"), port };
}
