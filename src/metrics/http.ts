/**
 * The HTTP server on `--metrics-addr`: Prometheus exposition and the health probes.
 *
 * | path | answer |
 * |---|---|
 * | `/metrics` | 200, the registry in Prometheus text format 0.0.4; 500 if a collector throws |
 * | `/healthz` | 200 `ok` once started, else 503 `starting` |
 * | `/readyz` | 200 `ok` when reads can be served, else 503 with the reason |
 * | `/healthz/leader` | 200 on a leader or single node, 503 on a follower or undecided node |
 *
 * Only GET and HEAD are allowed (405 otherwise); other paths are 404. A health source or
 * collector that throws gives a 500 with a one-line message and never stops the server.
 *
 * @module
 */

import type { Registry } from "prom-client";
import type { HealthSource, Readiness } from "./health.ts";

/** Options of {@linkcode startMetricsServer}. */
export interface MetricsServerOptions {
  /** Interface to bind: `0.0.0.0`, `127.0.0.1`, `::1` … (see `parseListenAddress()`). */
  hostname: string;
  /** Port to bind; 0 lets the OS choose (read it back from {@linkcode MetricsServer.addr}). */
  port: number;
  /** The registry `/metrics` exposes, normally the one passed to `createMetrics()`. */
  registry: Registry;
  /** Where the health endpoints read the node's state. */
  health: HealthSource;
  /**
   * Runs before each `/metrics` exposition, to refresh gauges that are read rather than pushed
   * (database size, key count). If it throws, the scrape is a 500.
   */
  beforeScrape?: () => void | Promise<void>;
  /** Told about every error that turned into a 500 (the response only carries one line). */
  onError?: (err: unknown) => void;
}

/** A running metrics server; close it, or `await using` it. */
export interface MetricsServer extends AsyncDisposable {
  /** The bound address, with the real port when 0 was asked for. */
  readonly addr: Deno.NetAddr;
  /** Stops accepting, finishes in-flight requests and frees the port. Safe to call twice. */
  close(): Promise<void>;
}

const TEXT = "text/plain; charset=utf-8";
/** Longest error text a 500 carries; the whole error goes to `onError`. */
const MAX_ERROR_TEXT = 200;

/**
 * Starts the metrics and health HTTP server.
 *
 * @throws {Error} if the address cannot be bound (in use, not permitted), naming it.
 */
export function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const { hostname, port } = options;
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname,
      port,
      onListen() {}, // no "Listening on" line: logging is the caller's business
      onError: (err) => failure(options, "request failed", err),
    }, (request) => handle(options, request));
  } catch (err: unknown) {
    const why = err instanceof Error ? err.message : String(err);
    const where = hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
    throw new Error(`Cannot serve metrics on ${where}: ${why}`, { cause: err });
  }
  return Promise.resolve(new DenoMetricsServer(server));
}

/** {@linkcode MetricsServer} over `Deno.serve`. */
class DenoMetricsServer implements MetricsServer {
  #server: Deno.HttpServer<Deno.NetAddr>;
  #closing: Promise<void> | undefined;

  constructor(server: Deno.HttpServer<Deno.NetAddr>) {
    this.#server = server;
  }

  get addr(): Deno.NetAddr {
    return this.#server.addr;
  }

  close(): Promise<void> {
    this.#closing ??= this.#server.shutdown();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Routes one request; never throws. */
async function handle(options: MetricsServerOptions, request: Request): Promise<Response> {
  const { pathname } = new URL(request.url);
  const route = ROUTES.get(pathname);
  if (route === undefined) return text(request, 404, "not found");
  if (request.method !== "GET" && request.method !== "HEAD") {
    const response = text(request, 405, "method not allowed");
    response.headers.set("allow", "GET, HEAD");
    return response;
  }
  try {
    return await route(options, request);
  } catch (err: unknown) {
    const what = pathname === "/metrics" ? "metrics collection failed" : "health check failed";
    return failure(options, what, err, request);
  }
}

type Route = (options: MetricsServerOptions, request: Request) => Response | Promise<Response>;

const ROUTES = new Map<string, Route>([
  ["/metrics", async ({ registry, beforeScrape }, request) => {
    await beforeScrape?.();
    const body = await registry.metrics();
    return respond(request, 200, body, registry.contentType);
  }],
  [
    "/healthz",
    ({ health }, request) =>
      health.started() ? text(request, 200, "ok") : text(request, 503, "starting"),
  ],
  ["/readyz", ({ health }, request) => {
    const readiness: Readiness = health.started()
      ? health.ready()
      : { ok: false, reason: "starting" };
    return readiness.ok ? text(request, 200, "ok") : text(request, 503, readiness.reason);
  }],
  ["/healthz/leader", ({ health }, request) => {
    const role = health.role();
    const leads = role === "leader" || role === "single";
    return text(request, leads ? 200 : 503, role);
  }],
]);

/** A 500 whose body is `what: <first line of the error>`, after telling `onError`. */
function failure(
  options: MetricsServerOptions,
  what: string,
  err: unknown,
  request?: Request,
): Response {
  try {
    options.onError?.(err);
  } catch (_hookErr: unknown) {
    // The error hook failing must not turn a 500 into a crash.
  }
  const message = (err instanceof Error ? err.message : String(err)).split("\n")[0] ?? "";
  const body = `${what}: ${message.slice(0, MAX_ERROR_TEXT)}`;
  return request ? text(request, 500, body) : new Response(body, { status: 500 });
}

function text(request: Request, status: number, body: string): Response {
  return respond(request, status, body, TEXT);
}

/** A response with no caching; HEAD gets the same status and headers without a body. */
function respond(request: Request, status: number, body: string, contentType: string): Response {
  const headers = { "content-type": contentType, "cache-control": "no-store" };
  return new Response(request.method === "HEAD" ? null : body, { status, headers });
}
