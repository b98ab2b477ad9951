/**
 * The process that `crash_test.ts` kills: replays the WAL with repair (checking every record),
 * then appends and syncs batches forever, printing `synced <seq>` after each sync resolves.
 * Now and then it rolls a batch back (before or after its sync) or rotates.
 *
 * Usage: crash_child.ts <dir> <term> <seed>
 *
 * @module
 */

import { replayWal, WalWriter } from "../mod.ts";
import { dataFor, makeRecords } from "../_testing.ts";

const [dir, termArg, seedArg] = Deno.args;
if (!dir || !termArg || !seedArg) throw new Error("usage: crash_child.ts <dir> <term> <seed>");
let seed = Number(seedArg) >>> 0;
function rand(n: number): number {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return (seed >>> 8) % n;
}

let expected = 1;
const replay = await replayWal(dir, { afterSeq: 0, repair: true }, (r) => {
  const want = dataFor(r.seq);
  const same = r.data.length === want.length && r.data.every((b, i) => b === want[i]);
  if (r.seq !== expected++ || !same || r.rev !== r.seq + 100) {
    console.error(`bad record seq ${r.seq} during replay`);
    Deno.exit(3);
  }
});
console.log(`ready ${replay.lastSeq}`);

const wal = await WalWriter.open(dir, {
  term: Number(termArg),
  nextSeq: replay.lastSeq + 1,
  segmentBytes: 64 * 1024,
});
for (;;) {
  const batch = makeRecords(wal.nextSeq, 1 + rand(40), wal.term);
  const action = rand(20);
  if (action === 0 || action === 1) {
    const mark = wal.mark();
    wal.append(batch);
    if (action === 1) await wal.sync();
    await wal.rollback(mark);
  } else if (action === 2) {
    await wal.rotate(wal.term + rand(2));
  } else {
    wal.append(batch);
    await wal.sync();
    console.log(`synced ${wal.nextSeq - 1}`);
  }
}
