/**
 * Test helper: an {@linkcode H2GrpcServer} on 127.0.0.1 port 0 with the given services and a
 * `GrpcClient` to it, disposed together.
 *
 * @module
 */

import { Logger } from "../../log.ts";
import { type CallObserver, GrpcClient, type GrpcClientOptions, type Method } from "../grpc.ts";
import { H2GrpcServer } from "./mod.ts";

/** A running test server. */
export interface TestH2Server extends AsyncDisposable {
  readonly server: H2GrpcServer;
  readonly port: number;
  readonly client: GrpcClient;
  /** Log lines written so far. */
  readonly logs: string[];
  /** Observer calls so far: `[method, kind, code, received, sent]`. */
  readonly observed: [string, string, number, number, number][];
}

/** Options of {@linkcode startH2Server}. */
export interface TestServerOptions {
  maxReceiveBytes?: number;
  keepaliveTimeMs?: number;
  keepaliveTimeoutMs?: number;
  client?: GrpcClientOptions;
}

/** Starts a server with `services` (name → methods). */
export async function startH2Server(
  services: Record<string, Record<string, Method>>,
  options: TestServerOptions = {},
): Promise<TestH2Server> {
  const logs: string[] = [];
  const observed: TestH2Server["observed"] = [];
  const observer: CallObserver = (method, kind, code, _seconds, rx, tx) =>
    void observed.push([method, kind, code, rx, tx]);
  const server = new H2GrpcServer({
    maxReceiveBytes: options.maxReceiveBytes ?? 4 * 1024 * 1024,
    keepaliveTimeMs: options.keepaliveTimeMs ?? 2 * 60 * 60 * 1000,
    keepaliveTimeoutMs: options.keepaliveTimeoutMs ?? 20_000,
    logger: new Logger({ level: "debug", sink: (line) => void logs.push(line) }),
    observer,
  });
  for (const [name, methods] of Object.entries(services)) server.addService(name, methods);
  const port = await server.listen("127.0.0.1", 0);
  const client = new GrpcClient(`127.0.0.1:${port}`, options.client);
  return {
    server,
    port,
    client,
    logs,
    observed,
    async [Symbol.asyncDispose]() {
      client.close();
      await server.shutdown(1000);
    },
  };
}

/** Bytes of a UTF-8 string. */
export function b(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** A UTF-8 string of bytes. */
export function s(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every 5 ms until it holds; throws after `ms`. */
export async function until(check: () => boolean, ms = 5000, what = "condition"): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(5);
  }
}
