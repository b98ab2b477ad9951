import { assert, assertEquals } from "../../tests/_assert.ts";
import { type FuzzFailure, fuzzTarget, isClearError } from "./harness.ts";
import { BYTE_MUTATORS, mutateBytes, mutateJson } from "./mutate.ts";
import { Rng } from "./rng.ts";
import { FuzzRunner } from "./runner.ts";
import { buggyTarget } from "./_testing.ts";
import { TARGETS } from "./targets.ts";

const kinds = (failures: FuzzFailure[]) => failures.map((f) => `${f.input[0]}:${f.kind}`);

Deno.test("fuzzTarget() reports a raw TypeError, a thrown string, a failed check, a slow input and a huge allocation", async () => {
  const report = await fuzzTarget(buggyTarget, { seed: 1, seconds: 10, inputs: 7, slowMs: 20 });
  assertEquals(kinds(report.failures), [
    "1:unexpected-error",
    "2:non-error",
    "3:check",
    "4:slow",
    "5:alloc",
  ]);
  assertEquals(report.refused, 1); // [6]: a clear Error is a proper refusal
  assert(/TypeError/.test(report.failures[0]!.message), report.failures[0]!.message);
});

Deno.test("isClearError() accepts our errors and refuses the runtime's", () => {
  assert(isClearError(new Error("Cannot read x")));
  assert(!isClearError(new Error("")));
  assert(!isClearError(new RangeError("Offset is outside the bounds of the DataView")));
  assert(!isClearError(new TypeError("Cannot read properties of null")));
  assert(!isClearError("a string"));
});

Deno.test("fuzzTarget() gives input i of seed s the same bytes on every run", async () => {
  const target = TARGETS.find((t) => t.name === "wal-entry")!;
  const run = async (seed: number) => {
    const seen: string[] = [];
    await fuzzTarget(target, {
      seed,
      seconds: 60,
      inputs: 400,
      onInput: (input) => void seen.push(input.join(",")),
    });
    return seen;
  };
  const [a, b, c] = [await run(7), await run(7), await run(8)];
  assertEquals(a, b);
  assert(a.slice(100).join() !== c.slice(100).join(), "another seed gives other inputs");
});

Deno.test("mutators are deterministic and keep inputs within the size limit", () => {
  const base = new TextEncoder().encode('{"a":[1,2,{"b":"c"}],"d":null}');
  for (const [name, mutate] of Object.entries(BYTE_MUTATORS)) {
    const a = mutate(base, new Rng(3), [base]);
    const b = mutate(base, new Rng(3), [base]);
    assertEquals(a, b, name);
  }
  assertEquals(mutateJson(base, new Rng(5), []), mutateJson(base, new Rng(5), []));
  const rng = new Rng(9);
  for (let i = 0; i < 500; i++) assert(mutateBytes(base, rng, [base], 64).bytes.length <= 64);
});

// Deno prints the crashing worker's uncaught error ("uncaught in a timer"): that line is expected.
Deno.test("FuzzRunner reports a decoder that hangs or crashes, with its input, and goes on", async () => {
  using runner = new FuzzRunner({ targets: new URL("./_testing.ts", import.meta.url) });
  const hang = await runner.run("hanging", { seed: 1, seconds: 5, inputs: 4, hangMs: 500 });
  assertEquals(kinds(hang.failures), ["255:hang"]);
  assertEquals(hang.failures[0]!.index, 2);
  const crash = await runner.run("crashing", { seed: 1, seconds: 5, inputs: 3 });
  assertEquals(kinds(crash.failures), ["254:crash"]);
  // A fresh worker serves the next run.
  const ok = await runner.run("buggy", { seed: 1, seconds: 5, inputs: 1 });
  assertEquals(ok.inputs, 1);
});
