/**
 * The whole server in-process with {@linkcode H2GrpcServer} as its transport (`transport: "h2"`,
 * the default for cleartext listeners): KV, Watch and Lease through the real services. The
 * `tests/` suites run the same transport through `cli.ts run` child processes.
 */

import { assert, assertEquals } from "../../../tests/_assert.ts";
import { EtcdTestClient } from "../../../tests/_etcd_client.ts";
import { Logger } from "../../log.ts";
import { Registry } from "../../metrics/mod.ts";
import { SERVER_DEFAULTS, type ServerConfig } from "../config.ts";
import { startServer } from "../server.ts";
import { b, s } from "./_test_server.ts";

Deno.test("startServer() serves the etcd API over H2GrpcServer", async (t) => {
  const dataDir = await Deno.makeTempDir({ prefix: "t4-h2-" });
  const logs: string[] = [];
  const registry = new Registry();
  const config: ServerConfig = {
    ...SERVER_DEFAULTS,
    dataDir,
    listen: "127.0.0.1:0",
    metricsAddr: "",
    transport: "h2",
  };
  try {
    await using server = await startServer(config, {
      logger: new Logger({ level: "info", sink: (line) => void logs.push(line) }),
      registry,
    });
    assert(logs.some((l) => l.includes("serving etcd v3 API") && l.includes("transport=h2")));
    using c = new EtcdTestClient(`127.0.0.1:${server.port}`);

    await t.step("put, range and delete", async () => {
      const put = await c.put("a", "1");
      assert(put.header!.revision > 0);
      await c.put("a", "2");
      const r = await c.range({ key: b("a") });
      assertEquals(s(r.kvs[0]!.value), "2");
      assertEquals(r.kvs[0]!.version, 2);
    });

    await t.step("a watch sees a put", async () => {
      const w = c.watch();
      w.create({ key: b("w") });
      await w.until((r) => r.some((x) => x.created));
      await c.put("w", "x");
      await w.until((r) => r.some((x) => x.events.length > 0));
      w.close();
    });

    await t.step("1,000 concurrent puts on one connection", async () => {
      await Promise.all(Array.from({ length: 1000 }, (_, i) => c.put(`k/${i}`, `${i}`)));
      const r = await c.range({ key: b("k/"), rangeEnd: b("k0"), countOnly: true });
      assertEquals(r.count, 1000);
    });

    await t.step("the gRPC metrics count calls", async () => {
      const text = await registry.metrics();
      assert(/grpc_server_handled_total\{[^}]*grpc_method="Put"[^}]*\} 1003/.test(text), text);
    });
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
