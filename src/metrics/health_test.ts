import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { Registry } from "prom-client";
import { createMetrics, NodeHealth } from "./mod.ts";

Deno.test("NodeHealth.ready() explains each step a node still has to take", () => {
  const health = new NodeHealth();
  deepStrictEqual(health.ready(), { ok: false, reason: "starting" });
  health.markStarted();
  deepStrictEqual(health.ready(), { ok: false, reason: "recovering: WAL replay not finished" });
  health.markRecovered();
  deepStrictEqual(health.ready(), { ok: false, reason: "role not decided yet" });
  health.setRole("follower");
  deepStrictEqual(health.ready(), { ok: true });
  health.setFenced(true);
  deepStrictEqual(health.ready(), { ok: false, reason: "fenced: a newer leader term exists" });
  health.setFenced(false);
  health.setRole("unknown");
  deepStrictEqual(health.ready(), { ok: false, reason: "role not decided yet" });
});

Deno.test("NodeHealth moves t4_role, etcd_server_is_leader and t4_fenced when given metrics", async () => {
  const metrics = createMetrics(new Registry(), { processMetrics: false });
  const health = new NodeHealth({ metrics });
  health.markStarted();
  health.setRole("leader");
  strictEqual(health.role(), "leader");
  strictEqual(health.started(), true);
  const active = (await metrics.role.get()).values.filter((v) => v.value === 1);
  deepStrictEqual(active.map((v) => v.labels.role), ["leader"]);
  strictEqual((await metrics.etcdIsLeader.get()).values[0]?.value, 1);

  health.setFenced(true);
  strictEqual((await metrics.fenced.get()).values[0]?.value, 1);
  health.setRole("follower");
  strictEqual((await metrics.etcdIsLeader.get()).values[0]?.value, 0);
});
