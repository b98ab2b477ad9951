/**
 * Helpers shared by the WAL tests: temporary directories, deterministic records and
 * hand-built segments.
 *
 * @module
 */

import { deepStrictEqual } from "node:assert/strict";
import { encodeFrames, encodeSegmentHeader, type WalRecord } from "./frame.ts";
import { segmentName } from "./segment.ts";
import { type ReplayOptions, type ReplayResult, replayWal } from "./reader.ts";

/** A temporary directory under /work (a real disk, unlike a tmpfs /tmp), removed on dispose. */
export async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const base = await Deno.stat("/work").then(() => "/work", () => undefined);
  const path = await Deno.makeTempDir(base ? { dir: base, prefix: "wal-test-" } : {});
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }),
  };
}

/** The data of record `seq`: its length and bytes depend only on seq. */
export function dataFor(seq: number, size?: number): Uint8Array {
  const n = size ?? (seq * 37) % 301;
  const data = new Uint8Array(n);
  for (let i = 0; i < n; i++) data[i] = (seq * 131 + i * 7) & 0xff;
  return data;
}

/** `count` records from `from`, with `term` and rev = seq + 100. */
export function makeRecords(from: number, count: number, term = 1, size?: number): WalRecord[] {
  const out: WalRecord[] = [];
  for (let seq = from; seq < from + count; seq++) {
    out.push({ seq, term, rev: seq + 100, data: dataFor(seq, size) });
  }
  return out;
}

/** Header plus frames of a segment, as bytes. */
export function segmentBytes(term: number, firstSeq: number, records: WalRecord[]): Uint8Array {
  const header = encodeSegmentHeader(term, firstSeq);
  const frames = encodeFrames(records);
  const out = new Uint8Array(header.length + frames.length);
  out.set(header);
  out.set(frames, header.length);
  return out;
}

/** Writes a segment file holding `records` (plus `tail` bytes); returns its name. */
export async function writeSegment(
  dir: string,
  term: number,
  firstSeq: number,
  records: WalRecord[],
  tail: Uint8Array = new Uint8Array(0),
): Promise<string> {
  const name = segmentName(term, firstSeq);
  const body = segmentBytes(term, firstSeq, records);
  const out = new Uint8Array(body.length + tail.length);
  out.set(body);
  out.set(tail, body.length);
  await Deno.writeFile(`${dir}/${name}`, out);
  return name;
}

/** Replays `dir`, copying every record; the records are returned even when replay throws. */
export async function replayAll(
  dir: string,
  options: ReplayOptions = { afterSeq: 0 },
): Promise<{ result?: ReplayResult; error?: unknown; records: WalRecord[] }> {
  const records: WalRecord[] = [];
  try {
    const result = await replayWal(
      dir,
      options,
      (r) => records.push({ ...r, data: r.data.slice() }),
    );
    return { result, records };
  } catch (error: unknown) {
    return { error, records };
  }
}

/** Asserts `records` are dense from `from` and each carries its {@linkcode dataFor} data. */
export function assertGoodRecords(records: WalRecord[], from: number, size?: number): void {
  records.forEach((r, i) => {
    if (r.seq !== from + i) throw new Error(`record ${i} has seq ${r.seq}, expected ${from + i}`);
    deepStrictEqual(r.data, dataFor(r.seq, size), `data of seq ${r.seq}`);
    if (r.rev !== r.seq + 100) throw new Error(`record seq ${r.seq} has rev ${r.rev}`);
  });
}
