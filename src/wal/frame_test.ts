import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { crc32c } from "./crc32c.ts";
import { encodeFrames, encodeSegmentHeader, SEGMENT_HEADER_BYTES } from "./frame.ts";
import { parseSegment, segmentName } from "./segment.ts";
import { segmentBytes } from "./_testing.ts";

Deno.test("encodeSegmentHeader() writes magic, version, flags, term, first seq and CRC", () => {
  const h = encodeSegmentHeader(3, 0x1_0000_0005);
  strictEqual(h.length, SEGMENT_HEADER_BYTES);
  deepStrictEqual([...h.subarray(0, 8)], [0x54, 0x34, 0x57, 0x4c, 0, 1, 0, 0]);
  deepStrictEqual([...h.subarray(8, 16)], [0, 0, 0, 0, 0, 0, 0, 3]);
  deepStrictEqual([...h.subarray(16, 24)], [0, 0, 0, 1, 0, 0, 0, 5]);
  strictEqual(new DataView(h.buffer).getUint32(24), crc32c(h.subarray(0, 24)));
});

Deno.test("encodeFrames() writes length, CRC and a big-endian payload", () => {
  const data = new Uint8Array([9, 8, 7]);
  const f = encodeFrames([{ seq: 2, term: 1, rev: 0x1_0000_0000, data }]);
  const view = new DataView(f.buffer);
  strictEqual(f.length, 8 + 24 + 3);
  strictEqual(view.getUint32(0), 27);
  strictEqual(view.getUint32(4), crc32c(f.subarray(8)));
  deepStrictEqual([...f.subarray(8, 16)], [0, 0, 0, 0, 0, 0, 0, 2]);
  deepStrictEqual([...f.subarray(24, 32)], [0, 0, 0, 1, 0, 0, 0, 0]);
  deepStrictEqual([...f.subarray(32)], [9, 8, 7]);
});

Deno.test("encodeFrames() round-trips numbers up to 2^53 - 1", () => {
  const max = Number.MAX_SAFE_INTEGER;
  const records = [
    { seq: max - 1, term: max, rev: max, data: new Uint8Array(0) },
    { seq: max, term: 0, rev: 0, data: new Uint8Array([1]) },
  ];
  const parsed = parseSegment(segmentName(max, max - 1), segmentBytes(max, max - 1, records), {
    isLast: false,
  });
  deepStrictEqual(parsed.records, records);
});

Deno.test("encodeFrames() rejects numbers that are not integers in [0, 2^53)", () => {
  for (const bad of [-1, 1.5, 2 ** 53, NaN]) {
    throws(
      () => encodeFrames([{ seq: bad, term: 1, rev: 1, data: new Uint8Array(0) }]),
      RangeError,
    );
    throws(
      () => encodeFrames([{ seq: 1, term: bad, rev: 1, data: new Uint8Array(0) }]),
      RangeError,
    );
  }
  throws(() => encodeSegmentHeader(1, -1), RangeError);
});
