/**
 * Request validation and compare evaluation, as etcd's `v3rpc/key.go` and `apply.go` do them.
 *
 * Validation runs before anything executes: a request that fails it has no effect. The
 * duplicate-key rule follows etcd's `checkIntervals` exactly, quirks included (a range delete
 * with `range_end "\0"` is taken literally, so it never collides).
 *
 * @module
 */

import { InvalidRequestError } from "../errors.ts";
import type {
  Compare,
  DeleteRangeRequest,
  Kv,
  PutRequest,
  RangeRequest,
  RequestOp,
  TxnRequest,
} from "./types.ts";

/** etcd's default `--max-txn-ops`. */
export const DEFAULT_MAX_TXN_OPS = 128;

function emptyKey(): InvalidRequestError {
  return new InvalidRequestError("empty-key", "key is not provided");
}

/** Validates a Range request (etcd `checkRangeRequest`). */
export function checkRange(r: RangeRequest): void {
  if (r.key.length === 0) throw emptyKey();
}

/** Validates a Put request (etcd `checkPutRequest`). */
export function checkPut(r: PutRequest): void {
  if (r.key.length === 0) throw emptyKey();
  if (r.ignoreValue && r.value.length !== 0) {
    throw new InvalidRequestError("value-provided", "value is provided");
  }
  if (r.ignoreLease && (r.lease ?? 0n) !== 0n) {
    throw new InvalidRequestError("lease-provided", "lease is provided");
  }
}

/** Validates a DeleteRange request (etcd `checkDeleteRequest`). */
export function checkDeleteRange(r: DeleteRangeRequest): void {
  if (r.key.length === 0) throw emptyKey();
}

function checkOp(op: RequestOp, maxTxnOps: number): void {
  if (op.range) checkRange(op.range);
  else if (op.put) checkPut(op.put);
  else if (op.deleteRange) checkDeleteRange(op.deleteRange);
  else if (op.txn) checkTxn(op.txn, maxTxnOps);
  else throw new InvalidRequestError("key-not-found", "key not found");
}

/** Validates a Txn request: op counts, compares, every op, and duplicate keys. */
export function checkTxn(r: TxnRequest, maxTxnOps = DEFAULT_MAX_TXN_OPS): void {
  checkTxnShape(r, maxTxnOps);
  checkIntervals(r.success);
  checkIntervals(r.failure);
}

function checkTxnShape(r: TxnRequest, maxTxnOps: number): void {
  const ops = Math.max(r.compare.length, r.success.length, r.failure.length);
  if (ops > maxTxnOps) {
    throw new InvalidRequestError("too-many-ops", "too many operations in txn request");
  }
  for (const c of r.compare) if (c.key.length === 0) throw emptyKey();
  for (const op of r.success) checkOp(op, maxTxnOps);
  for (const op of r.failure) checkOp(op, maxTxnOps);
}

/** An interval in etcd's "string affine" order: an empty `end` is +infinity. */
interface Interval {
  start: string;
  end: string;
}

function affineLess(a: string, b: string): boolean {
  if (a.length === 0) return false;
  if (b.length === 0) return true;
  return a < b;
}

function intersectsPoint(dels: Interval[], k: string): boolean {
  for (const d of dels) {
    if (!affineLess(k, d.start) && affineLess(k, d.end)) return true;
  }
  return false;
}

function duplicate(): InvalidRequestError {
  return new InvalidRequestError("duplicate-key", "duplicate key given in txn request");
}

/** etcd's `checkIntervals`: returns the puts and deletes of `ops` for the caller level. */
function checkIntervals(ops: RequestOp[]): { puts: Set<string>; dels: Interval[] } {
  const dels: Interval[] = [];
  for (const op of ops) {
    const d = op.deleteRange;
    if (!d) continue;
    const end = d.rangeEnd ?? "";
    dels.push(end.length !== 0 ? { start: d.key, end } : { start: d.key, end: d.key + "\0" });
  }
  const puts = new Set<string>();
  for (const op of ops) {
    if (!op.txn) continue;
    const then = checkIntervals(op.txn.success);
    const other = checkIntervals(op.txn.failure);
    for (const k of then.puts) {
      if (puts.has(k) || intersectsPoint(dels, k)) throw duplicate();
      puts.add(k);
    }
    for (const k of other.puts) {
      if (puts.has(k) && !then.puts.has(k)) throw duplicate();
      if (intersectsPoint(dels, k)) throw duplicate();
      puts.add(k);
    }
    for (const d of then.dels) dels.push(d);
    for (const d of other.dels) dels.push(d);
  }
  for (const op of ops) {
    if (!op.put) continue;
    const k = op.put.key;
    if (puts.has(k) || intersectsPoint(dels, k)) throw duplicate();
    puts.add(k);
  }
  return { puts, dels };
}

function cmp(a: number | bigint, b: number | bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareBytes(a: Uint8Array, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b.charCodeAt(i);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return a.length - b.length < 0 ? -1 : a.length > b.length ? 1 : 0;
}

/** etcd's `compareKV`: whether `kv` (undefined: a missing key, all fields zero) satisfies `c`. */
export function compareKv(c: Compare, kv: Kv | undefined): boolean {
  let result: number;
  switch (c.target) {
    case "value": {
      const v = typeof c.operand === "string" ? c.operand : "";
      result = compareBytes(kv?.value ?? new Uint8Array(0), v);
      break;
    }
    case "lease":
      result = cmp(kv?.lease ?? 0n, typeof c.operand === "bigint" ? c.operand : 0n);
      break;
    case "version":
      result = cmp(kv?.version ?? 0, typeof c.operand === "number" ? c.operand : 0);
      break;
    case "create":
      result = cmp(kv?.createRevision ?? 0, typeof c.operand === "number" ? c.operand : 0);
      break;
    case "mod":
      result = cmp(kv?.modRevision ?? 0, typeof c.operand === "number" ? c.operand : 0);
      break;
  }
  switch (c.result) {
    case "equal":
      return result === 0;
    case "not-equal":
      return result !== 0;
    case "greater":
      return result > 0;
    case "less":
      return result < 0;
  }
}
