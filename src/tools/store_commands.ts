/**
 * The object-store commands of the CLI, which need no running node: `t4 status`, `t4 gc`,
 * `t4 branch fork|unfork`, `t4 restore list|checkpoint`. Each takes the `--s3-*` flags (or
 * `--object-store-dir`) with their `T4_*` variables, like `t4 run`.
 *
 * @module
 */

import { Command, Option } from "commander";
import {
  collectGarbage,
  forkBranch,
  listBranches,
  listCheckpoints,
  listWalObjects,
  readLatestPointer,
  unforkBranch,
} from "../checkpoint/mod.ts";
import { restoreEngineFile } from "../node/mod.ts";
import { dataDirLayout } from "../node/mod.ts";
import type { ObjectStore } from "../objstore/mod.ts";
import { envName } from "../server/flags.ts";
import { configuredStore } from "../server/objects.ts";
import { progressGate } from "../log.ts";

const STORE_FLAGS = [
  ["s3-bucket", "S3 bucket"],
  ["s3-prefix", "key prefix in the bucket"],
  ["s3-endpoint", "S3 endpoint URL (path-style)"],
  ["s3-region", "S3 region (default us-east-1)"],
  ["s3-profile", "AWS shared-config profile"],
  ["s3-access-key-id", "static S3 access key"],
  ["s3-secret-access-key", "static S3 secret key"],
  ["object-store-dir", "a local directory used as the object store"],
] as const;

function withStoreFlags(cmd: Command): Command {
  for (const [name, help] of STORE_FLAGS) {
    cmd.addOption(new Option(`--${name} <value>`, `${help} (${envName(name)})`));
  }
  return cmd;
}

function flag(o: Record<string, string | undefined>, name: string): string | undefined {
  const key = name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  const v = o[key] ?? Deno.env.get(envName(name));
  return v === "" ? undefined : v;
}

/** The store the flags name; throws a one-line error when none is given. */
export function storeFromFlags(o: Record<string, string | undefined>): ObjectStore {
  const bucket = flag(o, "s3-bucket");
  const s3 = bucket
    ? {
      bucket,
      prefix: flag(o, "s3-prefix") ?? "",
      ...(flag(o, "s3-endpoint") ? { endpoint: flag(o, "s3-endpoint")! } : {}),
      ...(flag(o, "s3-region") ? { region: flag(o, "s3-region")! } : {}),
      ...(flag(o, "s3-profile") ? { profile: flag(o, "s3-profile")! } : {}),
      ...(flag(o, "s3-access-key-id") ? { accessKeyId: flag(o, "s3-access-key-id")! } : {}),
      ...(flag(o, "s3-secret-access-key")
        ? { secretAccessKey: flag(o, "s3-secret-access-key")! }
        : {}),
    }
    : undefined;
  const dir = flag(o, "object-store-dir");
  const store = configuredStore({
    ...(s3 ? { s3 } : {}),
    ...(dir ? { objectStoreDir: dir } : {}),
  }, s3 ? undefined : flag(o, "s3-prefix"));
  if (!store) {
    throw new Error(
      "no object store: give --s3-bucket (and --s3-endpoint …) or --object-store-dir",
    );
  }
  return store;
}

async function withStore(
  o: Record<string, string | undefined>,
  fn: (s: ObjectStore) => Promise<void>,
) {
  const store = storeFromFlags(o);
  try {
    await fn(store);
  } finally {
    store.close();
  }
}

function statusCommand(): Command {
  return withStoreFlags(new Command("status")).description(
    "show the object store's checkpoints, WAL objects, branches and leader lock",
  ).action(async (o: Record<string, string | undefined>) => {
    await withStore(o, async (store) => {
      console.log(`Object store  ${store.describe()}`);
      const latest = await readLatestPointer(store);
      console.log(
        latest
          ? `Latest checkpoint  ${latest.pointer.checkpointKey} (revision ${latest.pointer.revision}, term ${latest.pointer.term}, seq ${latest.pointer.seq})`
          : "Latest checkpoint  (none yet)",
      );
      console.log(`Checkpoints  ${(await listCheckpoints(store)).length}`);
      const wal = await listWalObjects(store);
      console.log(
        `WAL objects  ${wal.length}${
          wal.length ? ` (seq ${wal[0]!.firstSeq}..${wal.at(-1)!.maxSeq})` : ""
        }`,
      );
      const branches = await listBranches(store);
      console.log(`Branches  ${branches.length}`);
      for (const b of branches) console.log(`  ${b.id} -> ${b.ancestorCheckpointKey}`);
      const lock = await store.head("leader-lock");
      if (lock) {
        const { data } = await store.get("leader-lock");
        console.log(`Leader lock  ${new TextDecoder().decode(data)}`);
      }
    });
  });
}

function gcCommand(): Command {
  return withStoreFlags(new Command("gc")).description(
    "delete old checkpoints, their chunks and covered WAL objects",
  ).option("--keep <n>", "checkpoints to keep besides the latest and branch-pinned ones", "3")
    .option("--dry-run", "only report what would go")
    .action(async (o: Record<string, string | undefined>) => {
      await withStore(o, async (store) => {
        const progress = progressLine("deleting");
        const r = await collectGarbage(store, {
          keep: Number(o.keep),
          dryRun: o.dryRun !== undefined,
          onProgress: (what, done, total) => progress(done, total, what),
        });
        console.log(
          `${
            o.dryRun !== undefined ? "Would delete" : "Deleted"
          } ${r.checkpointsDeleted.length} checkpoints, ${r.chunksDeleted} chunks (${r.chunkBytesDeleted} bytes), ${r.walObjectsDeleted} WAL objects (${r.walBytesDeleted} bytes); kept ${r.checkpointsKept.length} checkpoints`,
        );
      });
    });
}

function branchCommand(): Command {
  const cmd = new Command("branch").description("fork a store at a checkpoint, or release a fork");
  cmd.addCommand(
    withStoreFlags(new Command("fork")).description(
      "pin a checkpoint of this store for a branch node",
    )
      .requiredOption("--branch-id <id>", `the branch's name (${envName("branch-id")})`)
      .option("--checkpoint <key>", "the checkpoint manifest to pin (default: the latest)")
      .action(async (o: Record<string, string | undefined>) => {
        await withStore(o, async (store) => {
          const entry = await forkBranch(
            store,
            o.branchId!,
            o.checkpoint ? { checkpointKey: o.checkpoint } : {},
          );
          console.log(entry.ancestorCheckpointKey);
        });
      }),
  );
  cmd.addCommand(
    withStoreFlags(new Command("unfork")).description(
      "release a branch's pin (GC may then free it)",
    )
      .requiredOption("--branch-id <id>", "the branch's name")
      .action(async (o: Record<string, string | undefined>) => {
        await withStore(o, async (store) => {
          const removed = await unforkBranch(store, o.branchId!);
          console.log(removed ? `Branch ${o.branchId} released` : `No branch ${o.branchId}`);
          if (!removed) Deno.exitCode = 1;
        });
      }),
  );
  return cmd;
}

function restoreCommand(): Command {
  const cmd = new Command("restore").description(
    "list checkpoints, or restore one into a data directory",
  );
  cmd.addCommand(
    withStoreFlags(new Command("list")).description("every checkpoint, newest last").action(
      async (o: Record<string, string | undefined>) => {
        await withStore(o, async (store) => {
          console.log("CHECKPOINT\tREVISION\tTERM\tSEQ");
          for (const c of await listCheckpoints(store)) {
            console.log(
              `${c.key}\t${c.revision}\t${c.term}\t${c.seq}${c.latest ? "\t(latest)" : ""}`,
            );
          }
        });
      },
    ),
  );
  cmd.addCommand(
    withStoreFlags(new Command("checkpoint")).description(
      "restore a checkpoint into an empty data directory (then `t4 run` replays the WAL after it)",
    ).option("--checkpoint <key>", "the checkpoint manifest (default: the latest)")
      .requiredOption("--data-dir <dir>", `the data directory (${envName("data-dir")})`)
      .action(async (o: Record<string, string | undefined>) => {
        const layout = dataDirLayout(o.dataDir!);
        const exists = await Deno.stat(layout.engineFile).then(() => true, () => false);
        if (exists) {
          throw new Error(`Cannot restore into "${o.dataDir}": it already holds an engine file`);
        }
        await Deno.mkdir(layout.root, { recursive: true });
        await withStore(o, async (store) => {
          const m = await restoreEngineFile({
            store,
            engineFile: layout.engineFile,
            checkpointKey: o.checkpoint,
            onProgress: progressLine("restoring"),
          });
          if (!m) throw new Error(`${store.describe()} holds no checkpoint`);
          console.log(
            `Restored ${m.key} (revision ${m.revision}, seq ${m.seq}) into ${layout.engineFile}`,
          );
        });
      }),
  );
  return cmd;
}

/** The object-store commands. */
export function storeCommands(): Command[] {
  return [statusCommand(), gcCommand(), branchCommand(), restoreCommand()];
}

/** A progress reporter for long commands: a line on stderr every 2 s and at the end. */
function progressLine(verb: string): (done: number, total: number, what?: string) => void {
  const gate = progressGate();
  return (done, total, what) => {
    if (gate() || done === total) {
      const pct = total > 0 ? Math.floor((100 * done) / total) : 100;
      console.error(`${verb}${what ? ` ${what}` : ""}: ${done}/${total} (${pct}%)`);
    }
  };
}
