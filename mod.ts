/**
 * T4 as a library: an etcd-compatible, durable key-value store embedded in a Deno program, with
 * no server process. The same engine, WAL and MVCC layer serve the `t4 run` server.
 *
 * Semantics are etcd's: every write gets a store revision (an empty store is at 1), keys carry
 * `createRevision`, `modRevision`, `version` and `lease`; reads can go back to any revision not
 * yet compacted; transactions are atomic at one revision; watches replay history and then
 * follow new writes; leases expire and take their keys with them. A write resolves only once
 * it is fsynced to the local WAL, so `kill -9` at any moment loses nothing acknowledged.
 *
 * Run with `--allow-read` and `--allow-write` on the data directory, and `--allow-env`: the AWS
 * SDK behind the S3 object store reads its variables when this module loads.
 *
 * @example Put, get, and read the past
 * ```ts
 * import { open } from "./mod.ts";
 *
 * const dir = await Deno.makeTempDir();
 * {
 *   await using db = await open({ dataDir: dir });
 *   const first = await db.put("greeting", "hello");
 *   await db.put("greeting", "hello, world");
 *   const now = await db.get("greeting");
 *   const then = await db.get("greeting", { revision: first.revision });
 *   console.log(new TextDecoder().decode(now!.value)); // "hello, world"
 *   console.log(new TextDecoder().decode(then!.value)); // "hello"
 *   console.log(now!.version, now!.createRevision, now!.modRevision); // 2 2 3
 * }
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @example A compare-and-swap transaction and a watch
 * ```ts
 * import { open } from "./mod.ts";
 *
 * const dir = await Deno.makeTempDir();
 * {
 *   await using db = await open({ dataDir: dir });
 *   const watch = db.watch("jobs/", { prefix: true });
 *   const created = await db.txn({
 *     compare: [{ key: "jobs/1", target: "mod", result: "equal", value: 0 }],
 *     success: [{ put: { key: "jobs/1", value: "queued" } }],
 *   });
 *   console.log(created.succeeded); // true
 *   for await (const batch of watch) {
 *     console.log(batch.events[0]!.type); // "put"
 *     break; // leaving the loop cancels the watch
 *   }
 * }
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */

import { type NodeConfig, Store } from "./src/node/mod.ts";

export * from "./src/node/mod.ts";
export {
  ClosedError,
  CompactedError,
  FencedError,
  FutureRevisionError,
  InvalidRequestError,
  KvError,
  type KvErrorCode,
  LeaseError,
  WalCorruptError,
} from "./src/errors.ts";

/**
 * Opens (creating if needed) a store in `config.dataDir`, recovering whatever a previous process
 * left there: the engine file and the WAL after it.
 *
 * @example
 * ```ts
 * import { open } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * const db = await open({ dataDir: dir });
 * await db.put("k", "v");
 * await db.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function open(config: NodeConfig): Promise<Store> {
  return Store.open(config);
}
