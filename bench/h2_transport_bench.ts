/**
 * Transport benchmark: h2load against a trivial unary method served by `H2GrpcServer` (our
 * HTTP/2) and by `GrpcServer` (grpc-js on `node:http2`), in this process.
 *
 * Run: `deno run -A bench/h2_transport_bench.ts [--runs 5] [--requests 50000] [--clients 1,16,128]`
 * (needs `h2load` from nghttp2-client). Each configuration runs `--runs` times, interleaved
 * between transports so that background load hits both alike; the table shows the median
 * requests per second, with the min and max, and the 1-minute load average before and after.
 *
 * The request is a 5-byte-prefixed 10-byte message; the handler returns a constant 10-byte
 * message synchronously, so the numbers measure the transport alone.
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

async function start(kind: "h2" | "grpc-js"): Promise<{ server: Transport; port: number }> {
  const server: Transport = kind === "h2" ? new H2GrpcServer(options) : new GrpcServer(options);
  server.addService("svc", service);
  const port = await server.listen("127.0.0.1", 0);
  return { server, port };
}

async function h2load(port: number, clients: number, file: string): Promise<number> {
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
      `http://127.0.0.1:${port}/svc/Method`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const rps = /finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(text);
  const ok = /(\d+) succeeded/.exec(text);
  if (!rps || Number(ok?.[1]) !== REQUESTS) throw new Error(`h2load failed:\n${text}`);
  return Number(rps[1]);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const file = await Deno.makeTempFile({ suffix: ".grpc" });
await Deno.writeFile(file, new Uint8Array([0, 0, 0, 0, 10, ...RESPONSE]));
const loadBefore = Deno.loadavg()[0];
const servers = { "h2": await start("h2"), "grpc-js": await start("grpc-js") };
const results: Record<string, number[]> = {};
try {
  for (const clients of CLIENTS) {
    for (let run = 0; run < RUNS; run++) {
      for (const kind of ["h2", "grpc-js"] as const) {
        const rps = await h2load(servers[kind].port, clients, file);
        (results[`${kind} -c ${clients}`] ??= []).push(rps);
      }
    }
  }
} finally {
  for (const { server } of Object.values(servers)) await server.shutdown(100);
  await Deno.remove(file);
}
console.log(`h2load -n ${REQUESTS} -m 1, ${RUNS} runs each, median req/s [min, max]`);
console.log(
  `load average (1 min) before ${loadBefore.toFixed(2)}, after ${Deno.loadavg()[0].toFixed(2)}`,
);
for (const [name, xs] of Object.entries(results)) {
  const line = `${median(xs).toFixed(0)} [${Math.min(...xs).toFixed(0)}, ${
    Math.max(...xs).toFixed(0)
  }]`;
  console.log(`${name.padEnd(18)} ${line}`);
}
