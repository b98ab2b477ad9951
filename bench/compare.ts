/**
 * T4 against etcd 3.4 on the same machine, in one run, with the same load generator
 * (`bench/loadgen.ts`, a separate process): put with 1/16/128 clients, linearizable and
 * serializable get with 1/16/128, the Kubernetes create txn, a 100-key list page, and put →
 * watch latency. Each server starts fresh (new data directory) per repetition; rows report the
 * median over repetitions and T4/etcd.
 *
 * Usage: `deno run -A bench/compare.ts [--reps 3] [--ops 5000] [--only put,get-lin]
 * [--check-perf]` (needs `etcd` and `etcdctl` from Debian's etcd-server/etcd-client).
 * `--check-perf` also runs `etcdctl check perf --load m` and `--load l` against both (60 s
 * each).
 *
 * @module
 */

const ROOT = new URL("..", import.meta.url).pathname;
const args = Deno.args;
const opt = (name: string, def: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1]! : def;
};
const reps = Number(opt("--reps", "3"));
const opsBase = Number(opt("--ops", "5000"));
const only = opt("--only", "");
const checkPerf = args.includes("--check-perf");

interface Row {
  workload: string;
  clients: number;
  ops: number;
}
const ROWS: Row[] = [
  { workload: "put", clients: 1, ops: opsBase / 5 },
  { workload: "put", clients: 16, ops: opsBase },
  { workload: "put", clients: 128, ops: opsBase * 2 },
  { workload: "get-lin", clients: 1, ops: opsBase / 2 },
  { workload: "get-ser", clients: 1, ops: opsBase / 2 },
  { workload: "get-lin", clients: 16, ops: opsBase * 2 },
  { workload: "get-ser", clients: 16, ops: opsBase * 2 },
  { workload: "get-lin", clients: 128, ops: opsBase * 2 },
  { workload: "get-ser", clients: 128, ops: opsBase * 2 },
  { workload: "txn-create", clients: 16, ops: opsBase },
  { workload: "list-100", clients: 16, ops: opsBase },
  { workload: "watch-latency", clients: 1, ops: opsBase / 5 },
].filter((r) => !only || only.split(",").includes(r.workload));

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

interface Server {
  endpoint: string;
  stop(): Promise<void>;
}

async function waitPort(port: number): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`nothing listens on ${port}`);
}

async function start(kind: "etcd" | "t4"): Promise<Server> {
  const dir = await Deno.makeTempDir({ prefix: `bench-${kind}-` });
  const port = freePort();
  const peer = freePort();
  const cmd = kind === "etcd"
    ? new Deno.Command("etcd", {
      args: [
        "--data-dir",
        dir,
        "--listen-client-urls",
        `http://127.0.0.1:${port}`,
        "--advertise-client-urls",
        `http://127.0.0.1:${port}`,
        "--listen-peer-urls",
        `http://127.0.0.1:${peer}`,
        "--initial-advertise-peer-urls",
        `http://127.0.0.1:${peer}`,
        "--initial-cluster",
        `default=http://127.0.0.1:${peer}`,
      ],
      stdout: "null",
      stderr: "null",
    })
    : new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        `${ROOT}cli.ts`,
        "run",
        "--data-dir",
        dir,
        "--listen",
        `127.0.0.1:${port}`,
        "--metrics-addr",
        "",
        "--log-level",
        "warn",
      ],
      stdout: "null",
      stderr: "null",
    });
  const child = cmd.spawn();
  await waitPort(port);
  await new Promise((r) => setTimeout(r, 500));
  return {
    endpoint: `127.0.0.1:${port}`,
    async stop() {
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await child.status;
      clearTimeout(t);
      await Deno.remove(dir, { recursive: true });
    },
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
      String(Math.round(row.ops)),
      "60",
    ],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const line = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!;
  return JSON.parse(line) as Result;
}

async function perf(endpoint: string, level: string): Promise<string> {
  const out = await new Deno.Command("etcdctl", {
    args: [`--endpoints=${endpoint}`, "check", "perf", "--load", level],
    env: { ETCDCTL_API: "3" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  const writes = /Throughput is (\d+) writes\/s/.exec(text)?.[1] ?? "?";
  const slowest = /Slowest request took ([\d.]+)s/.exec(text)?.[1] ?? "?";
  return `${writes} writes/s, slowest ${slowest}s, ${
    /PASS|FAIL/.exec(text.split("\n").at(-2) ?? "")?.[0] ?? (out.code === 0 ? "PASS" : "FAIL")
  }`;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const results = new Map<string, { etcd: Result[]; t4: Result[] }>();
for (let rep = 0; rep < reps; rep++) {
  for (const kind of rep % 2 === 0 ? ["etcd", "t4"] as const : ["t4", "etcd"] as const) {
    const server = await start(kind);
    try {
      for (const row of ROWS) {
        const id = `${row.workload} c${row.clients}`;
        const r = await load(server.endpoint, row);
        const slot = results.get(id) ?? { etcd: [], t4: [] };
        slot[kind].push(r);
        results.set(id, slot);
        console.error(
          `rep ${rep + 1} ${kind.padEnd(4)} ${
            id.padEnd(18)
          } ${r.opsPerSecond} ops/s p50 ${r.p50ms} ms`,
        );
      }
    } finally {
      await server.stop();
    }
  }
}

console.log(`\nload average: ${Deno.loadavg().map((x) => x.toFixed(2)).join(" ")}`);
console.log(
  "| workload | clients | etcd ops/s | T4 ops/s | T4/etcd | etcd p50 ms | T4 p50 ms | etcd p99 ms | T4 p99 ms |",
);
console.log("|---|---|---|---|---|---|---|---|---|");
for (const row of ROWS) {
  const id = `${row.workload} c${row.clients}`;
  const r = results.get(id)!;
  const e = median(r.etcd.map((x) => x.opsPerSecond));
  const t = median(r.t4.map((x) => x.opsPerSecond));
  console.log(
    `| ${row.workload} | ${row.clients} | ${e} | ${t} | ${(t / e).toFixed(2)} | ${
      median(r.etcd.map((x) => x.p50ms))
    } | ${median(r.t4.map((x) => x.p50ms))} | ${median(r.etcd.map((x) => x.p99ms))} | ${
      median(r.t4.map((x) => x.p99ms))
    } |`,
  );
}

if (checkPerf) {
  for (const level of ["m", "l"]) {
    for (const kind of ["etcd", "t4"] as const) {
      const server = await start(kind);
      try {
        console.log(`check perf --load ${level} ${kind}: ${await perf(server.endpoint, level)}`);
      } finally {
        await server.stop();
      }
    }
  }
}
