/**
 * Go's gRPC client (etcdctl 3.4) against {@linkcode H2GrpcServer}: HPACK with Huffman and the
 * dynamic table, Go's SETTINGS and window updates, its `grpc-timeout`, and status decoding.
 */

import { assert, assertEquals } from "../../../tests/_assert.ts";
import { etcdctl } from "../../../tests/_server.ts";
import { CompactedError } from "../../errors.ts";
import { decodeRangeRequest, encodeRangeResponse } from "../pb/mod.ts";
import { b, s, startH2Server } from "./_test_server.ts";

Deno.test("etcdctl get works against a fake KV on H2GrpcServer", async (t) => {
  const keys: string[] = [];
  await using srv = await startH2Server({
    "etcdserverpb.KV": {
      Range: {
        kind: "unary",
        handler: (req) => {
          const r = decodeRangeRequest(req);
          keys.push(s(r.key));
          if (s(r.key) === "compacted") throw new CompactedError(7);
          return encodeRangeResponse({
            header: {
              clusterId: 14841639068965178418n,
              memberId: 10276657743932975437n,
              revision: 42,
              raftTerm: 3,
            },
            kvs: [{ key: r.key, value: b("bar"), createRevision: 40, modRevision: 42, version: 2 }],
            count: 1,
          });
        },
      },
    },
  });
  const endpoint = `127.0.0.1:${srv.port}`;

  await t.step("get -w json prints the canned response", async () => {
    const { code, out } = await etcdctl(endpoint, ["get", "foo", "-w", "json"]);
    assertEquals(code, 0, out);
    const json = JSON.parse(out);
    assertEquals(json.header.revision, 42);
    assertEquals(json.count, 1);
    assertEquals(atob(json.kvs[0].key), "foo");
    assertEquals(atob(json.kvs[0].value), "bar");
    assertEquals(json.kvs[0].mod_revision, 42);
  });

  await t.step("get prints key and value, call after call", async () => {
    for (let i = 0; i < 3; i++) {
      const { code, out } = await etcdctl(endpoint, ["get", `key${i}`]);
      assertEquals(code, 0, out);
      assertEquals(out, `key${i}\nbar\n`);
    }
  });

  await t.step("an error status comes back as etcdctl prints it", async () => {
    const { code, out } = await etcdctl(endpoint, ["get", "compacted"]);
    assertEquals(code, 1, out);
    assert(out.includes("Error: etcdserver: mvcc: required revision has been compacted"), out);
  });

  await t.step("an unknown method is Unimplemented", async () => {
    const { code, out } = await etcdctl(endpoint, ["put", "k", "v"]);
    assertEquals(code, 1, out);
    assert(out.includes("unknown method Put for service etcdserverpb.KV"), out);
  });
  assert(keys.includes("foo") && keys.includes("compacted"));
});
