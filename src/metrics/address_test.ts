import { deepStrictEqual, throws } from "node:assert/strict";
import { parseListenAddress } from "./mod.ts";

Deno.test("parseListenAddress() accepts host:port, [ipv6]:port and :port", async (t) => {
  for (
    const [address, expected] of [
      ["0.0.0.0:9090", { hostname: "0.0.0.0", port: 9090 }],
      ["127.0.0.1:0", { hostname: "127.0.0.1", port: 0 }],
      ["localhost:65535", { hostname: "localhost", port: 65535 }],
      ["[::1]:9090", { hostname: "::1", port: 9090 }],
      ["[::]:80", { hostname: "::", port: 80 }],
      [":9090", { hostname: "0.0.0.0", port: 9090 }],
    ] as const
  ) {
    await t.step(address, () => deepStrictEqual(parseListenAddress(address), expected));
  }
  deepStrictEqual(parseListenAddress(":1", { defaultHostname: "127.0.0.1" }), {
    hostname: "127.0.0.1",
    port: 1,
  });
});

Deno.test("parseListenAddress() says what is wrong with a bad address", async (t) => {
  for (
    const [address, why] of [
      ["9090", /"9090": missing port/],
      ["host:", /missing port/],
      ["host:http", /port "http" is not a number/],
      ["host:-1", /port "-1" is not a number/],
      ["host:65536", /port 65536 is out of range 0-65535/],
      ["::1:9090", /an IPv6 address needs brackets, as in "\[::1\]:9090"/],
      ["[::1:9090", /missing "\]"/],
      ["[::1]9090", /expected ":port" after "\]"/],
      ["[]:9090", /empty IPv6 address/],
      ["", /missing port/],
    ] as const
  ) {
    await t.step(address || "(empty)", () => {
      throws(() => parseListenAddress(address), why);
      throws(() => parseListenAddress(address), /^Error: Cannot parse listen address/);
    });
  }
});
