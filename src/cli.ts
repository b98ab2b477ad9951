/**
 * The `t4` command line behind `cli.ts`: the commands, their flags and one-line errors.
 *
 * @module
 */

import { Command, Option } from "commander";
import { configFromFlags, envName, RUN_FLAGS } from "./server/flags.ts";
import { runServer } from "./server/mod.ts";
import { inspectCommand } from "./tools/inspect.ts";
import { storeCommands } from "./tools/store_commands.ts";
import { migrateCommand } from "./tools/migrate.ts";

/** Collects the explicitly given values of `flags` from a parsed command, then non-empty env. */
function flagValues(cmd: Command, names: readonly string[]): Map<string, string> {
  const values = new Map<string, string>();
  const opts = cmd.opts<Record<string, string | boolean | undefined>>();
  for (const name of names) {
    const key = name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    const source = cmd.getOptionValueSource(key);
    const value = opts[key];
    if (source === "cli" && value !== undefined) values.set(name, String(value));
    else {
      const env = Deno.env.get(envName(name));
      if (env !== undefined && env !== "") values.set(name, env);
    }
  }
  return values;
}

function runCommand(): Command {
  const cmd = new Command("run")
    .description("serve the etcd v3 API from a data directory")
    .helpOption("-h, --help", "show help for run")
    .addHelpText(
      "after",
      "\nEvery flag can also be set with its T4_* environment variable (--data-dir: T4_DATA_DIR);\n" +
        "a flag on the command line wins, and empty variables are ignored.",
    );
  for (const f of RUN_FLAGS) {
    const arg = f.kind === "bool" ? "[bool]" : "<value>";
    let help = f.help;
    if (f.pending) help += ` [not yet available: ${f.pending}]`;
    help += ` (${envName(f.name)})`;
    const opt = new Option(`--${f.name} ${arg}`, help);
    if (f.default !== undefined && f.default !== "") opt.default(f.default);
    if (f.choices) opt.choices(f.choices);
    cmd.addOption(opt);
  }
  cmd.action(async () => {
    const config = configFromFlags(flagValues(cmd, RUN_FLAGS.map((f) => f.name)));
    Deno.exitCode = await runServer(config);
  });
  return cmd;
}

function program(): Command {
  const program = new Command("t4")
    .description("T4: an etcd-compatible key-value store with WAL and S3 durability")
    .helpOption("-h, --help", "show help")
    .showHelpAfterError();
  for (const cmd of [runCommand(), ...storeCommands(), inspectCommand()]) {
    program.addCommand(cmd);
  }
  program.addCommand(migrateCommand());
  // exit codes like etcdctl's: 128 for bad arguments; commander's own exits become errors
  const override = (cmd: Command) => {
    cmd.exitOverride();
    cmd.commands.forEach(override);
  };
  override(program);
  return program;
}

/** One line for an error a user can act on; no stack traces. */
export function explain(err: unknown): string {
  if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
    return `missing permission: ${err.message} (the server needs --allow-read, --allow-write, ` +
      `--allow-net, --allow-env and --allow-sys)`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** Runs the command line with `args`; exits the process with the command's code on errors. */
export async function main(args: string[]): Promise<void> {
  try {
    await program().parseAsync(args, { from: "user" });
  } catch (err: unknown) {
    const code = (err as { code?: string }).code;
    if (code === "commander.helpDisplayed" || code === "commander.version") Deno.exit(0);
    if (typeof code === "string" && code.startsWith("commander.")) Deno.exit(128);
    console.error(`t4: ${explain(err)}`);
    Deno.exit(1);
  }
}
