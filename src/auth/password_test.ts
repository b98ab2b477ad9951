import { deepStrictEqual, match, notStrictEqual, rejects } from "node:assert/strict";
import { hashPassword, verifyDecoy, verifyPassword } from "./password.ts";

const FAST = { N: 1024, r: 8, p: 1 };

Deno.test("hashPassword() stores the parameters, a random salt and the key", async () => {
  const a = await hashPassword("secret", FAST);
  const b = await hashPassword("secret", FAST);
  match(a, /^scrypt\$1024\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
  notStrictEqual(a, b);
  deepStrictEqual(a.includes("secret"), false);
});

Deno.test("verifyPassword() accepts the password and nothing else", async () => {
  const stored = await hashPassword("correct horse", FAST);
  deepStrictEqual(await verifyPassword("correct horse", stored), true);
  deepStrictEqual(await verifyPassword("correct horse ", stored), false);
  deepStrictEqual(await verifyPassword("", stored), false);
});

Deno.test("verifyPassword() uses the stored parameters", async () => {
  const stored = await hashPassword("pw", { N: 2048, r: 4, p: 2 });
  deepStrictEqual(await verifyPassword("pw", stored), true);
});

Deno.test("verifyPassword() refuses damaged or foreign stored forms", async () => {
  const stored = await hashPassword("pw", FAST);
  const parts = stored.split("$");
  for (
    const bad of [
      "",
      "$2a$10$abcdefghijklmnopqrstuuJ0uiW5h3dyoazmC0yJ3N.YbPdYLbjxe",
      ["scrypt", String(1 << 24), ...parts.slice(2)].join("$"),
      ["scrypt", "1000", ...parts.slice(2)].join("$"),
      [...parts.slice(0, 5), "AAAA"].join("$"),
    ]
  ) {
    deepStrictEqual(await verifyPassword("pw", bad), false, bad);
  }
});

Deno.test("hashPassword() refuses insane parameters", async () => {
  await rejects(hashPassword("pw", { N: 1000, r: 8, p: 1 }), RangeError);
});

Deno.test("verifyDecoy() always answers false", async () => {
  deepStrictEqual(await verifyDecoy("anything", FAST), false);
});
