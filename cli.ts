/**
 * The `t4` command line: turns flags and `T4_*` variables into a configuration and calls the
 * library. `t4 run` serves etcd's gRPC API; the other commands work on a data directory or an
 * object store without a running server.
 *
 * Usage: `deno run --allow-read --allow-write --allow-net --allow-env --allow-sys cli.ts run
 * --data-dir ./data --listen 127.0.0.1:3379`, or the compiled binary `t4 run …`.
 *
 * @module
 */

if (import.meta.main) {
  // Imported here, not at the top: a module that needs a missing permission while it loads (the
  // AWS SDK reads the environment) then gives one line instead of a stack trace.
  let cli: typeof import("./src/cli.ts");
  try {
    cli = await import("./src/cli.ts");
  } catch (err: unknown) {
    const missing = err instanceof Deno.errors.NotCapable ||
      err instanceof Deno.errors.PermissionDenied;
    console.error(
      missing
        ? `t4: missing permission: ${(err as Error).message} (the server needs --allow-read, ` +
          `--allow-write, --allow-net, --allow-env and --allow-sys)`
        : `t4: cannot start: ${err instanceof Error ? err.message : String(err)}`,
    );
    Deno.exit(1);
  }
  await cli.main(Deno.args);
}
