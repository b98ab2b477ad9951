import { deepStrictEqual, match, ok, rejects, strictEqual } from "node:assert/strict";
import { Gauge, Registry } from "prom-client";
import {
  createMetrics,
  type HealthRole,
  type HealthSource,
  type MetricsServer,
  type MetricsServerOptions,
  type Readiness,
  startMetricsServer,
} from "./mod.ts";

/** A health source the test moves by hand. */
class FakeHealth implements HealthSource {
  isStarted = true;
  readiness: Readiness = { ok: true };
  currentRole: HealthRole = "single";
  fail: Error | undefined;

  started(): boolean {
    if (this.fail) throw this.fail;
    return this.isStarted;
  }
  ready(): Readiness {
    return this.readiness;
  }
  role(): HealthRole {
    return this.currentRole;
  }
}

async function start(
  options: Partial<MetricsServerOptions> = {},
): Promise<{ server: MetricsServer; registry: Registry; health: FakeHealth; url: string }> {
  const registry = options.registry ?? new Registry();
  const health = new FakeHealth();
  const server = await startMetricsServer({
    hostname: "127.0.0.1",
    port: 0,
    registry,
    health,
    ...options,
  });
  return { server, registry, health, url: `http://127.0.0.1:${server.addr.port}` };
}

async function get(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; body: string; headers: Headers }> {
  const response = await fetch(url, init);
  return { status: response.status, body: await response.text(), headers: response.headers };
}

Deno.test("startMetricsServer() serves the registry on /metrics", async () => {
  const registry = new Registry();
  const metrics = createMetrics(registry);
  metrics.writes.inc({ op: "update" }, 2);
  const { server, url } = await start({ registry });
  await using _ = server;
  ok(server.addr.port > 0);

  const res = await get(`${url}/metrics`);
  strictEqual(res.status, 200);
  strictEqual(res.headers.get("content-type"), registry.contentType);
  ok(res.body.includes('t4_writes_total{op="update"} 2'), res.body.slice(0, 200));
  ok(res.body.includes("process_resident_memory_bytes"));

  const head = await get(`${url}/metrics`, { method: "HEAD" });
  deepStrictEqual([head.status, head.body], [200, ""]);
});

Deno.test("startMetricsServer() answers /healthz, /readyz and /healthz/leader from the health source", async (t) => {
  const { server, health, url } = await start();
  await using _ = server;
  const probe = async (path: string) => {
    const { status, body } = await get(`${url}${path}`);
    return [status, body];
  };

  await t.step("before start", async () => {
    health.isStarted = false;
    deepStrictEqual(await probe("/healthz"), [503, "starting"]);
    deepStrictEqual(await probe("/readyz"), [503, "starting"]);
    health.isStarted = true;
  });
  await t.step("started and ready", async () => {
    deepStrictEqual(await probe("/healthz"), [200, "ok"]);
    deepStrictEqual(await probe("/readyz"), [200, "ok"]);
  });
  await t.step("a 503 carries the reason", async () => {
    health.readiness = { ok: false, reason: "recovering: replaying WAL after seq 42" };
    deepStrictEqual(await probe("/readyz"), [503, "recovering: replaying WAL after seq 42"]);
    deepStrictEqual(await probe("/healthz"), [200, "ok"]);
  });
  for (
    const [role, status] of [
      ["leader", 200],
      ["single", 200],
      ["follower", 503],
      ["unknown", 503],
    ] as const
  ) {
    await t.step(`/healthz/leader on ${role}`, async () => {
      health.currentRole = role;
      deepStrictEqual(await probe("/healthz/leader"), [status, role]);
    });
  }
});

Deno.test("startMetricsServer() answers 404 for other paths and 405 for other methods", async () => {
  const { server, url } = await start();
  await using _ = server;
  deepStrictEqual((await get(`${url}/`)).status, 404);
  deepStrictEqual((await get(`${url}/metrics/extra`)).status, 404);
  deepStrictEqual((await get(`${url}/constructor`)).status, 404);
  const post = await get(`${url}/metrics`, { method: "POST", body: "x" });
  deepStrictEqual([post.status, post.headers.get("allow")], [405, "GET, HEAD"]);
});

Deno.test("startMetricsServer() turns a throwing collector or health source into a 500", async () => {
  const errors: unknown[] = [];
  const registry = new Registry();
  new Gauge({
    name: "broken_gauge",
    help: "Always fails.",
    registers: [registry],
    collect() {
      throw new Error("disk stat failed\nwith a second line");
    },
  });
  const { server, health, url } = await start({ registry, onError: (err) => errors.push(err) });
  await using _ = server;

  deepStrictEqual(await get(`${url}/metrics`).then((r) => [r.status, r.body]), [
    500,
    "metrics collection failed: disk stat failed",
  ]);
  health.fail = new Error("state unavailable");
  deepStrictEqual(await get(`${url}/healthz`).then((r) => [r.status, r.body]), [
    500,
    "health check failed: state unavailable",
  ]);
  health.fail = undefined;
  strictEqual((await get(`${url}/healthz`)).status, 200, "the server keeps serving");
  strictEqual(errors.length, 2);
});

Deno.test("startMetricsServer() runs beforeScrape before each exposition", async () => {
  const registry = new Registry();
  const metrics = createMetrics(registry, { processMetrics: false });
  let size = 0;
  const { server, url } = await start({
    registry,
    beforeScrape: () => metrics.etcdDbTotalSize.set(size += 4096),
  });
  await using _ = server;
  match((await get(`${url}/metrics`)).body, /^etcd_mvcc_db_total_size_in_bytes 4096$/m);
  match((await get(`${url}/metrics`)).body, /^etcd_mvcc_db_total_size_in_bytes 8192$/m);
});

Deno.test("MetricsServer.close() frees the port and may be called twice", async () => {
  const { server, url } = await start();
  strictEqual((await get(`${url}/healthz`)).status, 200);
  const { port } = server.addr;
  await server.close();
  await server.close();
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  listener.close();
});

Deno.test("startMetricsServer() names the address it cannot bind", async () => {
  const { server } = await start();
  await using _ = server;
  await rejects(
    start({ port: server.addr.port }),
    new RegExp(`^Error: Cannot serve metrics on 127\\.0\\.0\\.1:${server.addr.port}: `),
  );
});
