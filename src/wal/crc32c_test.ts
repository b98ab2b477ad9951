import { strictEqual } from "node:assert/strict";
import { crc32c } from "./crc32c.ts";

/** Bit-by-bit reference implementation. */
function reference(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

Deno.test("crc32c() matches known vectors", async (t) => {
  const vectors: [string, Uint8Array, number][] = [
    ["empty", new Uint8Array(0), 0],
    ["123456789", new TextEncoder().encode("123456789"), 0xe3069283],
    ["32 zeros (RFC 3720)", new Uint8Array(32), 0x8a9136aa],
    ["32 x 0xff (RFC 3720)", new Uint8Array(32).fill(0xff), 0x62a8ab43],
    ["0..31 (RFC 3720)", Uint8Array.from({ length: 32 }, (_, i) => i), 0x46dd794e],
    ["31..0 (RFC 3720)", Uint8Array.from({ length: 32 }, (_, i) => 31 - i), 0x113fdb5c],
  ];
  for (const [name, bytes, crc] of vectors) {
    await t.step(name, () => strictEqual(crc32c(bytes), crc));
  }
});

Deno.test("crc32c() agrees with a bitwise reference at every length and alignment", () => {
  const buf = new Uint8Array(5000);
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 2654435761) >>> 24;
  for (const length of [1, 7, 15, 16, 17, 100, 1023, 1024, 1025, 1031, 4093]) {
    for (let offset = 0; offset < 5; offset++) {
      const slice = buf.subarray(offset, offset + length);
      strictEqual(crc32c(slice), reference(slice), `length ${length} offset ${offset}`);
    }
  }
});

Deno.test("crc32c() continues from a seed", () => {
  const bytes = new TextEncoder().encode("hello, write-ahead log, with more than 16 bytes");
  for (const cut of [0, 5, 16, 30, bytes.length]) {
    strictEqual(crc32c(bytes.subarray(cut), crc32c(bytes.subarray(0, cut))), crc32c(bytes));
  }
});
