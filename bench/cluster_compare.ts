/**
 * Three T4 nodes against three etcd 3.4 members on loopback, in one run, with the same load
 * generator (`bench/loadgen.ts`, a separate process): put with 16 clients through the leader and
 * through a follower, linearizable and serializable get with 16 clients on a follower. Rows
 * report the median over repetitions and T4/etcd.
 *
 * T4's nodes share an object store: Ceph RGW when `T4_TEST_S3_ENDPOINT` (and `_ACCESS_KEY`,
 * `_SECRET_KEY`) are set, e.g. after `bash scripts/rgw.sh up DIR PORT MONPORT`, else a local
 * directory (`--store dir`; the same code paths minus the network).
 *
 * Usage: `deno run -A bench/cluster_compare.ts [--reps 3] [--ops 4000] [--store rgw|dir]`.
 *
 * @module
 */

import { createBucket, deleteBucket, type S3ObjectStoreOptions } from "../src/objstore/mod.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const args = Deno.args;
const opt = (name: string, def: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1]! : def;
};
const reps = Number(opt("--reps", "3"));
const ops = Number(opt("--ops", "4000"));
const s3Endpoint = Deno.env.get("T4_TEST_S3_ENDPOINT");
const storeKind = opt("--store", s3Endpoint ? "rgw" : "dir");

interface Row {
  workload: string;
  target: "leader" | "follower";
  clients: number;
}
const ROWS: Row[] = [
  { workload: "put", target: "leader", clients: 16 },
  { workload: "put", target: "follower", clients: 16 },
  { workload: "get-lin", target: "follower", clients: 16 },
  { workload: "get-ser", target: "follower", clients: 16 },
];

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function waitPort(port: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`nothing listens on ${port}`);
}

interface Cluster {
  leader: string;
  followers: string[];
  stop(): Promise<void>;
}

function stopper(children: Deno.ChildProcess[], cleanup: () => Promise<void>) {
  return async () => {
    for (const c of children) {
      try {
        c.kill("SIGTERM");
      } catch { /* gone */ }
    }
    const t = setTimeout(() =>
      children.forEach((c) => {
        try {
          c.kill("SIGKILL");
        } catch { /* gone */ }
      }), 10_000);
    await Promise.all(children.map((c) => c.status));
    clearTimeout(t);
    await cleanup();
  };
}

/** The endpoint whose Status says it is the leader (etcdctl endpoint status). */
async function findLeader(endpoints: string[]): Promise<string> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const out = await new Deno.Command("etcdctl", {
      args: [`--endpoints=${endpoints.join(",")}`, "endpoint", "status", "-w", "json"],
      env: { ETCDCTL_API: "3" },
      stdout: "piped",
      stderr: "null",
    }).output();
    try {
      const rows = JSON.parse(new TextDecoder().decode(out.stdout)) as {
        Endpoint: string;
        Status: { header: { member_id: number }; leader: number };
      }[];
      const leader = rows.find((r) =>
        r.Status.leader !== 0 && r.Status.header.member_id === r.Status.leader
      );
      if (leader && rows.length === endpoints.length) return leader.Endpoint;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no leader among ${endpoints.join(", ")}`);
}

async function startEtcd(): Promise<Cluster> {
  const root = await Deno.makeTempDir({ prefix: "bench-etcd3-" });
  const members = [1, 2, 3].map((i) => ({ name: `e${i}`, client: freePort(), peer: freePort() }));
  const initial = members.map((m) => `${m.name}=http://127.0.0.1:${m.peer}`).join(",");
  const children = members.map((m) =>
    new Deno.Command("etcd", {
      args: [
        "--name",
        m.name,
        "--data-dir",
        `${root}/${m.name}`,
        "--listen-client-urls",
        `http://127.0.0.1:${m.client}`,
        "--advertise-client-urls",
        `http://127.0.0.1:${m.client}`,
        "--listen-peer-urls",
        `http://127.0.0.1:${m.peer}`,
        "--initial-advertise-peer-urls",
        `http://127.0.0.1:${m.peer}`,
        "--initial-cluster",
        initial,
        "--initial-cluster-state",
        "new",
      ],
      stdout: "null",
      stderr: "null",
    }).spawn()
  );
  const endpoints = members.map((m) => `127.0.0.1:${m.client}`);
  for (const m of members) await waitPort(m.client);
  const leader = await findLeader(endpoints);
  return {
    leader,
    followers: endpoints.filter((e) => e !== leader),
    stop: stopper(children, () => Deno.remove(root, { recursive: true })),
  };
}

async function startT4(rep: number): Promise<Cluster> {
  const root = await Deno.makeTempDir({ prefix: "bench-t4x3-" });
  let store: string[];
  let s3: S3ObjectStoreOptions | undefined;
  if (storeKind === "rgw") {
    s3 = {
      endpoint: s3Endpoint!,
      bucket: `t4-cluster-bench-${Date.now()}-${rep}`,
      region: "us-east-1",
      forcePathStyle: true,
      accessKeyId: Deno.env.get("T4_TEST_S3_ACCESS_KEY") ?? "test",
      secretAccessKey: Deno.env.get("T4_TEST_S3_SECRET_KEY") ?? "testsecret",
    };
    await createBucket(s3);
    store = [
      "--s3-bucket",
      s3.bucket,
      "--s3-endpoint",
      s3.endpoint!,
      "--s3-access-key-id",
      s3.accessKeyId!,
      "--s3-secret-access-key",
      s3.secretAccessKey!,
    ];
  } else store = ["--object-store-dir", `${root}/objects`];
  const nodes = [1, 2, 3].map((i) => ({ id: `n${i}`, client: freePort(), peer: freePort() }));
  const children: Deno.ChildProcess[] = [];
  for (const n of nodes) {
    children.push(
      new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          `${ROOT}cli.ts`,
          "run",
          "--data-dir",
          `${root}/${n.id}`,
          "--listen",
          `127.0.0.1:${n.client}`,
          "--node-id",
          n.id,
          "--peer-listen",
          `127.0.0.1:${n.peer}`,
          "--advertise-peer",
          `127.0.0.1:${n.peer}`,
          "--metrics-addr",
          "",
          "--log-level",
          "warn",
          ...store,
        ],
        stdout: "null",
        stderr: "null",
      }).spawn(),
    );
    await waitPort(n.client);
  }
  const endpoints = nodes.map((n) => `127.0.0.1:${n.client}`);
  const leader = await findLeader(endpoints);
  // Every follower connected (a quorum wait needs them).
  await new Promise((r) => setTimeout(r, 2000));
  return {
    leader,
    followers: endpoints.filter((e) => e !== leader),
    stop: stopper(children, async () => {
      await Deno.remove(root, { recursive: true });
      if (s3) await deleteBucket(s3).catch(() => {});
    }),
  };
}

interface Result {
  opsPerSecond: number;
  p50ms: number;
  p99ms: number;
}

async function load(endpoint: string, row: Row): Promise<Result> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `${ROOT}bench/loadgen.ts`,
      endpoint,
      row.workload,
      String(row.clients),
      String(ops),
      "60",
    ],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const line = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!;
  return JSON.parse(line) as Result;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const id = (r: Row) => `${r.workload} c${r.clients} via ${r.target}`;
const results = new Map<string, { etcd: Result[]; t4: Result[] }>();
for (let rep = 0; rep < reps; rep++) {
  for (const kind of rep % 2 === 0 ? ["etcd", "t4"] as const : ["t4", "etcd"] as const) {
    const cluster = kind === "etcd" ? await startEtcd() : await startT4(rep);
    try {
      for (const row of ROWS) {
        const endpoint = row.target === "leader" ? cluster.leader : cluster.followers[0]!;
        const r = await load(endpoint, row);
        const slot = results.get(id(row)) ?? { etcd: [], t4: [] };
        slot[kind].push(r);
        results.set(id(row), slot);
        console.error(
          `rep ${rep + 1} ${kind.padEnd(4)} ${id(row).padEnd(28)} ${r.opsPerSecond} ops/s ` +
            `p50 ${r.p50ms} ms`,
        );
      }
    } finally {
      await cluster.stop();
    }
  }
}

console.log(
  `\nT4 object store: ${storeKind}; load average ${Deno.loadavg().map((x) => x.toFixed(2))}`,
);
console.log(
  "| workload | etcd ops/s | T4 ops/s | T4/etcd | etcd p50 ms | T4 p50 ms | etcd p99 ms | T4 p99 ms |",
);
console.log("|---|---|---|---|---|---|---|---|");
for (const row of ROWS) {
  const r = results.get(id(row))!;
  const e = median(r.etcd.map((x) => x.opsPerSecond));
  const t = median(r.t4.map((x) => x.opsPerSecond));
  console.log(
    `| ${id(row)} | ${e} | ${t} | ${(t / e).toFixed(2)} | ${median(r.etcd.map((x) => x.p50ms))} | ${
      median(r.t4.map((x) => x.p50ms))
    } | ${median(r.etcd.map((x) => x.p99ms))} | ${median(r.t4.map((x) => x.p99ms))} |`,
  );
}
