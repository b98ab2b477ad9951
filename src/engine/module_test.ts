import assert from "node:assert/strict";
import { EXPORT_NAMES } from "./_exports.ts";

const WASM = new URL("../../wasm/build/engine.wasm", import.meta.url);
const EXPORT_LIST = new URL("../../wasm/exports.txt", import.meta.url);

async function compile(): Promise<WebAssembly.Module> {
  return await WebAssembly.compile(await Deno.readFile(WASM));
}

Deno.test("engine.wasm imports only the host file functions, nothing from WASI", async () => {
  const imports = WebAssembly.Module.imports(await compile());
  assert.deepEqual(imports.filter((i) => i.module !== "host"), []);
  assert.deepEqual(
    imports.map((i) => i.name).sort(),
    [
      "access",
      "close",
      "delete",
      "open",
      "random",
      "read",
      "size",
      "sync",
      "time",
      "truncate",
      "write",
    ],
  );
});

Deno.test("engine.wasm exports exactly wasm/exports.txt, which matches _exports.ts", async () => {
  const listed = (await Deno.readTextFile(EXPORT_LIST)).split("\n")
    .map((line) => line.replace(/#.*/, "").trim()).filter((line) => line);
  assert.deepEqual(listed, [...EXPORT_NAMES]);
  const exports = WebAssembly.Module.exports(await compile());
  assert.deepEqual(
    exports.map((e) => e.name).sort(),
    ["_initialize", "memory", ...EXPORT_NAMES].sort(),
  );
});
