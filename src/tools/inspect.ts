/**
 * `t4 inspect meta|get|list|count|history|diff`: read-only views of a stopped node's data
 * directory, as text or `--json`.
 *
 * @module
 */

import { Command, Option } from "commander";
import { type Kv, toKey } from "../mvcc/mod.ts";
import { Inspector } from "../node/inspect.ts";

const td = new TextDecoder();

function show(key: string): string {
  const bytes = Uint8Array.from(key, (c) => c.charCodeAt(0));
  return td.decode(bytes);
}

function kvJson(kv: Kv & { deleted?: boolean }): Record<string, unknown> {
  return {
    key: show(kv.key),
    value: td.decode(kv.value),
    create_revision: kv.createRevision,
    mod_revision: kv.modRevision,
    version: kv.version,
    lease: kv.lease.toString(),
    ...(kv.deleted === undefined ? {} : { deleted: kv.deleted }),
  };
}

function print(json: boolean, value: unknown, text: () => string): void {
  console.log(json ? JSON.stringify(value, null, 2) : text());
}

async function withInspector<T>(dataDir: string, fn: (i: Inspector) => T | Promise<T>): Promise<T> {
  await using inspector = await Inspector.open(dataDir);
  return await fn(inspector);
}

function dataDirOption(): Option {
  return new Option("--data-dir <dir>", "data directory (T4_DATA_DIR)").default(
    Deno.env.get("T4_DATA_DIR") || "/var/lib/t4",
  );
}

/** The `inspect` command group. */
export function inspectCommand(): Command {
  const cmd = new Command("inspect").description(
    "read-only views of a stopped node's data directory",
  );
  cmd.command("meta").description("revisions, counts and sizes").addOption(dataDirOption())
    .option("--json", "print JSON").action(async (o: { dataDir: string; json?: boolean }) => {
      const meta = await withInspector(o.dataDir, (i) => i.meta());
      print(
        !!o.json,
        meta,
        () => Object.entries(meta).map(([k, v]) => `${k.padEnd(16)} ${v}`).join("\n"),
      );
    });
  cmd.command("get <key>").description("one key (at --rev)").addOption(dataDirOption())
    .option("--rev <n>", "revision", "0").option("--json", "print JSON")
    .action(async (key: string, o: { dataDir: string; rev: string; json?: boolean }) => {
      const kv = await withInspector(o.dataDir, (i) => i.get(toKey(key), Number(o.rev)));
      if (!kv) {
        console.error(`key ${JSON.stringify(key)} not found`);
        Deno.exitCode = 1;
        return;
      }
      print(!!o.json, kvJson(kv), () => `${show(kv.key)}\n${td.decode(kv.value)}`);
    });
  cmd.command("list [prefix]").description("keys with a prefix").addOption(dataDirOption())
    .option("--prefix <p>", "key prefix").option("--limit <n>", "most keys", "100")
    .option("--json", "print JSON")
    .action(
      async (
        arg: string | undefined,
        o: { dataDir: string; prefix?: string; limit: string; json?: boolean },
      ) => {
        const prefix = toKey(o.prefix ?? arg ?? "");
        const kvs = await withInspector(o.dataDir, (i) => i.list(prefix, Number(o.limit)));
        print(
          !!o.json,
          kvs.map((kv) => kvJson(kv)),
          () => kvs.map((kv) => `${show(kv.key)} (rev ${kv.modRevision})`).join("\n"),
        );
      },
    );
  cmd.command("count").description("live keys with a prefix").addOption(dataDirOption())
    .option("--prefix <p>", "key prefix", "").option("--json", "print JSON")
    .action(async (o: { dataDir: string; prefix: string; json?: boolean }) => {
      const count = await withInspector(o.dataDir, (i) => i.count(toKey(o.prefix)));
      print(!!o.json, { count }, () => String(count));
    });
  cmd.command("history <key>").description("every stored revision of a key, newest first")
    .addOption(dataDirOption()).option("--limit <n>", "most revisions", "100")
    .option("--json", "print JSON")
    .action(async (key: string, o: { dataDir: string; limit: string; json?: boolean }) => {
      const h = await withInspector(o.dataDir, (i) => i.history(toKey(key), Number(o.limit)));
      print(
        !!o.json,
        h.map(kvJson),
        () =>
          h.map((kv) =>
            `rev ${kv.modRevision} ${
              kv.deleted ? "DELETE" : `PUT v${kv.version} ${td.decode(kv.value)}`
            }`
          ).join("\n"),
      );
    });
  cmd.command("diff").description("keys that changed between two revisions")
    .addOption(dataDirOption()).option("--prefix <p>", "key prefix", "")
    .option("--from-rev <n>", "older revision", "1").option(
      "--to-rev <n>",
      "newer revision (0: current)",
      "0",
    )
    .option("--json", "print JSON")
    .action(
      async (
        o: { dataDir: string; prefix: string; fromRev: string; toRev: string; json?: boolean },
      ) => {
        const d = await withInspector(
          o.dataDir,
          (i) => i.diff(toKey(o.prefix), Number(o.fromRev), Number(o.toRev)),
        );
        print(
          !!o.json,
          d.map((c) => ({ key: show(c.key), change: c.change })),
          () => d.map((c) => `${c.change.padEnd(8)} ${show(c.key)}`).join("\n"),
        );
      },
    );
  return cmd;
}
