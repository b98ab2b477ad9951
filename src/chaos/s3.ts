/**
 * The S3 server of a chaos run: the one named by `T4_TEST_S3_ENDPOINT` (with
 * `T4_TEST_S3_ACCESS_KEY` / `T4_TEST_S3_SECRET_KEY`) when set, else a Ceph RGW started for
 * the run on free loopback ports with `scripts/rgw.sh` and stopped afterwards by its PIDs.
 * Each run gets its own bucket, deleted at the end (RGW keeps objects in RAM).
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { createBucket, deleteBucket } from "../objstore/mod.ts";

const RGW_SCRIPT = fileURLToPath(new URL("../../scripts/rgw.sh", import.meta.url));

/** Where the run's bucket is and how to sign in. */
export interface ChaosS3 extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`. */
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  bucket: string;
  /** True when this run started the RGW itself. */
  ownServer: boolean;
  /** Deletes the bucket and stops an RGW this run started. */
  close(): Promise<void>;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Stops the RGW whose files are in `dir` (by the PIDs `rgw.sh` wrote); never throws. */
export async function stopRgw(dir: string): Promise<void> {
  await new Deno.Command("bash", {
    args: [RGW_SCRIPT, "down", dir],
    stdout: "null",
    stderr: "null",
  })
    .output().catch(() => {});
}

/** {@linkcode stopRgw} without waiting for the event loop (for a second Ctrl-C). */
export function stopRgwSync(dir: string): void {
  try {
    new Deno.Command("bash", { args: [RGW_SCRIPT, "down", dir], stdout: "null", stderr: "null" })
      .outputSync();
  } catch { /* nothing more to do */ }
}

async function startRgw(dir: string): Promise<string> {
  const port = freePort();
  const { code, stdout, stderr } = await new Deno.Command("bash", {
    args: [RGW_SCRIPT, "up", dir, String(port), String(freePort())],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    await stopRgw(dir);
    const d = new TextDecoder();
    throw new Error(
      `Cannot start Ceph RGW (scripts/rgw.sh exited ${code}): ` +
        `${(d.decode(stderr) + d.decode(stdout)).trim()}\n` +
        `Install ceph-mon ceph-osd radosgw uuid-runtime, or set T4_TEST_S3_ENDPOINT.`,
    );
  }
  return `http://127.0.0.1:${port}`;
}

/**
 * Opens the run's S3: reuses the server in the environment or starts one in `rgwDir`, then
 * creates a fresh bucket named after `label`.
 */
export async function openChaosS3(rgwDir: string, label: string): Promise<ChaosS3> {
  const env = Deno.env.get("T4_TEST_S3_ENDPOINT");
  const ownServer = env === undefined || env === "";
  const endpoint = ownServer ? await startRgw(rgwDir) : env;
  const accessKeyId = ownServer ? "test" : Deno.env.get("T4_TEST_S3_ACCESS_KEY") ?? "test";
  const secretAccessKey = ownServer
    ? "testsecret"
    : Deno.env.get("T4_TEST_S3_SECRET_KEY") ?? "testsecret";
  const bucket = `t4-chaos-${label}-${Date.now().toString(36)}-${crypto.randomUUID().slice(0, 6)}`
    .toLowerCase().replace(/[^a-z0-9-]/g, "-").slice(0, 63);
  const options = { endpoint, accessKeyId, secretAccessKey, bucket };
  try {
    await createBucket(options);
  } catch (err: unknown) {
    if (ownServer) await stopRgw(rgwDir);
    throw new Error(`Cannot create bucket "${bucket}" on ${endpoint}`, { cause: err });
  }
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await deleteBucket(options).catch(() => {});
    if (ownServer) await stopRgw(rgwDir);
  };
  return { ...options, ownServer, close, [Symbol.asyncDispose]: close };
}
