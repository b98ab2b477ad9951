/**
 * The two halves of a copy: reading a key range page by page at one revision, and writing puts
 * to the other side in Txns.
 *
 * **One revision.** The first page is read at the current revision, and its header fixes the
 * snapshot revision `R`; every later page asks for `revision = R` and starts at the last key of
 * the page before plus `"\0"`. Writes to the source after `R` are therefore invisible, and the
 * pages together are exactly the range as it was at `R` (the `count` of the first page). The
 * next page is requested while the caller works on the current one.
 *
 * **Txn batches.** Puts are grouped into Txns of at most {@linkcode MAX_TXN_OPS} operations
 * (etcd's default `--max-txn-ops`) and {@linkcode MAX_TXN_BYTES} of keys and values (under
 * etcd's 1.5 MiB request limit), with `TXNS_IN_FLIGHT` (8) Txns in flight at once.
 *
 * @module
 */

import type * as pb from "../server/pb/mod.ts";
import { GrpcCode } from "../server/status.ts";
import { EtcdCallError, type EtcdClient, MigrateError } from "./_client.ts";

/** The most operations in one Txn (etcd's `--max-txn-ops` default). */
export const MAX_TXN_OPS = 128;
/** Keys plus values in one Txn, under etcd's 1.5 MiB `--max-request-bytes`. */
export const MAX_TXN_BYTES = 1024 * 1024;
/** Txns written concurrently. */
const TXNS_IN_FLIGHT = 8;

/** `[key, rangeEnd)` as in a RangeRequest. */
export interface KeyRange {
  key: Uint8Array;
  rangeEnd: Uint8Array;
}

/** One page of a snapshot read. */
export interface Page {
  /** The snapshot revision. */
  revision: number;
  /** Keys in the range at `revision` (the first page's `count`). */
  total: number;
  kvs: pb.KeyValue[];
}

/** The range of keys starting with `prefix` (every key for ""). */
export function prefixRange(prefix: string): KeyRange {
  const key = new TextEncoder().encode(prefix);
  if (key.length === 0) return { key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]) };
  const end = key.slice();
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]!++;
      return { key, rangeEnd: end.slice(0, i + 1) };
    }
  }
  return { key, rangeEnd: new Uint8Array([0]) };
}

/**
 * `err`, or, when it says the source compacted past the snapshot `revision` while pages were
 * still being read, a {@linkcode MigrateError} that says what to do about it.
 */
export function explainCompacted(err: unknown, revision: number): unknown {
  if (!(err instanceof EtcdCallError) || err.code !== GrpcCode.OUT_OF_RANGE) return err;
  if (!/compacted/.test(err.details)) return err;
  return new MigrateError(
    `${err.message} (the source was compacted past the snapshot revision ${revision} during ` +
      `the migration: pause compaction, e.g. kube-apiserver --etcd-compaction-interval=0, ` +
      `then run again with --force)`,
    { cause: err },
  );
}

function after(key: Uint8Array): Uint8Array {
  const next = new Uint8Array(key.length + 1);
  next.set(key);
  return next;
}

/**
 * Reads `range` from `client` in pages of `limit` keys, all at one revision: `revision`, or, when
 * it is 0, the current revision of the first page.
 */
export async function* snapshotPages(
  client: EtcdClient,
  range: KeyRange,
  options: { limit: number; revision?: number },
): AsyncGenerator<Page> {
  const { limit } = options;
  let res = await client.range({ ...range, limit, revision: options.revision ?? 0 });
  const revision = options.revision || (res.header?.revision ?? 0);
  const total = res.count;
  // The snapshot cannot grow, so more pages than this means the server is not paginating
  // by the rules; stop rather than loop.
  const maxPages = Math.ceil(total / limit) + 1;
  for (let page = 1;; page++) {
    const last = res.kvs.at(-1);
    let next: Promise<pb.RangeResponse> | undefined;
    if (res.more && last !== undefined) {
      if (page >= maxPages) {
        throw new Error(`The range kept returning pages past its count of ${total} keys`);
      }
      next = client.range({ key: after(last.key), rangeEnd: range.rangeEnd, limit, revision });
      next.catch(() => {/* awaited below; this only marks it handled while the caller works */});
    }
    yield { revision, total, kvs: res.kvs };
    if (next === undefined) return;
    res = await next;
  }
}

/** Writes puts to one side in Txn batches; see the module doc. */
export class TxnWriter {
  readonly #client: EtcdClient;
  readonly #maxOps: number;
  #ops: pb.PartialMessage<pb.RequestOp>[] = [];
  #bytes = 0;
  readonly #inFlight = new Set<Promise<void>>();
  #failure: { err: unknown } | undefined;
  /** Puts acknowledged by the target. */
  written = 0;
  /** Bytes of keys and values acknowledged. */
  writtenBytes = 0;

  /** A writer to `client` with at most `maxOps` (≤ {@linkcode MAX_TXN_OPS}) puts per Txn. */
  constructor(client: EtcdClient, maxOps = MAX_TXN_OPS) {
    this.#client = client;
    this.#maxOps = Math.max(1, Math.min(maxOps, MAX_TXN_OPS));
  }

  /** Queues a put of `kv`'s key and value with `lease` (0n: none); may wait for a Txn slot. */
  async put(kv: pb.KeyValue, lease: bigint): Promise<void> {
    this.#throwIfFailed();
    const size = kv.key.length + kv.value.length;
    if (this.#ops.length > 0 && this.#bytes + size > MAX_TXN_BYTES) await this.#send();
    this.#ops.push({
      request: { case: "requestPut", value: { key: kv.key, value: kv.value, lease } },
    });
    this.#bytes += size;
    if (this.#ops.length >= this.#maxOps) await this.#send();
  }

  /** Sends what is queued and waits for every Txn in flight; throws the first failure. */
  async flush(): Promise<void> {
    if (this.#ops.length > 0) await this.#send();
    await Promise.all(this.#inFlight);
    this.#throwIfFailed();
  }

  #throwIfFailed(): void {
    if (this.#failure) throw this.#failure.err;
  }

  async #send(): Promise<void> {
    const ops = this.#ops;
    const bytes = this.#bytes;
    this.#ops = [];
    this.#bytes = 0;
    const txn: Promise<void> = this.#client.txn({ success: ops }).then(
      (res) => {
        if (!res.succeeded) throw new Error("A Txn without compares did not succeed");
        this.written += ops.length;
        this.writtenBytes += bytes;
      },
    ).catch((err: unknown) => {
      this.#failure ??= { err };
    }).finally(() => this.#inFlight.delete(txn));
    this.#inFlight.add(txn);
    if (this.#inFlight.size >= TXNS_IN_FLIGHT) await Promise.race(this.#inFlight);
    this.#throwIfFailed();
  }
}
