/**
 * {@linkcode WalWriter}: appends frames with one pwrite per batch, makes them durable with one
 * fdatasync per group of callers, rotates and seals segments, and rolls back aborted batches.
 *
 * Durability protocol (what makes every crash state readable, see `docs/wal-format.md`):
 * - A new segment is written under a `.tmp` name (header first) and renamed to its real name
 *   only after its header and every earlier segment's frames are on disk, then the directory
 *   is fsynced. So a visible segment always has a good header, and a segment that is not the
 *   last one never ends in a torn write.
 * - With `preallocate`, the next segment is prepared in the background as a zero-filled,
 *   fdatasynced `.tmp` file, so appends overwrite allocated blocks and never change the file
 *   size: fdatasync then has no metadata to write.
 * - Sealing a segment truncates its unused zeros and fdatasyncs it; a crash before that leaves
 *   zeros after the last frame, which the reader accepts as a clean end.
 *
 * @module
 */

import * as fs from "node:fs";
import { ClosedError, KvError } from "../errors.ts";
import {
  DEFAULT_MAX_RECORD_BYTES,
  encodeFramesInto,
  encodeSegmentHeader,
  framesByteLength,
  PAYLOAD_FIXED_BYTES,
  SEGMENT_HEADER_BYTES,
  type WalRecord,
} from "./frame.ts";
import { scanSegment, segmentName } from "./segment.ts";
import { listSegmentFiles } from "./reader.ts";
import {
  createZeroFile,
  fdatasync,
  fsyncDir,
  ioError,
  pwriteAll,
  truncateFile,
  zeroRange,
} from "./_fs.ts";

/** Options of {@linkcode WalWriter.open}. */
export interface WalWriterOptions {
  /** The term written in new segment headers. Must not be below the newest existing segment's. */
  term: number;
  /** The seq of the next record: the replayed `lastSeq + 1`. */
  nextSeq: number;
  /** Rotate when a batch would grow the active segment past this; default 64 MiB. */
  segmentBytes?: number;
  /** Prepare zero-filled segment files in the background; default true. */
  preallocate?: boolean;
  /** Largest payload (24 bytes + data) a record may have; default 64 MiB. */
  maxRecordBytes?: number;
}

/** A segment as {@linkcode WalWriter.segments} reports it. */
export interface SegmentInfo {
  name: string;
  path: string;
  term: number;
  firstSeq: number;
  /** Seq of the last record; -1 when the segment holds none. */
  lastSeq: number;
  /** Bytes of header and frames (not counting preallocated space). */
  bytes: number;
  /** Sealed segments are complete and closed; only sealed segments may be deleted. */
  sealed: boolean;
}

/** A position in the WAL returned by {@linkcode WalWriter.mark}. */
export interface WalMark {
  /** Name of the segment the position is in. */
  readonly segment: string;
  /** Byte offset in that segment. */
  readonly offset: number;
  /** The writer's `nextSeq` at the mark. */
  readonly nextSeq: number;
}

interface Segment {
  name: string;
  path: string;
  /** Set until the file is renamed to `path` (published). */
  tmpPath: string | undefined;
  term: number;
  firstSeq: number;
  lastSeq: number;
  /** Bytes written: header plus frames. */
  size: number;
  /** Bytes known to be on disk. */
  syncedSize: number;
  /** Length of the preallocated (zero-filled) file; 0 when not preallocated. */
  capacity: number;
  fd: number | undefined;
  sealed: boolean;
  /** An empty segment replaced by `rotate(term)`; deleted once its successor is published. */
  discard: boolean;
}

interface Waiter {
  version: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
const SCRATCH_LIMIT = 1024 * 1024;

/**
 * The WAL's only writer. Open it after {@linkcode replayWal}; it always starts a new segment.
 *
 * `append()` writes (not durable); `sync()` is the only caller of fdatasync and resolves when
 * every record appended before the call is on disk. After an I/O error the writer is failed:
 * every later call throws the same `KvError("wal-io")`, since what reached the disk after a
 * failed fdatasync is unknown.
 *
 * @example
 * ```ts
 * import { replayWal, WalWriter } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * const { lastSeq, lastTerm } = await replayWal(dir, { afterSeq: 0 }, () => {});
 * {
 *   await using wal = await WalWriter.open(dir, { term: Math.max(1, lastTerm), nextSeq: lastSeq + 1, segmentBytes: 1 << 20 });
 *   wal.append([{ seq: 1, term: 1, rev: 1, data: new Uint8Array([1]) }]);
 *   await wal.sync(); // seq 1 is durable
 * }
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class WalWriter implements AsyncDisposable {
  /** Called after a segment is sealed (complete, truncated, closed): the uploader's hook. */
  onSealed?: (segment: SegmentInfo) => void;
  /**
   * When set, the next sync rounds run fdatasync on the JS thread instead of the thread pool.
   * The commit pipeline sets it for small batches under light load, where the thread-pool round
   * trip (~0.2 ms) costs more than it saves; under load it stays off so the event loop keeps
   * taking requests while the disk works.
   */
  blockingSync = false;

  readonly #dir: string;
  readonly #segmentBytes: number;
  readonly #preallocate: boolean;
  readonly #maxRecordBytes: number;
  #segments: Segment[] = [];
  #term: number;
  #nextSeq: number;
  /** Bumped by every change that a sync must make durable. */
  #version = 0;
  #durableVersion = 0;
  #waiters: Waiter[] = [];
  #loop: Promise<void> | undefined;
  #failed: KvError | undefined;
  #closed = false;
  #busy: string | undefined;
  /** Set while a rollback rewrites files; sync rounds wait for it. */
  #exclusive: Promise<void> | undefined;
  #dirDirty = false;
  #prepared: string | undefined;
  #preparing: Promise<void> | undefined;
  #tmpCounter = 0;
  #scratch = new Uint8Array(64 * 1024);
  readonly #marks = new WeakMap<WalMark, Segment>();

  private constructor(dir: string, options: WalWriterOptions) {
    this.#dir = dir;
    this.#term = options.term;
    this.#nextSeq = options.nextSeq;
    this.#segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.#preallocate = options.preallocate ?? true;
    this.#maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  }

  /**
   * Opens the WAL in `dir` (created if missing) for appending at `options.nextSeq`.
   * The newest existing segment is sealed first: its torn tail or zero padding is truncated,
   * or it is deleted if it holds no record. Then a new segment starts at `nextSeq`.
   *
   * @throws {RangeError} When the WAL already holds `nextSeq`, or `term` is below its term.
   * @throws {WalCorruptError} When the newest segment is corrupt.
   */
  static async open(dir: string, options: WalWriterOptions): Promise<WalWriter> {
    checkInteger("term", options.term, 0);
    checkInteger("nextSeq", options.nextSeq, 1);
    checkInteger("segmentBytes", options.segmentBytes ?? DEFAULT_SEGMENT_BYTES, 1024);
    checkInteger("maxRecordBytes", options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES, 24);
    try {
      await Deno.mkdir(dir, { recursive: true });
    } catch (err: unknown) {
      throw ioError(`Cannot create WAL directory "${dir}"`, err);
    }
    const writer = new WalWriter(dir, options);
    try {
      await writer.#init(options);
    } catch (err: unknown) {
      await writer.#abandon();
      if (err instanceof KvError || err instanceof RangeError) throw err;
      throw ioError(`Cannot open the WAL in "${dir}"`, err);
    }
    return writer;
  }

  /** The seq the next appended record must have. */
  get nextSeq(): number {
    return this.#nextSeq;
  }

  /** The term of the active segment. */
  get term(): number {
    return this.#term;
  }

  get #active(): Segment {
    return this.#segments[this.#segments.length - 1]!;
  }

  async #init(options: WalWriterOptions): Promise<void> {
    const leftovers: string[] = [];
    for await (const entry of Deno.readDir(this.#dir)) {
      if (entry.isFile && entry.name.endsWith(".tmp")) leftovers.push(entry.name);
    }
    for (const name of leftovers) await Deno.remove(`${this.#dir}/${name}`);
    const files = await listSegmentFiles(this.#dir);
    for (let i = 0; i < files.length - 1; i++) {
      const f = files[i]!;
      const { size } = await Deno.stat(f.path);
      const lastSeq = files[i + 1]!.firstSeq - 1;
      this.#segments.push({
        ...f,
        lastSeq,
        tmpPath: undefined,
        size,
        syncedSize: size,
        capacity: 0,
        fd: undefined,
        sealed: true,
        discard: false,
      });
    }
    const last = files[files.length - 1];
    if (last) {
      const bytes = await Deno.readFile(last.path);
      const scan = scanSegment(last.name, bytes, {
        isLast: true,
        maxRecordBytes: this.#maxRecordBytes,
        afterSeq: Number.MAX_SAFE_INTEGER,
      });
      if (scan.corruption) throw scan.corruption;
      if (scan.term > options.term) {
        throw new RangeError(
          `Cannot open the WAL with term ${options.term}: segment "${last.name}" has term ${scan.term}`,
        );
      }
      if (scan.lastSeq >= options.nextSeq) {
        throw new RangeError(
          `Cannot open the WAL at seq ${options.nextSeq}: it already holds entries through seq ${scan.lastSeq} (replay it first)`,
        );
      }
      if (scan.records === 0) {
        await Deno.remove(last.path);
        this.#dirDirty = true;
      } else {
        if (scan.end < bytes.length) await truncateFile(last.path, scan.end);
        this.#segments.push({
          ...last,
          lastSeq: scan.lastSeq,
          tmpPath: undefined,
          size: scan.end,
          syncedSize: scan.end,
          capacity: 0,
          fd: undefined,
          sealed: true,
          discard: false,
        });
      }
    }
    if (this.#preallocate) {
      const path = this.#tmpPath();
      await createZeroFile(path, this.#segmentBytes);
      this.#prepared = path;
    }
    this.#switchTo(options.term);
    await this.sync();
  }

  /**
   * Encodes `records` and writes them with one positional write at the end of the active
   * segment. Not durable until {@linkcode sync} resolves. Rotates first when the batch would
   * overflow a non-empty active segment (a batch bigger than a segment gets one of its own).
   *
   * @throws {RangeError} When `records[0].seq !== nextSeq`, seqs are not dense, a number is
   *   not an integer in [0, 2^53), or a payload exceeds `maxRecordBytes`. Nothing is written.
   */
  append(records: readonly WalRecord[]): void {
    this.#checkWritable();
    if (records.length === 0) return;
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      if (r.seq !== this.#nextSeq + i) {
        throw new RangeError(
          `Cannot append WAL record ${i} of ${records.length}: seq ${r.seq}, expected ${
            this.#nextSeq + i
          }`,
        );
      }
      if (PAYLOAD_FIXED_BYTES + r.data.length > this.#maxRecordBytes) {
        throw new RangeError(
          `Cannot append WAL record seq ${r.seq}: ${r.data.length} bytes of data exceed the limit of ${this.#maxRecordBytes} bytes per payload`,
        );
      }
    }
    const length = framesByteLength(records);
    let buf = this.#scratch;
    if (length > buf.length) {
      buf = new Uint8Array(length);
      if (length <= SCRATCH_LIMIT) this.#scratch = buf;
    }
    encodeFramesInto(records, buf, 0);
    let seg = this.#active;
    if (seg.lastSeq >= seg.firstSeq && seg.size + length > this.#segmentBytes) {
      this.#switchTo(this.#term);
      seg = this.#active;
    }
    try {
      pwriteAll(seg.fd!, buf.subarray(0, length), seg.size);
    } catch (err: unknown) {
      throw this.#fail(ioError(`Cannot write to WAL segment "${seg.name}"`, err));
    }
    seg.size += length;
    seg.lastSeq += records.length;
    this.#nextSeq += records.length;
    this.#version++;
  }

  /**
   * Makes every record appended before this call durable: fdatasync of each segment written
   * since the last sync, then the publication of new segments (rename + directory fsync) and
   * the sealing of full ones. Calls that arrive while a sync runs share the next one.
   * When it resolves, those records survive a crash or power loss.
   */
  sync(): Promise<void> {
    if (this.#failed) return Promise.reject(this.#failed);
    const version = this.#version;
    if (this.#durableVersion >= version) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#waiters.push({ version, resolve, reject });
      this.#kick();
    });
  }

  /** The current end of the WAL, for {@linkcode rollback}. */
  mark(): WalMark {
    const seg = this.#active;
    const mark: WalMark = { segment: seg.name, offset: seg.size, nextSeq: this.#nextSeq };
    this.#marks.set(mark, seg);
    return mark;
  }

  /**
   * Removes every record appended after `mark`, even if already synced: later segments are
   * deleted, the mark's segment becomes the active one again (reopened if it was sealed, so an
   * `onSealed` consumer must expect that) and is cut at the mark; then fdatasync (and a
   * directory fsync if files were deleted). `nextSeq` and `term` return to their values at
   * the mark. Appends are refused while it runs.
   */
  async rollback(mark: WalMark): Promise<void> {
    this.#checkWritable();
    const seg = this.#marks.get(mark);
    if (!seg || !this.#segments.includes(seg) || mark.nextSeq > this.#nextSeq) {
      throw new RangeError("Cannot roll back the WAL: the mark is unknown or its segment is gone");
    }
    this.#busy = "rolling back";
    let release = () => {};
    try {
      await this.#idle();
      this.#exclusive = new Promise((resolve) => release = resolve);
      const later = this.#segments.splice(this.#segments.indexOf(seg) + 1);
      for (const s of later) {
        if (s.fd !== undefined) fs.closeSync(s.fd);
        s.fd = undefined;
        await Deno.remove(s.tmpPath ?? s.path);
        if (s.tmpPath === undefined) this.#dirDirty = true;
      }
      if (seg.fd === undefined) {
        seg.fd = fs.openSync(seg.path, "r+");
        seg.sealed = false;
        seg.capacity = 0;
      }
      seg.discard = false;
      if (mark.offset < seg.size) {
        if (seg.capacity > mark.offset) {
          zeroRange(seg.fd, mark.offset, Math.min(seg.size, seg.capacity));
          if (seg.size > seg.capacity) fs.ftruncateSync(seg.fd, seg.capacity);
        } else {
          fs.ftruncateSync(seg.fd, mark.offset);
        }
      }
      seg.size = mark.offset;
      seg.lastSeq = mark.nextSeq - 1;
      this.#nextSeq = mark.nextSeq;
      this.#term = seg.term;
      this.#version++;
      await fdatasync(seg.fd);
      seg.syncedSize = seg.size;
      await this.#syncDir();
    } catch (err: unknown) {
      throw this.#fail(ioError(`Cannot roll back the WAL to seq ${mark.nextSeq}`, err));
    } finally {
      this.#busy = undefined;
      this.#exclusive = undefined;
      release();
    }
  }

  /**
   * Seals the active segment (fdatasync, truncate preallocated space, directory fsync) and
   * starts a new one, with `term` when given. An empty active segment is not sealed: with the
   * same term this is a no-op, with a new term the empty segment is replaced.
   */
  async rotate(term?: number): Promise<void> {
    this.#checkWritable();
    const next = term ?? this.#term;
    checkInteger("term", next, this.#term);
    const active = this.#active;
    if (active.lastSeq < active.firstSeq) {
      if (next === active.term) return;
      active.discard = true;
    }
    this.#switchTo(next);
    await this.sync();
  }

  /** The segments this writer knows, oldest first; the last one is active. */
  segments(): SegmentInfo[] {
    return this.#segments.filter((s) => !s.discard).map(info);
  }

  /** Deletes sealed segments whose lastSeq <= `seq` (never the active one); returns how many. */
  async removeSegmentsThrough(seq: number): Promise<number> {
    if (this.#closed) throw new ClosedError();
    if (this.#busy) throw new Error(`Cannot remove WAL segments while ${this.#busy}`);
    let n = 0;
    while (n < this.#segments.length - 1) {
      const s = this.#segments[n]!;
      if (!s.sealed || s.lastSeq > seq) break;
      n++;
    }
    const removed = this.#segments.splice(0, n);
    try {
      for (const s of removed) await Deno.remove(s.path);
      if (n > 0) await fsyncDir(this.#dir);
    } catch (err: unknown) {
      throw ioError("Cannot remove WAL segments", err);
    }
    return n;
  }

  /**
   * Syncs, seals the active segment (deleted instead if it holds no record), and closes every
   * file. Safe to call twice. After a failure it only closes files.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      if (!this.#failed) await this.sync();
      this.#closed = true;
      await this.#idle();
      const active = this.#segments[this.#segments.length - 1];
      if (!this.#failed && active && active.fd !== undefined) {
        if (active.lastSeq < active.firstSeq) {
          fs.closeSync(active.fd);
          active.fd = undefined;
          await Deno.remove(active.tmpPath ?? active.path);
          this.#segments.pop();
          this.#dirDirty = true;
        } else {
          await this.#seal(active);
        }
      }
      await this.#syncDir();
    } finally {
      this.#closed = true;
      await this.#abandon();
    }
  }

  /** Same as {@linkcode close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Closes every file descriptor and deletes a prepared file; never throws. */
  async #abandon(): Promise<void> {
    this.#closed = true;
    await this.#idle();
    for (const s of this.#segments) {
      if (s.fd !== undefined) fs.closeSync(s.fd);
      s.fd = undefined;
    }
    while (this.#preparing) await this.#preparing;
    if (this.#prepared) {
      await Deno.remove(this.#prepared).catch(() => {});
      this.#prepared = undefined;
    }
  }

  #checkWritable(): void {
    if (this.#failed) throw this.#failed;
    if (this.#closed) throw new ClosedError();
    if (this.#busy) throw new Error(`Cannot write to the WAL while ${this.#busy}`);
  }

  #fail(err: KvError): KvError {
    this.#failed ??= err;
    return this.#failed;
  }

  #tmpPath(): string {
    return `${this.#dir}/prealloc-${++this.#tmpCounter}.tmp`;
  }

  /** Starts a new, unpublished active segment at nextSeq (synchronous: appends call it). */
  #switchTo(term: number): void {
    const name = segmentName(term, this.#nextSeq);
    const path = `${this.#dir}/${name}`;
    const prepared = this.#prepared;
    this.#prepared = undefined;
    const tmpPath = prepared ?? `${path}.tmp`;
    let fd: number | undefined;
    try {
      fd = fs.openSync(tmpPath, prepared ? "r+" : "w+");
      pwriteAll(fd, encodeSegmentHeader(term, this.#nextSeq), 0);
    } catch (err: unknown) {
      if (fd !== undefined) fs.closeSync(fd);
      throw this.#fail(ioError(`Cannot create WAL segment "${name}"`, err));
    }
    this.#segments.push({
      name,
      path,
      tmpPath,
      term,
      firstSeq: this.#nextSeq,
      lastSeq: this.#nextSeq - 1,
      size: SEGMENT_HEADER_BYTES,
      syncedSize: 0,
      capacity: prepared ? this.#segmentBytes : 0,
      fd,
      sealed: false,
      discard: false,
    });
    this.#term = term;
    this.#version++;
    this.#prepareNext();
  }

  #prepareNext(): void {
    if (!this.#preallocate || this.#preparing || this.#prepared || this.#closed) return;
    const path = this.#tmpPath();
    this.#preparing = createZeroFile(path, this.#segmentBytes)
      .then(() => {
        this.#prepared = path;
      }, async () => {
        // The next rotation creates its file without preallocation; a full disk will then
        // surface as a write error on the append path.
        await Deno.remove(path).catch(() => {});
      })
      .finally(() => {
        this.#preparing = undefined;
      });
  }

  #kick(): void {
    if (!this.#loop) this.#loop = this.#runSyncLoop();
  }

  async #runSyncLoop(): Promise<void> {
    await null; // let callers of the same tick join the first round
    for (;;) {
      while (this.#exclusive) await this.#exclusive;
      if (this.#failed) {
        for (const w of this.#waiters.splice(0)) w.reject(this.#failed);
      }
      if (this.#waiters.length === 0) {
        // Cleared in the same tick as the last check: a sync() that comes after it (even from
        // a continuation of a waiter resolved just before) starts a new loop.
        this.#loop = undefined;
        return;
      }
      const version = this.#version;
      try {
        await this.#flush();
      } catch (err: unknown) {
        this.#fail(err instanceof KvError ? err : ioError("Cannot sync the WAL", err));
        continue;
      }
      if (version > this.#durableVersion) this.#durableVersion = version;
      const waiting: Waiter[] = [];
      for (const w of this.#waiters) {
        if (w.version <= version) w.resolve();
        else waiting.push(w);
      }
      this.#waiters = waiting;
    }
  }

  /** One round of `sync()`: fdatasync, publish new segments, fsync the directory, seal. */
  async #flush(): Promise<void> {
    const dirty = this.#segments.filter((s) => s.fd !== undefined && s.syncedSize < s.size);
    const sizes = dirty.map((s) => s.size);
    if (this.blockingSync && dirty.length === 1) {
      // One small batch and nobody else waiting: the thread-pool round trip would cost more
      // than the fdatasync itself, and there is nothing to overlap it with.
      try {
        fs.fdatasyncSync(dirty[0]!.fd!);
      } catch (err: unknown) {
        throw ioError(`Cannot fdatasync WAL segment "${dirty[0]!.name}"`, err);
      }
    } else {
      await Promise.all(dirty.map(async (s) => {
        try {
          await fdatasync(s.fd!);
        } catch (err: unknown) {
          throw ioError(`Cannot fdatasync WAL segment "${s.name}"`, err);
        }
      }));
    }
    dirty.forEach((s, i) => s.syncedSize = Math.max(s.syncedSize, sizes[i]!));

    // Publish in order: a segment becomes visible only when every earlier one is complete
    // on disk, so a crash can tear only the last visible segment.
    let earlierComplete = true;
    for (const s of [...this.#segments]) {
      if (s.discard) continue;
      if (s.tmpPath !== undefined && earlierComplete && s.syncedSize >= SEGMENT_HEADER_BYTES) {
        try {
          await Deno.rename(s.tmpPath, s.path);
        } catch (err: unknown) {
          throw ioError(`Cannot publish WAL segment "${s.name}"`, err);
        }
        s.tmpPath = undefined;
        this.#dirDirty = true;
      }
      earlierComplete &&= s.tmpPath === undefined && s.syncedSize === s.size &&
        s !== this.#active;
    }
    for (const s of this.#segments.filter((s) => s.discard && s !== this.#active)) {
      const successor = this.#segments[this.#segments.indexOf(s) + 1]!;
      if (successor.tmpPath !== undefined) continue;
      if (s.fd !== undefined) fs.closeSync(s.fd);
      s.fd = undefined;
      await Deno.remove(s.tmpPath ?? s.path);
      if (s.tmpPath === undefined) this.#dirDirty = true;
      this.#segments.splice(this.#segments.indexOf(s), 1);
    }
    await this.#syncDir();
    for (const s of [...this.#segments]) {
      if (
        s !== this.#active && !s.sealed && !s.discard && s.tmpPath === undefined &&
        s.syncedSize === s.size
      ) {
        await this.#seal(s);
      }
    }
  }

  async #syncDir(): Promise<void> {
    if (!this.#dirDirty) return;
    this.#dirDirty = false;
    await fsyncDir(this.#dir);
  }

  /** Truncates preallocated zeros, fdatasyncs, closes, and reports the segment. */
  async #seal(s: Segment): Promise<void> {
    const fd = s.fd!;
    try {
      if (s.capacity > s.size) {
        fs.ftruncateSync(fd, s.size);
        await fdatasync(fd);
      }
    } catch (err: unknown) {
      throw ioError(`Cannot seal WAL segment "${s.name}"`, err);
    }
    fs.closeSync(fd);
    s.fd = undefined;
    s.capacity = 0;
    s.sealed = true;
    if (this.onSealed) {
      try {
        this.onSealed(info(s));
      } catch (err: unknown) {
        reportError(err);
      }
    }
  }

  /** Resolves when no sync round is running. */
  async #idle(): Promise<void> {
    while (this.#loop) await this.#loop;
  }
}

function info(s: Segment): SegmentInfo {
  return {
    name: s.name,
    path: s.path,
    term: s.term,
    firstSeq: s.firstSeq,
    lastSeq: s.lastSeq < s.firstSeq ? -1 : s.lastSeq,
    bytes: s.size,
    sealed: s.sealed,
  };
}

function checkInteger(what: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`Invalid WAL ${what} ${value}: expected an integer >= ${min}`);
  }
}
