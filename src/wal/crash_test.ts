import { ok, strictEqual } from "node:assert/strict";
import { assertGoodRecords, replayAll, tempDir } from "./_testing.ts";

const CHILD = new URL("./testdata/crash_child.ts", import.meta.url).pathname;

/** Runs the child until it is SIGKILLed `killAfterMs` after it is ready; returns its output. */
async function runAndKill(
  dir: string,
  term: number,
  seed: number,
  killAfterMs: number,
): Promise<{ ready: number; synced: number[]; stderr: string; signal: string | null }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-read",
      "--allow-write",
      CHILD,
      dir,
      String(term),
      String(seed),
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const synced: number[] = [];
  let ready = -1;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let buffered = "";
  for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
    buffered += chunk;
    const lines = buffered.split("\n");
    buffered = lines.pop()!;
    for (const line of lines) {
      const [word, n] = line.split(" ");
      if (word === "ready") {
        ready = Number(n);
        timer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
      } else if (word === "synced") {
        synced.push(Number(n));
      }
    }
  }
  clearTimeout(timer);
  const status = await child.status;
  return { ready, synced, stderr: await stderr, signal: status.signal };
}

Deno.test("WalWriter keeps every synced record through SIGKILL crashes", async () => {
  await using dir = await tempDir();
  const initialSeed = Number(Deno.env.get("WAL_CRASH_SEED") ?? Date.now() % 100000);
  let seed = initialSeed;
  const rand = (n: number) => (seed = (seed * 16807) % 2147483647) % n;
  let promised = 0;
  for (let round = 1; round <= 8; round++) {
    const killAfter = 20 + rand(400);
    const out = await runAndKill(dir.path, round * 1000, seed, killAfter);
    const context = `WAL_CRASH_SEED=${initialSeed} round ${round} (killed after ${killAfter} ms)`;
    strictEqual(out.signal, "SIGKILL", `${context}: child ended by itself: ${out.stderr}`);
    ok(out.ready >= promised, `${context}: child replayed only to ${out.ready} < ${promised}`);
    promised = Math.max(promised, ...out.synced);
    if (Deno.env.get("WAL_CRASH_VERBOSE")) {
      console.log(context, out.ready, out.synced.length, promised);
    }
    // Read-only replay: every seq the child printed after a sync must be there, intact.
    const { error, records, result } = await replayAll(dir.path);
    if (error !== undefined) throw new Error(`${context}: replay failed`, { cause: error });
    assertGoodRecords(records, 1);
    ok(
      result && result.lastSeq >= promised,
      `${context}: lastSeq ${result?.lastSeq} < ${promised}`,
    );
  }
  ok(promised > 0, "the child never synced anything");
});
