/**
 * A racer process for `local_dir_test.ts`.
 *
 * - `absent` / `match`: at `start + i * slotMs` it tries a conditional write of `race/<i>` and
 *   prints `<i> won` or `<i> lost`.
 * - `counter`: from `start`, `keys` times: read `counter`, write its value + 1 with
 *   `putIfMatch`; prints `<i> won` or `<i> lost` per attempt. Lost updates show as a final
 *   value below the total of wins.
 *
 * Any other outcome prints `<i> error …` and exits 1.
 *
 * Usage: `deno run --allow-read --allow-write _race_child.ts ROOT absent|match|counter KEYS
 * START_MS SLOT_MS RACER [ETAG]`.
 *
 * @module
 */

import { PreconditionFailedError } from "./errors.ts";
import { LocalDirObjectStore } from "./local_dir.ts";

const [root, mode, keys, start, slotMs, racer, etag] = Deno.args;
const store = new LocalDirObjectStore(root!);
const data = new TextEncoder().encode(`racer ${racer}`);
let failed = false;

async function increment(): Promise<void> {
  const current = await store.get("counter");
  const next = Number(new TextDecoder().decode(current.data)) + 1;
  await store.putIfMatch("counter", new TextEncoder().encode(String(next)), current.etag);
}

for (let i = 0; i < Number(keys); i++) {
  const slot = mode === "counter" ? 0 : i * Number(slotMs);
  const wait = Number(start) + slot - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  try {
    if (mode === "absent") await store.putIfAbsent(`race/${i}`, data);
    else if (mode === "match") await store.putIfMatch(`race/${i}`, data, etag!);
    else await increment();
    console.log(`${i} won`);
  } catch (err: unknown) {
    if (err instanceof PreconditionFailedError) {
      console.log(`${i} lost`);
    } else {
      console.log(`${i} error ${err instanceof Error ? err.message : String(err)}`);
      failed = true;
    }
  }
}
Deno.exit(failed ? 1 : 0);
