import { testObjectStoreConformance } from "./_conformance.ts";
import { MemoryObjectStore } from "./memory.ts";

Deno.test("MemoryObjectStore passes the ObjectStore conformance suite", async (t) => {
  const root = new MemoryObjectStore();
  await testObjectStoreConformance(t, {
    open: (prefix) => root.withPrefix(prefix),
    raceRounds: 100,
  });
});
