import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { InvalidObjectKeyError } from "./errors.ts";
import { checkKey, checkListPrefix, compareKeys, normalizePrefix, unquoteEtag } from "./keys.ts";
import { decodeSegment, encodeSegment } from "./_local_fs.ts";
import { ODD_KEYS } from "./_conformance.ts";

Deno.test("normalizePrefix() gives one trailing slash and no empty segments", async (t) => {
  const cases: [string, string][] = [
    ["", ""],
    ["/", ""],
    ["//", ""],
    ["t4", "t4/"],
    ["t4/", "t4/"],
    ["/t4", "t4/"],
    ["//t4//", "t4/"],
    ["a//b", "a/b/"],
    ["a/b/", "a/b/"],
  ];
  for (const [input, expected] of cases) {
    await t.step(JSON.stringify(input), () => strictEqual(normalizePrefix(input), expected));
  }
  for (const bad of ["..", "a/../b", "./a", "a\0"]) {
    throws(() => normalizePrefix(bad), InvalidObjectKeyError, bad);
  }
});

Deno.test("checkKey() accepts relative paths and rejects the rest", () => {
  for (const key of ["a", "a/b", ".a", "a..b", "...", "x".repeat(1024), ...ODD_KEYS]) checkKey(key);
  const bad = ["", "/a", "a/", "a//b", ".", "..", "a/.", "../a", "a\0", "\uDC00", "x".repeat(1025)];
  for (const key of bad) throws(() => checkKey(key), InvalidObjectKeyError, JSON.stringify(key));
  checkListPrefix("");
  checkListPrefix("wal/");
  checkListPrefix("wal/00");
  checkListPrefix("a/.");
  for (const bad of ["/", "a//", "../", "a/../b"]) {
    throws(() => checkListPrefix(bad), InvalidObjectKeyError, bad);
  }
});

Deno.test("compareKeys() orders by code point, like S3's UTF-8 byte order", () => {
  const keys = ["b", "a", "ab", "\uFF01", "😀", "é", "A", "a/b", "a0"];
  const bytes = (s: string) => Array.from(new TextEncoder().encode(s));
  const byBytes = [...keys].sort((x, y) => {
    const [a, b] = [bytes(x), bytes(y)];
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
    return a.length - b.length;
  });
  deepStrictEqual([...keys].sort(compareKeys), byBytes);
  strictEqual(compareKeys("x", "x"), 0);
});

Deno.test("unquoteEtag() strips quotes and a weak marker", () => {
  strictEqual(unquoteEtag('"abc"'), "abc");
  strictEqual(unquoteEtag('W/"abc"'), "abc");
  strictEqual(unquoteEtag("abc"), "abc");
});

Deno.test("encodeSegment() gives safe, reversible file names", () => {
  strictEqual(encodeSegment("00000000000000000001"), "00000000000000000001");
  strictEqual(encodeSegment("manifest.json"), "manifest.json");
  strictEqual(encodeSegment(".hidden"), "%2Ehidden");
  strictEqual(encodeSegment("a b%"), "a%20b%25");
  strictEqual(encodeSegment("é"), "%C3%A9");
  for (const key of ODD_KEYS) {
    for (const segment of key.split("/")) {
      const name = encodeSegment(segment);
      strictEqual(decodeSegment(name), segment);
      strictEqual(/^[A-Za-z0-9_%-][A-Za-z0-9_.%-]*$/.test(name), true, name);
    }
  }
  for (const foreign of [".tmp", "a b", "%zz", "%C3", "%41"]) {
    strictEqual(decodeSegment(foreign), undefined, foreign);
  }
});
