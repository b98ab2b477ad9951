/**
 * Builds `wasm/build/engine.wasm` from `wasm/engine.c` and SQLite's amalgamation.
 *
 * Usage: `deno task build:wasm`. Skips the build when `wasm/build/engine.wasm.sha256` holds the
 * hash of the current inputs (the C source, the export list, the flags and `sqlite3.c`), so it
 * is cheap to run before every test run. Prints one line when it builds.
 *
 * The amalgamation comes from the npm package pinned in `deno.json` (`better-sqlite3`, which
 * ships `deps/sqlite3/sqlite3.c`). The JSON import below makes Deno install that package into
 * `node_modules/` on its own (no install scripts run), so no separate `deno install` is needed.
 *
 * @module
 */

import sqlitePackage from "better-sqlite3/package.json" with { type: "json" };
import { fileURLToPath } from "node:url";

const WASM_DIR = fileURLToPath(new URL(".", import.meta.url));
/** The translation unit; it includes the other C files and SQLite's amalgamation. */
const SOURCE = `${WASM_DIR}engine.c`;
const INCLUDED_SOURCES = ["vfs.c", "btree.c", "scan.c", "inspect.c"].map((name) =>
  `${WASM_DIR}${name}`
);
const EXPORT_LIST = `${WASM_DIR}exports.txt`;
const OUTPUT = `${WASM_DIR}build/engine.wasm`;
const STAMP = `${OUTPUT}.sha256`;
const SQLITE_DIR = fileURLToPath(
  new URL("deps/sqlite3/", import.meta.resolve("better-sqlite3/package.json")),
);

/** Compiler and linker flags; `wasm/README.md` explains them. */
const FLAGS: readonly string[] = [
  "--target=wasm32-wasi",
  "-O2",
  "-mexec-model=reactor",
  "-mbulk-memory",
  "-DSQLITE_OS_OTHER=1",
  "-DSQLITE_THREADSAFE=0",
  "-DSQLITE_TEMP_STORE=3",
  "-DSQLITE_DEFAULT_MEMSTATUS=0",
  "-DSQLITE_DQS=0",
  "-DSQLITE_OMIT_DEPRECATED",
  "-DSQLITE_OMIT_SHARED_CACHE",
  "-DSQLITE_OMIT_PROGRESS_CALLBACK",
  "-DSQLITE_OMIT_LOAD_EXTENSION",
  "-DSQLITE_OMIT_UTF16",
  "-DSQLITE_OMIT_JSON",
  "-DSQLITE_OMIT_COMPLETE",
  "-DSQLITE_OMIT_DECLTYPE",
  "-DSQLITE_OMIT_TCL_VARIABLE",
  "-DSQLITE_MAX_EXPR_DEPTH=0",
  "-DSQLITE_LIKE_DOESNT_MATCH_BLOBS",
  "-DSQLITE_MAX_MMAP_SIZE=0",
  "-DSQLITE_OMIT_LOCALTIME",
  "-DSQLITE_DEFAULT_LOCKING_MODE=1",
  "-DSQLITE_DEFAULT_WAL_SYNCHRONOUS=1",
  "-DSQLITE_DEFAULT_PAGE_SIZE=8192",
  "-DSQLITE_UNTESTABLE",
  "-DSQLITE_OMIT_AUTOINIT",
  "-Wl,--strip-all",
  "-Wl,-z,stack-size=1048576",
  "-Wl,--max-memory=4294967296",
];

async function sha256Hex(parts: Uint8Array[]): Promise<string> {
  const total = parts.reduce((n, part) => n + part.length, 0);
  const all = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.length;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function readTextIfExists(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (err: unknown) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

/** Reads the export list: one name per line, `#` starts a comment. */
function parseExportList(text: string): string[] {
  return text.split("\n").map((line) => line.replace(/#.*/, "").trim()).filter((line) => line);
}

function sqliteVersion(header: string): string {
  return /#define SQLITE_VERSION\s+"([^"]+)"/.exec(header)?.[1] ?? "unknown";
}

/** Builds the module unless its stamp matches the inputs; returns whether it built. */
export async function buildEngine(): Promise<boolean> {
  const encoder = new TextEncoder();
  const exportText = await Deno.readTextFile(EXPORT_LIST);
  const args = [
    ...FLAGS,
    ...parseExportList(exportText).map((name) => `-Wl,--export=${name}`),
    `-I${SQLITE_DIR}`,
  ];
  const hash = await sha256Hex([
    encoder.encode(args.filter((arg) => !arg.startsWith("-I")).join("\n")),
    await Deno.readFile(SOURCE),
    ...await Promise.all(INCLUDED_SOURCES.map((path) => Deno.readFile(path))),
    encoder.encode(exportText),
    await Deno.readFile(`${SQLITE_DIR}sqlite3.c`),
  ]);
  const stamp = await readTextIfExists(STAMP);
  const outputExists = await Deno.stat(OUTPUT).then(() => true, () => false);
  if (outputExists && stamp?.trim() === hash) return false;

  const started = performance.now();
  await Deno.mkdir(`${WASM_DIR}build`, { recursive: true });
  const temp = `${OUTPUT}.${Deno.pid}.tmp`;
  const { code } = await new Deno.Command("clang", {
    args: [...args, "-o", temp, SOURCE],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0) {
    await Deno.remove(temp).catch(() => {});
    throw new Error(`Cannot build "${OUTPUT}": clang exited with code ${code}`);
  }
  await Deno.rename(temp, OUTPUT);
  await Deno.writeTextFile(STAMP, `${hash}\n`);
  const bytes = (await Deno.stat(OUTPUT)).size;
  const version = sqliteVersion(await Deno.readTextFile(`${SQLITE_DIR}sqlite3.h`));
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `Built wasm/build/engine.wasm (${Math.round(bytes / 1024)} KiB, SQLite ${version} from ` +
      `better-sqlite3@${sqlitePackage.version}) in ${seconds} s`,
  );
  return true;
}

if (import.meta.main) {
  await buildEngine();
}
