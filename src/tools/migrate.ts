/**
 * `t4 migrate`: copies the keys of a live etcd (all of them, or one prefix) into T4 or any other
 * etcd-API target, as one consistent snapshot, then checks the copy.
 *
 * 1. The target must hold no keys in the range (unless `force`).
 * 2. The source is read page by page at one revision `R` (`_copy.ts`), so writes that go on
 *    during the copy are not in it; the puts go to the target in Txns of at most 128 operations.
 * 3. With `withLeases`, every source lease is granted on the target with its ID and remaining TTL
 *    (`_leases.ts`), and each put carries the lease its key had at `R`.
 * 4. Count check: the source's `count` at `R` against the keys read and written.
 * 5. Verification (`_verify.ts`): the target's range against the source at `R`, key by key, with
 *    a SHA-256 of each side.
 *
 * Revisions are not preserved: the target numbers its own (see docs/migration.md). Exit status
 * of the command: 0 success, 1 a refusal or a failed call, 2 a failed check.
 *
 * @module
 */

import { Command, Option } from "commander";
import { type EndpointOptions, EtcdClient, MigrateError } from "./_client.ts";
import { explainCompacted, MAX_TXN_OPS, prefixRange, snapshotPages, TxnWriter } from "./_copy.ts";
import { type LeaseMap, LeaseMigrator } from "./_leases.ts";
import { type MigrateReporter, terminalReporter } from "./_progress.ts";
import { mib, reportCount, reportLeases, reportVerify } from "./_report.ts";
import { showKey, verify, type VerifyResult } from "./_verify.ts";

export { type EndpointOptions, MigrateError } from "./_client.ts";
export type { MigrateProgress, MigrateReporter } from "./_progress.ts";
export type { VerifyResult } from "./_verify.ts";

/** Options of {@linkcode migrate}. */
export interface MigrateOptions {
  /** The source (etcd). */
  from: EndpointOptions;
  /** The target (T4, or any etcd-API server). */
  to: EndpointOptions;
  /** Copy only keys starting with this; default: every key. */
  prefix?: string;
  /** Migrate leases too (same IDs, remaining TTLs, keys attached). */
  withLeases?: boolean;
  /** Keys per source page; default 500. Txns hold at most 128 puts whatever this is. */
  batch?: number;
  /** Read and count everything, write nothing. */
  dryRun?: boolean;
  /** Write even though the target already holds keys in the range. */
  force?: boolean;
  /** Copy nothing: compare the target with the source at its current revision. */
  verifyOnly?: boolean;
}

/** What a migration did and found. */
export interface MigrateResult {
  /** The snapshot revision of the source. */
  revision: number;
  /** Keys in the range at `revision` (the source's `count`). */
  sourceCount: number;
  /** Keys read from the source pages. */
  read: number;
  /** Keys written to the target (0 for a dry run). */
  written: number;
  /** Bytes of keys and values read. */
  bytes: number;
  /** Seconds the copy took. */
  seconds: number;
  /** Leases granted on the target (`withLeases`), else undefined. */
  leases: LeaseMap | undefined;
  /** The verification, unless this was a dry run. */
  verify: VerifyResult | undefined;
  /** The checks that failed (empty: success). */
  problems: string[];
}

const DEFAULT_BATCH = 500;

/** Runs a migration; see the module doc. Throws for refusals and failed calls. */
export async function migrate(
  options: MigrateOptions,
  reporter: MigrateReporter,
): Promise<MigrateResult> {
  const batch = options.batch ?? DEFAULT_BATCH;
  if (!Number.isInteger(batch) || batch < 1) {
    throw new MigrateError(`Invalid batch size ${batch}: expected a positive integer`);
  }
  const range = prefixRange(options.prefix ?? "");
  const what = options.prefix ? `under the prefix ${showKey(range.key)}` : "(the whole keyspace)";
  using source = await EtcdClient.connect("source", options.from);
  using target = await EtcdClient.connect("target", options.to);
  const version = (await source.status()).version;
  const pagesOf = (side: EtcdClient, revision?: number) =>
    snapshotPages(side, range, { limit: batch, ...(revision !== undefined && { revision }) });
  const progress = (phase: "copy" | "verify") => (done: number, total: number) =>
    reporter.progress({ phase, done, total });

  if (options.verifyOnly) {
    reporter.info(
      `verify only: source ${options.from.endpoint} (version ${version}), keys ${what}`,
    );
    reporter.progress({ phase: "verify", done: 0, total: 0 });
    const v = await verify(pagesOf(source), pagesOf(target), { onProgress: progress("verify") });
    const problems = reportVerify(reporter, v, false);
    return { ...empty(v.revision, v.sourceKeys), verify: v, problems };
  }
  const existing = (await target.range({ ...range, countOnly: true })).count;
  if (existing > 0 && !options.force) {
    throw new MigrateError(
      `target ${options.to.endpoint} already holds ${existing} keys ${what}; refusing to copy ` +
        `over them (empty it, choose another --prefix, or pass --force to write anyway)`,
    );
  }

  const pages = pagesOf(source);
  const first = await pages.next();
  const result = first.done ? empty(0, 0) : empty(first.value.revision, first.value.total);
  const { revision, sourceCount: total } = result;
  reporter.info(
    `snapshot: source ${options.from.endpoint} (version ${version}) at revision ${revision}: ` +
      `${total} keys ${what}`,
  );
  const dryRun = options.dryRun ?? false;
  const leases = options.withLeases ? new LeaseMigrator(source, target, { dryRun }) : undefined;
  await leases?.load();
  // Short leases would expire on the target before the copy and the verification are done.
  using _renewing = leases && !dryRun
    ? target.keepAlive(() => leases.granted.keys(), leases.keepAliveMs)
    : undefined;
  const writer = new TxnWriter(target, Math.min(batch, MAX_TXN_OPS));
  let keysWithLease = 0;
  let keysWithExpiredLease = 0;
  const started = performance.now();
  reporter.progress({ phase: "copy", done: 0, total });
  try {
    for (let page = first; !page.done; page = await pages.next()) {
      for (const kv of page.value.kvs) {
        result.read++;
        result.bytes += kv.key.length + kv.value.length;
        if (kv.lease !== 0n) keysWithLease++;
        const lease = leases ? await leases.leaseFor(kv.lease) : 0n;
        if (leases && kv.lease !== 0n && lease === 0n) keysWithExpiredLease++;
        if (!dryRun) await writer.put(kv, lease);
      }
      reporter.progress({ phase: "copy", done: dryRun ? result.read : writer.written, total });
    }
    await writer.flush();
    if (leases && !options.prefix) await leases.grantRest();
  } catch (err: unknown) {
    throw explainCompacted(err, revision);
  }
  result.leases = leases?.granted;
  if (leases?.alreadyOnTarget) {
    reporter.info(`leases: ${leases.alreadyOnTarget} were on the target already (kept)`);
  }
  result.written = writer.written;
  result.seconds = (performance.now() - started) / 1000;
  reporter.progress({ phase: "copy", done: Math.max(total, result.read), total });
  const rate = Math.round(result.read / Math.max(result.seconds, 0.001));
  reporter.info(
    `${dryRun ? "read (dry run: nothing written)" : "copied"} ${result.read} keys ` +
      `(${mib(result.bytes)}) in ${result.seconds.toFixed(1)} s, ${rate} keys/s`,
  );
  reportLeases(reporter, { leases: result.leases, keysWithLease, keysWithExpiredLease });
  if (dryRun) {
    reporter.info(`dry run: target ${options.to.endpoint} holds ${existing} keys ${what}`);
    if (result.read !== total) result.problems.push(`read ${result.read} of ${total} keys`);
    return result;
  }

  result.problems.push(...reportCount(reporter, { ...result, total }));
  reporter.progress({ phase: "verify", done: 0, total });
  try {
    result.verify = await verify(pagesOf(source, revision), pagesOf(target), {
      ...(leases && { expectedLease: (l: bigint) => leases.granted.has(l) ? l : 0n }),
      onProgress: progress("verify"),
    });
  } catch (err: unknown) {
    throw explainCompacted(err, revision);
  }
  result.problems.push(...reportVerify(reporter, result.verify, options.force ?? false));
  if (leases) {
    const have = new Set(await target.leases());
    const lost = [...leases.granted.keys()].filter((id) => !have.has(id));
    if (lost.length > 0) result.problems.push(`leases: ${lost.length} are gone from the target`);
  }
  return result;
}

function empty(revision: number, sourceCount: number): MigrateResult {
  return {
    revision,
    sourceCount,
    read: 0,
    written: 0,
    bytes: 0,
    seconds: 0,
    leases: undefined,
    verify: undefined,
    problems: [],
  };
}

function endpointOptions(
  side: "from" | "to",
  o: Record<string, string | undefined>,
): EndpointOptions {
  const get = (name: string) => o[`${side}${name}`];
  const out: EndpointOptions = { endpoint: get("") ?? "" };
  for (const name of ["cacert", "cert", "key", "user", "password"] as const) {
    const value = get(name[0]!.toUpperCase() + name.slice(1));
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** The `t4 migrate` subcommand for commander. */
export function migrateCommand(): Command {
  const cmd = new Command("migrate")
    .description("copy the keys of a live etcd (or one prefix) into T4, then verify the copy")
    .helpOption("-h, --help", "show help for migrate")
    .requiredOption("--from <endpoint>", "source etcd: host:port or http(s)://host:port")
    .requiredOption("--to <endpoint>", "target (T4 or any etcd-API server): host:port")
    .option("--prefix <prefix>", "copy only keys starting with this (default: every key)")
    .option("--with-leases", "migrate leases: same IDs, remaining TTLs, keys attached")
    .option("--batch <n>", "keys per source page (Txns hold at most 128)", String(DEFAULT_BATCH))
    .option("--dry-run", "read and count the snapshot, write nothing")
    .option("--force", "write even if the target already holds keys under the prefix")
    .option("--verify-only", "copy nothing; compare the target with the source as it is now");
  for (const side of ["from", "to"] as const) {
    const name = side === "from" ? "source" : "target";
    cmd.option(`--${side}-cacert <file>`, `CA certificate of the ${name} (turns TLS on)`)
      .option(`--${side}-cert <file>`, `client certificate for the ${name}`)
      .option(`--${side}-key <file>`, `client key for the ${name}`)
      .option(`--${side}-user <name>`, `user on the ${name} (name or name:password)`)
      .addOption(
        new Option(`--${side}-password <password>`, `password of --${side}-user`)
          .env(`T4_MIGRATE_${side.toUpperCase()}_PASSWORD`),
      );
  }
  cmd.addHelpText(
    "after",
    "\nExit status: 0 copied and verified, 1 refused or failed, 2 a check failed, 128 bad flags.",
  );
  cmd.action(async () => {
    const o = cmd.opts<Record<string, string | undefined>>();
    const flag = (name: string) => (o as Record<string, unknown>)[name] === true;
    const encoder = new TextEncoder();
    const reporter = terminalReporter({
      tty: Deno.stderr.isTerminal(),
      writeProgress: (text) => void Deno.stderr.writeSync(encoder.encode(text)),
      writeLine: (line) => console.log(line),
    });
    try {
      const result = await migrate({
        from: endpointOptions("from", o),
        to: endpointOptions("to", o),
        ...(o.prefix !== undefined && { prefix: o.prefix }),
        withLeases: flag("withLeases"),
        batch: Number(o.batch),
        dryRun: flag("dryRun"),
        force: flag("force"),
        verifyOnly: flag("verifyOnly"),
      }, reporter);
      for (const problem of result.problems) reporter.info(`FAILED: ${problem}`);
      const done = flag("dryRun") ? "dry run" : flag("verifyOnly") ? "verification" : "migration";
      if (result.problems.length === 0) reporter.info(`${done} OK`);
      Deno.exitCode = result.problems.length === 0 ? 0 : 2;
    } catch (err: unknown) {
      reporter.end();
      console.error(`t4 migrate: ${err instanceof Error ? err.message : String(err)}`);
      Deno.exitCode = 1;
    }
  });
  return cmd;
}
