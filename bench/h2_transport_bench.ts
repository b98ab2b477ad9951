/**
 * Transport benchmark: h2load against a trivial unary method served by `H2GrpcServer` (our
 * HTTP/2) and by `GrpcServer` (grpc-js on `node:http2`), each in a child process of its own
 * (this script with `--serve h2|grpc-js`), so neither shares an event loop with the other or
 * with this driver.
 *
 * Run: `deno run -A bench/h2_transport_bench.ts [--runs 5] [--requests 50000] [--clients 1,16,128]`
 * (needs `h2load` from nghttp2-client). Each configuration runs `--runs` times, interleaved
 * between transports so that background load hits both alike; the table shows the median
 * requests per second, with the min and max, and the 1-minute load average before and after.
 *
 * The request is a 5-byte-prefixed 10-byte message; the handler returns a constant 10-byte
 * message synchronously, so the numbers measure the transport alone.
 *
 * `--range NAME=HOST:PORT` (repeatable) adds running etcd-API servers — e.g. a real etcd and
 * `t4 run` — measured with the same h2load on a serializable `KV/Range` of key `foo` (put it
 * first), for the product comparison: the whole server against etcd on one machine.
 *
 * @module
 */

import { GrpcServer, type GrpcServerOptions, type Method } from "../src/server/grpc.ts";
import { H2GrpcServer } from "../src/server/h2/mod.ts";
import { Logger } from "../src/log.ts";

interface Transport {
  listen(host: string, port: number): Promise<number>;
  addService(name: string, methods: Record<string, Method>): void;
  shutdown(graceMs: number): Promise<void>;
}

function arg(name: string, fallback: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 && Deno.args[i + 1] !== undefined ? Deno.args[i + 1]! : fallback;
}

const RUNS = Number(arg("runs", "5"));
const REQUESTS = Number(arg("requests", "50000"));
const CLIENTS = arg("clients", "1,16,128").split(",").map(Number);

const options: GrpcServerOptions = {
  maxReceiveBytes: 2 * 1024 * 1024,
  keepaliveTimeMs: 2 * 60 * 60 * 1000,
  keepaliveTimeoutMs: 20_000,
  logger: new Logger({ level: "error", format: "text" }),
};
const RESPONSE = new TextEncoder().encode("0123456789");
const service: Record<string, Method> = { Method: { kind: "unary", handler: () => RESPONSE } };

/** `--serve KIND`: serve until stdin closes, printing the port. */
async function serve(kind: string): Promise<void> {
  const server: Transport = kind === "h2" ? new H2GrpcServer(options) : new GrpcServer(options);
  server.addService("svc", service);
  const port = await server.listen("127.0.0.1", 0);
  console.log(port);
  for await (const _ of Deno.stdin.readable) { /* until the driver goes away */ }
  await server.shutdown(100);
}

interface Child {
  port: number;
  /** Whether the process is gone. */
  readonly exited: boolean;
  stop(): Promise<void>;
}

async function start(kind: "h2" | "grpc-js"): Promise<Child> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, "--serve", kind],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const first = await reader.read();
  const port = Number(first.value?.trim());
  if (!(port > 0)) throw new Error(`the ${kind} server did not start`);
  let exited = false;
  void child.status.then(() => (exited = true));
  return {
    port,
    get exited() {
      return exited;
    },
    async stop() {
      await child.stdin.close();
      await reader.cancel();
      await child.status;
    },
  };
}

interface Run {
  rps: number;
  failed: number;
}

async function h2load(address: string, clients: number, file: string): Promise<Run> {
  const out = await new Deno.Command("h2load", {
    args: [
      "-n",
      String(REQUESTS),
      "-c",
      String(clients),
      "-m",
      "1",
      "-d",
      file,
      "-H",
      "content-type: application/grpc",
      "-H",
      "te: trailers",
      `http://${address}`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const rps = /finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(text);
  const ok = /(\d+) succeeded/.exec(text);
  if (!rps || !ok) throw new Error(`h2load failed:\n${text}`);
  return { rps: Number(rps[1]), failed: REQUESTS - Number(ok[1]) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const serveKind = arg("serve", "");
if (serveKind !== "") {
  await serve(serveKind);
  Deno.exit(0);
}

const file = await Deno.makeTempFile({ suffix: ".grpc" });
await Deno.writeFile(file, new Uint8Array([0, 0, 0, 0, 10, ...RESPONSE]));
// RangeRequest { key: "foo" (field 1), serializable: true (field 7) }.
const rangeFile = await Deno.makeTempFile({ suffix: ".grpc" });
await Deno.writeFile(
  rangeFile,
  new Uint8Array([0, 0, 0, 0, 7, 0x0a, 3, 0x66, 0x6f, 0x6f, 0x38, 1]),
);
const ranges = Deno.args.flatMap((a, i) => Deno.args[i - 1] === "--range" ? [a.split("=")] : []);
const loadBefore = Deno.loadavg()[0]!;
const servers = { "h2": await start("h2"), "grpc-js": await start("grpc-js") };
const restarts: Record<string, number> = {};
const results: Record<string, number[]> = {};
const failures: Record<string, number> = {};
try {
  for (const clients of CLIENTS) {
    for (let run = 0; run < RUNS; run++) {
      for (const kind of ["h2", "grpc-js"] as const) {
        const name = `${kind} -c ${clients}`;
        if (servers[kind].exited) {
          // grpc-js on Deno's node:http2 can abort on an nghttp2 assertion after a client leaves.
          await servers[kind].stop();
          servers[kind] = await start(kind);
          restarts[kind] = (restarts[kind] ?? 0) + 1;
        }
        const run = await h2load(`127.0.0.1:${servers[kind].port}/svc/Method`, clients, file);
        (results[name] ??= []).push(run.rps);
        failures[name] = (failures[name] ?? 0) + run.failed;
      }
      for (const [label, address] of ranges) {
        const name = `${label} Range -c ${clients}`;
        const run = await h2load(`${address}/etcdserverpb.KV/Range`, clients, rangeFile);
        (results[name] ??= []).push(run.rps);
        failures[name] = (failures[name] ?? 0) + run.failed;
      }
    }
  }
} finally {
  for (const child of Object.values(servers)) await child.stop();
  await Deno.remove(file);
  await Deno.remove(rangeFile);
}
console.log(`h2load -n ${REQUESTS} -m 1, ${RUNS} runs each, median req/s [min, max]`);
console.log(
  `load average (1 min) before ${loadBefore.toFixed(2)}, after ${Deno.loadavg()[0]!.toFixed(2)}`,
);
for (const [kind, n] of Object.entries(restarts)) {
  console.log(`the ${kind} server crashed and was restarted ${n} times`);
}
for (const [name, xs] of Object.entries(results)) {
  const line = `${median(xs).toFixed(0)} [${Math.min(...xs).toFixed(0)}, ${
    Math.max(...xs).toFixed(0)
  }]`;
  const failed = failures[name] ? `, ${failures[name]} requests failed` : "";
  console.log(`${name.padEnd(24)} ${line}${failed}`);
}
