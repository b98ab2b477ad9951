/**
 * The server's object store, built from `--s3-*` or `--object-store-dir`, instrumented for
 * metrics; and a branch node's source store (`--branch-prefix`, `--branch-checkpoint`).
 *
 * @module
 */

import { readBranch } from "../checkpoint/mod.ts";
import type { Metrics } from "../metrics/mod.ts";
import type { BranchSource } from "../node/mod.ts";
import {
  InstrumentedObjectStore,
  LocalDirObjectStore,
  type ObjectStore,
  S3ObjectStore,
  type S3ObjectStoreOptions,
} from "../objstore/mod.ts";
import type { S3Config, ServerConfig } from "./config.ts";

/** What {@linkcode openObjectStores} made. */
export interface ObjectStores {
  objectStore?: ObjectStore;
  branch?: BranchSource;
  /** Closes every store it made. */
  close(): void;
}

/** S3 options from the `--s3-*` flags, with `prefix` replaced when given. */
export function s3Options(s3: S3Config, prefix = s3.prefix): S3ObjectStoreOptions {
  const o: S3ObjectStoreOptions = { bucket: s3.bucket, prefix };
  if (s3.endpoint) o.endpoint = s3.endpoint;
  if (s3.region) o.region = s3.region;
  if (s3.profile) o.profile = s3.profile;
  if (s3.accessKeyId) o.accessKeyId = s3.accessKeyId;
  if (s3.secretAccessKey) o.secretAccessKey = s3.secretAccessKey;
  return o;
}

/** The object store the configuration names, or none; unwrapped (for the CLI's tools). */
export function configuredStore(
  config: Pick<ServerConfig, "s3" | "objectStoreDir">,
  prefix?: string,
): ObjectStore | undefined {
  if (config.s3) return new S3ObjectStore(s3Options(config.s3, prefix ?? config.s3.prefix));
  if (config.objectStoreDir) {
    return new LocalDirObjectStore(config.objectStoreDir, prefix ? { prefix } : {});
  }
  return undefined;
}

function instrument(store: ObjectStore, metrics: Metrics): ObjectStore {
  return new InstrumentedObjectStore(store, (op, result, seconds) => {
    metrics.objectStoreOps.inc({ op, result });
    metrics.objectStoreDuration.observe({ op }, seconds);
  });
}

/** Builds the node's object store (and a branch's source) from the configuration. */
export async function openObjectStores(
  config: ServerConfig,
  metrics: Metrics,
): Promise<ObjectStores> {
  const made: ObjectStore[] = [];
  const out: ObjectStores = { close: () => made.forEach((s) => s.close()) };
  const main = configuredStore(config);
  if (!main) {
    if (config.branchPrefix || config.branchCheckpoint) {
      throw new TypeError(
        "--branch-prefix needs an object store (--s3-bucket or --object-store-dir)",
      );
    }
    return out;
  }
  made.push(main);
  out.objectStore = instrument(main, metrics);
  if (config.branchPrefix !== undefined) {
    const source = configuredStore(config, config.branchPrefix)!;
    made.push(source);
    let checkpointKey = config.branchCheckpoint;
    if (!checkpointKey) {
      throw new TypeError(
        "--branch-prefix needs --branch-checkpoint (the key `t4 branch fork` printed) or a branch id",
      );
    }
    if (!checkpointKey.startsWith("checkpoint/")) {
      // a branch id: the checkpoint it pins in the source store
      const entry = await readBranch(source, checkpointKey);
      if (!entry) throw new TypeError(`No branch "${checkpointKey}" in the source store`);
      checkpointKey = entry.ancestorCheckpointKey;
    }
    out.branch = { store: instrument(source, metrics), checkpointKey };
  }
  return out;
}
