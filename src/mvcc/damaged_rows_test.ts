import { assertThrows } from "../../tests/_assert.ts";
import { KvError } from "../errors.ts";
import { LOG, MemoryBackend, META } from "./backend.ts";
import { encodeRevision } from "./revision.ts";
import { MvccStore } from "./store.ts";

// Engine rows damaged in ways SQLite cannot see: opening the store fails with an engine error
// that names the problem, never with a bare RangeError (found by `src/fuzz/`).

function backendWith(table: typeof LOG | typeof META, key: Uint8Array, value: Uint8Array) {
  const backend = new MemoryBackend();
  const batch = backend.createBatch();
  batch.put(table, key, value);
  backend.write(batch);
  return backend;
}

Deno.test("MvccStore.open() refuses a log record shorter than its header", () => {
  const backend = backendWith(LOG, encodeRevision(2, 0), new Uint8Array(5));
  const err = assertThrows(() => MvccStore.open(backend), KvError, "a log record is malformed");
  if (err.code !== "engine") throw new Error(`code ${err.code}`);
});

Deno.test("MvccStore.open() refuses lease rows with a short key, a short value or a huge TTL", async (t) => {
  const rows: [string, Uint8Array, string][] = [
    ["lease/abc", new Uint8Array(8), "expected a 14-byte key"],
    ["lease/abcdefgh", new Uint8Array(3), "and an 8-byte value"],
    ["lease/abcdefgh", new Uint8Array(8).fill(0xff), "is above the largest"],
  ];
  for (const [key, value, text] of rows) {
    await t.step(`${key} with ${value.length} bytes`, () => {
      const k = Uint8Array.from(key, (c) => c.charCodeAt(0));
      const err = assertThrows(() => MvccStore.open(backendWith(META, k, value)), KvError, text);
      if (err.code !== "engine") throw new Error(`code ${err.code}`);
    });
  }
});
