import { deepStrictEqual } from "node:assert/strict";
import { Lockout } from "./lockout.ts";

const MIN = 60_000;

function clock(start = 1_000_000) {
  const c = { t: start, now: () => c.t };
  return c;
}

Deno.test("Lockout.recordFailure() locks a user at the fifth failure within five minutes", () => {
  const c = clock();
  const lockout = new Lockout({ now: c.now });
  for (let i = 0; i < 4; i++) {
    deepStrictEqual(lockout.recordFailure("alice"), false);
    c.t += 30_000;
  }
  deepStrictEqual(lockout.isLocked("alice"), false);
  deepStrictEqual(lockout.recordFailure("alice"), true);
  deepStrictEqual(lockout.isLocked("alice"), true);
  deepStrictEqual(lockout.isLocked("bob"), false);
});

Deno.test("Lockout.isLocked() ends the lock after fifteen minutes", () => {
  const c = clock();
  const lockout = new Lockout({ now: c.now });
  for (let i = 0; i < 5; i++) lockout.recordFailure("alice");
  c.t += 15 * MIN - 1;
  deepStrictEqual(lockout.isLocked("alice"), true);
  c.t += 1;
  deepStrictEqual(lockout.isLocked("alice"), false);
  // the count started over: one more failure does not lock again
  deepStrictEqual(lockout.recordFailure("alice"), false);
});

Deno.test("Lockout.recordFailure() forgets failures older than the window", () => {
  const c = clock();
  const lockout = new Lockout({ now: c.now });
  for (let i = 0; i < 4; i++) lockout.recordFailure("alice");
  c.t += 5 * MIN;
  deepStrictEqual(lockout.recordFailure("alice"), false);
  for (let i = 0; i < 3; i++) deepStrictEqual(lockout.recordFailure("alice"), false);
  deepStrictEqual(lockout.recordFailure("alice"), true);
});

Deno.test("Lockout.recordSuccess() clears the failure count", () => {
  const c = clock();
  const lockout = new Lockout({ now: c.now });
  for (let i = 0; i < 4; i++) lockout.recordFailure("alice");
  lockout.recordSuccess("alice");
  for (let i = 0; i < 4; i++) deepStrictEqual(lockout.recordFailure("alice"), false);
  deepStrictEqual(lockout.isLocked("alice"), false);
});

Deno.test("Lockout keeps at most maxTracked names", () => {
  const c = clock();
  const lockout = new Lockout({ now: c.now, maxTracked: 3, maxFailures: 2 });
  for (const name of ["a", "b", "c", "d", "e"]) {
    lockout.recordFailure(name);
    c.t += 1;
  }
  // "e" is remembered, "a" (the oldest) is not: one more failure locks "e" but not "a"
  deepStrictEqual(lockout.recordFailure("e"), true);
  deepStrictEqual(lockout.recordFailure("a"), false);
  for (const name of ["v", "w", "x", "y", "z"]) {
    lockout.recordFailure(name);
    lockout.recordFailure(name);
  }
  deepStrictEqual(lockout.isLocked("z"), true);
  deepStrictEqual(lockout.isLocked("e"), false);
});
