/**
 * Saving and loading a whole {@linkcode History} as JSON, so a failing run can be checked again
 * offline (`check_history.ts`).
 *
 * Format: `{"format": "t4-history", "version": 1, "operations": […], "watches": […]}` with the
 * shapes of `history.ts` and `types.ts`. Keys and values are JSON strings (binary strings
 * survive: JSON escapes every control character). A bigint (lease IDs) is written as
 * `{"$bigint": "<decimal>"}`. Loading checks every field against the shapes, so a truncated
 * or hand-edited file fails with the path of the first bad field instead of a wrong verdict.
 *
 * @module
 */

import type { History } from "./history.ts";

const FORMAT = "t4-history";
const VERSION = 1;

type Schema =
  | "string"
  | "number"
  | "boolean"
  | "bigint"
  | "scalar"
  | { oneOf: string[] }
  | { array: Schema }
  | { fields: Record<string, Schema>; optional?: Record<string, Schema> }
  | { tagged: Record<string, Schema> };

const KV: Schema = {
  fields: {
    key: "string",
    value: "string",
    createRevision: "number",
    modRevision: "number",
    version: "number",
    lease: "bigint",
  },
};
const RANGE: Schema = {
  fields: { key: "string" },
  optional: {
    rangeEnd: "string",
    limit: "number",
    revision: "number",
    serializable: "boolean",
    keysOnly: "boolean",
    countOnly: "boolean",
  },
};
const PUT: Schema = {
  fields: { key: "string", value: "string" },
  optional: { lease: "bigint", prevKv: "boolean" },
};
const DELETE: Schema = {
  fields: { key: "string" },
  optional: { rangeEnd: "string", prevKv: "boolean" },
};
const TXN_OP: Schema = { tagged: { range: RANGE, put: PUT, delete: DELETE } };
const COMPARE: Schema = {
  fields: {
    key: "string",
    target: { oneOf: ["version", "create", "mod", "value", "lease"] },
    result: { oneOf: ["equal", "not-equal", "greater", "less"] },
    operand: "scalar",
  },
  optional: { rangeEnd: "string" },
};
const REQUEST: Schema = {
  tagged: {
    range: RANGE,
    put: PUT,
    delete: DELETE,
    txn: {
      fields: {
        compare: { array: COMPARE },
        success: { array: TXN_OP },
        failure: { array: TXN_OP },
      },
    },
    compact: { fields: { revision: "number" } },
    "lease-grant": { fields: { id: "bigint", ttl: "number" } },
    "lease-revoke": { fields: { id: "bigint" } },
  },
};
const RANGE_RES: Schema = {
  fields: { revision: "number", kvs: { array: KV }, count: "number", more: "boolean" },
};
const PUT_RES: Schema = { fields: { revision: "number" }, optional: { prevKv: KV } };
const DELETE_RES: Schema = {
  fields: { revision: "number", deleted: "number" },
  optional: { prevKvs: { array: KV } },
};
const RESPONSE: Schema = {
  tagged: {
    range: RANGE_RES,
    put: PUT_RES,
    delete: DELETE_RES,
    txn: {
      fields: {
        revision: "number",
        succeeded: "boolean",
        responses: { array: { tagged: { range: RANGE_RES, put: PUT_RES, delete: DELETE_RES } } },
      },
    },
    compact: { fields: { revision: "number" } },
    "lease-grant": { fields: { revision: "number", id: "bigint", ttl: "number" } },
    "lease-revoke": { fields: { revision: "number" } },
  },
};
const FAILURE: Schema = { fields: { code: "string", message: "string" } };
const EVENT: Schema = {
  fields: { type: { oneOf: ["put", "delete"] }, kv: KV },
  optional: { prevKv: KV },
};
const HISTORY: Schema = {
  fields: {
    operations: {
      array: {
        fields: {
          id: "number",
          client: "number",
          input: REQUEST,
          invokeTime: "number",
          returnTime: "number",
          outcome: {
            tagged: {
              ok: { fields: { output: RESPONSE } },
              fail: { fields: { error: FAILURE } },
              unknown: { fields: { error: FAILURE } },
            },
          },
        },
      },
    },
    watches: {
      array: {
        fields: {
          id: "number",
          client: "number",
          request: {
            fields: { key: "string" },
            optional: {
              rangeEnd: "string",
              startRevision: "number",
              prevKv: "boolean",
              progressNotify: "boolean",
              noPut: "boolean",
              noDelete: "boolean",
              fragment: "boolean",
            },
          },
          startTime: "number",
          responses: {
            array: {
              fields: { revision: "number", events: { array: EVENT }, time: "number" },
              optional: {
                created: "boolean",
                canceled: "boolean",
                compactRevision: "number",
                fragment: "boolean",
              },
            },
          },
        },
        optional: { resumes: "number" },
      },
    },
  },
};

function validate(v: unknown, s: Schema, path: string): void {
  const fail = (what: string): never => {
    throw new Error(`Cannot load history: ${path} ${what}`);
  };
  if (typeof s === "string") {
    const t: string = typeof v;
    const ok = s === "scalar" ? t === "string" || t === "number" || t === "bigint" : t === s;
    if (!ok || (typeof v === "number" && !Number.isFinite(v))) fail(`is not a ${s}`);
    return;
  }
  if ("oneOf" in s) {
    if (typeof v !== "string" || !s.oneOf.includes(v)) fail(`is not one of ${s.oneOf.join(", ")}`);
    return;
  }
  if ("array" in s) {
    if (!Array.isArray(v)) return fail("is not an array");
    v.forEach((x, i) => validate(x, s.array, `${path}[${i}]`));
    return;
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return fail("is not an object");
  const o = v as Record<string, unknown>;
  if ("tagged" in s) {
    const tag = "type" in o ? o.type : o.kind;
    const inner = typeof tag === "string" && Object.hasOwn(s.tagged, tag)
      ? s.tagged[tag]
      : undefined;
    if (!inner) return fail(`has an unknown type ${JSON.stringify(tag)}`);
    return validate(v, inner, path);
  }
  for (const [k, fs] of Object.entries(s.fields)) validate(o[k], fs, `${path}.${k}`);
  for (const [k, fs] of Object.entries(s.optional ?? {})) {
    if (o[k] !== undefined) validate(o[k], fs, `${path}.${k}`);
  }
}

/** Serializes a history (see the module doc for the format). */
export function historyToJson(history: History): string {
  const doc = { format: FORMAT, version: VERSION, ...history };
  return JSON.stringify(doc, (_, v) => typeof v === "bigint" ? { $bigint: String(v) } : v);
}

/** Parses and validates a history written by {@linkcode historyToJson}. */
export function historyFromJson(text: string): History {
  const doc: unknown = JSON.parse(text, (_, v: unknown) => {
    if (typeof v === "object" && v !== null && "$bigint" in v && typeof v.$bigint === "string") {
      return BigInt(v.$bigint);
    }
    return v;
  });
  if (typeof doc !== "object" || doc === null || !("format" in doc) || doc.format !== FORMAT) {
    throw new Error(`Cannot load history: not a "${FORMAT}" document`);
  }
  if (!("version" in doc) || doc.version !== VERSION) {
    throw new Error(`Cannot load history: unsupported version (this reader knows ${VERSION})`);
  }
  validate(doc, HISTORY, "history");
  const { operations, watches } = doc as unknown as History;
  operations.forEach((op, i) => {
    if (op.id !== i) throw new Error(`Cannot load history: operations[${i}].id is ${op.id}`);
  });
  watches.forEach((w, i) => {
    if (w.id !== i) throw new Error(`Cannot load history: watches[${i}].id is ${w.id}`);
    if (w.resumes !== undefined && !(w.resumes >= 0 && w.resumes < i)) {
      throw new Error(`Cannot load history: watches[${i}].resumes names no earlier watch`);
    }
  });
  return { operations, watches };
}

/** Writes `history` to `path` as JSON. */
export async function saveHistory(path: string, history: History): Promise<void> {
  await Deno.writeTextFile(path, historyToJson(history));
}

/** Reads a history saved by {@linkcode saveHistory}. */
export async function loadHistory(path: string): Promise<History> {
  return historyFromJson(await Deno.readTextFile(path));
}
