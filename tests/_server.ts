/**
 * Test helpers that run the real server (`cli.ts run`) as a child process on 127.0.0.1 and stop
 * it by its PID.
 *
 * @module
 */

const CLI = new URL("../cli.ts", import.meta.url).pathname;

/** A running server child process. */
export interface TestServer extends AsyncDisposable {
  /** `127.0.0.1:<port>` of the client API. */
  readonly endpoint: string;
  readonly port: number;
  readonly metricsPort: number;
  readonly dataDir: string;
  readonly pid: number;
  /** Everything the server wrote to stderr so far. */
  log(): string;
  /** SIGTERM, wait for exit (SIGKILL after 10 s). Returns the exit code. */
  stop(): Promise<number>;
  /** SIGKILL, wait for exit. */
  kill(): Promise<void>;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Options of {@linkcode startServer}. */
export interface StartOptions {
  /** Data directory (default: a new temporary one, removed on dispose). */
  dataDir?: string;
  /** Extra flags of `t4 run`. */
  args?: string[];
  /** Extra environment. */
  env?: Record<string, string>;
  /** Keep the data directory on dispose. */
  keepData?: boolean;
  /** The client port (default: a free one). */
  port?: number;
  /** The metrics port (default: a free one). */
  metricsPort?: number;
}

/** Starts `cli.ts run` and waits until it answers on its client port. */
export async function startServer(options: StartOptions = {}): Promise<TestServer> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? await Deno.makeTempDir({ prefix: "t4-test-" });
  const port = options.port ?? freePort();
  const metricsPort = options.metricsPort ?? freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      CLI,
      "run",
      "--data-dir",
      dataDir,
      "--listen",
      `127.0.0.1:${port}`,
      "--metrics-addr",
      `127.0.0.1:${metricsPort}`,
      "--log-level",
      "debug",
      ...(options.args ?? []),
    ],
    // The server stops when our end of its stdin closes: a test process that dies leaves no
    // server behind.
    env: { T4_EXIT_ON_STDIN_CLOSE: "1", ...options.env },
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let log = "";
  const decoder = new TextDecoder();
  const pump = (async () => {
    for await (const chunk of child.stderr) log += decoder.decode(chunk, { stream: true });
  })();
  let exited = false;
  const status = child.status.then(async (s) => {
    exited = true;
    await child.stdin.close().catch(() => {});
    return s;
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) {
      await pump;
      throw new Error(`server exited before it was ready:\n${log}`);
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      await status;
      throw new Error(`server did not become ready in 30 s:\n${log}`);
    }
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      if (log.includes("serving etcd v3 API")) break;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  const stop = async (): Promise<number> => {
    if (!exited) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => !exited && child.kill("SIGKILL"), 10_000);
      await status;
      clearTimeout(timer);
    }
    await pump;
    return (await status).code;
  };
  return {
    endpoint: `127.0.0.1:${port}`,
    port,
    metricsPort,
    dataDir,
    pid: child.pid,
    log: () => log,
    stop,
    async kill() {
      if (!exited) child.kill("SIGKILL");
      await status;
      await pump;
    },
    async [Symbol.asyncDispose]() {
      await stop();
      if (ownDir && !options.keepData) await Deno.remove(dataDir, { recursive: true });
    },
  };
}

/** Runs etcdctl (3.4, API v3) against `endpoint`; returns its merged output and exit code. */
export async function etcdctl(
  endpoint: string,
  args: string[],
  options: { stdin?: string; env?: Record<string, string> } = {},
): Promise<{ code: number; out: string }> {
  const child = new Deno.Command("etcdctl", {
    args: [`--endpoints=${endpoint}`, ...args],
    env: { ETCDCTL_API: "3", ...options.env },
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(options.stdin));
    await w.close();
  }
  const out = await child.output();
  const d = new TextDecoder();
  return { code: out.code, out: d.decode(out.stdout) + d.decode(out.stderr) };
}
