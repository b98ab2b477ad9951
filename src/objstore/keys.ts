/**
 * The key rules shared by every store: validation, prefix normalization, key order and the
 * content ETag of the local stores.
 *
 * @module
 */

import { InvalidObjectKeyError } from "./errors.ts";

/** S3's limit on a key's length, in UTF-8 bytes (prefix included). */
export const MAX_KEY_BYTES = 1024;

const encoder = new TextEncoder();

function segmentProblem(segment: string): string | undefined {
  if (segment === "") return `empty segment ("//", or a "/" at the start or end)`;
  if (segment === "." || segment === "..") return `"." and ".." segments are not allowed`;
  return undefined;
}

function textProblem(text: string): string | undefined {
  if (text.includes("\0")) return "NUL is not allowed";
  if (!text.isWellFormed()) return "not valid Unicode (a lone surrogate)";
  if (encoder.encode(text).length > MAX_KEY_BYTES) return `longer than ${MAX_KEY_BYTES} bytes`;
  return undefined;
}

/**
 * Checks an object key: one or more `/`-separated segments, none empty, `.` or `..`; no NUL; valid
 * Unicode; at most 1,024 UTF-8 bytes. So a key is a relative path that cannot escape a
 * directory, and `prefix + key` never contains `//`.
 *
 * @throws {InvalidObjectKeyError} naming the rule the key breaks.
 */
export function checkKey(key: string): void {
  const problem = key === ""
    ? "the key is empty"
    : textProblem(key) ?? key.split("/").map(segmentProblem).find((p) => p !== undefined);
  if (problem !== undefined) throw new InvalidObjectKeyError(key, problem);
}

/**
 * Checks a `list()` prefix: like a key, except that it may be empty, and its last segment may be
 * empty (`"wal/"`) or a partial segment (`"wal/00"`).
 *
 * @throws {InvalidObjectKeyError} naming the rule the prefix breaks.
 */
export function checkListPrefix(prefix: string): void {
  if (prefix === "") return;
  const segments = prefix.split("/").slice(0, -1);
  const problem = textProblem(prefix) ?? segments.map(segmentProblem).find((p) => p);
  if (problem !== undefined) throw new InvalidObjectKeyError(prefix, problem);
}

/**
 * Normalizes a store prefix: `"t4/"`, `"/t4"`, `"t4"` and `"//t4//"` all give `"t4/"`; `""` and
 * `"/"` give `""`; `"a//b"` gives `"a/b/"`. Empty segments are dropped; `.` and `..` are rejected.
 *
 * @throws {InvalidObjectKeyError} if a segment is `.` or `..` or the text has a NUL.
 */
export function normalizePrefix(prefix: string): string {
  const segments = prefix.split("/").filter((s) => s !== "");
  const problem = textProblem(prefix) ?? segments.map(segmentProblem).find((p) => p);
  if (problem !== undefined) throw new InvalidObjectKeyError(prefix, problem);
  return segments.length === 0 ? "" : segments.join("/") + "/";
}

// Maps a UTF-16 code unit so that comparing mapped units orders strings by code point:
// surrogates (which encode code points above U+FFFF) move above U+E000–U+FFFF.
function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}

/**
 * Orders keys by Unicode code point, which is UTF-8 byte order, the order S3 lists in. (Plain
 * `<` compares UTF-16 code units, which differs for characters above U+FFFF.)
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** The ETag of the local stores: the hex SHA-256 of the content. */
export async function contentEtag(data: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data as BufferSource));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Removes the quotes (and a weak `W/` marker) around an ETag: `"abc"` → `abc`. */
export function unquoteEtag(etag: string): string {
  return etag.replace(/^W\//, "").replaceAll('"', "");
}

/** Splits `items` into arrays of at most `size` items. */
export function chunked<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
