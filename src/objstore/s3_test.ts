import { deepStrictEqual, ok, rejects, strictEqual, throws } from "node:assert/strict";
import { s3Skipped, s3TestStore } from "../../tests/_s3.ts";
import { testObjectStoreConformance } from "./_conformance.ts";
import {
  ObjectNotFoundError,
  ObjectStoreUnavailableError,
  PreconditionFailedError,
} from "./errors.ts";
import { S3ObjectStore } from "./s3.ts";
import { nextPage } from "./_s3_responses.ts";
import type { S3ObjectStoreOptions } from "./s3_options.ts";

const enc = new TextEncoder();
const FAKE_KEYS = { accessKeyId: "test", secretAccessKey: "testsecret" }; // for fake servers

/** Runs `fn`, which must fail; returns the error and how long it took. */
async function failure(fn: () => Promise<unknown>): Promise<{ err: unknown; ms: number }> {
  const started = performance.now();
  try {
    await fn();
  } catch (err: unknown) {
    return { err, ms: performance.now() - started };
  }
  throw new Error("expected a failure");
}

function assertCleanMessage(
  err: unknown,
  start: string,
  secret = "testsecret",
): asserts err is Error {
  ok(err instanceof ObjectStoreUnavailableError, `not ObjectStoreUnavailableError: ${err}`);
  ok(err.message.startsWith(start), `message: ${err.message}`);
  ok(!err.message.includes("\n"), `multi-line message: ${err.message}`);
  ok(!err.message.includes(secret), `the secret leaked: ${err.message}`);
  strictEqual(err.code, "object-store-unavailable");
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

Deno.test({
  name: "S3ObjectStore passes the ObjectStore conformance suite on Ceph RGW",
  ignore: s3Skipped,
  fn: async (t) => {
    await using s3 = await s3TestStore(t);
    await testObjectStoreConformance(t, {
      open: (prefix) => s3.open(prefix),
      manyKeys: 1500, // crosses ListObjectsV2's 1,000-key page and DeleteObjects' chunk
      raceRounds: 10,
    });
  },
});

Deno.test({
  name: "S3ObjectStore.list() follows continuation tokens and startAfter on small pages",
  ignore: s3Skipped,
  fn: async (t) => {
    await using s3 = await s3TestStore(t);
    const store = s3.open("pages", { listPageSize: 7 });
    const keys = Array.from({ length: 25 }, (_, i) => `k/${String(i).padStart(2, "0")}`);
    await Promise.all(keys.map((key) => store.put(key, enc.encode(key))));
    deepStrictEqual((await store.list("k/")).map((o) => o.key), keys);
    const after = await store.list("k/", { startAfter: "k/05" });
    deepStrictEqual(after.map((o) => o.key), keys.slice(6));
  },
});

Deno.test({
  name: "S3ObjectStore fails fast with a clean message when nothing listens at the endpoint",
  fn: async () => {
    const endpoint = `http://127.0.0.1:${freePort()}`;
    await using store = new S3ObjectStore({ ...FAKE_KEYS, endpoint, bucket: "b", prefix: "p" });
    const { err, ms } = await failure(() => store.get("wal/1"));
    assertCleanMessage(err, `Cannot get object "wal/1" from s3://b/p/ (${endpoint}): `);
    ok(err.message.includes("connection refused"), err.message);
    ok(ms < 5000, `took ${ms} ms`);
    const writes = [
      store.put("k", enc.encode("x")),
      store.putIfAbsent("k", enc.encode("x")),
      store.putIfMatch("k", enc.encode("x"), "e"),
      store.head("k"),
      store.list(""),
      store.delete("k"),
      store.deleteMany(["k"]),
    ];
    for (const outcome of await Promise.allSettled(writes)) {
      strictEqual(outcome.status, "rejected");
      ok(outcome.reason instanceof ObjectStoreUnavailableError, String(outcome.reason));
    }
  },
});

Deno.test({
  name: "S3ObjectStore times out against a server that never answers",
  fn: async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const conns: Deno.Conn[] = [];
    const accepting = (async () => {
      for await (const conn of listener) conns.push(conn);
    })();
    const endpoint = `http://127.0.0.1:${listener.addr.port}`;
    try {
      await using store = new S3ObjectStore({
        ...FAKE_KEYS,
        endpoint,
        bucket: "b",
        requestTimeoutMs: 300,
        maxAttempts: 2,
      });
      const { err, ms } = await failure(() => store.put("k", enc.encode("x")));
      assertCleanMessage(err, `Cannot put object "k" to s3://b/ (${endpoint}): no answer in time`);
      ok(ms < 3000, `took ${ms} ms`);
    } finally {
      listener.close();
      conns.forEach((conn) => conn.close());
      await accepting;
    }
  },
});

Deno.test({
  name: "S3ObjectStore reports wrong credentials clearly",
  ignore: s3Skipped,
  fn: async (t) => {
    await using s3 = await s3TestStore(t);
    await s3.store.put("k", enc.encode("x"));
    const cases: [Partial<S3ObjectStoreOptions>, string][] = [
      [{ secretAccessKey: "wrong-secret" }, "SignatureDoesNotMatch"],
      [{ accessKeyId: "nobody", secretAccessKey: "wrong-secret" }, "InvalidAccessKeyId"],
    ];
    for (const [credentials, code] of cases) {
      const store = s3.open("", credentials);
      const { err } = await failure(() => store.get("k"));
      assertCleanMessage(err, `Cannot get object "k" from s3://${s3.bucket}/ (`, "wrong-secret");
      ok(err.message.includes(code) && err.message.includes("check the credentials"), err.message);
      const head = await failure(() => store.head("k"));
      assertCleanMessage(head.err, `Cannot head object "k"`, "wrong-secret");
    }
  },
});

Deno.test({
  name: "S3ObjectStore reports a missing bucket, not a missing object",
  ignore: s3Skipped,
  fn: async (t) => {
    await using s3 = await s3TestStore(t);
    const store = s3.open("", { bucket: `${s3.bucket}-absent` });
    const { err } = await failure(() => store.get("k"));
    assertCleanMessage(err, `Cannot get object "k" from s3://${s3.bucket}-absent/`);
    ok(err.message.endsWith("the bucket does not exist (NoSuchBucket)"), err.message);
    await rejects(store.putIfMatch("k", enc.encode("x"), "e"), ObjectStoreUnavailableError);
    await rejects(store.list(""), ObjectStoreUnavailableError);
    await rejects(s3.store.get("k"), ObjectNotFoundError);
  },
});

interface FakeS3 extends AsyncDisposable {
  /** The store on the fake server (bucket "b", no prefix). */
  store: S3ObjectStore;
  endpoint: string;
  /** Every request so far: method and headers. */
  requests: { method: string; headers: Headers }[];
}

/** A fake S3 on loopback whose answers `answer` scripts; for replies RGW never gives. */
function fakeS3(answer: (req: Request, n: number) => Response): FakeS3 {
  const requests: FakeS3["requests"] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    requests.push({ method: req.method, headers: req.headers });
    await req.body?.cancel();
    return answer(req, requests.length);
  });
  const endpoint = `http://127.0.0.1:${server.addr.port}`;
  const store = new S3ObjectStore({
    endpoint,
    bucket: "b",
    accessKeyId: "a",
    secretAccessKey: "s",
  });
  return {
    store,
    endpoint,
    requests,
    async [Symbol.asyncDispose]() {
      await store.close();
      await server.shutdown();
    },
  };
}

function s3Error(status: number, code: string): Response {
  const body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code>` +
    `<Message>scripted</Message><RequestId>1</RequestId></Error>`;
  return new Response(body, { status, headers: { "content-type": "application/xml" } });
}

function ok200(etag: string, headers: Record<string, string> = {}): Response {
  return new Response(null, { status: 200, headers: { etag: `"${etag}"`, ...headers } });
}

const WRITE_ID = "x-amz-meta-t4-write-id";

Deno.test("S3ObjectStore sends If-Match without quotes and returns ETags without them", async () => {
  await using s3 = fakeS3(() => ok200("abc"));
  deepStrictEqual(await s3.store.putIfMatch("lock", enc.encode("x"), '"abc"'), { etag: "abc" });
  strictEqual(s3.requests[0]?.headers.get("if-match"), "abc");
  ok(s3.requests[0]?.headers.get(WRITE_ID), "no write ID");
  deepStrictEqual(await s3.store.putIfAbsent("lock2", enc.encode("x")), { etag: "abc" });
  strictEqual(s3.requests[1]?.headers.get("if-none-match"), "*");
});

Deno.test("S3ObjectStore maps AWS's conditional-write answers to PreconditionFailedError", async () => {
  const cases: [number, string, "absent" | "match"][] = [
    [412, "PreconditionFailed", "absent"],
    [412, "PreconditionFailed", "match"],
    [409, "ConditionalRequestConflict", "match"],
    [404, "NoSuchKey", "match"], // AWS, for If-Match on a missing key
  ];
  for (const [status, code, kind] of cases) {
    await using s3 = fakeS3(() => s3Error(status, code));
    const write = kind === "absent"
      ? s3.store.putIfAbsent("k", enc.encode("x"))
      : s3.store.putIfMatch("k", enc.encode("x"), "etag");
    await rejects(write, PreconditionFailedError, `${status} ${code}`);
    strictEqual(s3.requests.length, 1, "a definite answer needs no second request");
  }
});

Deno.test("S3ObjectStore resolves an ambiguous conditional PUT by its write ID", async (t) => {
  await t.step("RGW's 500 for a lost If-Match race, object changed: lost", async () => {
    await using s3 = fakeS3((req) =>
      req.method === "PUT" ? s3Error(500, "UnknownError") : ok200("other")
    );
    await rejects(s3.store.putIfMatch("k", enc.encode("x"), "mine"), PreconditionFailedError);
    deepStrictEqual(s3.requests.map((r) => r.method), ["PUT", "HEAD"]);
  });
  await t.step("a 500 whose write landed (it carries our write ID): won", async () => {
    let writeId = "";
    await using s3 = fakeS3((req) => {
      if (req.method === "HEAD") return ok200("landed", { [WRITE_ID]: writeId });
      writeId = req.headers.get(WRITE_ID) ?? "";
      return s3Error(500, "InternalError");
    });
    deepStrictEqual(await s3.store.putIfAbsent("k", enc.encode("x")), { etag: "landed" });
  });
  await t.step("a 503 that left the object unchanged: sent again, then won", async () => {
    await using s3 = fakeS3((req, n) => {
      if (req.method === "HEAD") return new Response(null, { status: 404 });
      return n === 1 ? s3Error(503, "SlowDown") : ok200("second");
    });
    deepStrictEqual(await s3.store.putIfAbsent("k", enc.encode("x")), { etag: "second" });
    deepStrictEqual(s3.requests.map((r) => r.method), ["PUT", "HEAD", "PUT"]);
    strictEqual(s3.requests[0]?.headers.get(WRITE_ID), s3.requests[2]?.headers.get(WRITE_ID));
  });
  await t.step("a 503 then 412 with someone else's object: lost", async () => {
    await using s3 = fakeS3((req, n) => {
      if (req.method === "HEAD") {
        return n === 2 ? new Response(null, { status: 404 }) : ok200("theirs");
      }
      return n === 1 ? s3Error(503, "SlowDown") : s3Error(412, "PreconditionFailed");
    });
    await rejects(s3.store.putIfAbsent("k", enc.encode("x")), PreconditionFailedError);
  });
  await t.step("no way to find out: outcome unknown", async () => {
    await using s3 = fakeS3(() => s3Error(503, "ServiceUnavailable"));
    const { err } = await failure(() => s3.store.putIfAbsent("lock", enc.encode("x")));
    assertCleanMessage(
      err,
      `Cannot put object "lock" to s3://b/ (${s3.endpoint}): outcome unknown`,
    );
  });
});

Deno.test("nextPage() continues after the last key when a server gives no token", () => {
  strictEqual(nextPage({ IsTruncated: false, Contents: [{ Key: "a" }] }), undefined);
  deepStrictEqual(nextPage({ IsTruncated: true, NextContinuationToken: "t" }), {
    ContinuationToken: "t",
  });
  deepStrictEqual(nextPage({ IsTruncated: true, Contents: [{ Key: "a" }, { Key: "b" }] }), {
    StartAfter: "b",
  });
  throws(() => nextPage({ IsTruncated: true, Contents: [] }), /truncated an empty/);
});

Deno.test({
  name: "S3ObjectStore takes credentials from a named profile, else from the environment",
  ignore: s3Skipped,
  fn: async (t) => {
    await using s3 = await s3TestStore(t);
    await s3.store.put("k", enc.encode("x"));
    const dir = await Deno.makeTempDir({ prefix: "t4-aws-" });
    const saved = ["AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "AWS_ACCESS_KEY_ID"]
      .concat(["AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"]).map((name) => [name, Deno.env.get(name)]);
    try {
      const { accessKeyId, secretAccessKey } = s3.options;
      await Deno.writeTextFile(
        `${dir}/credentials`,
        `[t4test]\naws_access_key_id = ${accessKeyId}\naws_secret_access_key = ${secretAccessKey}\n`,
      );
      await Deno.writeTextFile(`${dir}/config`, "");
      Deno.env.set("AWS_SHARED_CREDENTIALS_FILE", `${dir}/credentials`);
      Deno.env.set("AWS_CONFIG_FILE", `${dir}/config`);
      for (const name of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"]) {
        Deno.env.delete(name);
      }
      const { endpoint, bucket } = s3.options;
      const viaProfile = new S3ObjectStore({ endpoint: endpoint!, bucket, profile: "t4test" });
      strictEqual((await viaProfile.head("k"))?.size, 1);
      await viaProfile.close();

      const missing = new S3ObjectStore({ endpoint: endpoint!, bucket, profile: "nosuch" });
      const { err } = await failure(() => missing.get("k"));
      assertCleanMessage(err, `Cannot get object "k" from s3://${bucket}/`);
      ok(err.message.includes("no credentials"), err.message);
      await missing.close();

      Deno.env.set("AWS_ACCESS_KEY_ID", accessKeyId!);
      Deno.env.set("AWS_SECRET_ACCESS_KEY", secretAccessKey!);
      const viaEnv = new S3ObjectStore({ endpoint: endpoint!, bucket });
      strictEqual((await viaEnv.head("k"))?.size, 1);
      await viaEnv.close();
    } finally {
      for (const [name, value] of saved) {
        if (value === undefined) Deno.env.delete(name!);
        else Deno.env.set(name!, value);
      }
      await Deno.remove(dir, { recursive: true });
    }
  },
});
