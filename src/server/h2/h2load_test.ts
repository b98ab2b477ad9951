/** nghttp2's h2load against {@linkcode H2GrpcServer}: every request of a bounded run succeeds. */

import { assert, assertEquals } from "../../../tests/_assert.ts";
import { b, startH2Server } from "./_test_server.ts";
import { grpcMessage } from "./_raw_client.ts";

Deno.test("h2load: 2,000 gRPC requests over 8 connections all succeed", async () => {
  let calls = 0;
  await using srv = await startH2Server({
    "svc": {
      Method: {
        kind: "unary",
        handler: (req) => {
          calls++;
          return req;
        },
      },
    },
  });
  const file = await Deno.makeTempFile({ suffix: ".grpc" });
  try {
    await Deno.writeFile(file, grpcMessage(b("0123456789")));
    const out = await new Deno.Command("h2load", {
      args: [
        ...["-n", "2000", "-c", "8", "-m", "10", "-d", file],
        ...["-H", "content-type: application/grpc", "-H", "te: trailers"],
        `http://127.0.0.1:${srv.port}/svc/Method`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assertEquals(out.code, 0, text);
    assert(/2000 succeeded, 0 failed, 0 errored/.test(text), text);
    assert(/status codes: 2000 2xx/.test(text), text);
    assertEquals(calls, 2000);
  } finally {
    await Deno.remove(file);
  }
});
