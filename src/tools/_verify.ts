/**
 * The verification pass of `t4 migrate`: walks the source snapshot and the target's range side
 * by side, both sorted by key (a merge join, so memory stays one page per side however many keys
 * there are), and compares every key's value (and, when leases were migrated, its lease). Each
 * side also gets a SHA-256 over its `(key, value)` pairs in key order, which the report shows:
 * equal digests are a compact proof that the two ranges hold the same data.
 *
 * @module
 */

import { createHash } from "node:crypto";
import type * as pb from "../server/pb/mod.ts";
import type { Page } from "./_copy.ts";

/** What the verification found. */
export interface VerifyResult {
  /** The source's snapshot revision. */
  revision: number;
  /** Keys of the source snapshot. */
  sourceKeys: number;
  /** Keys in the target's range. */
  targetKeys: number;
  /** Source keys absent from the target. */
  missing: number;
  /** Keys on both sides whose values differ. */
  different: number;
  /** Keys whose lease differs from the one migrated (only counted when leases are). */
  wrongLease: number;
  /** Target keys that are not in the source snapshot. */
  extra: number;
  /** Up to {@linkcode MAX_EXAMPLES} of the problems, one line each. */
  examples: string[];
  /** Hex SHA-256 of the source's and the target's `(key, value)` pairs in key order. */
  sourceDigest: string;
  targetDigest: string;
}

/** Problems listed by name in the report. */
export const MAX_EXAMPLES = 5;

const td = new TextDecoder("utf-8", { fatal: true });

/** A key as a person reads it: the text if it is printable UTF-8, else JSON-escaped bytes. */
export function showKey(key: Uint8Array): string {
  try {
    const text = td.decode(key);
    const printable = [...text].every((c) => c.charCodeAt(0) >= 0x20 && c !== "\x7f");
    if (printable) return JSON.stringify(text);
  } catch { /* not UTF-8: fall through */ }
  return `"${[...key].map((b) => `\\x${b.toString(16).padStart(2, "0")}`).join("")}"`;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && compareBytes(a, b) === 0;
}

/** The key/values of `pages` one at a time, hashed into `hash` on the way. */
async function* keyValues(
  pages: AsyncIterable<Page>,
  hash: ReturnType<typeof createHash>,
  seen: (page: Page) => void,
): AsyncGenerator<pb.KeyValue> {
  const length = new DataView(new ArrayBuffer(8));
  for await (const page of pages) {
    seen(page);
    for (const kv of page.kvs) {
      length.setUint32(0, kv.key.length);
      length.setUint32(4, kv.value.length);
      hash.update(new Uint8Array(length.buffer));
      hash.update(kv.key);
      hash.update(kv.value);
      yield kv;
    }
  }
}

/** Options of {@linkcode verify}. */
export interface VerifyOptions {
  /** The lease each target key must have for a source key's lease, or undefined: ignore. */
  expectedLease?: (sourceLease: bigint) => bigint;
  /** Called with source keys compared so far and the snapshot's count, about every page. */
  onProgress?: (done: number, total: number) => void;
}

/** Compares `target` against `source`; see the module doc. */
export async function verify(
  source: AsyncIterable<Page>,
  target: AsyncIterable<Page>,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const sourceHash = createHash("sha256");
  const targetHash = createHash("sha256");
  const r: VerifyResult = {
    revision: 0,
    sourceKeys: 0,
    targetKeys: 0,
    missing: 0,
    different: 0,
    wrongLease: 0,
    extra: 0,
    examples: [],
    sourceDigest: "",
    targetDigest: "",
  };
  let total = 0;
  const src = keyValues(source, sourceHash, (page) => {
    r.revision = page.revision;
    total = page.total;
  });
  const dst = keyValues(target, targetHash, () => {});
  const note = (line: string) => r.examples.length < MAX_EXAMPLES && r.examples.push(line);
  let a = await src.next();
  let b = await dst.next();
  while (!a.done || !b.done) {
    const order = a.done ? 1 : b.done ? -1 : compareBytes(a.value.key, b.value.key);
    if (order < 0 && !a.done) {
      r.missing++;
      note(`missing in the target: ${showKey(a.value.key)}`);
    } else if (order > 0 && !b.done) {
      r.extra++;
      note(`in the target but not in the source: ${showKey(b.value.key)}`);
    } else if (!a.done && !b.done) {
      if (!equalBytes(a.value.value, b.value.value)) {
        r.different++;
        note(`different value: ${showKey(a.value.key)}`);
      } else if (options.expectedLease) {
        const want = options.expectedLease(a.value.lease);
        if (b.value.lease !== want) {
          r.wrongLease++;
          note(
            `lease ${b.value.lease.toString(16)} instead of ${want.toString(16)}: ${
              showKey(a.value.key)
            }`,
          );
        }
      }
    }
    if (order <= 0 && !a.done) {
      r.sourceKeys++;
      if (r.sourceKeys % 500 === 0) options.onProgress?.(r.sourceKeys, total);
      a = await src.next();
    }
    if (order >= 0 && !b.done) {
      r.targetKeys++;
      b = await dst.next();
    }
  }
  options.onProgress?.(r.sourceKeys, Math.max(total, r.sourceKeys));
  r.sourceDigest = sourceHash.digest("hex");
  r.targetDigest = targetHash.digest("hex");
  return r;
}
