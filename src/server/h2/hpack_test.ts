import { assert, assertEquals, assertThrows } from "../../../tests/_assert.ts";
import { H2ConnectionError } from "./frame.ts";
import { HpackDecoder } from "./hpack.ts";
import { CODES, huffmanDecode, huffmanEncode } from "./huffman.ts";

const hex = (h: string) =>
  new Uint8Array(h.replace(/\s+/g, "").match(/../g)!.map((x) => parseInt(x, 16)));

function decode(d: HpackDecoder, block: string): [string, string][] {
  const bytes = hex(block);
  const out: string[] = [];
  d.decode(bytes, 0, bytes.length, out, 1 << 20);
  const pairs: [string, string][] = [];
  for (let i = 0; i < out.length; i += 2) pairs.push([out[i]!, out[i + 1]!]);
  return pairs;
}

const REQ1: [string, string][] = [
  [":method", "GET"],
  [":scheme", "http"],
  [":path", "/"],
  [":authority", "www.example.com"],
];

Deno.test("huffman codes match RFC 7541 Appendix B", () => {
  assertEquals(CODES[48], 0x0); // '0', 5 bits
  assertEquals(CODES[32], 0x14); // ' ', 6 bits
  assertEquals(CODES[0], 0x1ff8); // 13 bits
  assertEquals(CODES[255], 0x3ffffee); // 26 bits
  assertEquals(CODES[256], 0x3fffffff); // EOS, 30 bits
});

Deno.test("huffmanDecode() inverts huffmanEncode() for every octet", () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  const out = new Uint8Array(512);
  for (const input of [all, new TextEncoder().encode("www.example.com"), new Uint8Array()]) {
    const enc = huffmanEncode(input);
    const n = huffmanDecode(enc, 0, enc.length, out);
    assertEquals([...out.subarray(0, n)], [...input]);
  }
  assertEquals([...huffmanEncode(new TextEncoder().encode("www.example.com"))], [
    ...hex("f1e3c2e5f23a6ba0ab90f4ff"),
  ]);
});

Deno.test("huffmanDecode() refuses EOS and bad padding", () => {
  const out = new Uint8Array(16);
  assertEquals(huffmanDecode(hex("ffffffff"), 0, 4, out), -1); // contains EOS
  assertEquals(huffmanDecode(hex("00"), 0, 1, out), -1); // '0' then padding of zeros
  assertEquals(huffmanDecode(hex("1fff"), 0, 2, out), -1); // '0' then 8 bits of ones (> 7)
});

Deno.test("HpackDecoder decodes RFC 7541 C.3 and C.4 (one context per connection)", async (t) => {
  await t.step("C.3: requests without Huffman", () => {
    const d = new HpackDecoder();
    assertEquals(decode(d, "828684410f7777772e6578616d706c652e636f6d"), REQ1);
    assertEquals(decode(d, "828684be58086e6f2d6361636865"), [...REQ1, [
      "cache-control",
      "no-cache",
    ]]);
    assertEquals(
      decode(d, "828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565"),
      [
        [":method", "GET"],
        [":scheme", "https"],
        [":path", "/index.html"],
        [":authority", "www.example.com"],
        ["custom-key", "custom-value"],
      ],
    );
  });
  await t.step("C.4: requests with Huffman", () => {
    const d = new HpackDecoder();
    assertEquals(decode(d, "828684418cf1e3c2e5f23a6ba0ab90f4ff"), REQ1);
    assertEquals(decode(d, "828684be5886a8eb10649cbf"), [...REQ1, ["cache-control", "no-cache"]]);
    assertEquals(
      decode(d, "828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf"),
      [
        [":method", "GET"],
        [":scheme", "https"],
        [":path", "/index.html"],
        [":authority", "www.example.com"],
        ["custom-key", "custom-value"],
      ],
    );
  });
});

Deno.test("HpackDecoder evicts entries after a table size update (RFC 7541 C.6)", () => {
  const d = new HpackDecoder();
  // A size update to 256 (as C.6 assumes), then C.6.1.
  const first = decode(
    d,
    "3fe101 488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff" +
      "6e919d29ad171863c78f0b97c8e9ae82ae43d3",
  );
  assertEquals(first, [
    [":status", "302"],
    ["cache-control", "private"],
    ["date", "Mon, 21 Oct 2013 20:13:21 GMT"],
    ["location", "https://www.example.com"],
  ]);
  assertEquals(decode(d, "4883640effc1c0bf")[0], [":status", "307"]);
  const third = decode(
    d,
    "88c16196d07abe941054d444a8200595040b8166e084a62d1bffc05a839bd9ab77ad94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007",
  );
  assertEquals(third[2], ["date", "Mon, 21 Oct 2013 20:13:22 GMT"]);
  assertEquals(third[5], [
    "set-cookie",
    "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1",
  ]);
  // "date: …21 GMT" (from C.6.1) was evicted: the table holds only the last three entries.
  assertThrows(() => decode(d, "c1 c2 c3 c4"), H2ConnectionError, "out of range");
});

Deno.test("HpackDecoder refuses malformed blocks with COMPRESSION_ERROR", async (t) => {
  const cases: [string, string][] = [
    ["index 0", "80"],
    ["an index past the tables", "ff00"],
    ["a size update after a field", "8220"],
    ["a size update above 4096", "3fe21f"],
    ["a truncated integer", "ff"],
    ["an integer too big", "ffffffffffff7f"],
    ["a string past the block", "400a61"],
    ["an invalid Huffman string", "4081ff8100"],
  ];
  for (const [name, block] of cases) {
    await t.step(name, () => {
      const err = assertThrows(() => decode(new HpackDecoder(), block), H2ConnectionError);
      assertEquals(err.errorCode, 9);
    });
  }
});

Deno.test("HpackDecoder flags malformed fields and bounds the list it returns", () => {
  const d = new HpackDecoder();
  decode(d, "400341424301 78"); // "ABC: x", indexed
  assert(d.malformed);
  decode(d, "be"); // the same entry by index is still malformed
  assert(d.malformed);
  decode(d, "82");
  assert(!d.malformed);
  const out: string[] = [];
  const bytes = hex("8282828282");
  const size = d.decode(bytes, 0, bytes.length, out, 100);
  assertEquals(size, 5 * (7 + 3 + 32));
  assertEquals(out.length, 4); // two fields fit in 100 bytes
});
