import { deepStrictEqual, ok, rejects } from "node:assert/strict";
import { InvalidObjectKeyError, ObjectNotFoundError, PreconditionFailedError } from "./errors.ts";
import { InstrumentedObjectStore } from "./instrumented.ts";
import { MemoryObjectStore } from "./memory.ts";
import type { ObjectStoreOp } from "./object_store.ts";
import { FaultyObjectStore } from "./testing.ts";

const data = new TextEncoder().encode("x");

Deno.test("InstrumentedObjectStore reports each operation's label, result and duration", async () => {
  const seen: [ObjectStoreOp, string][] = [];
  const faulty = new FaultyObjectStore(new MemoryObjectStore());
  const store = new InstrumentedObjectStore(faulty, (op, result, seconds) => {
    ok(seconds >= 0 && seconds < 10, `seconds ${seconds}`);
    seen.push([op, result]);
  });
  const { etag } = await store.put("k", data);
  await store.get("k");
  await store.head("k");
  await store.putIfMatch("k", data, etag);
  await rejects(store.putIfAbsent("k", data), PreconditionFailedError);
  await rejects(store.get("missing"), ObjectNotFoundError);
  await store.list("");
  await store.delete("k");
  await store.deleteMany(["a", "b"]);
  await rejects(store.get("../bad"), InvalidObjectKeyError);
  faulty.down = true;
  await rejects(store.get("k"));
  deepStrictEqual(seen, [
    ["put", "success"],
    ["get", "success"],
    ["get_etag", "success"],
    ["put_if_match", "success"],
    ["put_if_absent", "success"], // a lost race is an answer, not an S3 error
    ["get", "success"], // so is "not found"
    ["list", "success"],
    ["delete", "success"],
    ["delete_many", "success"],
    ["get", "error"],
    ["get", "error"],
  ]);
});

Deno.test("InstrumentedObjectStore ignores an observer that throws", async () => {
  const store = new InstrumentedObjectStore(new MemoryObjectStore(), () => {
    throw new Error("metrics bug");
  });
  await store.put("k", data);
  deepStrictEqual((await store.get("k")).data, data);
});
