/**
 * Replay of a WAL directory: segments in seq order, chained, with torn-tail repair and the
 * operator-chosen `truncateCorrupt` recovery.
 *
 * @module
 */

import { KvError, WalCorruptError } from "../errors.ts";
import { DEFAULT_MAX_RECORD_BYTES, type WalRecord } from "./frame.ts";
import { parseSegmentName, scanSegment, type TornTail } from "./segment.ts";
import { fsyncDir, truncateFile } from "./_fs.ts";

/** A segment file found in a WAL directory. */
export interface SegmentFile {
  name: string;
  path: string;
  term: number;
  firstSeq: number;
}

/** What {@linkcode replayWal} read. */
export interface ReplayResult {
  /** The larger of `afterSeq` and the seq of the last entry in the WAL. */
  lastSeq: number;
  /** Term and rev of the entry with seq `lastSeq` when the WAL holds it, else 0. */
  lastTerm: number;
  lastRev: number;
  /** Records delivered to the visitor. */
  records: number;
  /** Segment files read (segments wholly at or below `afterSeq` are skipped unread). */
  segments: number;
  /** The last segment ended in a torn write; with `repair` the file was truncated there. */
  tornTail?: TornTail;
  /** With `truncateCorrupt`: where the WAL was cut and which later segments were deleted. */
  truncated?: {
    segment: string;
    offset: number;
    droppedBytes: number;
    deletedSegments: string[];
    reason: string;
  };
}

/** Options of {@linkcode replayWal}. */
export interface ReplayOptions {
  /** Deliver records with seq greater than this (the seq the engine has applied). */
  afterSeq: number;
  /** Truncate a torn tail of the last segment (ftruncate + fdatasync). Default false. */
  repair?: boolean;
  /**
   * Operator-chosen recovery: instead of throwing {@linkcode WalCorruptError}, cut the WAL at
   * the first bad frame (or delete a segment with a bad header, or the segments after a gap)
   * and delete every later segment. Valid entries after the cut are lost. Implies `repair`.
   */
  truncateCorrupt?: boolean;
  /** Largest acceptable payload length; default 64 MiB. */
  maxRecordBytes?: number;
}

/**
 * Lists the segment files of `dir` in seq order (then term); other files are ignored.
 * A directory that does not exist has no segments.
 */
export async function listSegmentFiles(dir: string): Promise<SegmentFile[]> {
  const found: SegmentFile[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isFile) continue;
      const parsed = parseSegmentName(entry.name);
      if (parsed) found.push({ name: entry.name, path: `${dir}/${entry.name}`, ...parsed });
    }
  } catch (err: unknown) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw new KvError("wal-io", `Cannot list WAL directory "${dir}": ${message(err)}`, {
      cause: err,
    });
  }
  return found.sort((a, b) => a.firstSeq - b.firstSeq || a.term - b.term);
}

/**
 * Reads every segment of `dir` in order and calls `visit` for each record with
 * seq > `afterSeq`, in seq order.
 *
 * Rules (see `docs/wal-format.md`): a torn tail of the last segment is a clean end (truncated
 * when `repair` is set); any other bad frame, a bad header, or a hole in the sequence throws
 * {@linkcode WalCorruptError} after the records before it were delivered. A directory that
 * does not exist, or holds no segment, returns `lastSeq = afterSeq`, `lastTerm = lastRev = 0`.
 * Records' `data` are views into a buffer owned by the visitor from then on.
 *
 * @example
 * ```ts
 * import { replayWal } from "./reader.ts";
 * const result = await replayWal("/nonexistent/wal", { afterSeq: 7 }, () => {});
 * if (result.lastSeq !== 7 || result.records !== 0) throw new Error();
 * ```
 */
export async function replayWal(
  dir: string,
  options: ReplayOptions,
  visit: (record: WalRecord) => void,
): Promise<ReplayResult> {
  const afterSeq = options.afterSeq;
  if (!Number.isSafeInteger(afterSeq) || afterSeq < 0) {
    throw new RangeError(`Cannot replay the WAL after seq ${afterSeq}: expected an integer >= 0`);
  }
  const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  const repairCorrupt = options.truncateCorrupt === true;
  const repair = options.repair === true || repairCorrupt;
  const files = await listSegmentFiles(dir);
  const result: ReplayResult = {
    lastSeq: afterSeq,
    lastTerm: 0,
    lastRev: 0,
    records: 0,
    segments: 0,
  };
  if (files.length === 0) return result;

  const first = files[0]!;
  if (first.firstSeq > afterSeq + 1) {
    throw new WalCorruptError(
      first.name,
      0,
      `WAL is missing entries ${afterSeq + 1}..${
        first.firstSeq - 1
      }: replay starts after seq ${afterSeq} but the first segment "${first.name}" starts at seq ${first.firstSeq}`,
    );
  }

  let walLast = { seq: 0, term: 0, rev: 0 };
  let prev: { name: string; lastSeq: number; term: number } | undefined;
  for (let i = 0; i < files.length; i++) {
    const file = files[i]!;
    const next = files[i + 1];
    // Every entry of this segment is at or below afterSeq: the successor starts by then.
    if (next && next.firstSeq <= afterSeq) {
      prev = undefined;
      continue;
    }
    const problem = prev && chainProblem(prev, file, afterSeq);
    if (problem) {
      const err = new WalCorruptError(file.name, 0, problem);
      if (!repairCorrupt) throw err;
      result.truncated = await deleteFrom(dir, files, i, 0, 0, problem);
      break;
    }

    const bytes = await readSegment(file.path);
    let scan;
    try {
      scan = scanSegment(
        file.name,
        bytes,
        { isLast: next === undefined, maxRecordBytes, afterSeq },
        (record) => {
          result.records++;
          visit(record);
        },
      );
    } catch (err: unknown) {
      if (!(err instanceof WalCorruptError) || !repairCorrupt) throw err;
      result.truncated = await deleteFrom(dir, files, i, 0, bytes.length, err.message);
      break;
    }
    result.segments++;
    if (scan.records > 0) walLast = { seq: scan.lastSeq, term: scan.lastTerm, rev: scan.lastRev };
    if (scan.corruption) {
      if (!repairCorrupt) throw scan.corruption;
      await truncateFile(file.path, scan.end);
      result.truncated = await deleteFrom(
        dir,
        files,
        i + 1,
        scan.end,
        bytes.length - scan.end,
        scan.corruption.message,
      );
      result.truncated.segment = file.name;
      break;
    }
    if (scan.tornTail) {
      result.tornTail = scan.tornTail;
      if (repair) await truncateFile(file.path, scan.end);
    }
    prev = { name: file.name, lastSeq: scan.lastSeq, term: scan.term };
  }

  if (walLast.seq >= afterSeq) {
    result.lastSeq = walLast.seq;
    result.lastTerm = walLast.term;
    result.lastRev = walLast.rev;
  }
  return result;
}

/** Why `file` cannot follow `prev`, or undefined when it chains. */
function chainProblem(
  prev: { name: string; lastSeq: number; term: number },
  file: SegmentFile,
  afterSeq: number,
): string | undefined {
  const between =
    `between segments "${prev.name}" (last entry seq ${prev.lastSeq}) and "${file.name}" (first seq ${file.firstSeq})`;
  if (file.term < prev.term) return `WAL term goes backwards ${between}`;
  if (file.firstSeq <= prev.lastSeq) return `WAL segments overlap ${between}`;
  // A hole wholly at or below afterSeq is covered by the caller's checkpoint.
  if (file.firstSeq > prev.lastSeq + 1 && file.firstSeq - 1 > afterSeq) {
    return `WAL is missing entries ${prev.lastSeq + 1}..${file.firstSeq - 1} ${between}`;
  }
  return undefined;
}

/** truncateCorrupt: deletes `files[from..]`; reports the cut. */
async function deleteFrom(
  dir: string,
  files: readonly SegmentFile[],
  from: number,
  offset: number,
  droppedBytes: number,
  reason: string,
): Promise<NonNullable<ReplayResult["truncated"]>> {
  const deleted: string[] = [];
  for (const file of files.slice(from)) {
    try {
      await Deno.remove(file.path);
    } catch (err: unknown) {
      throw new KvError("wal-io", `Cannot delete WAL segment "${file.name}": ${message(err)}`, {
        cause: err,
      });
    }
    deleted.push(file.name);
  }
  if (deleted.length > 0) await fsyncDir(dir);
  const segment = files[from]?.name ?? "";
  return { segment, offset, droppedBytes, deletedSegments: deleted, reason };
}

async function readSegment(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (err: unknown) {
    throw new KvError("wal-io", `Cannot read WAL segment "${path}": ${message(err)}`, {
      cause: err,
    });
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
