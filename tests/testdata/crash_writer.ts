/**
 * Child process of `tests/crash_recovery_test.ts`: opens the store in `Deno.args[0]` and runs
 * 32 concurrent writers until it is killed. Each writer `w` repeats one transaction that sets
 * `w/<w>/a` and `w/<w>/b` to the same counter, and prints `ack <w> <counter> <revision>` once
 * the transaction is acknowledged. Prints `ready <revision>` after opening.
 *
 * @module
 */

import { open } from "../../mod.ts";

const WRITERS = 32;
const dir = Deno.args[0]!;
const db = await open({ dataDir: dir });
const encoder = new TextEncoder();
const out = Deno.stdout;
out.writeSync(encoder.encode(`ready ${db.revision}\n`));

async function writer(w: number): Promise<void> {
  const current = await db.get(`w/${w}/a`);
  let counter = current ? Number(new TextDecoder().decode(current.value)) : 0;
  for (;;) {
    counter++;
    const value = String(counter);
    const res = await db.txn({
      success: [
        { put: { key: `w/${w}/a`, value } },
        { put: { key: `w/${w}/b`, value } },
      ],
    });
    out.writeSync(encoder.encode(`ack ${w} ${counter} ${res.revision}\n`));
  }
}

await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
