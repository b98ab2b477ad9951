/**
 * One-line descriptions of operations for reports: `#12 client 3 put "a"="x" → ok rev 7`.
 *
 * @module
 */

import { show } from "./_diff.ts";
import type { Operation } from "./history.ts";
import type { KeyValue, KvRequest, KvResponse, TxnOp } from "./types.ts";

function range(key: string, rangeEnd: string | undefined): string {
  if (!rangeEnd) return show(key);
  return rangeEnd === "\0" ? `${show(key)}..` : `[${show(key)}, ${show(rangeEnd)})`;
}

function kvText(kv: KeyValue): string {
  return `${show(kv.key)}=${show(kv.value)}@${kv.modRevision}`;
}

/** A request as a short phrase, e.g. `get "a" rev 4` or `txn(mod("k") = 3 ? put "k"="v")`. */
export function describeRequest(r: KvRequest | TxnOp): string {
  switch (r.type) {
    case "range": {
      const opts = [
        r.revision ? `rev ${r.revision}` : "",
        r.limit ? `limit ${r.limit}` : "",
        r.serializable ? "serializable" : "",
      ].filter((s) => s !== "");
      return [r.rangeEnd ? "range" : "get", range(r.key, r.rangeEnd), ...opts].join(" ");
    }
    case "put":
      return `put ${show(r.key)}=${show(r.value)}${r.lease ? ` lease ${r.lease}` : ""}`;
    case "delete":
      return `delete ${range(r.key, r.rangeEnd)}`;
    case "txn": {
      const cmp = r.compare.map((c) =>
        `${c.target}(${range(c.key, c.rangeEnd)}) ${c.result} ${show(c.operand)}`
      );
      const branch = (ops: TxnOp[]) => ops.map(describeRequest).join("; ") || "-";
      return `txn(${cmp.join(" && ")} ? ${branch(r.success)} : ${branch(r.failure)})`;
    }
    case "compact":
      return `compact ${r.revision}`;
    case "lease-grant":
      return `lease-grant ${r.id} ttl ${r.ttl}`;
    case "lease-revoke":
      return `lease-revoke ${r.id}`;
  }
}

/** A response as a short phrase, e.g. `rev 7 [a="1"@5]`. */
export function describeResponse(r: KvResponse): string {
  switch (r.type) {
    case "range":
      return `rev ${r.revision} [${r.kvs.map(kvText).join(", ")}] count ${r.count}` +
        (r.more ? " more" : "");
    case "delete":
      return `rev ${r.revision} deleted ${r.deleted}`;
    case "txn":
      return `rev ${r.revision} ${r.succeeded ? "succeeded" : "failed"}`;
    case "lease-grant":
      return `rev ${r.revision} id ${r.id}`;
    default:
      return `rev ${r.revision}`;
  }
}

/** An operation with its outcome, for reports. */
export function describeOperation(op: Operation): string {
  const o = op.outcome;
  const result = o.kind === "ok"
    ? `ok ${describeResponse(o.output)}`
    : `${o.kind} ${show(o.error.code)}`;
  return `#${op.id} client ${op.client} ${describeRequest(op.input)} → ${result}`;
}
