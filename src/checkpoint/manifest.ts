/**
 * Checkpoint manifests and the `manifest/latest` pointer: their types, their JSON, and the
 * functions that read them (`docs/s3-format.md` has the formats with examples).
 *
 * @module
 */

import { ObjectNotFoundError, type ObjectStore } from "../objstore/mod.ts";
import { CheckpointNotFoundError } from "./errors.ts";
import {
  CHECKPOINT_PREFIX,
  compareTermSeq,
  decodeDocument,
  DOCUMENT_FORMAT_VERSION,
  DocumentFields,
  encodeDocument,
  LATEST_KEY,
  parseCheckpointKey,
  show,
} from "./layout.ts";
import { DEFAULT_CONCURRENCY, mapLimit } from "./_pool.ts";

/** A checkpoint: the engine file at `seq`, as a list of content-addressed chunks. */
export interface CheckpointManifest {
  /** The manifest's own key (not stored in the JSON: it is where the JSON lives). */
  key: string;
  /** The document's format version. */
  formatVersion: number;
  /** The term of the writer; with `seq`, the checkpoint's position and key. */
  term: number;
  /** The last WAL seq the engine file contains: replay the WAL after it. */
  seq: number;
  /** The store's current revision at `seq`. */
  revision: number;
  /** The store's compact revision at `seq`. */
  compactRevision: number;
  /** The engine file's length. */
  fileBytes: number;
  /** The length of every chunk but the last (which holds the rest, 1..chunkBytes). */
  chunkBytes: number;
  /** SHA-256 (hex) of each chunk, in file order; a hash may repeat. */
  chunks: string[];
  /** The hashes among `chunks` that live in the ancestor store, not in this one. */
  ancestorChunks: string[];
  /** The ancestor checkpoint (in the ancestor store) these chunks come from, if any. */
  ancestorCheckpointKey?: string;
  /** When the checkpoint was written (ISO 8601). */
  createdAt: string;
}

/** The contents of `manifest/latest`: which checkpoint a restore starts from. */
export interface LatestPointer {
  /** The document's format version. */
  formatVersion: number;
  /** The key of the newest checkpoint's manifest. */
  checkpointKey: string;
  /** That checkpoint's term. */
  term: number;
  /** That checkpoint's seq. */
  seq: number;
  /** That checkpoint's revision. */
  revision: number;
}

/** One entry of {@linkcode listCheckpoints}. */
export interface CheckpointInfo {
  /** The manifest key. */
  key: string;
  /** Term, seq and revision of the checkpoint. */
  term: number;
  seq: number;
  revision: number;
  /** The engine file's length. */
  fileBytes: number;
  /** When it was written (ISO 8601). */
  createdAt: string;
  /** Whether `manifest/latest` names it. */
  latest: boolean;
}

/**
 * The chunks of `m` stored in its own store (its `chunks` minus its `ancestorChunks`): what the
 * next `writeCheckpoint()` into the same store takes as `known`.
 */
export function knownChunks(m: CheckpointManifest): Set<string> {
  const elsewhere = new Set(m.ancestorChunks);
  return new Set(m.chunks.filter((h) => !elsewhere.has(h)));
}

/** The JSON of a manifest (snake_case, as stored). */
export function encodeManifest(m: CheckpointManifest): Uint8Array {
  return encodeDocument({
    format_version: m.formatVersion,
    term: m.term,
    seq: m.seq,
    revision: m.revision,
    compact_revision: m.compactRevision,
    file_bytes: m.fileBytes,
    chunk_bytes: m.chunkBytes,
    chunks: m.chunks,
    ancestor_chunks: m.ancestorChunks,
    ...(m.ancestorCheckpointKey === undefined
      ? {}
      : { ancestor_checkpoint_key: m.ancestorCheckpointKey }),
    created_at: m.createdAt,
  });
}

/**
 * Decodes and checks the manifest stored at `key`: the schema, that term and seq agree with the
 * key, that the chunk count fits the sizes, and that ancestor chunks are among the chunks.
 *
 * @throws {CheckpointCorruptError} / {FormatUnsupportedError} naming `key`.
 */
export function decodeManifest(key: string, bytes: Uint8Array): CheckpointManifest {
  const doc = decodeDocument(key, "checkpoint manifest", bytes);
  const f = new DocumentFields(key, "checkpoint manifest", doc);
  const where = parseCheckpointKey(key);
  if (!where) throw f.fail("the key is not checkpoint/<term>/<seq>/manifest.json");
  const m: CheckpointManifest = {
    key,
    formatVersion: f.count("format_version"),
    term: f.count("term"),
    seq: f.count("seq"),
    revision: f.count("revision"),
    compactRevision: f.count("compact_revision"),
    fileBytes: f.count("file_bytes"),
    chunkBytes: f.count("chunk_bytes"),
    chunks: f.hashes("chunks"),
    ancestorChunks: f.hashes("ancestor_chunks", true),
    createdAt: f.text("created_at"),
  };
  const ancestorKey = f.optionalText("ancestor_checkpoint_key");
  if (ancestorKey !== undefined) m.ancestorCheckpointKey = ancestorKey;
  if (m.term !== where.term || m.seq !== where.seq) {
    throw f.fail(`it says term ${m.term}, seq ${m.seq}, but its key does not`);
  }
  if (m.chunkBytes < 1) throw f.fail(`chunk_bytes ${m.chunkBytes} must be at least 1`);
  const expected = Math.ceil(m.fileBytes / m.chunkBytes);
  if (m.chunks.length !== expected) {
    throw f.fail(
      `it lists ${m.chunks.length} chunks, but ${m.fileBytes} bytes in chunks of ` +
        `${m.chunkBytes} need ${expected}`,
    );
  }
  const listed = new Set(m.chunks);
  const stray = m.ancestorChunks.find((h) => !listed.has(h));
  if (stray !== undefined) throw f.fail(`ancestor chunk ${stray} is not among its chunks`);
  return m;
}

/** The JSON of `manifest/latest`. */
export function encodeLatest(p: LatestPointer): Uint8Array {
  return encodeDocument({
    format_version: p.formatVersion,
    checkpoint_key: p.checkpointKey,
    term: p.term,
    seq: p.seq,
    revision: p.revision,
  });
}

/** Decodes and checks `manifest/latest`. */
export function decodeLatest(bytes: Uint8Array): LatestPointer {
  const doc = decodeDocument(LATEST_KEY, "checkpoint pointer", bytes);
  const f = new DocumentFields(LATEST_KEY, "checkpoint pointer", doc);
  const p: LatestPointer = {
    formatVersion: f.count("format_version"),
    checkpointKey: f.text("checkpoint_key"),
    term: f.count("term"),
    seq: f.count("seq"),
    revision: f.count("revision"),
  };
  const where = parseCheckpointKey(p.checkpointKey);
  if (!where || where.term !== p.term || where.seq !== p.seq) {
    throw f.fail(
      `checkpoint_key ${show(p.checkpointKey)} does not match term ${p.term}, seq ${p.seq}`,
    );
  }
  return p;
}

/** Builds the pointer for `m`. */
export function latestFor(m: CheckpointManifest): LatestPointer {
  return {
    formatVersion: DOCUMENT_FORMAT_VERSION,
    checkpointKey: m.key,
    term: m.term,
    seq: m.seq,
    revision: m.revision,
  };
}

/**
 * Reads `manifest/latest` with its ETag; `undefined` when there is none (no checkpoint yet).
 *
 * @throws {CheckpointCorruptError} / {FormatUnsupportedError} for a bad or newer pointer.
 */
export async function readLatestPointer(
  store: ObjectStore,
): Promise<{ pointer: LatestPointer; etag: string } | undefined> {
  try {
    const { data, etag } = await store.get(LATEST_KEY);
    return { pointer: decodeLatest(data), etag };
  } catch (err: unknown) {
    if (err instanceof ObjectNotFoundError) return undefined;
    throw err;
  }
}

/**
 * Reads one checkpoint manifest.
 *
 * @throws {CheckpointNotFoundError} when there is no object at `key`.
 * @throws {CheckpointCorruptError} / {FormatUnsupportedError} naming `key`.
 */
export async function readCheckpointManifest(
  store: ObjectStore,
  key: string,
): Promise<CheckpointManifest> {
  let data: Uint8Array;
  try {
    ({ data } = await store.get(key));
  } catch (err: unknown) {
    if (!(err instanceof ObjectNotFoundError)) throw err;
    throw new CheckpointNotFoundError(
      key,
      key,
      `Cannot read checkpoint manifest "${key}" from ${store.describe()}: it does not exist`,
    );
  }
  return decodeManifest(key, data);
}

/**
 * Reads the manifest `manifest/latest` names; `undefined` when there is no pointer. If the
 * manifest is gone because a newer checkpoint was published and GC deleted the old one between
 * the two reads, the pointer is read again (a few times).
 *
 * @throws {CheckpointNotFoundError} when the pointer names a manifest that does not exist.
 */
export async function readLatestManifest(
  store: ObjectStore,
): Promise<CheckpointManifest | undefined> {
  for (let attempt = 1;; attempt++) {
    const latest = await readLatestPointer(store);
    if (!latest) return undefined;
    try {
      return await readCheckpointManifest(store, latest.pointer.checkpointKey);
    } catch (err: unknown) {
      if (!(err instanceof CheckpointNotFoundError) || attempt >= 3) throw err;
      const again = await readLatestPointer(store);
      if (again?.pointer.checkpointKey === latest.pointer.checkpointKey) throw err;
    }
  }
}

/** The manifest keys among `keys`, in (term, seq) order; other keys are left out. */
export function sortCheckpointKeys(keys: Iterable<string>): string[] {
  const found: { key: string; term: number; seq: number }[] = [];
  for (const key of keys) {
    const where = parseCheckpointKey(key);
    if (where) found.push({ key, ...where });
  }
  return found.sort(compareTermSeq).map((k) => k.key);
}

/** The manifest keys under `checkpoint/`, in (term, seq) order; other keys are ignored. */
export async function listCheckpointKeys(store: ObjectStore): Promise<string[]> {
  return sortCheckpointKeys((await store.list(CHECKPOINT_PREFIX)).map((o) => o.key));
}

/**
 * Every checkpoint in the store, oldest first (by term, then seq), reading each manifest.
 *
 * @throws {CheckpointCorruptError} / {FormatUnsupportedError} for a manifest that cannot be read.
 */
export async function listCheckpoints(store: ObjectStore): Promise<CheckpointInfo[]> {
  const [keys, latest] = await Promise.all([listCheckpointKeys(store), readLatestPointer(store)]);
  const found = await mapLimit(keys, DEFAULT_CONCURRENCY, async (key) => {
    try {
      return await readCheckpointManifest(store, key);
    } catch (err: unknown) {
      if (err instanceof CheckpointNotFoundError) return undefined; // deleted by a GC meanwhile
      throw err;
    }
  });
  return found.filter((m) => m !== undefined).map((m) => ({
    key: m.key,
    term: m.term,
    seq: m.seq,
    revision: m.revision,
    fileBytes: m.fileBytes,
    createdAt: m.createdAt,
    latest: m.key === latest?.pointer.checkpointKey,
  }));
}
