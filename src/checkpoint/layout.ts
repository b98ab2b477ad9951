/**
 * The key layout under a store's prefix, and the JSON document rules every T4 document follows.
 *
 * ```
 * manifest/latest                                     pointer to the newest checkpoint
 * checkpoint/<term %010d>/<seq %020d>/manifest.json   one checkpoint's manifest
 * chunk/<sha256 hex>                                  content-addressed piece of an engine file
 * wal/<term %010d>/<first seq %020d>                  a WAL segment (one or more records)
 * branches/<id>                                       a branch's pin on a checkpoint of this store
 * ```
 *
 * Numbers are zero-padded so that key order is (term, seq) order. Documents are UTF-8 JSON
 * objects with a `format_version`; a missing one means 1, a newer one is refused with
 * `FormatUnsupportedError` naming the object.
 *
 * @module
 */

import { CheckpointCorruptError, describeError, FormatUnsupportedError } from "./errors.ts";

/** The pointer to the newest checkpoint. */
export const LATEST_KEY = "manifest/latest";
/** Where checkpoint manifests live. */
export const CHECKPOINT_PREFIX = "checkpoint/";
/** Where chunks live. */
export const CHUNK_PREFIX = "chunk/";
/** Where remote WAL objects live. */
export const WAL_PREFIX = "wal/";
/** Where branch entries live (in the source store). */
export const BRANCH_PREFIX = "branches/";
/** The only document format version this build writes and the newest it reads. */
export const DOCUMENT_FORMAT_VERSION = 1;

const CHECKPOINT_KEY = /^checkpoint\/(\d{10,})\/(\d{20,})\/manifest\.json$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const BRANCH_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Zero-pads `n` to `width` digits (more digits when `n` needs them). */
export function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/** `checkpoint/<term %010d>/<seq %020d>/manifest.json`. */
export function checkpointKey(term: number, seq: number): string {
  return `${CHECKPOINT_PREFIX}${pad(term, 10)}/${pad(seq, 20)}/manifest.json`;
}

/** Parses a key made by {@linkcode checkpointKey}; `undefined` for any other key. */
export function parseCheckpointKey(key: string): { term: number; seq: number } | undefined {
  const m = CHECKPOINT_KEY.exec(key);
  if (!m) return undefined;
  const term = Number(m[1]);
  const seq = Number(m[2]);
  if (!Number.isSafeInteger(term) || !Number.isSafeInteger(seq)) return undefined;
  return checkpointKey(term, seq) === key ? { term, seq } : undefined;
}

/** `chunk/<sha256 hex>`. */
export function chunkKey(hash: string): string {
  return CHUNK_PREFIX + hash;
}

/** Whether `text` is a lowercase hex SHA-256. */
export function isSha256Hex(text: unknown): text is string {
  return typeof text === "string" && SHA256_HEX.test(text);
}

/**
 * `branches/<id>`.
 *
 * @throws {RangeError} unless `id` is 1–128 characters of `[A-Za-z0-9._-]` starting with a
 *   letter or digit.
 */
export function branchKey(id: string): string {
  if (!BRANCH_ID.test(id)) {
    throw new RangeError(
      `Invalid branch id ${JSON.stringify(id)}: expected 1-128 characters of [A-Za-z0-9._-], ` +
        `starting with a letter or digit`,
    );
  }
  return BRANCH_PREFIX + id;
}

/** Orders (term, seq) pairs: a higher term is newer; within a term, a higher seq. */
export function compareTermSeq(
  a: { term: number; seq: number },
  b: { term: number; seq: number },
): number {
  return a.term - b.term || a.seq - b.seq;
}

/** Encodes a document as UTF-8 JSON with a trailing newline. */
export function encodeDocument(doc: object): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(doc) + "\n");
}

/**
 * Decodes a document: a JSON object whose `format_version` (missing: 1) this build reads. The
 * result always has `format_version`.
 * `what` names the document in messages (`checkpoint manifest`).
 *
 * @throws {CheckpointCorruptError} for bytes that are not a JSON object or a bad version field.
 * @throws {FormatUnsupportedError} for a newer version.
 */
export function decodeDocument(
  key: string,
  what: string,
  bytes: Uint8Array,
): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (err: unknown) {
    throw new CheckpointCorruptError(
      key,
      `Cannot read ${what} "${key}": it is not valid JSON (${describeError(err)})`,
      { cause: err },
    );
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new CheckpointCorruptError(key, `Cannot read ${what} "${key}": it is not a JSON object`);
  }
  const fields = doc as Record<string, unknown>;
  const version = fields.format_version ?? 1;
  if (typeof version !== "number" || !Number.isSafeInteger(version) || version < 1) {
    throw new CheckpointCorruptError(
      key,
      `Cannot read ${what} "${key}": bad format_version ${show(version)}`,
    );
  }
  if (version > DOCUMENT_FORMAT_VERSION) {
    throw new FormatUnsupportedError(
      key,
      version,
      DOCUMENT_FORMAT_VERSION,
      `Cannot read ${what} "${key}": it has format_version ${version}, newer than this build ` +
        `reads (${DOCUMENT_FORMAT_VERSION}); upgrade T4`,
    );
  }
  return { ...fields, format_version: version };
}

/** Reads typed fields of a decoded document, throwing `CheckpointCorruptError` naming it. */
export class DocumentFields {
  readonly #key: string;
  readonly #what: string;
  readonly #doc: Record<string, unknown>;

  /** Wraps `doc`, the document stored at `key`. */
  constructor(key: string, what: string, doc: Record<string, unknown>) {
    this.#key = key;
    this.#what = what;
    this.#doc = doc;
  }

  /** An error naming the document and `problem`. */
  fail(problem: string): CheckpointCorruptError {
    return new CheckpointCorruptError(
      this.#key,
      `Cannot read ${this.#what} "${this.#key}": ${problem}`,
    );
  }

  /** A non-negative safe integer field. */
  count(name: string): number {
    const value = this.#doc[name];
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
      throw this.fail(`field "${name}" must be a non-negative integer, got ${show(value)}`);
    }
    return value;
  }

  /** A string field. */
  text(name: string): string {
    const value = this.#doc[name];
    if (typeof value !== "string") throw this.fail(`field "${name}" must be a string`);
    return value;
  }

  /** An optional string field. */
  optionalText(name: string): string | undefined {
    return this.#doc[name] === undefined ? undefined : this.text(name);
  }

  /** An array of SHA-256 hex strings; missing means `[]` when `optional`. */
  hashes(name: string, optional = false): string[] {
    const value = this.#doc[name];
    if (value === undefined && optional) return [];
    if (!Array.isArray(value) || !value.every(isSha256Hex)) {
      throw this.fail(`field "${name}" must be an array of lowercase hex SHA-256 strings`);
    }
    return value;
  }
}

/**
 * A value as JSON for a message, cut to a few dozen characters: a damaged document can hold a
 * value of megabytes, and a message quoting it whole is no clearer.
 */
export function show(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  return text.length > SHOW_CHARS ? `${text.slice(0, SHOW_CHARS)}… (${text.length} chars)` : text;
}

const SHOW_CHARS = 100;
