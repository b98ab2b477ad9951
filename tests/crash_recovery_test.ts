/**
 * Crash recovery with real processes: a child writes with 32 concurrent writers and is killed
 * with SIGKILL at a random moment, many rounds on one data directory. After every kill the
 * store is reopened and checked: every acknowledged write is there, no transaction is partly
 * visible, revisions have no holes, and the engine's integrity check passes.
 */

import { assert, assertEquals } from "./_assert.ts";
import { open } from "../mod.ts";

const ROUNDS = Number(Deno.env.get("T4_CRASH_ROUNDS") ?? 8);
const CHILD = new URL("./testdata/crash_writer.ts", import.meta.url).pathname;
const decoder = new TextDecoder();

interface RoundResult {
  acked: Map<number, number>;
  maxAckedRevision: number;
}

async function runAndKill(dir: string, killAfterMs: number): Promise<RoundResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "--allow-env", CHILD, dir],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const acked = new Map<number, number>();
  let maxAckedRevision = 0;
  let ready = false;
  let buffered = "";
  const reader = child.stdout.getReader();
  const deadline = Date.now() + 30_000;
  let killAt = Infinity;
  try {
    while (Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const [kind, a, b, c] = line.split(" ");
        if (kind === "ready") {
          ready = true;
          killAt = Date.now() + killAfterMs;
        } else if (kind === "ack") {
          const w = Number(a), counter = Number(b), rev = Number(c);
          acked.set(w, Math.max(acked.get(w) ?? 0, counter));
          maxAckedRevision = Math.max(maxAckedRevision, rev);
        }
      }
      if (Date.now() >= killAt) {
        child.kill("SIGKILL");
        killAt = Infinity;
      }
    }
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    reader.releaseLock();
    await child.stdout.cancel().catch(() => {});
    const stderr = decoder.decode(await new Response(child.stderr).arrayBuffer());
    const status = await child.status;
    assert(ready, `child never became ready: ${stderr}`);
    assertEquals(status.signal, "SIGKILL", `child exited on its own: ${stderr}`);
  }
  return { acked, maxAckedRevision };
}

Deno.test("a store killed with SIGKILL mid-write keeps every acknowledged write", async () => {
  const dir = await Deno.makeTempDir({ prefix: "t4-crash-" });
  try {
    let lastRevision = 1;
    const floor = new Map<number, number>();
    for (let round = 0; round < ROUNDS; round++) {
      const { acked, maxAckedRevision } = await runAndKill(dir, 100 + Math.random() * 400);
      assert(acked.size > 0, `round ${round}: the child acknowledged nothing before the kill`);
      for (const [w, c] of acked) floor.set(w, Math.max(floor.get(w) ?? 0, c));
      await using db = await open({ dataDir: dir });
      assert(
        db.revision >= maxAckedRevision,
        `revision ${db.revision} < acked ${maxAckedRevision}`,
      );
      assert(db.revision >= lastRevision, "the revision went backwards");
      for (let w = 0; w < 32; w++) {
        const a = await db.get(`w/${w}/a`);
        const b = await db.get(`w/${w}/b`);
        const va = a ? Number(decoder.decode(a.value)) : 0;
        const vb = b ? Number(decoder.decode(b.value)) : 0;
        assertEquals(va, vb, `writer ${w}: half a transaction is visible`);
        assert(va >= (floor.get(w) ?? 0), `writer ${w}: acked ${floor.get(w)} but found ${va}`);
        if (a && b) assertEquals(a.modRevision, b.modRevision, `writer ${w}: split revision`);
        floor.set(w, va);
      }
      // Every revision from 2 to the current one holds at least one event: no holes.
      const seen = new Set<number>();
      const watch = db.watch("", { fromKey: true, startRevision: 2 });
      if (db.revision > 1) {
        for await (const batch of watch) {
          for (const e of batch.events) seen.add(e.kv.modRevision);
          if (seen.has(db.revision)) break;
        }
      }
      watch.cancel();
      for (let rev = 2; rev <= db.revision; rev++) {
        assert(seen.has(rev), `revision ${rev} is missing`);
      }
      assertEquals(db.node.check(), []);
      lastRevision = db.revision;
    }
    assert(lastRevision > 1, "nothing was written");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
