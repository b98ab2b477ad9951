/**
 * The report lines of `t4 migrate` that need some wording: the lease summary and the
 * verification verdict. Each function writes through the {@linkcode MigrateReporter} and returns
 * the failed checks, if any, so the caller can set the exit status.
 *
 * @module
 */

import type { LeaseMap } from "./_leases.ts";
import type { MigrateReporter } from "./_progress.ts";
import type { VerifyResult } from "./_verify.ts";

/** Bytes as MiB with one decimal. */
export function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** What the copy did with leases. */
export interface LeaseCounts {
  /** Leases granted on the target, or undefined without `--with-leases`. */
  leases: LeaseMap | undefined;
  /** Snapshot keys that had a lease on the source. */
  keysWithLease: number;
  /** Of those, keys whose lease was gone by the time leases were read. */
  keysWithExpiredLease: number;
}

/** The lease line(s): what was granted and attached, or that leases were left behind. */
export function reportLeases(reporter: MigrateReporter, c: LeaseCounts): void {
  if (!c.leases) {
    reporter.info(
      `leases: not migrated: keys were copied without leases (${c.keysWithLease} of them had ` +
        `one on the source; use --with-leases to keep them)`,
    );
    return;
  }
  reporter.info(
    `leases: ${c.leases.size} granted with their source IDs and remaining TTLs; ` +
      `${c.keysWithLease - c.keysWithExpiredLease} keys attached`,
  );
  if (c.keysWithExpiredLease > 0) {
    reporter.info(
      `leases: warning: ${c.keysWithExpiredLease} keys had a lease that expired on the source ` +
        `during the migration; they were copied without a lease`,
    );
  }
}

/**
 * The verification line and up to five example problems. Target keys that are not in the
 * source are a failure, unless `force` let the copy write into a range that had keys already.
 */
export function reportVerify(reporter: MigrateReporter, v: VerifyResult, force: boolean): string[] {
  const bad = v.missing + v.different + v.wrongLease > 0 || (v.extra > 0 && !force);
  const digests = v.sourceDigest === v.targetDigest
    ? `sha256 ${v.sourceDigest.slice(0, 16)}… on both sides`
    : `sha256 ${v.sourceDigest.slice(0, 16)}… (source) vs ${v.targetDigest.slice(0, 16)}… (target)`;
  reporter.info(
    `verify: ${bad ? "FAILED" : "OK"}: ${v.sourceKeys} source keys, ${v.targetKeys} target ` +
      `keys; ${v.missing} missing, ${v.different} different, ${v.wrongLease} wrong lease, ` +
      `${v.extra} extra${v.extra > 0 && force ? " (allowed by --force)" : ""}; ${digests}`,
  );
  for (const line of v.examples) reporter.info(`  ${line}`);
  return bad ? ["verify: the target does not match the source snapshot"] : [];
}

/** The count check line: the source's count at the snapshot against keys read and written. */
export function reportCount(
  reporter: MigrateReporter,
  c: { revision: number; total: number; read: number; written: number },
): string[] {
  const ok = c.read === c.total && c.written === c.total;
  reporter.info(
    `count check: ${ok ? "OK" : "MISMATCH"}: source had ${c.total} keys at revision ` +
      `${c.revision}, read ${c.read}, wrote ${c.written}`,
  );
  return ok ? [] : [`count check: ${c.total} keys at the source, ${c.written} written`];
}
