import { deepStrictEqual, ok, rejects, strictEqual, throws } from "node:assert/strict";
import { testObjectStoreConformance } from "./_conformance.ts";
import { InvalidObjectKeyError, ObjectStoreUnavailableError } from "./errors.ts";
import { contentEtag } from "./keys.ts";
import { LocalDirObjectStore } from "./local_dir.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const CHILD = new URL("./_race_child.ts", import.meta.url).pathname;

async function tempDir(): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.makeTempDir({ prefix: "t4-objstore-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

async function names(dir: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
}

Deno.test("LocalDirObjectStore passes the ObjectStore conformance suite", async (t) => {
  await using dir = await tempDir();
  await testObjectStoreConformance(t, {
    open: (prefix) => new LocalDirObjectStore(dir.path, { prefix }),
  });
  deepStrictEqual(await names(`${dir.path}/.tmp`), [], "temp files left behind");
});

Deno.test("LocalDirObjectStore keeps objects as readable files under the root", async () => {
  await using dir = await tempDir();
  const store = new LocalDirObjectStore(dir.path, { prefix: "/t4/" });
  await store.put("wal/0000000001/00000000000000000001", enc.encode("segment"));
  await store.put("odd/.hidden name", enc.encode("x"));
  const file = `${dir.path}/t4/wal/0000000001/00000000000000000001`;
  strictEqual(dec.decode(await Deno.readFile(file)), "segment");
  deepStrictEqual(await names(`${dir.path}/t4/odd`), ["%2Ehidden%20name"]);
  strictEqual(store.describe(), `file://${dir.path}/t4/`);
  // Foreign files that no key encodes to are not listed.
  await Deno.writeFile(`${dir.path}/t4/odd/not ours`, enc.encode("?"));
  await Deno.writeFile(`${dir.path}/t4/.DS_Store`, enc.encode("?"));
  deepStrictEqual((await store.list("")).map((o) => o.key), [
    "odd/.hidden name",
    "wal/0000000001/00000000000000000001",
  ]);
});

Deno.test("LocalDirObjectStore rejects path traversal and touches nothing outside its root", async () => {
  await using dir = await tempDir();
  const root = `${dir.path}/root`;
  const store = new LocalDirObjectStore(root);
  await store.put("inside", enc.encode("ok"));
  for (const key of ["../escape", "a/../../escape", "/etc/passwd", "..", "a/./b", "a\0b"]) {
    await rejects(store.put(key, enc.encode("x")), InvalidObjectKeyError, key);
    await rejects(store.putIfAbsent(key, enc.encode("x")), InvalidObjectKeyError, key);
    await rejects(store.get(key), InvalidObjectKeyError, key);
    await rejects(store.delete(key), InvalidObjectKeyError, key);
  }
  await rejects(store.list("../"), InvalidObjectKeyError);
  throws(() => new LocalDirObjectStore(root, { prefix: "../up" }), InvalidObjectKeyError);
  deepStrictEqual(await names(dir.path), ["root"]);
  deepStrictEqual(await names(root), [".locks", ".tmp", "inside"]);
});

Deno.test("LocalDirObjectStore refuses a key that is also a directory", async () => {
  await using dir = await tempDir();
  const store = new LocalDirObjectStore(dir.path);
  await store.put("a/b", enc.encode("b"));
  await rejects(store.put("a", enc.encode("a")), InvalidObjectKeyError);
  await rejects(store.putIfAbsent("a", enc.encode("a")), InvalidObjectKeyError);
  await store.put("f", enc.encode("f"));
  await rejects(store.put("f/g", enc.encode("g")), InvalidObjectKeyError);
  await rejects(store.get("a"), { name: "ObjectNotFoundError" });
  strictEqual(await store.head("f/g"), undefined);
  await store.delete("a"); // a directory, not an object: nothing to delete
  strictEqual(dec.decode((await store.get("a/b")).data), "b");
});

Deno.test("LocalDirObjectStore.delete() prunes directories it leaves empty", async () => {
  await using dir = await tempDir();
  const store = new LocalDirObjectStore(dir.path, { prefix: "p" });
  await store.put("x/y/z", enc.encode("z"));
  await store.put("x/keep", enc.encode("k"));
  await store.delete("x/y/z");
  deepStrictEqual(await names(`${dir.path}/p/x`), ["keep"]);
  await store.deleteMany(["x/keep"]);
  deepStrictEqual(await names(dir.path), [".locks", ".tmp"]);
  await store.put("x/y/z", enc.encode("again"));
  strictEqual(dec.decode((await store.get("x/y/z")).data), "again");
});

Deno.test("LocalDirObjectStore reports I/O failures as ObjectStoreUnavailableError", async () => {
  await using dir = await tempDir();
  await Deno.writeFile(`${dir.path}/file`, enc.encode("not a directory"));
  const store = new LocalDirObjectStore(`${dir.path}/file`);
  const err = await store.put("k", enc.encode("x")).then(() => undefined, (e: unknown) => e);
  ok(err instanceof ObjectStoreUnavailableError, String(err));
  ok(err.message.startsWith(`Cannot put object "k" to file://${dir.path}/file/: `), err.message);
});

function runRacers(root: string, mode: string, keys: number, etag = "") {
  const start = Date.now() + 1500; // both children are running by then
  return [0, 1].map((racer) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", `--allow-read=${root}`, `--allow-write=${root}`, CHILD, root, mode]
        .concat([String(keys), String(start), "15", String(racer), etag]),
      stdout: "piped",
      stderr: "piped",
    }).output()
  );
}

async function race(root: string, mode: "absent" | "match", keys: number, etag = "") {
  const outputs = await Promise.all(runRacers(root, mode, keys, etag));
  const winners = new Map<number, number[]>();
  outputs.forEach((out, racer) => {
    strictEqual(out.code, 0, dec.decode(out.stdout) + dec.decode(out.stderr));
    for (const line of dec.decode(out.stdout).trim().split("\n")) {
      const [i, outcome] = line.split(" ");
      if (outcome === "won") winners.set(Number(i), [...winners.get(Number(i)) ?? [], racer]);
    }
  });
  const store = new LocalDirObjectStore(root);
  const wins = [0, 0];
  for (let i = 0; i < keys; i++) {
    const won = winners.get(i) ?? [];
    if (won.length !== 1) {
      console.log("BROKEN", i, won);
      continue;
    }
    wins[won[0]!]!++;
    strictEqual(dec.decode((await store.get(`race/${i}`)).data), `racer ${won[0]}`, `key ${i}`);
  }
  return wins;
}

Deno.test("LocalDirObjectStore.putIfAbsent() has one winner across two processes", async () => {
  await using dir = await tempDir();
  await race(dir.path, "absent", 100);
});

Deno.test("LocalDirObjectStore.putIfMatch() has one winner across two processes", async () => {
  await using dir = await tempDir();
  const store = new LocalDirObjectStore(dir.path);
  const initial = enc.encode("initial");
  await Promise.all(Array.from({ length: 100 }, (_, i) => store.put(`race/${i}`, initial)));
  await race(dir.path, "match", 100, await contentEtag(initial));
});

Deno.test("LocalDirObjectStore.putIfMatch() loses no update with two processes incrementing", async () => {
  await using dir = await tempDir();
  const store = new LocalDirObjectStore(dir.path);
  await store.put("counter", enc.encode("0"));
  const outputs = await Promise.all(runRacers(dir.path, "counter", 300));
  let wins = 0;
  for (const out of outputs) {
    strictEqual(out.code, 0, dec.decode(out.stdout) + dec.decode(out.stderr));
    wins += dec.decode(out.stdout).split("\n").filter((line) => line.endsWith(" won")).length;
  }
  ok(wins > 0, "no increment succeeded");
  strictEqual(dec.decode((await store.get("counter")).data), String(wins), "lost updates");
});

Deno.test("LocalDirObjectStore writes wait while another holder has the key's lock file", async () => {
  await using dir = await tempDir();
  const store = new LocalDirObjectStore(dir.path);
  const { etag } = await store.put("k", enc.encode("v1"));
  // Lock every stripe through our own file descriptors, as another process would.
  const stripes = Array.from({ length: 64 }, (_, i) => i.toString(16).padStart(2, "0"));
  const files = await Promise.all(
    stripes.map((name) => Deno.open(`${dir.path}/.locks/${name}`, { create: true, write: true })),
  );
  let settled = 0;
  let writes: Promise<unknown>[] = [];
  try {
    await Promise.all(files.map((file) => file.lock(true)));
    writes = [
      store.putIfMatch("k", enc.encode("v2"), etag),
      store.put("k2", enc.encode("x")),
      store.delete("k3"),
    ].map((write) => write.finally(() => settled++));
    await new Promise((resolve) => setTimeout(resolve, 300));
    strictEqual(settled, 0, "a write went ahead without the lock");
    strictEqual(dec.decode((await store.get("k")).data), "v1");
  } finally {
    files.forEach((file) => file.close());
  }
  await Promise.all(writes);
  strictEqual(dec.decode((await store.get("k")).data), "v2");
});
