import { deepStrictEqual } from "node:assert/strict";
import { isReservedKey, type KeyPermission, PermissionSet } from "./permissions.ts";

function perm(type: KeyPermission["type"], key: string, rangeEnd = ""): KeyPermission {
  return { type, key, rangeEnd };
}

type Row = [what: string, key: string, rangeEnd: string, allowed: boolean];

function table(set: PermissionSet, kind: "read" | "write", rows: Row[]) {
  return async (t: Deno.TestContext) => {
    for (const [what, key, rangeEnd, allowed] of rows) {
      await t.step(`${what}: ${kind} [${JSON.stringify(key)}, ${JSON.stringify(rangeEnd)})`, () => {
        deepStrictEqual(set.allows(kind, key, rangeEnd), allowed);
      });
    }
  };
}

Deno.test(
  "PermissionSet.allows() needs one permission covering the whole prefix",
  table(PermissionSet.of([perm("readwrite", "/p/", "/p0")]), "read", [
    ["a key inside", "/p/x", "", true],
    ["the same prefix", "/p/", "/p0", true],
    ["a narrower prefix", "/p/a/", "/p/a0", true],
    ["a broader prefix", "/p", "/q", false],
    ["a range that starts inside and leaves", "/p/x", "/q", false],
    ["a from-key read from inside", "/p/x", "\0", false],
    ["a key outside", "/q", "", false],
  ]),
);

Deno.test(
  "PermissionSet.allows() treats a single-key permission as that key only",
  table(PermissionSet.of([perm("read", "foo")]), "read", [
    ["the key", "foo", "", true],
    ["the key as a range", "foo", "foo\0", true],
    ["the key as a prefix", "foo", "fop", false],
    ["a longer key", "foo1", "", false],
  ]),
);

Deno.test(
  "PermissionSet.allows() merges ranges of several roles, touching ones included",
  table(PermissionSet.of([perm("read", "a", "c"), perm("read", "c", "e")]), "read", [
    ["across both", "a", "e", true],
    ["a prefix in the first", "b", "c", true],
    ["past the end", "a", "f", false],
    ["before the start", "0", "b", false],
  ]),
);

Deno.test(
  "PermissionSet.allows() keeps gaps between ranges uncovered",
  table(PermissionSet.of([perm("read", "a", "b"), perm("read", "c", "d")]), "read", [
    ["inside the first", "a", "b", true],
    ["inside the second", "c", "cz", true],
    ["over the gap", "a", "d", false],
    ["the gap itself", "b", "", false],
  ]),
);

Deno.test(
  "PermissionSet.allows() handles from-key permissions and requests",
  table(PermissionSet.of([perm("readwrite", "z", "\0")]), "write", [
    ["the start key", "z", "", true],
    ["a later key", "zzz", "", true],
    ["from the start on", "z", "\0", true],
    ["from a later key on", "zz", "\0", true],
    ["a bounded range inside", "z", "zzzz", true],
    ["from an earlier key on", "y", "\0", false],
    ["an earlier key", "y", "", false],
  ]),
);

Deno.test(
  "PermissionSet.allows() separates read from write",
  table(PermissionSet.of([perm("read", "r", "s"), perm("write", "w", "x")]), "write", [
    ["a read-only key", "r1", "", false],
    ["a write-only key", "w1", "", true],
  ]),
);

Deno.test("PermissionSet.allows() ignores permissions whose range is empty", () => {
  const set = PermissionSet.of([perm("readwrite", "m", "a")]);
  deepStrictEqual(set.allows("read", "m"), false);
  deepStrictEqual(set.allows("write", "b"), false);
});

Deno.test("PermissionSet.allows() checks an inverted request range as its start key", () => {
  const set = PermissionSet.of([perm("read", "k")]);
  deepStrictEqual(set.allows("read", "k", "a"), true);
  deepStrictEqual(set.allows("read", "j", "a"), false);
});

Deno.test("PermissionSet.allows() lets an everything permission cover every request", () => {
  const set = PermissionSet.of([perm("read", "", "\0")]);
  deepStrictEqual(set.allows("read", "\0", "\0"), true);
  deepStrictEqual(set.allows("read", "\xff\xff", ""), true);
  deepStrictEqual(set.allows("write", "a", ""), false);
});

Deno.test("PermissionSet.allows() compares keys as bytes", () => {
  const set = PermissionSet.of([perm("read", "\x7f", "\x81")]);
  deepStrictEqual(set.allows("read", "\x80", ""), true);
  deepStrictEqual(set.allows("read", "\x7f", "\x82"), false);
  deepStrictEqual(set.allows("read", "\x81", ""), false);
});

Deno.test("PermissionSet.allows() finds the right interval among many", () => {
  const perms: KeyPermission[] = [];
  for (let i = 0; i < 100; i += 2) {
    perms.push(
      perm("read", `k${String(i).padStart(3, "0")}`, `k${String(i + 1).padStart(3, "0")}`),
    );
  }
  const set = PermissionSet.of(perms.reverse());
  deepStrictEqual(set.allows("read", "k042", "k043"), true);
  deepStrictEqual(set.allows("read", "k043", ""), false);
  deepStrictEqual(set.allows("read", "k098x", ""), true);
  deepStrictEqual(set.allows("read", "k000", "k002"), false);
});

Deno.test("isReservedKey() matches keys under \\x00auth/ only", () => {
  deepStrictEqual(isReservedKey("\x00auth/users/root"), true);
  deepStrictEqual(isReservedKey("\x00auth/"), true);
  deepStrictEqual(isReservedKey("\x00auth"), false);
  deepStrictEqual(isReservedKey("\0"), false);
  deepStrictEqual(isReservedKey("auth/x"), false);
});
