/**
 * Field-by-field comparison of a predicted response with a recorded one. Each function
 * returns `undefined` when they agree and otherwise one line naming the first field that
 * differs, e.g. `kvs[0].modRevision: expected 5, got 3`.
 *
 * @module
 */

import type { KeyValue, KvRequest, KvResponse, TxnOp, TxnOpResponse } from "./types.ts";

/** What to leave out of a comparison. */
export interface DiffOptions {
  /** Skip the header revision of top-level range responses. */
  ignoreReadHeaderRevision: boolean;
}

/** A value as it appears in a report. */
export function show(v: unknown): string {
  if (typeof v === "bigint") return `${v}n`;
  if (v === undefined) return "none";
  return JSON.stringify(v, (_, x) => typeof x === "bigint" ? `${x}n` : x);
}

function field(path: string, expected: unknown, actual: unknown): string | undefined {
  return expected === actual
    ? undefined
    : `${path}: expected ${show(expected)}, got ${show(actual)}`;
}

const KV_FIELDS = ["key", "value", "createRevision", "modRevision", "version", "lease"] as const;

/** Compares two key-values (either may be absent). */
export function diffKv(
  path: string,
  e: KeyValue | undefined,
  a: KeyValue | undefined,
): string | undefined {
  if (!e || !a) return e === a ? undefined : field(path, e, a);
  for (const f of KV_FIELDS) {
    const d = field(`${path}.${f}`, e[f], a[f]);
    if (d) return d;
  }
  return undefined;
}

/** Compares two key-value lists element by element. */
export function diffKvs(path: string, e: KeyValue[], a: KeyValue[]): string | undefined {
  for (let i = 0; i < Math.max(e.length, a.length); i++) {
    const d = diffKv(`${path}[${i}]`, e[i], a[i]);
    if (d) return d;
  }
  return undefined;
}

function diffOp(
  path: string,
  req: TxnOp,
  e: TxnOpResponse,
  a: TxnOpResponse | undefined,
  header: boolean,
): string | undefined {
  if (!a || a.type !== e.type) return field(`${path}.type`, e.type, a?.type);
  if (header) {
    const d = field(`${path}.revision`, e.revision, a.revision);
    if (d) return d;
  }
  if (e.type === "range" && a.type === "range") {
    return field(`${path}.count`, e.count, a.count) ?? field(`${path}.more`, e.more, a.more) ??
      diffKvs(`${path}.kvs`, e.kvs, a.kvs);
  }
  if (e.type === "put" && a.type === "put") {
    return req.type === "put" && req.prevKv
      ? diffKv(`${path}.prevKv`, e.prevKv, a.prevKv)
      : undefined;
  }
  if (e.type === "delete" && a.type === "delete") {
    const d = field(`${path}.deleted`, e.deleted, a.deleted);
    if (d || req.type !== "delete" || !req.prevKv) return d;
    return diffKvs(`${path}.prevKvs`, e.prevKvs ?? [], a.prevKvs ?? []);
  }
  return undefined;
}

/**
 * Compares the model's response `e` to the recorded `a` for `req`. Inside a Txn only the
 * Txn's own header revision is compared: etcd fills the per-operation headers inconsistently.
 */
export function diffResponse(
  req: KvRequest,
  e: KvResponse,
  a: KvResponse,
  options: DiffOptions,
): string | undefined {
  if (e.type !== a.type) return field("type", e.type, a.type);
  switch (req.type) {
    case "range":
    case "put":
    case "delete": {
      const header = req.type !== "range" || !options.ignoreReadHeaderRevision;
      return diffOp("response", req, e as TxnOpResponse, a as TxnOpResponse, header);
    }
    case "txn": {
      if (e.type !== "txn" || a.type !== "txn") return undefined;
      const d = field("succeeded", e.succeeded, a.succeeded) ??
        field("revision", e.revision, a.revision) ??
        field("responses.length", e.responses.length, a.responses.length);
      if (d) return d;
      const ops = e.succeeded ? req.success : req.failure;
      for (let i = 0; i < e.responses.length; i++) {
        const o = diffOp(`responses[${i}]`, ops[i]!, e.responses[i]!, a.responses[i], false);
        if (o) return o;
      }
      return undefined;
    }
    case "lease-grant":
      if (e.type !== "lease-grant" || a.type !== "lease-grant") return undefined;
      return field("revision", e.revision, a.revision) ?? field("id", e.id, a.id);
    case "compact":
    case "lease-revoke":
      return field("revision", e.revision, a.revision);
  }
}
